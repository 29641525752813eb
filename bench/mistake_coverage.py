"""How often the feedback on a typical-bug submission names the right mistake (issue 9).

Grades every ``tests/corpus/<exercise>/bug_*`` file once and counts, per exercise and overall:

* ``bugs``      the bug files;
* ``named``     files where at least one failing item names a mistake;
* ``expected``  files with ``# expect-mistake:`` lines (their bug is a catalogued mistake);
* ``right``     of those, files where EVERY expected item names exactly the expected mistake;
* ``wrong``     files where a failing item names a mistake other than the expected one (or any
                mistake where none is expected) — an item naming a mistake when the file lists
                none for it is counted here too, as a possible misdiagnosis to review.

* ``correct``   the correct files, graded too: ``on correct`` counts those where any item names a
                mistake (must be 0: a correct submission is never told it made one);
* ``right/bugs``  the share of ALL bug files whose feedback names the right mistake (issue 12: ≥ 85 %).

The "share naming the right mistake" is right / expected; the share of ALL bug files whose feedback
names some mistake is named / bugs (a bug that is not a catalogued mistake keeps the generic
diagnosis, so named / bugs < 1 is expected).

    .venv/bin/python bench/mistake_coverage.py                 # every exercise
    .venv/bin/python bench/mistake_coverage.py --exercise layers --verbose
    .venv/bin/python bench/mistake_coverage.py --jobs 2        # threads sharing the warm zygote
"""

from __future__ import annotations

import argparse
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from corpus_tools import all_exercises, corpus_files, expectations  # noqa: E402
from exercises import get  # noqa: E402
from grader.engine import GradeOptions, grade_source  # noqa: E402

OPTIONS = GradeOptions(statement_budget=0.3)


def grade_file(exercise: str, path: Path) -> dict:
    exp = expectations(path)
    report = grade_source(get(exercise), path.read_bytes(), path.name, OPTIONS)
    named = {i.id: i.mistake.id for i in report.items if i.mistake is not None and i.score < i.max_score}
    expected = exp["mistake"]
    right = bool(expected) and all(named.get(item) == mid for item, mid in expected.items())
    wrong = {item: mid for item, mid in named.items() if expected.get(item) != mid}
    return {"exercise": exercise, "file": path.name, "named": named, "expected": expected, "right": right,
            "wrong": wrong}


def grade_correct(exercise: str, path: Path) -> dict:
    report = grade_source(get(exercise), path.read_bytes(), path.name, OPTIONS)
    named = {i.id: i.mistake.id for i in report.items if i.mistake is not None}
    return {"exercise": exercise, "file": path.name, "named": named, "correct": True}


def run(exercises: list[str], jobs: int) -> list[dict]:
    cases = [(ex, p) for ex in exercises for p in corpus_files(ex, "bug_")]
    good = [(ex, p) for ex in exercises for p in corpus_files(ex, "correct_")]
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        return list(pool.map(lambda c: grade_file(*c), cases)) + list(pool.map(lambda c: grade_correct(*c), good))


def table(results: list[dict], exercises: list[str]) -> str:
    rows = [("exercise", "bugs", "named", "expected", "right", "wrong", "named/bugs", "right/expected", "right/bugs",
             "correct", "on correct")]

    def row(name, every):
        rs = [r for r in every if not r.get("correct")]
        good = [r for r in every if r.get("correct")]
        bugs = len(rs)
        named = sum(1 for r in rs if r["named"])
        expected = sum(1 for r in rs if r["expected"])
        right = sum(1 for r in rs if r["right"])
        wrong = sum(1 for r in rs if r["wrong"])
        rows.append((name, str(bugs), str(named), str(expected), str(right), str(wrong),
                     f"{named / bugs:.0%}" if bugs else "-", f"{right / expected:.0%}" if expected else "-",
                     f"{right / bugs:.0%}" if bugs else "-", str(len(good)), str(sum(1 for r in good if r["named"]))))

    for ex in exercises:
        row(ex, [r for r in results if r["exercise"] == ex])
    row("overall", results)
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["| " + " | ".join(c.ljust(w) for c, w in zip(r, widths)) + " |" for r in rows]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--exercise", action="append", help="only this exercise (repeatable)")
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--verbose", "-v", action="store_true", help="one line per bug file")
    args = ap.parse_args()
    exercises = args.exercise or all_exercises()
    results = run(exercises, args.jobs)
    if args.verbose:
        for r in results:
            if r.get("correct"):
                if r["named"]:
                    print(f"WRONG {r['exercise']}/{r['file']} (a correct file) names {r['named']}")
                continue
            mark = "ok " if r["right"] else ("-- " if not r["expected"] else "MISS")
            named = ", ".join(f"{k}={v}" for k, v in sorted(r["named"].items())) or "(none)"
            print(f"{mark} {r['exercise']}/{r['file']}: {named}")
            if r["expected"] and not r["right"]:
                print(f"     expected: {', '.join(f'{k}={v}' for k, v in sorted(r['expected'].items()))}")
        print()
    print(table(results, exercises))
    missed = [r for r in results if not r.get("correct") and r["expected"] and not r["right"]]
    on_correct = [r for r in results if r.get("correct") and r["named"]]
    return 1 if missed or on_correct else 0


if __name__ == "__main__":
    sys.exit(main())
