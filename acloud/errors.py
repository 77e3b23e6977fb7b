"""The public error hierarchy (see :mod:`acloud._core.errors`).

Example:
    >>> import acloud
    >>> issubclass(acloud.NotFoundError, FileNotFoundError)
    True
"""

from ._core.errors import *  # noqa: F403 - this module is the public face of _core.errors
from ._core.errors import __all__ as _core_names
from ._core.extras import MissingExtraError as MissingExtraError

__all__ = sorted([*_core_names, "MissingExtraError"])
