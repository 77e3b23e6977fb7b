"""Launch gcp-storage-emulator with a usable listen backlog.

Its ``http.server.HTTPServer`` keeps the default backlog of 5: at a client concurrency of
16 the kernel resets connections. Raising the class attribute before the emulator builds
its server is the whole launcher; everything else is the emulator's own ``main``.
"""

from __future__ import annotations

import http.server
import sys

http.server.HTTPServer.request_queue_size = 128

from gcp_storage_emulator.__main__ import main  # noqa: E402

if __name__ == "__main__":
    main(sys.argv[1:])
