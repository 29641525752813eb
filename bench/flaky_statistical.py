"""False failures of the statistical checks: grade CORRECT submissions many times.

Every run uses a fresh grader seed and the submission draws fresh random numbers, so each run is
an independent trial of every statistical test.  The checks are set so that a correct draw fails
with probability < 1e-9 per grading: the expected count is 0 and any failure is a bug.

    .venv/bin/python bench/flaky_statistical.py                 # initialization, 200 runs per file
    .venv/bin/python bench/flaky_statistical.py -n 500 --exercise multilayer-net
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from exercises import get  # noqa: E402
from grader.engine import GradeOptions, grade_source  # noqa: E402

DEFAULT_FILES = {
    "initialization": ["correct_randn.py", "correct_normal.py", "correct_generator.py"],
    "multilayer-net": ["correct_book.py", "correct_list_layers.py"],
}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-n", type=int, default=200, help="gradings per file (default 200)")
    ap.add_argument("--exercise", default="initialization", choices=sorted(DEFAULT_FILES))
    ap.add_argument("files", nargs="*", help="correct submissions (default: a few from tests/corpus)")
    args = ap.parse_args()
    files = [Path(f) for f in args.files] or [ROOT / "tests" / "corpus" / args.exercise / f
                                              for f in DEFAULT_FILES[args.exercise]]
    exercise = get(args.exercise)
    total_false = 0
    for path in files:
        data = path.read_bytes()
        false, times, lost = 0, [], {}
        for _ in range(args.n):
            t0 = time.perf_counter()
            report = grade_source(exercise, data, path.name, GradeOptions())
            times.append(time.perf_counter() - t0)
            bad = [i for i in report.items if i.score < i.max_score]
            if bad:
                false += 1
                for i in bad:
                    lost.setdefault(i.id, []).append(i.feedback.en)
        total_false += false
        print(f"{args.exercise}/{path.name}: {args.n} gradings, {false} with a false failure; "
              f"median {statistics.median(times) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms")
        for item_id, msgs in lost.items():
            print(f"  {item_id}: {len(msgs)}× e.g. {msgs[0]}")
    print(f"total false failures: {total_false}")
    return 1 if total_false else 0


if __name__ == "__main__":
    sys.exit(main())
