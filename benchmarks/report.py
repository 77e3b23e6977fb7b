"""Tables and chart from benchmarks/results/*.json.

Run: python -m benchmarks.report   (python -m benchmarks runs it at the end)

Prints one markdown table per workload (median, min-max, acloud / contender), writes them
into docs/benchmarks.md between its "results" markers, and draws docs/img/benchmarks.png
(matplotlib): per workload, each contender's median with its min-max range. Full runs
are preferred to --quick ones.
"""

from __future__ import annotations

import json
import os
from typing import Any

from ._common import HERE, ROOT

RESULTS = os.path.join(HERE, "results")
CHART = os.path.join(ROOT, "docs", "img", "benchmarks.png")
DOC = os.path.join(ROOT, "docs", "benchmarks.md")
START, END = "<!-- results:start (python -m benchmarks.report) -->", "<!-- results:end -->"


def load() -> dict[str, dict[str, Any]]:
    """The suites' reports that have workloads, full runs over quick ones."""
    found: dict[str, dict[str, Any]] = {}
    for suite in ("s3", "gcs", "azure"):
        for name in (suite, f"{suite}-quick"):
            path = os.path.join(RESULTS, f"{name}.json")
            if os.path.exists(path):
                with open(path) as f:
                    found[suite] = json.load(f)
                break
    return found


def tables(reports: dict[str, dict[str, Any]]) -> str:
    lines: list[str] = []
    for suite, report in reports.items():
        m = report["machine"]
        quick = " (--quick)" if report.get("quick") else ""
        lines.append(
            f"### {suite}{quick}: {m['date']}, commit {m['commit']}, {m['cpus']} CPUs, "
            f"Python {m['python']}, {report.get('rounds')} rounds"
        )
        if report.get("wrk_get_4kib_per_s"):
            lines.append(
                f"\nwrk, 4 KiB GET, 64 connections: {report['wrk_get_4kib_per_s']:,.0f} req/s"
            )
        rerun = _reruns(report)
        for name, w in report["workloads"].items():
            unit = w["unit"]
            lines += [
                "",
                f"**{name}**{rerun.get(name, '')}",
                "",
                f"| contender | {unit} median (min-max) | other figures | acloud / this |",
                "|---|---|---|---|",
            ]
            for who, figs in w["contenders"].items():
                main = figs[unit]
                others = ", ".join(f"{k} {v['median']:,.2f}" for k, v in figs.items() if k != unit)
                lines.append(
                    f"| {who} | {main['median']:,.1f} ({main['min']:,.1f}-{main['max']:,.1f}) "
                    f"| {others} | {_ratio(w['acloud_over'].get(who))} |"
                )
            for who, crash in w.get("crashed", {}).items():
                tail = " / ".join(crash["stderr"][-2:]).replace("|", "/")
                lines.append(
                    f"| {who} | crashed in round {crash['round']}: {crash['how']} | {tail} | |"
                )
            for who, why in w.get("skipped", {}).items():
                lines.append(f"| {who} | not run: {why} | | |")
        lines.append("")
    return "\n".join(lines)


def _reruns(report: dict[str, Any]) -> dict[str, str]:
    """For each workload a later partial run replaced, a note of that run (the latest)."""
    notes: dict[str, str] = {}
    for run in report.get("partial_runs", []):
        m = run["machine"]
        rounds = f", {run['rounds']} rounds" if run.get("rounds") else ""
        note = f" (run again {m['date']}, commit {m['commit']}{rounds})"
        for name in run["workloads"]:
            notes[name] = note
    return notes


def _ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}x"


def chart(reports: dict[str, dict[str, Any]]) -> str | None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("no matplotlib: pip install 'acloud[benchmarks]' for the chart")
        return None
    panels = [
        (suite, name, w) for suite, r in reports.items() for name, w in r["workloads"].items()
    ]
    cols = 3
    rows = (len(panels) + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(15, 3.2 * rows), squeeze=False)
    for ax, (suite, name, w) in zip(axes.flat, panels, strict=False):
        unit = w["unit"]
        who = list(w["contenders"])
        med = [w["contenders"][c][unit]["median"] for c in who]
        low = [m - w["contenders"][c][unit]["min"] for m, c in zip(med, who, strict=False)]
        high = [w["contenders"][c][unit]["max"] - m for m, c in zip(med, who, strict=False)]
        colors = ["#d62728" if c == "acloud" else "#7f7f7f" for c in who]
        ax.barh(who, med, xerr=[low, high], color=colors, capsize=3)
        ax.invert_yaxis()
        ax.set_title(f"{suite}: {name}", fontsize=9)
        ax.set_xlabel(f"{unit} (median, min-max; higher is better)", fontsize=8)
        ax.tick_params(labelsize=8)
    for ax in list(axes.flat)[len(panels) :]:
        ax.axis("off")
    fig.tight_layout()
    os.makedirs(os.path.dirname(CHART), exist_ok=True)
    fig.savefig(CHART, dpi=80)
    return CHART


def update_doc(text: str) -> bool:
    """Replace the generated block of docs/benchmarks.md with ``text``."""
    with open(DOC) as f:
        doc = f.read()
    if START not in doc or END not in doc:
        return False
    head, rest = doc.split(START, 1)
    tail = rest.split(END, 1)[1]
    with open(DOC, "w") as f:
        f.write(f"{head}{START}\n\n{text.strip()}\n\n{END}{tail}")
    return True


def main() -> None:
    reports = load()
    text = tables(reports)
    print(text)
    if update_doc(text):
        print("updated:", DOC)
    path = chart(reports)
    if path:
        print("chart:", path)


if __name__ == "__main__":
    main()
