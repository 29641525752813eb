"""Benchmark (2): grading latency per submission, warm fork server vs a cold interpreter per job.

Grades the same correct submission N times with each starter (interleaved) and reports
p50/p99 and the cold/warm ratio.  Usage: python bench/pool_latency.py [--n 100] [--exercise layers]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=100)
    ap.add_argument("--exercise", default="layers")
    ap.add_argument("--file", default=None)
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT))
    from exercises import get
    from grader.engine import grade_source
    from grader.runner.pool import ColdStarter, Zygote
    from grader.options import grade_options

    ex = get(args.exercise)
    path = Path(args.file) if args.file else sorted((ROOT / "tests/corpus" / args.exercise).glob("correct_*.py"))[0]
    data = path.read_bytes()
    options = grade_options()
    starters = {"warm": Zygote(), "cold": ColdStarter()}
    times: dict[str, list[float]] = {k: [] for k in starters}
    for name, st in starters.items():  # warm-up, not measured
        grade_source(ex, data, path.name, options, starter=st)
    for _ in range(args.n):
        for name, st in starters.items():
            t = time.perf_counter()
            report = grade_source(ex, data, path.name, options, starter=st)
            times[name].append(time.perf_counter() - t)
            assert report.score == report.max_score, report.to_dict()
    out = {}
    for name, ts in times.items():
        a = np.array(ts) * 1000
        out[name] = {"p50_ms": round(float(np.percentile(a, 50)), 1), "p99_ms": round(float(np.percentile(a, 99)), 1)}
        print(f"{name:5s} p50 {out[name]['p50_ms']:7.1f} ms  p99 {out[name]['p99_ms']:7.1f} ms  (n={args.n})")
    out["cold_over_warm_p50"] = round(out["cold"]["p50_ms"] / out["warm"]["p50_ms"], 2)
    print(f"cold/warm p50 ratio: {out['cold_over_warm_p50']}")
    print(json.dumps({"exercise": args.exercise, "file": path.name, **out}))
    for st in starters.values():
        st.close()


if __name__ == "__main__":
    main()
