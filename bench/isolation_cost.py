"""Benchmark: the per-job cost of isolation, sandboxed worker vs unsandboxed worker.

Same warm zygote, interleaved runs, two workloads:

- ``job``: start a worker, load a one-line submission, one call, close (the fixed cost of a job,
  where the sandbox set-up is the largest share);
- ``submission``: grade a whole correct submission (``tests/corpus/<exercise>/correct_*.py``).

Reports p50/p90 per mode, the sandboxed/unsandboxed ratio of the p50s and the difference in ms.
``--layers`` adds one run per layer with that layer switched off (which layer costs what).

Usage: python bench/isolation_cost.py [--n 60] [--exercise layers] [--layers] [--workloads job,submission]
                                     [--modes sandboxed,...] [--gap SECONDS] [--json-out FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
TRIVIAL = b"def f():\n    return 1\n"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=60)
    ap.add_argument("--exercise", default="layers")
    ap.add_argument("--layers", action="store_true", help="also measure with each layer switched off")
    ap.add_argument("--json-out", default=None)
    ap.add_argument("--modes", default=None, help="comma-separated subset of the modes to run")
    ap.add_argument("--workloads", default="job,submission", help="job, submission or both")
    ap.add_argument("--gap", type=float, default=0.0,
                    help="seconds of idle before each measured run (0: back to back, like a busy service; "
                         "0.1: like isolated CLI checks)")
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT))
    from exercises import get
    from grader.sandbox import probe as sandbox
    from grader.options import grader_settings
    from grader.engine import grade_source
    from grader.options import GradeOptions
    from grader.loader import load_submission
    from grader.runner.pool import JobConfig, Zygote
    from grader.runner.session import Session

    ex = get(args.exercise)
    path = sorted((ROOT / "tests/corpus" / args.exercise).glob("correct_*.py"))[0]
    data = path.read_bytes()
    units = load_submission(TRIVIAL, "t.py").units
    limits = GradeOptions().limits

    # "sandboxed+cgroups" adds the per-job v1 cgroups (the default only for jobs that may fork).  Moving
    # a process between cgroup v1 groups waits for an RCU grace period unless another move happened
    # within the last one, so an isolated job (a CLI check) pays more than back-to-back ones (a busy
    # service): "…-again" runs right after "sandboxed+cgroups".
    modes: dict[str, dict] = {"unsandboxed": {"enabled": False}, "sandboxed": {},
                              "sandboxed+cgroups": {"cgroups": True}, "sandboxed+cgroups-again": {"cgroups": True}}
    if args.layers:
        for name, active in sandbox.protection_report(grader_settings().sandbox_options()).items():
            if active and name not in ("rlimits", "environment_scrubbed", "dedicated_uid"):  # as root, no uid = root
                modes[f"sandboxed-without-{name}"] = {"disable": [name]}
    if args.modes:
        wanted = set(args.modes.split(",")) | {"unsandboxed"}
        modes = {k: v for k, v in modes.items() if k in wanted}

    def one_job(sb: dict) -> float:
        t = time.perf_counter()
        with Session(units, zygote, GradeOptions(limits=dict(limits), sandbox=dict(sb)).job_config()) as s:
            assert s.call("f") == 1
        return time.perf_counter() - t

    def one_submission(sb: dict) -> float:
        t = time.perf_counter()
        report = grade_source(ex, data, path.name, GradeOptions(sandbox=dict(sb)), starter=zygote)
        elapsed = time.perf_counter() - t
        assert report.score == report.max_score, [(i.id, i.feedback.en) for i in report.items if i.score < i.max_score]
        return elapsed

    zygote = Zygote()
    zygote.warm()
    runners = {"job": one_job, "submission": one_submission}
    workloads = [w for w in args.workloads.split(",") if w in runners]
    results: dict[str, dict[str, list[float]]] = {w: {m: [] for m in modes} for w in workloads}
    for sb in modes.values():  # warm-up (probe, zygote start), not measured
        for w in workloads:
            runners[w](sb)
    for w in workloads:  # one pass per workload: a job never directly follows another workload's job
        for _ in range(args.n):
            for mode, sb in modes.items():
                if args.gap:
                    time.sleep(args.gap)
                results[w][mode].append(runners[w](sb))
    zygote.close()

    out: dict = {"exercise": args.exercise, "file": path.name, "n": args.n, "gap_s": args.gap, "cpus": os.cpu_count(),
                 "load_avg": round(os.getloadavg()[0], 2), "euid": os.geteuid(),
                 "layers": [k for k, v in sandbox.protection_report(grader_settings().sandbox_options()).items() if v]}
    for workload, by_mode in results.items():
        stats = {}
        for mode, ts in by_mode.items():
            a = np.array(ts) * 1000
            stats[mode] = {"p50_ms": round(float(np.percentile(a, 50)), 2),
                           "p90_ms": round(float(np.percentile(a, 90)), 2)}
        base = stats["unsandboxed"]["p50_ms"]
        for mode in stats:
            stats[mode]["ratio_p50"] = round(stats[mode]["p50_ms"] / base, 3)
            stats[mode]["extra_p50_ms"] = round(stats[mode]["p50_ms"] - base, 2)
        out[workload] = stats
        print(f"{workload}:")
        for mode, st in stats.items():
            print(f"  {mode:40s} p50 {st['p50_ms']:7.2f} ms  p90 {st['p90_ms']:7.2f} ms  "
                  f"x{st['ratio_p50']:.3f}  ({st['extra_p50_ms']:+.2f} ms)")
    print(json.dumps(out))
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main()
