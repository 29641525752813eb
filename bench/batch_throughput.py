"""Benchmark: `dlgrade batch` throughput on a generated class, --jobs 1 vs --jobs 2 (processes, threads).

Generates N submissions (default 1000) from tests/corpus/<exercise>/ — correct, buggy
and broken files, notebooks, folders, conflicts — into a temporary folder, grades the
class with each configuration (the same code path as `dlgrade batch`) and reports
total wall time, wall time per submission, the median grading time of one submission,
and the ratios to --jobs 1.

Usage: python bench/batch_throughput.py [--n 1000] [--exercise layers] [--runs jobs1,jobs2,threads2]
                                        [--slow-notebooks] [--json bench/results/batch_throughput.json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "tests" / "batch"))

RUNS = {"jobs1": (1, "process"), "jobs2": (2, "process"), "threads2": (2, "thread")}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--exercise", default="layers")
    ap.add_argument("--runs", default="jobs1,jobs2,threads2")
    ap.add_argument("--rounds", type=int, default=2,
                    help="repeat every configuration, alternating the order (ABC CBA ...); the best round counts")
    ap.add_argument("--slow-notebooks", action="store_true",
                    help="include notebooks with never-ending training cells (each costs its statement budgets)")
    ap.add_argument("--json", default=str(ROOT / "bench" / "results" / "batch_throughput.json"))
    args = ap.parse_args()

    from classgen import generate_class
    from exercises import get
    from grader.classroom.batch import run_batch
    from grader.options import grade_options

    ex = get(args.exercise)
    options = grade_options()
    out: dict = {"exercise": ex.id, "n": args.n, "cores": os.cpu_count(), "slow_notebooks": args.slow_notebooks,
                 "statement_budget": options.statement_budget, "runs": {}}
    with tempfile.TemporaryDirectory(prefix="dlgrade-bench-") as tmp:
        t = time.perf_counter()
        students = generate_class(Path(tmp), ex, args.n, seed=1, slow_notebooks=args.slow_notebooks)
        kinds: dict[str, int] = {}
        for s in students:
            kinds[s.category] = kinds.get(s.category, 0) + 1
        out["class"] = kinds
        print(f"generated {args.n} submissions for {ex.id} in {time.perf_counter() - t:.1f} s: "
              + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())))
        print(f"{'run':9s} {'total s':>8s} {'per sub ms':>11s} {'median grade ms':>16s} {'p95 ms':>8s} "
              f"{'subs/s':>7s} {'graded':>7s}")
        names = args.runs.split(",")
        order = [n for r in range(args.rounds) for n in (names if r % 2 == 0 else names[::-1])]
        for name in order:
            jobs, executor = RUNS[name]
            t, cpu = time.perf_counter(), time.process_time()
            result = run_batch(ex.id, Path(tmp), jobs=jobs, options=options, executor=executor)
            total = time.perf_counter() - t
            cpu = time.process_time() - cpu
            durations = sorted(r.duration_ms for r in result.results if r.report is not None)
            p95 = durations[int(0.95 * (len(durations) - 1))] if durations else 0.0
            run = {"jobs": jobs, "executor": executor, "total_s": round(total, 2),
                   "per_submission_ms": round(total * 1000 / len(result.results), 1),
                   "median_grading_ms": round(statistics.median(durations), 1) if durations else None,
                   "p95_grading_ms": round(p95, 1), "throughput_per_s": round(len(result.results) / total, 1),
                   "graded": len(result.graded), "not_graded": len(result.not_graded),
                   "mean_score": round(result.stats()["mean"], 3),
                   # CPU of this (grader) process over wall time; with jobs1 it is the share of the work that
                   # threads cannot spread over cores (the GIL), the rest runs in the student workers
                   "grader_cpu_share": round(cpu / total, 3)}
            best = out["runs"].get(name)
            out.setdefault("all_totals_s", {}).setdefault(name, []).append(run["total_s"])
            if best is None or run["total_s"] < best["total_s"]:
                out["runs"][name] = run
            print(f"{name:9s} {run['total_s']:8.1f} {run['per_submission_ms']:11.1f} {run['median_grading_ms']:16.1f} "
                  f"{run['p95_grading_ms']:8.1f} {run['throughput_per_s']:7.1f} {run['graded']:7d}"
                  f"   grader CPU {run['grader_cpu_share']:.0%} of wall", flush=True)
    runs = out["runs"]
    load = os.getloadavg()
    out["loadavg_after"] = [round(x, 2) for x in load]
    print(f"best of {args.rounds} round(s) per configuration; load average after: "
          + " ".join(f"{x:.2f}" for x in load))
    if "jobs1" in runs:
        base = runs["jobs1"]["total_s"]
        out["ratios"] = {f"{k}/jobs1": round(v["total_s"] / base, 3) for k, v in runs.items() if k != "jobs1"}
        for k, v in out["ratios"].items():
            print(f"total-time ratio {k}: {v:.2f}  (speed-up {1 / v:.2f}x)")
    scores = {r["mean_score"] for r in runs.values()}
    print("same mean score in every run:", len(scores) == 1)
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(out, indent=2))
    print(json.dumps(out))


if __name__ == "__main__":
    main()
