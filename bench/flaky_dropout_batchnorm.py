"""False failures of the dropout / batch-norm / regularization checks, and the §8.4 experiment's margins.

Three measurements:

1. ``grade`` (default): grade CORRECT dropout, batchnorm and regularization submissions many times
   (regularization without its training item). Each run uses a fresh grader seed (new shapes, new
   p, new test data) and the submission draws fresh masks and weights, so every run is an
   independent trial of the statistical checks (drop fraction: Hoeffding bound, P(false) < 1e-10;
   initial weights: χ² bounds). Any failure is a bug.
2. ``experiment``: the distribution of the training accuracies the `regularization` exercise's
   ``MultiLayerNetExtend.training`` item measures, with the reference net in place of the student's
   (the same steps: reference Adam lr 0.01, batches of 100, accuracy with batch-norm statistics of
   the whole set) — how far a correct net stays from 0.85 (He + BN, 300 steps) and 0.5 (std 0.01,
   no BN, 100 steps).
3. ``timing``: wall time of the training item on a correct submission (target: under 3 s).

    .venv/bin/python bench/flaky_dropout_batchnorm.py                       # grade, 200 runs per file
    .venv/bin/python bench/flaky_dropout_batchnorm.py grade --exercise dropout -n 500
    .venv/bin/python bench/flaky_dropout_batchnorm.py experiment -n 500
    .venv/bin/python bench/flaky_dropout_batchnorm.py timing -n 10
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from exercises import get  # noqa: E402
from exercises.regularization import (BN_STEPS, PLAIN_STEPS, TRAIN_ARCH, TRAIN_BATCH, TRAIN_LR,  # noqa: E402
                                      digits)
from grader.engine import GradeOptions, grade_source  # noqa: E402
from grader.spec import Exercise  # noqa: E402
from reference.multilayer_net import MultiLayerNetExtend  # noqa: E402
from reference.optimizers import Adam  # noqa: E402

CORPUS = ROOT / "tests" / "corpus"
DEFAULT_FILES = {
    "dropout": ["correct_book.py", "correct_binomial.py", "correct_generator.py"],
    "batchnorm": ["correct_book.py", "correct_pytorch_style.py"],
    # every item but the training one (its margins: `experiment`); -n applies here too
    "regularization": ["correct_book_style.py", "correct_text_style.py"],
}


def _without_training(ex: Exercise) -> Exercise:
    items = tuple(i for i in ex.items if i.id != "MultiLayerNetExtend.training")
    return Exercise(id=ex.id, title=ex.title, section=ex.section, notebooks=(), items=items, mistakes=ex.mistakes)


def grade(n: int, exercises: list[str]) -> int:
    total_false = 0
    for exercise_id in exercises:
        names = DEFAULT_FILES[exercise_id]
        exercise = _without_training(get(exercise_id))
        for name in names:
            data = (CORPUS / exercise_id / name).read_bytes()
            false, times, lost = 0, [], {}
            for _ in range(n):
                t0 = time.perf_counter()
                report = grade_source(exercise, data, name, GradeOptions())
                times.append(time.perf_counter() - t0)
                bad = [i for i in report.items if i.score < i.max_score]
                false += bool(bad)
                for i in bad:
                    lost.setdefault(i.id, []).append(i.feedback.en)
            total_false += false
            print(f"{exercise_id}/{name}: {n} gradings, {false} with a false failure; "
                  f"median {statistics.median(times) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms")
            for item_id, msgs in lost.items():
                print(f"  {item_id}: {len(msgs)}× e.g. {msgs[0]}")
    print(f"total false failures: {total_false}")
    return 1 if total_false else 0


def train_reference(rng: np.random.Generator, use_batchnorm: bool, init, steps: int) -> float:
    """What the training item measures, with the reference net as the student's."""
    x, y = digits()
    t = np.eye(10)[y]
    inp, hidden, out = TRAIN_ARCH
    net = MultiLayerNetExtend(inp, list(hidden), out, weight_init_std=init, use_batchnorm=use_batchnorm, rng=rng)
    adam = Adam(lr=TRAIN_LR)
    for _ in range(steps):
        idx = rng.choice(len(x), TRAIN_BATCH)
        adam.update(net.params, net.gradient(x[idx], t[idx]))
    return float(np.mean(np.argmax(net.predict(x, train_flg=use_batchnorm), axis=1) == y))


def experiment(n: int, seed: int) -> int:
    for label, bn, init, steps, bound in (("He + batch norm", True, "he", BN_STEPS, ("≥", 0.85)),
                                          ("std 0.01, no batch norm", False, 0.01, PLAIN_STEPS, ("≤", 0.5))):
        t0 = time.perf_counter()
        acc = np.array([train_reference(np.random.default_rng([seed, i]), bn, init, steps) for i in range(n)])
        bad = int(np.sum(acc < bound[1])) if bound[0] == "≥" else int(np.sum(acc > bound[1]))
        print(f"{label}, {steps} steps, {n} runs: min {acc.min():.3f}, mean {acc.mean():.3f} ± {acc.std():.3f}, "
              f"max {acc.max():.3f}; outside {bound[0]} {bound[1]}: {bad} "
              f"({(time.perf_counter() - t0) / n:.2f} s per run)")
    return 0


def timing(n: int) -> int:
    ex = get("regularization")
    item = ex.item("MultiLayerNetExtend.training")
    only = Exercise(id=ex.id, title=ex.title, section=ex.section, notebooks=(), items=(item,), mistakes=ex.mistakes)
    data = (CORPUS / "regularization" / "correct_book_style.py").read_bytes()
    times = []
    for _ in range(n):
        report = grade_source(only, data, "correct_book_style.py", GradeOptions())
        assert report.items[0].status == "pass", report.items[0].feedback.en
        times.append(report.items[0].duration_ms / 1000)
    print(f"MultiLayerNetExtend.training on correct_book_style.py, {n} gradings: "
          f"median {statistics.median(times):.2f} s, min {min(times):.2f} s, max {max(times):.2f} s")
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("what", nargs="?", default="grade", choices=("grade", "experiment", "timing"))
    ap.add_argument("-n", type=int, default=None, help="runs (default: grade 200, experiment 200, timing 5)")
    ap.add_argument("--seed", type=int, default=0, help="experiment: base seed")
    ap.add_argument("--exercise", action="append", choices=sorted(DEFAULT_FILES),
                    help="grade: these exercises only (default: all three)")
    args = ap.parse_args()
    if args.what == "grade":
        return grade(args.n or 200, args.exercise or list(DEFAULT_FILES))
    if args.what == "experiment":
        return experiment(args.n or 200, args.seed)
    return timing(args.n or 5)


if __name__ == "__main__":
    sys.exit(main())
