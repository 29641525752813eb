"""Every valid ε of batch normalisation (EXERCISES.md: any ε ≤ 1e-5, inside the square root) gets full
marks — on the batchnorm exercise and on the regularization net's items that go through batch norm —
and an ε far outside that range does not."""

from __future__ import annotations

from pathlib import Path

import pytest

from exercises import get
from grader.engine import grade_source
from grader.options import GradeOptions
from grader.spec import Exercise

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
VALID_EPS = ("0.0", "1e-8", "1e-7", "10e-7", "1e-5")


def _bn_source(eps: str) -> bytes:
    text = (CORPUS / "batchnorm" / "correct_text_formula.py").read_text(encoding="utf-8")
    assert "self.eps = 1e-8" in text
    return text.replace("self.eps = 1e-8", f"self.eps = {eps}").encode()


def _lost(exercise, data: bytes, item_ids=None) -> dict[str, str]:
    if item_ids is not None:
        exercise = Exercise(id=exercise.id, title=exercise.title, section=exercise.section, notebooks=(),
                            items=tuple(exercise.item(i) for i in item_ids), mistakes=exercise.mistakes)
    report = grade_source(exercise, data, "variant.py", GradeOptions(statement_budget=0.3))
    return {i.id: i.feedback.en for i in report.items if i.score < i.max_score}


@pytest.mark.parametrize("eps", VALID_EPS)
def test_batchnorm_any_valid_eps_gets_full_marks(eps):
    assert _lost(get("batchnorm"), _bn_source(eps)) == {}


def test_batchnorm_eps_far_too_large_is_caught():
    lost = _lost(get("batchnorm"), _bn_source("1e-3"))
    assert "BatchNormalization.forward" in lost and "BatchNormalization.backward" in lost


NET_ITEMS = ("MultiLayerNetExtend.predict", "MultiLayerNetExtend.loss", "MultiLayerNetExtend.gradient")


@pytest.mark.parametrize("eps", ("0.0", "1e-8", "1e-5"))
def test_net_with_any_valid_batchnorm_eps_gets_full_marks(eps):
    text = (CORPUS / "regularization" / "correct_text_style.py").read_text(encoding="utf-8")
    assert "self.eps = 1e-5" in text
    data = text.replace("self.eps = 1e-5", f"self.eps = {eps}").encode()
    assert _lost(get("regularization"), data, NET_ITEMS) == {}
