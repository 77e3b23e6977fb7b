"""Shared test configuration."""

from __future__ import annotations

import inspect
import types

import aiohttp
import aioresponses.core

# aioresponses 0.7.9 builds ClientResponse without the `stream_writer` argument that
# aiohttp 3.14 requires (pnuckowski/aioresponses#289, still open). Until a fixed release
# exists, give it a response class that supplies a finished, empty writer. Detected, not
# assumed: with an aiohttp that does not need it, nothing is patched.
if "stream_writer" in inspect.signature(aiohttp.ClientResponse.__init__).parameters:

    class _CompatResponse(aiohttp.ClientResponse):
        def __init__(self, method, url, **kwargs):  # type: ignore[no-untyped-def]
            kwargs.setdefault("stream_writer", types.SimpleNamespace(output_size=0))
            super().__init__(method, url, **kwargs)

    aioresponses.core.ClientResponse = _CompatResponse  # type: ignore[misc]
