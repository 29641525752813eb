"""Benchmark: `dlgrade similarity` all-pairs comparison on generated `layers` classes (issue 16).

Generates classes of N submissions (default 1000 and 2000) in the textbook style of
tests/similarity/simclass.py (independent students, four known copies; .py, notebooks, folders),
then times the comparison exactly as the CLI runs it (`similarity_for_class`, no grading):
preparing (read, tokenize, fingerprint: in --jobs processes), scoring all n(n-1)/2 pairs, and the
evidence of the listed pairs.  Reports wall and CPU seconds per phase, the load average before and
after each run (other sessions share the machine), and the ratios between class sizes measured in
the same run.

Usage: python bench/similarity.py [--sizes 1000,2000] [--jobs 2] [--rounds 2]
                                  [--json bench/results/similarity.json]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "similarity"))


def cpu_seconds() -> float:
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def run_once(ex, root: Path, jobs: int) -> dict:
    from grader.classroom.batch import discover
    from grader.classroom.similarity import similarity_for_class

    load0 = os.getloadavg()[0]
    c0, t0 = cpu_seconds(), time.perf_counter()
    subs = discover(root, ex.notebooks).submissions
    res = similarity_for_class(ex, root, subs, [], None, jobs=jobs)
    wall, cpu = time.perf_counter() - t0, cpu_seconds() - c0
    top = [(res.docs[p.a].student, res.docs[p.b].student, p.similarity) for p in res.pairs[:6]]
    return {"n": len(res.docs), "pairs": res.pair_count, "wall_s": round(wall, 2), "cpu_s": round(cpu, 2),
            "phases_s": {k: round(v, 2) for k, v in res.seconds.items()}, "listed": len(res.pairs),
            "load_before": round(load0, 1), "load_after": round(os.getloadavg()[0], 1), "top": top}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="1000,2000")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=2, help="repeat, alternating the order; the best round counts")
    ap.add_argument("--json", default=str(ROOT / "bench" / "results" / "similarity.json"))
    args = ap.parse_args()

    from exercises import get
    from simclass import generate

    ex = get("layers")
    sizes = [int(s) for s in args.sizes.split(",")]
    out: dict = {"exercise": ex.id, "cores": os.cpu_count(), "jobs": args.jobs, "runs": {}}
    with tempfile.TemporaryDirectory(prefix="dlgrade-sim-bench-") as tmp:
        roots = {}
        for n in sizes:
            roots[n] = Path(tmp) / str(n)
            generate(roots[n], independents=n - 4, seed=7)
        best: dict[int, dict] = {}
        for r in range(args.rounds):
            for n in (sizes if r % 2 == 0 else sizes[::-1]):
                res = run_once(ex, roots[n], args.jobs)
                print(f"round {r + 1}: n={n}: {res['wall_s']:.2f} s wall, {res['cpu_s']:.2f} s CPU "
                      f"{res['phases_s']} load {res['load_before']}->{res['load_after']}", flush=True)
                out["runs"].setdefault(str(n), []).append(res)
                if n not in best or res["wall_s"] < best[n]["wall_s"]:
                    best[n] = res
    out["best"] = {str(n): best[n] for n in sizes}
    base = sizes[0]
    for n in sizes[1:]:
        out.setdefault("ratios", {})[f"{n}/{base}"] = {
            "size": n / base, "pairs": best[n]["pairs"] / best[base]["pairs"],
            "wall": round(best[n]["wall_s"] / best[base]["wall_s"], 2),
            "cpu": round(best[n]["cpu_s"] / best[base]["cpu_s"], 2),
            "score_phase": round(best[n]["phases_s"]["score"] / max(best[base]["phases_s"]["score"], 1e-9), 2)}
    for n in sizes:
        b = best[n]
        print(f"n={n}: best {b['wall_s']:.2f} s wall ({b['cpu_s']:.2f} s CPU), {b['pairs']} pairs, "
              f"phases {b['phases_s']}, load {b['load_before']}->{b['load_after']}; top {b['top'][:4]}")
    for k, v in out.get("ratios", {}).items():
        print(f"{k}: size x{v['size']:g}, pairs x{v['pairs']:.2f}, wall x{v['wall']}, CPU x{v['cpu']}, "
              f"scoring phase x{v['score_phase']}")
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(out, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
