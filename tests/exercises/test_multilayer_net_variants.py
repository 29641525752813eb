"""Valid variants of the multi-layer net get full marks: any small δ inside the log (up to 1e-5),
or none at all (log-softmax), with layers in a list (tests/corpus/multilayer-net/correct_list_layers.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from exercises import get
from grader.engine import grade_source
from grader.options import GradeOptions

SOURCE = (Path(__file__).parents[1] / "corpus" / "multilayer-net" / "correct_list_layers.py").read_text()
DELTA_LINE = "return -np.sum(t * np.log(self.y + 1e-7)) / x.shape[0]"
LOG_SOFTMAX = "return -np.sum(t * (z - np.log(np.exp(z).sum(axis=1, keepdims=True)))) / x.shape[0]"


@pytest.mark.parametrize("loss_line", [DELTA_LINE.replace("1e-7", d) for d in ("1e-5", "1e-6", "1e-8", "0.0")]
                         + [LOG_SOFTMAX], ids=["delta=1e-5", "delta=1e-6", "delta=1e-8", "delta=0", "log-softmax"])
def test_loss_variants_get_full_marks(loss_line):
    assert DELTA_LINE in SOURCE
    source = SOURCE.replace(DELTA_LINE, loss_line)
    report = grade_source(get("multilayer-net"), source.encode(), "variant.py", GradeOptions(statement_budget=0.5))
    lost = {i.id: i.feedback.en for i in report.items if i.score < i.max_score}
    assert not lost, lost
