"""Corpus expectations over many grading seeds (issue 12): a check that passes a correct file on
one seed and fails it on another, or a bug file whose `# expect-fail:` / `# expect-mistake:` lines
hold on some seeds only, shows here.

    .venv/bin/python bench/corpus_seeds.py --seeds 200 tests/corpus/regularization/correct_delta_mixed_eps.py
    .venv/bin/python bench/corpus_seeds.py --seeds 50 --item MultiLayerNetExtend.predict tests/corpus/regularization/*.py

Each file is graded with seeds 1..N (``GradeOptions(seed=...)``); ``--item`` grades only those items
(the others are not run, so their expectations are not checked). Prints one line per file: the
number of seeds on which it met its expectations, and the first few deviations.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from corpus_tools import expectations  # noqa: E402
from exercises import get  # noqa: E402
from grader.engine import GradeOptions, grade_source  # noqa: E402


def deviations(exercise, path: Path, seed: int, items: set[str] | None) -> list[str]:
    exp = expectations(path)
    if items:
        exercise = dataclasses.replace(exercise, items=tuple(i for i in exercise.items if i.id in items))
    report = grade_source(exercise, path.read_bytes(), path.name, GradeOptions(statement_budget=0.3, seed=seed))
    out = []
    ids = {i.id for i in report.items}
    lost = {i.id for i in report.items if i.score < i.max_score}
    want = exp["fail"] & ids if path.name.startswith("bug_") else set()
    for i in report.items:
        if i.id in lost and i.id not in want:
            out.append(f"seed {seed}: {i.id} lost ({i.status}): {i.feedback.en[:300]}")
        elif i.id in want and i.id not in lost:
            out.append(f"seed {seed}: {i.id} passed but expect-fail")
        elif i.id in lost and i.mistake is not None and not path.name.startswith("bug_"):
            out.append(f"seed {seed}: {i.id} names {i.mistake.id} on a correct file")
    by_id = {i.id: i for i in report.items}
    for item_id, mid in exp["mistake"].items():
        if item_id in by_id:
            got = by_id[item_id].mistake
            if got is None or got.id != mid:
                out.append(f"seed {seed}: {item_id} names {got.id if got else None}, expected {mid}")
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("files", nargs="+", type=Path)
    ap.add_argument("--seeds", type=int, default=50)
    ap.add_argument("--first", type=int, default=1)
    ap.add_argument("--item", action="append", help="grade only this item (repeatable)")
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()
    bad = 0
    for path in args.files:
        exercise = get(path.parent.name)
        seeds = range(args.first, args.first + args.seeds)
        with ThreadPoolExecutor(max_workers=args.jobs) as pool:
            results = list(pool.map(lambda s: deviations(exercise, path, s, set(args.item or ())), seeds))
        failed = [r for r in results if r]
        bad += bool(failed)
        print(f"{'ok ' if not failed else 'BAD'} {path.parent.name}/{path.name}: {len(results) - len(failed)}/"
              f"{len(results)} seeds", flush=True)
        for r in failed[:3]:
            for line in r[:3]:
                print("     " + line, flush=True)
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
