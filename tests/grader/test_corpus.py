"""Every corpus submission gets exactly the marks it deserves (see tests/corpus_tools.py)."""

from __future__ import annotations

import pytest

from corpus_tools import SLOW_CELLS, all_exercises, corpus_files, expectations, py_to_notebook
from exercises import get
from grader.engine import grade_source
from grader.options import GradeOptions

OPTIONS = GradeOptions(statement_budget=0.3)


def _cases(prefix):
    return [pytest.param(ex, p, id=f"{ex}/{p.name}") for ex in all_exercises() for p in corpus_files(ex, prefix)]


def _grade(exercise, data, name):
    return grade_source(get(exercise), data, name, OPTIONS)


def _lost(report) -> dict[str, str]:
    return {i.id: i.status for i in report.items if i.score < i.max_score}


@pytest.mark.parametrize("exercise,path", _cases("correct_"))
def test_correct_submission_gets_full_marks(exercise, path):
    report = _grade(exercise, path.read_bytes(), path.name)
    lost = {i.id: i.feedback.en for i in report.items if i.score < i.max_score}
    assert not lost, lost
    assert report.score == report.max_score
    assert all(i.mistake is None for i in report.items)


@pytest.mark.parametrize("exercise,path", [c for c in _cases("correct_") if c.values[1].suffix == ".py"])
def test_correct_submission_as_notebook_with_slow_cells(exercise, path):
    nb = py_to_notebook(path.read_text(encoding="utf-8"), SLOW_CELLS)
    report = _grade(exercise, nb, path.with_suffix(".ipynb").name)
    lost = {i.id: i.feedback.en for i in report.items if i.score < i.max_score}
    assert not lost, lost
    assert any("dropped" in n.en or "skipped" in n.en for n in report.notes)


@pytest.mark.parametrize("exercise,path", _cases("bug_"))
def test_buggy_submission_loses_exactly_its_items(exercise, path):
    exp = expectations(path)
    assert exp["fail"], f"{path.name} lists no expect-fail items"
    report = _grade(exercise, path.read_bytes(), path.name)
    lost = _lost(report)
    assert set(lost) == exp["fail"], {i.id: (i.status, i.feedback.en) for i in report.items if i.id in
                                      set(lost) ^ exp["fail"]}
    for item_id, status in exp["status"].items():
        assert lost[item_id] == status
    by_id = {i.id: i for i in report.items}
    for item_id, mistake in exp["mistake"].items():
        got = by_id[item_id].mistake
        assert got is not None and got.id == mistake, (item_id, got, by_id[item_id].feedback.en)


@pytest.mark.parametrize("exercise,path", _cases("broken_"))
def test_broken_submission_is_reported_not_crashed(exercise, path):
    report = _grade(exercise, path.read_bytes(), path.name)
    assert all(i.status == "error" for i in report.items)
    assert report.notes
