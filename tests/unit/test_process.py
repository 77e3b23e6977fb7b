"""The processes acloud owns (the ``acloud`` command, sharded transfers' workers) set the
garbage collector as an application would; a library user's process is left alone."""

from __future__ import annotations

import io
import pickle
import subprocess
import sys
import textwrap

from acloud._core.process import THRESHOLDS
from acloud.storage.shards import write_frame


def _in_new_interpreter(code: str, stdin: bytes = b"") -> str:
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        input=stdin,
        capture_output=True,
        timeout=60,
        check=True,
    )
    return proc.stderr.decode().strip().splitlines()[-1]


def test_collect_as_owner_collects_then_freezes_and_raises_the_thresholds():
    out = _in_new_interpreter(
        """
        import gc, sys, weakref
        frozen = gc.get_freeze_count()  # some interpreters start with objects frozen
        class Node: pass
        cycle = Node(); cycle.me = cycle
        dead = weakref.ref(cycle); del cycle
        from acloud._core.process import collect_as_owner
        collect_as_owner()
        print(dead() is None, gc.get_freeze_count() > frozen, gc.get_threshold(), file=sys.stderr)
        """
    )
    assert out == f"True True {THRESHOLDS}"


def test_importing_acloud_leaves_the_host_s_collector_alone():
    out = _in_new_interpreter(
        """
        import gc, sys
        before = gc.get_threshold(), gc.get_freeze_count()
        import acloud, acloud.cli, acloud.storage.worker, acloud.storage.transfer
        print((gc.get_threshold(), gc.get_freeze_count()) == before, file=sys.stderr)
        """
    )
    assert out == "True"


def test_a_worker_process_sets_the_collector_as_its_owner():
    frames = io.BytesIO()
    write_frame(frames, pickle.dumps(sys.path))
    out = _in_new_interpreter(
        """
        import gc, sys
        frozen = gc.get_freeze_count()  # some interpreters start with objects frozen
        from acloud.storage import worker
        worker.main()  # the hello frame, then the end of its input
        print(gc.get_freeze_count() > frozen, gc.get_threshold(), file=sys.stderr)
        """,
        stdin=frames.getvalue(),
    )
    assert out == f"True {THRESHOLDS}"


def test_the_acloud_command_sets_the_collector_as_its_owner():
    out = _in_new_interpreter(
        """
        import gc, sys
        frozen = gc.get_freeze_count()  # some interpreters start with objects frozen
        from acloud import cli
        cli.main = lambda: print(
            gc.get_freeze_count() > frozen, gc.get_threshold(), file=sys.stderr
        )
        cli.console()
        """
    )
    assert out == f"True {THRESHOLDS}"
