"""The class report in the instructor's language (issue 13): charts in Japanese with --lang ja, the header
says threads when threads graded, and failures are grouped by check and named mistake, not by message
(every message quotes random values, so grouping by message gave ×1 everywhere)."""

from __future__ import annotations

import re
import warnings

import pytest

from corpus_tools import CORPUS
from grader.classroom.batch import run_batch
from grader.classroom.classreport import (aggregate, cjk_font, figure_histogram, figure_items, render_class_report,
                                          workers_text)
from grader.options import GradeOptions

LAYERS = CORPUS / "layers"
CORRECT = (LAYERS / "correct_book.py").read_text(encoding="utf-8")
UNNAMED = CORRECT.replace("out = 1 / (1 + np.exp(-x))", "out = 1 / (1 + np.exp(-1.1 * x))")  # no known mistake
assert UNNAMED != CORRECT


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    """Three runs on different inputs (seeds 1, 2, 3: the messages' numbers differ, as they do between
    the random inputs of different runs or courses), merged into one class."""
    runs = []
    for seed in (1, 2, 3):
        root = tmp_path_factory.mktemp(f"class{seed}")
        (root / f"named{seed}.py").write_bytes((LAYERS / "bug_affine_dw_transpose.py").read_bytes())
        (root / f"unnamed{seed}.py").write_text(UNNAMED, encoding="utf-8")
        if seed == 1:
            (root / "ok.py").write_text(CORRECT, encoding="utf-8")
        runs.append(run_batch("layers", root, jobs=2, options=GradeOptions(seed=seed, statement_budget=0.3),
                              executor="thread"))
    merged = runs[0]
    merged.results = [r for run in runs for r in run.results]
    examples = {next(i for i in r.report_in("en")["items"] if i["id"] == "Sigmoid.forward")["feedback"]
                for r in merged.results if r.student.startswith("unnamed")}
    assert len(examples) == 3  # three different messages: grouping by message would give ×1 each
    return merged


def test_failures_are_grouped_by_check_and_named_mistake(result):
    items = {it["id"]: it for it in aggregate(result, "en")["items"]}
    named = items["Affine.backward"]["failures"]
    assert [(f["count"], f["key"]) for f in named] == [(3, "mistake:affine-dw-transpose")]
    unnamed = items["Sigmoid.forward"]["failures"]
    assert len(unnamed) == 1 and unnamed[0]["count"] == 3, unnamed
    assert unnamed[0]["label"].startswith("Sigmoid.forward output") and not re.search(r"\d\.\d", unnamed[0]["label"])
    ja = {it["id"]: it for it in aggregate(result, "ja")["items"]}["Sigmoid.forward"]["failures"]
    assert len(ja) == 1 and ja[0]["count"] == 3


def test_the_header_says_threads_when_threads_ran(result):
    assert result.executor == "thread" and result.jobs == 2
    assert workers_text(result, "ja") == "2 スレッド" and workers_text(result, "en") == "2 thread(s)"
    html = render_class_report(result, "ja")
    assert "2 スレッド" in html and "プロセス" not in html.split("<h2>", 1)[0]


def test_charts_are_in_japanese_with_lang_ja(result):
    assert cjk_font() is not None, "no Japanese font: `make system-deps` installs fonts-ipafont-gothic"
    fig = figure_histogram(result, "ja")
    ax = fig.axes[0]
    assert ax.get_title().startswith("得点分布") and ax.get_ylabel() == "学生数"
    assert ax.title.get_fontfamily()[0] == cjk_font()
    items = figure_items(aggregate(result, "ja"), "ja").axes[0]
    assert "正答率" in items.get_title() and {"正解", "不正解"} <= {t.get_text() for t in items.get_legend().get_texts()}
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "Glyph … missing from font(s)" would mean boxes instead of Japanese
        html = render_class_report(result, "ja")
    assert "日本語フォントが見つからない" not in html
    assert figure_histogram(result, "en").axes[0].get_title().startswith("Score distribution")
