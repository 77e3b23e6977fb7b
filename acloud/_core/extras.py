"""Optional extras: a missing provider SDK is an ImportError that names the extra."""

from __future__ import annotations

import importlib
from types import ModuleType

from .errors import AcloudError

__all__ = ["MissingExtraError", "require"]


class MissingExtraError(AcloudError, ImportError):
    """A provider's SDK is not installed; the message says which extra to install."""


def require(module: str, extra: str, feature: str) -> ModuleType:
    """Import ``module`` or raise MissingExtraError naming ``acloud[extra]``.

    Example:
        >>> require("json", "none", "the json module").__name__
        'json'
    """
    try:
        return importlib.import_module(module)
    except ImportError as err:
        raise MissingExtraError(
            f"{feature} needs the optional dependency {module!r}: pip install 'acloud[{extra}]'"
        ) from err
