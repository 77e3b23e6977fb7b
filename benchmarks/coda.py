"""Coda rate-limit saturation: how close to Coda's published limits a client gets, and
how many 429s it provokes on the way.

Run: python -m benchmarks.coda [--rounds N] [--quick]

Workload (issue #6): 300 reads (get_doc), 30 row writes (insert_rows) and 8 list-docs
calls fired at once at the fake Coda server of tests/fakes, which enforces the five
published limits (100 reads / 6 s, 10 writes / 6 s, 4 list-docs / 6 s...) as "at most N
in any window" and answers the excess with 429 + Retry-After. The minimum time those
limits allow is (ceil(n / N) - 1) x period for the slowest limit: 12 s here.

Contenders, alternating round by round, each on a fresh server and a fresh client:
- acloud: CodaClient with its window limiters (the default);
- aiolimiter: the same client with aiolimiter's leaky buckets of the same rates (what a
  "token bucket" reading of the limits gives);
- no limiter: the same client relying on 429 + Retry-After alone.

Results: benchmarks/results/coda.json.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import time
from typing import Any

from ._common import machine, summarize, write_result

READS, WRITES, LIST_DOCS = 300, 30, 8


def minimum_seconds(limits: dict[str, tuple[int, float]]) -> float:
    need = {"read": READS, "write": WRITES, "list_docs": LIST_DOCS}
    return max((math.ceil(n / limits[k][0]) - 1) * limits[k][1] for k, n in need.items())


async def one_run(kind: str) -> dict[str, Any]:
    from aiolimiter import AsyncLimiter

    from acloud import Rate
    from acloud.coda import CodaClient, CodaLimits
    from tests.fakes.coda import api_root, fake_coda

    class BucketCoda(CodaClient):
        """CodaClient with aiolimiter buckets in place of the window limiters."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.buckets: dict[str, AsyncLimiter] = {}

        def _limiters(self, method: str, path: str) -> Any:
            out = []
            for name in self.limits.names(method, path):
                rate = getattr(self.limits, name)
                if name not in self.buckets:
                    self.buckets[name] = AsyncLimiter(rate.max_rate, rate.period)
                out.append(self.buckets[name])
            return out

    async with fake_coda() as fake:
        doc = fake.add_doc("bench")
        table = fake.add_table(doc, "T", ["Name"])
        options: dict[str, Any] = {"base_url": api_root(fake)}
        cls: type[CodaClient] = CodaClient
        if kind == "aiolimiter":
            cls = BucketCoda
        elif kind == "no limiter":
            options["limits"] = CodaLimits(*(Rate(10**6, 1.0),) * 5, slack=0.0)
        async with cls(fake.token, **options) as coda:
            started = time.perf_counter()
            reads = [coda.get_doc(doc) for _ in range(READS)]
            writes = [coda.insert_rows(doc, table, [{"Name": str(i)}]) for i in range(WRITES)]
            lists = [coda.list_docs().collect() for _ in range(LIST_DOCS)]
            await asyncio.gather(*reads, *writes, *lists)
            elapsed = time.perf_counter() - started
        return {"seconds": elapsed, "429": fake.counts["429"]}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="one round, acloud only")
    args = parser.parse_args(argv)
    from tests.fakes.coda import LIMITS

    floor = minimum_seconds(LIMITS)
    kinds = ["acloud"] if args.quick else ["acloud", "aiolimiter", "no limiter"]
    rounds = 1 if args.quick else args.rounds
    runs: dict[str, list[dict[str, Any]]] = {k: [] for k in kinds}
    for round_no in range(rounds):
        shift = round_no % len(kinds)
        for kind in kinds[shift:] + kinds[:shift]:
            result = asyncio.run(one_run(kind))
            runs[kind].append(result)
            print(
                f"round {round_no + 1} {kind:>11}: {result['seconds']:.2f} s, 429s: {result['429']}"
            )
    report: dict[str, Any] = {
        "machine": machine(),
        "workload": {"reads": READS, "row_writes": WRITES, "list_docs": LIST_DOCS},
        "minimum_seconds": floor,
        "contenders": {},
    }
    print(f"\nminimum the limits allow: {floor:.1f} s")
    print(f"{'client':>11} | median s | vs minimum | 429s (per run)")
    for kind, results in runs.items():
        seconds = summarize([r["seconds"] for r in results])
        rejected = [r["429"] for r in results]
        report["contenders"][kind] = {"seconds": seconds, "429": rejected}
        over = seconds["median"] / floor - 1
        print(f"{kind:>11} | {seconds['median']:8.2f} | {over:+9.1%} | {rejected}")
    print("written:", write_result("coda-quick" if args.quick else "coda", report))


if __name__ == "__main__":
    main()
