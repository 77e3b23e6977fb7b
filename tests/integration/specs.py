"""Where the official API specs are, and one way to check JSON against their schemas."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

# ../shared/specs next to the checkout (as in CI), or $ACLOUD_SPECS_DIR
SPECS = Path(
    os.environ.get("ACLOUD_SPECS_DIR") or Path(__file__).resolve().parents[3] / "shared" / "specs"
)


def schema_errors(validator_cls: Any, spec: dict, schema: dict, instance: Any) -> list[str]:
    """What is wrong with ``instance`` against ``schema`` (whose ``$ref``s point into the
    spec's components), one line per problem."""
    validator = validator_cls({"components": spec["components"], **schema})
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in validator.iter_errors(instance)
    ]
