"""Benchmark: the `autograd` exercise (§3.8) with its PyTorch zygote vs `layers` with the NumPy one.

Measured in one run: how long each zygote takes to become ready (start + imports; PyTorch's warm-up
included), then N gradings of a correct submission of each, interleaved, with the warm zygotes.
Usage: python bench/autograd_latency.py [--runs 20]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from exercises import get  # noqa: E402
from grader.engine import grade_source  # noqa: E402
from grader.options import GradeOptions  # noqa: E402
from grader.runner.pool import Zygote  # noqa: E402

CASES = {"layers": ROOT / "tests/corpus/layers/correct_book.py",
         "autograd": ROOT / "tests/corpus/autograd/correct_backward_dy.py"}


def ready_seconds(z: Zygote, ex, data: bytes) -> float:
    """Start to the first graded submission (the zygote's start and imports, then one grading)."""
    t = time.perf_counter()
    report = grade_source(ex, data, "c.py", GradeOptions(), starter=z)
    assert report.score == report.max_score, [(i.id, i.feedback.en) for i in report.items if i.status != "pass"]
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=20)
    args = ap.parse_args()
    zygotes = {"layers": Zygote(), "autograd": Zygote(preload=("torch",))}
    data = {k: p.read_bytes() for k, p in CASES.items()}
    exs = {k: get(k) for k in CASES}
    try:
        first = {k: ready_seconds(zygotes[k], exs[k], data[k]) for k in CASES}
        times: dict[str, list[float]] = {k: [] for k in CASES}
        for _ in range(args.runs):  # interleaved: both see the same machine load
            for k in CASES:
                t = time.perf_counter()
                grade_source(exs[k], data[k], "c.py", GradeOptions(), starter=zygotes[k])
                times[k].append(time.perf_counter() - t)
    finally:
        for z in zygotes.values():
            z.close()
    med = {k: statistics.median(v) for k, v in times.items()}
    for k in CASES:
        print(f"{k:9s} first grading (zygote start + imports + grading) {first[k] * 1000:8.1f} ms   "
              f"warm grading p50 {med[k] * 1000:6.1f} ms   ({len(exs[k].items)} items)")
    print(f"autograd/layers warm p50 ratio {med['autograd'] / med['layers']:.2f}; "
          f"PyTorch zygote start minus NumPy zygote start {(first['autograd'] - first['layers']) * 1000:.0f} ms")
    print(json.dumps({"first_ms": {k: round(v * 1000, 1) for k, v in first.items()},
                      "warm_p50_ms": {k: round(v * 1000, 1) for k, v in med.items()}}))


if __name__ == "__main__":
    main()
