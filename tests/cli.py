"""Run the ``acloud`` command in a subprocess, as a user's shell would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

#: moto's test credentials, for commands run against it
MOTO_ENV = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing-secret-key"}


def run(
    *args: str,
    root: Path | None = None,
    check_rc: int | None = 0,
    stdin: bytes | None = None,
    binary: bool = False,
    timeout: float = 120,
    **env: str,
) -> subprocess.CompletedProcess[Any]:
    """``acloud ARGS...`` with ``ACLOUD_LOCAL_ROOT=root``; asserts the exit code
    ``check_rc`` (None: any) and returns the finished process (its output as text, or
    as bytes with ``binary``)."""
    extra = {"ACLOUD_LOCAL_ROOT": str(root)} if root is not None else {}
    proc = subprocess.run(
        [sys.executable, "-m", "acloud.cli", *args],
        capture_output=True,
        input=stdin if binary else (stdin.decode() if stdin is not None else None),
        text=not binary,
        env={**os.environ, **extra, **env},
        timeout=timeout,
    )
    if check_rc is not None:
        assert proc.returncode == check_rc, (proc.returncode, proc.stdout, proc.stderr)
    return proc
