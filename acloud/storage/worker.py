"""A worker process of a sharded transfer: ``python -m acloud.storage.worker``.

It reads length-prefixed pickled frames on its standard input: first the driver's
``sys.path`` (so that credentials providers import here as they do there), answered with
this process's id; then ``(job, entries)`` batches, each answered with ``("ok",
BatchReport)`` or ``("error", exception)``. At the end of its input it exits. Ctrl-C is
the driver's to handle: a worker ignores SIGINT and finishes the batch it runs, so no
object is ever left half-written.
"""

from __future__ import annotations

import os
import pickle
import signal
import sys

from .._core.process import collect_as_owner
from .shards import portable, read_frame, run_batch, write_frame


def main() -> None:
    """Serve batches from standard input until it ends."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    frames = sys.stdin.buffer
    answers = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # stray prints go to stderr
    hello = read_frame(frames)
    if hello is None:
        return
    sys.path.extend(p for p in pickle.loads(hello) if p not in sys.path)
    collect_as_owner()
    write_frame(answers, pickle.dumps(os.getpid()))
    first = True
    while (frame := read_frame(frames)) is not None:
        try:
            job, entries = pickle.loads(frame)
            answer = pickle.dumps(("ok", run_batch(job, entries)))
        except Exception as err:
            answer = pickle.dumps(("error", portable(err)))
        write_frame(answers, answer)
        if first:  # the store's SDK and models are loaded now: freeze them too
            collect_as_owner()
            first = False


if __name__ == "__main__":
    main()
