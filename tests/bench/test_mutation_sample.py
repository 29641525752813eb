"""A bounded sample of bench/mutation_score.py (issue 12): a check that loses its teeth fails CI.

For every exercise listed in CLEAN (its full mutation run reports 0 non-equivalent survivors,
bench/README.md), a few first-order mutants of its correct corpus files are graded; every mutant
that keeps full marks must be equivalent — the exercise's differential probe against reference/
finds no difference. About 45 s on 2 cores. DLGRADE_MUTATION_SEED picks another sample.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH))

import mutation_score as ms  # noqa: E402

# Exercises whose full mutation run has 0 non-equivalent survivors (add yours when it does) and the
# number of mutants sampled from each (two-layer-net costs ~1 s a mutant: its training item).
CLEAN = {"activations": 10, "losses": 10, "chain-rule": 8, "backprop-examples": 8, "layers": 6, "dropout": 6,
         "initialization": 6, "batchnorm": 8, "optimizers": 5, "multilayer-net": 6,
         "regularization": 3}  # ~2 s a mutant (its training item); listing its 3 270 mutants costs more
SEED = int(os.environ.get("DLGRADE_MUTATION_SEED", "12"))


def test_mutant_generation_covers_the_operator_families():
    kinds = {m.kind for m in ms.all_mutants("losses")}
    assert {"operator", "comparison", "constant", "axis", "keepdims", "term-deleted", "statement-deleted",
            "argument-ignored", "in-place", "function"} <= kinds


def test_probe_finds_no_difference_on_correct_files():
    for exercise in CLEAN:
        for path in sorted((ms.CORPUS / exercise).glob("correct_*.py")):
            assert ms.differential(exercise, path.read_text(encoding="utf-8"), SEED) == [], (exercise, path.name)


def test_probe_finds_a_known_bug():
    """The probe is not blind: the corpus's in-place bug differs from reference/."""
    src = (ms.CORPUS / "activations" / "bug_inplace.py").read_text(encoding="utf-8")
    assert ms.differential("activations", src, SEED) != []


@pytest.mark.parametrize("exercise", sorted(CLEAN))
def test_sampled_mutants_are_killed_or_equivalent(exercise):
    sample = ms.sample_mutants(exercise, CLEAN[exercise], SEED)
    assert len(sample) == CLEAN[exercise]
    results = ms.grade_all(sample, jobs=2)
    survivors = []
    for m, r in zip(sample, results):
        assert not r.get("error"), (m.description, r["error"])
        if not r["killed"]:
            diffs = ms.differential(exercise, m.source, SEED)
            if diffs:
                survivors.append(f"{m.file} {m.description}\n{m.diff()}\nshould be caught by {diffs[0]}")
    assert not survivors, "\n\n".join(survivors)
