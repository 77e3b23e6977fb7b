"""The benchmark harness goes on when a contender dies: the contender is recorded as
crashed (how, in which round, the end of its stderr), the others are measured, and the
tables say so."""

from __future__ import annotations

import json
import subprocess
from typing import Any

import pytest

from benchmarks import s3
from benchmarks.report import tables


class Quick(s3.Workload):
    name, unit = "w0 nothing", "ops/s"
    contenders = ("acloud", "peer", "crasher")

    async def body(self, d: s3.Driver) -> None:
        await d.put("k", b"")

    def figures(self, wall: float, cpu: float) -> dict[str, float]:
        return {"ops/s": 1 / max(wall, 1e-6)}


class Fine(s3.Driver):
    async def warm(self) -> None:
        return None

    async def put(self, key: str, data: bytes) -> None:
        return None


class Dies(Fine):
    async def put(self, key: str, data: bytes) -> None:
        raise RuntimeError("the peer's worker died")


def test_an_in_process_crash_is_recorded_and_the_others_are_measured(tmp_path):
    drivers: dict[str, Any] = {"acloud": Fine, "peer": Fine, "crasher": Dies}
    out = s3.run_workload(Quick(True, str(tmp_path)), "http://127.0.0.1:9", 2, drivers)
    assert set(out["contenders"]) == {"acloud", "peer"}
    assert out["crashed"]["crasher"]["how"] == "RuntimeError: the peer's worker died"
    assert out["crashed"]["crasher"]["round"] == 0
    assert set(out["acloud_over"]) == {"acloud", "peer"}
    report = {"machine": {"date": "d", "commit": "c", "cpus": 2, "python": "3"}, "rounds": 2}
    table = tables({"s3": {**report, "workloads": {Quick.name: out}}})
    assert "| crasher | crashed in round 0: RuntimeError: the peer's worker died |" in table


def test_a_process_killed_twice_is_recorded_with_its_signal(tmp_path, monkeypatch):
    def abort(*args: Any, **kwargs: Any) -> dict[str, float]:
        raise subprocess.CalledProcessError(-6, ["python"], stderr="fatal runtime error\nabort")

    monkeypatch.setattr(s3, "_run_in_process", abort)
    with pytest.raises(s3.Crashed) as caught:
        s3._run_elsewhere("python", Quick(True, str(tmp_path)), "crasher", "http://x")
    assert caught.value.how == "killed by SIGABRT"
    assert caught.value.stderr_tail == ["fatal runtime error", "abort"]


def test_a_partial_run_updates_its_workloads_and_keeps_the_others(tmp_path, monkeypatch):
    from benchmarks import _common

    monkeypatch.setattr(_common, "HERE", str(tmp_path))
    full = {"machine": {"commit": "a"}, "rounds": 5, "workloads": {"w1": 1, "w2": 2}}
    _common.write_result("suite", full)
    partial = {"machine": {"commit": "b"}, "rounds": 2, "workloads": {"w2": 20}}
    path = _common.write_result("suite", partial, partial=True)
    with open(path) as f:
        merged = json.load(f)
    assert merged["workloads"] == {"w1": 1, "w2": 20}
    assert merged["machine"] == {"commit": "a"}
    assert merged["partial_runs"] == [
        {"workloads": ["w2"], "machine": {"commit": "b"}, "rounds": 2}
    ]


def test_a_workload_run_again_names_its_run_in_the_table(tmp_path):
    out = s3.run_workload(Quick(True, str(tmp_path)), "http://127.0.0.1:9", 1, {"acloud": Fine})
    machine = {"date": "d", "commit": "c", "cpus": 2, "python": "3"}
    later = {"date": "d2", "commit": "c2", "cpus": 2, "python": "3"}
    report = {
        "machine": machine,
        "rounds": 5,
        "workloads": {Quick.name: out, "other": out},
        "partial_runs": [{"workloads": [Quick.name], "machine": later, "rounds": 3}],
    }
    table = tables({"s3": report})
    assert f"**{Quick.name}** (run again d2, commit c2, 3 rounds)" in table
    assert "**other**\n" in table
