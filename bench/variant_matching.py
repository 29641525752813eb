"""Benchmark: per-student variants (issue 15) — how distinct 300 students' problems are, and what saying
whose numbers a wrong answer fits costs.

One run, interleaved: an all-wrong backprop-examples submission graded (a) with the text's numbers and
no matching, (b) for one student of a 300-student roster with a cold cache (every other student's
answers computed: the first grading in a fresh process), (c) the same, warm (the per-process cache of
answers, as in a worker or a batch after its first submission).  Usage:

    python bench/variant_matching.py [--students 300] [--runs 15]
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--students", type=int, default=300)
    ap.add_argument("--runs", type=int, default=15)
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT))
    import exercises
    from grader import variants as V
    from grader.engine import grade_source
    from grader.options import GradeOptions
    from grader.runner.pool import default_starter

    ex = exercises.get("backprop-examples")
    secret = b"bench-secret-0123456789abcdef012"
    roster = [f"s{i:04d}" for i in range(args.students)]
    book = V.VariantBook(secret, roster)

    params = [V.draw(ex, s, secret) for s in roster]
    distinct = len({tuple(np.concatenate([a.ravel() for a in p.values()])) for p in params})
    answers = [book.answers(ex, s) for s in roster]
    per_item = {i.id: len({tuple(np.ravel(a[i.id])) for a in answers}) for i in ex.items}
    print(f"{args.students} students: {distinct} distinct variants; distinct answers per item: "
          + ", ".join(f"{k} {v}" for k, v in per_item.items()))

    wrong = "\n".join(f"{n} = [[7, 7], [7, 7], [7, 7]]" for n in ex.names).encode()
    starter = default_starter()
    plain = dataclasses.replace(GradeOptions(), seed=1)
    student = dataclasses.replace(GradeOptions(), seed=1, student=roster[0], variants=book)
    grade_source(ex, wrong, "w.py", plain, starter)  # warm the zygote
    t_plain, t_cold, t_warm, matched = [], [], [], 0
    for _ in range(args.runs):
        t = time.perf_counter()
        grade_source(ex, wrong, "w.py", plain, starter)
        t_plain.append(time.perf_counter() - t)
        V._answers.clear()
        V._tables.clear()
        t = time.perf_counter()
        grade_source(ex, wrong, "w.py", student, starter)
        t_cold.append(time.perf_counter() - t)
        t = time.perf_counter()
        r = grade_source(ex, wrong, "w.py", student, starter)
        t_warm.append(time.perf_counter() - t)
        matched = sum(1 for i in r.items if i.variant_match)
    med = statistics.median
    print(f"all-wrong submission, median of {args.runs}: text's numbers {med(t_plain) * 1000:.1f} ms; "
          f"student, cold cache {med(t_cold) * 1000:.1f} ms (matching {(med(t_cold) - med(t_plain)) * 1000:+.1f} ms, "
          f"ratio {med(t_cold) / med(t_plain):.2f}); warm {med(t_warm) * 1000:.1f} ms "
          f"(matching {(med(t_warm) - med(t_plain)) * 1000:+.1f} ms, ratio {med(t_warm) / med(t_plain):.2f}); "
          f"items attributed: {matched}")


if __name__ == "__main__":
    main()
