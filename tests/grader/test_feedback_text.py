"""What a student reads (issue 13): each defect of the feedback text a new user met, as a test.

The § once, no `[]` for a scalar, 6 significant digits, syntax-error line numbers, no Japanese in English
(nor English words in Japanese), 形状 not 型, the constructor note only for classes, SoftmaxWithLoss.large_scores
saying what actually differs, the batch summary's "full marks" after the late penalty.
"""

from __future__ import annotations

import io
import json
import re
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest
from rich.console import Console

from corpus_tools import CORPUS, py_to_notebook
from exercises import catalogue, get
from grader.classroom.batch import run_batch
from grader.classroom.feedback import render_feedback
from grader.classroom.gradescope import test_output as gradescope_output
from grader.classroom.lateness import parse_config
from grader.cli.render import print_report
from grader.compare import Fail, assert_close
from grader.engine import grade_source
from grader.loader import load_submission
from grader.messages import Msg, with_section
from grader.options import GradeOptions

CJK = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
OPTIONS = GradeOptions(seed=1, statement_budget=0.3)
LAYERS = CORPUS / "layers"


def outside_code(text: str) -> str:
    """The text without `quoted code` (a student's own comments may be in any language)."""
    return re.sub(r"`[^`]*`", "", text)


def grade(exercise: str, path_or_text, name: str | None = None) -> dict:
    data = path_or_text.read_bytes() if hasattr(path_or_text, "read_bytes") else path_or_text.encode()
    report = grade_source(get(exercise), data, name or getattr(path_or_text, "name", "s.py"), OPTIONS)
    return {"report": report, "en": report.to_dict("en"), "ja": report.to_dict("ja")}


@pytest.fixture(scope="module")
def db_not_summed():
    return grade("layers", LAYERS / "bug_affine_db_not_summed.py")


# ------------------------------------------------------------------ the section, once
def test_with_section_adds_the_section_only_when_missing():
    assert with_section("Store x in forward (§3.7).", "3.7", "en") == "Store x in forward (§3.7)."
    assert with_section("forward で x を保存します(§3.7)。", "3.7", "ja") == "forward で x を保存します(§3.7)。"
    assert with_section("Store x.", "3.7", "en") == "Store x. (§3.7)"
    assert with_section("x を保存します。", "3.7", "ja") == "x を保存します。(§3.7)"


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_every_rendering_cites_the_section_once(db_not_summed, lang):
    """CLI table, feedback files (HTML, Markdown), Gradescope: the hint of Affine.backward cites §3.7 once."""
    d = db_not_summed[lang]
    item = next(i for i in d["items"] if i["id"] == "Affine.backward")
    assert item["hint"].count("§3.7") == 1  # the hint itself already cites its section
    buf = io.StringIO()
    print_report(Console(file=buf, width=400, highlight=False, soft_wrap=True), db_not_summed["report"], lang)
    hint_line = next(line for line in buf.getvalue().splitlines() if "→" in line and "dW = Xᵀ·dY" in line)
    assert hint_line.count("§3.7") == 1, hint_line
    assert gradescope_output(item, lang).count("§3.7") == 1

    class R:  # the batch's StudentResult, as much of it as the feedback file reads
        student, files, status, reason, late = "s", ["s.py"], "graded", None, None
        score = raw_score = db_not_summed["report"].score
        max_score = db_not_summed["report"].max_score
        report = db_not_summed["report"].to_bilingual()

        def report_in(self, lang):
            from grader.report import select_lang
            return select_lang(self.report, lang)

    for fmt in ("md", "html"):
        text = render_feedback(R(), fmt=fmt, lang=lang, exercise=get("layers"))
        hint = next(line for line in text.splitlines() if "dW = Xᵀ·dY" in line and ("Hint" in line or "ヒント" in line))
        assert hint.count("§3.7") == 1, (fmt, hint)


# ------------------------------------------------------------------ numbers and positions
def test_a_scalar_has_no_position_and_no_stray_space():
    what = Msg(en="SoftmaxWithLoss.forward output", ja="SoftmaxWithLoss.forward の出力")
    with pytest.raises(Fail) as info:
        assert_close(np.nan, 1.4755503241078793, what)
    en, ja = info.value.msg.en, info.value.msg.ja
    assert "[]" not in en and "[]" not in ja
    assert "output is nan where a finite value 1.47555 was expected" in en
    assert "の出力が nan になっています" in ja and "出力 の" not in ja and "出力 が" not in ja
    with pytest.raises(Fail) as info:  # code names keep their space: `dx` の
        assert_close(np.array([1.0, np.inf]), [1.0, 2.0], Msg(en="`dx`", ja="`dx`"))
    assert "`dx` の [1] が inf" in info.value.msg.ja


def test_numbers_are_printed_with_6_significant_digits():
    with pytest.raises(Fail) as info:
        assert_close(5.415007816155925, 1.4755503241078793, Msg(en="loss", ja="損失"))
    assert "got 5.41501, expected 1.47555" in info.value.msg.en
    assert "あなたの値 5.41501、期待値 1.47555" in info.value.msg.ja
    with pytest.raises(Fail) as info:
        assert_close(np.float64(2.7692681857982215), np.float64(15.532269481006056), Msg(en="l1", ja="l1"))
    assert "2.76927" in info.value.msg.en and "2.7692681857" not in info.value.msg.en


def test_no_long_numbers_in_the_feedback_of_a_scalar_loss():
    """regularization's l1_penalty returns a scalar: its feedback printed 17 digits."""
    d = grade("regularization", CORPUS / "regularization" / "bug_l1_no_abs.py")
    item = next(i for i in d["en"]["items"] if i["id"] == "l1_penalty")
    assert item["status"] == "fail"
    digits = [len(n.lstrip("-").replace(".", "").lstrip("0")) for n in re.findall(r"-?\d+\.\d+", item["feedback"])]
    assert digits and max(digits) <= 6, item["feedback"]


# ------------------------------------------------------------------ syntax errors: the line numbers
def test_syntax_error_lines_are_the_file_s_own():
    three = b"import numpy as np\nx = 1\ndef relu(x:\n"  # 3 lines, the last one broken
    loaded = load_submission(three, "a.py")
    note = loaded.notes[0]
    assert "a.py, line 3 does not parse" in note.en and "lines 3-4" not in note.en, note.en
    assert "a.py の 3 行目" in note.ja
    gap = b"def f(:\n    pass\n\n\nx = 1\n"  # lines 1-2 broken, blank 3-4, x = 1 parses
    note = load_submission(gap, "b.py").notes[0]
    assert "b.py, lines 1-2 do not parse" in note.en, note.en


# ------------------------------------------------------------------ one language at a time
def _catalogue_texts():
    for ex in catalogue().values():
        yield ex.id, "title", ex.title
        for item in ex.items:
            yield item.id, "hint", item.hint
        for m in ex.mistakes:
            yield m.id, "mistake title", m.title
            yield m.id, "mistake", m.explanation


def test_no_japanese_in_english_texts_of_the_catalogue():
    bad = [(who, kind, msg.en) for who, kind, msg in _catalogue_texts() if CJK.search(outside_code(msg.en))]
    assert not bad, bad


def test_shapes_are_形状_in_japanese():
    """型 is a Python type ("str 型の値"); an array's (K, L) is its 形状, as everywhere else."""
    bad = [(who, msg.ja) for who, _, msg in _catalogue_texts() if "型" in msg.ja]
    assert not bad, bad


def test_no_japanese_in_english_feedback(db_not_summed):
    """bug_affine_db_not_summed: "(§3.6 例題 2)" in the mistake, "§3.6 2 dE/db" in Affine.worked_examples."""
    for item in db_not_summed["en"]["items"]:
        for text in (item["feedback"], item["hint"], (item["mistake"] or {}).get("explanation", "")):
            assert not CJK.search(outside_code(text)), (item["id"], text)
    worked = next(i for i in db_not_summed["en"]["items"] if i["id"] == "Affine.worked_examples")
    assert "§3.6 problem 2 dE/db" in worked["feedback"]
    worked_ja = next(i for i in db_not_summed["ja"]["items"] if i["id"] == "Affine.worked_examples")
    assert "§3.6 例題 2 の dE/db" in worked_ja["feedback"]


def test_no_english_place_words_in_japanese_notes():
    """A notebook cell that raises: 「a.ipynb のセル 2 の 1 行目」, never 「a.ipynb, cell 2 の 1 行目」."""
    source = (LAYERS / "correct_book.py").read_text(encoding="utf-8") + "\nimport matplotlib.pyplot as plt\n"
    nb = py_to_notebook(source).decode()
    d = grade("layers", nb, "a.ipynb")
    ja_notes = [n for n in d["ja"]["notes"] if "matplotlib" in n]
    assert ja_notes and all("のセル" in n and "cell" not in outside_code(n) for n in ja_notes), ja_notes
    en_notes = [n for n in d["en"]["notes"] if "matplotlib" in n]
    assert all(", cell " in n and not CJK.search(outside_code(n)) for n in en_notes), en_notes


# ------------------------------------------------------------------ the signature note
def test_constructor_note_only_for_classes():
    plain = grade("activations", CORPUS / "activations" / "bug_relu_np_max.py")
    relu = next(i for i in plain["en"]["items"] if i["id"] == "relu")
    assert relu["status"] == "error" and "TypeError" in relu["feedback"]
    assert "`relu(x)`" in relu["feedback"] and "constructor" not in relu["feedback"]
    assert "コンストラクタ" not in next(i for i in plain["ja"]["items"] if i["id"] == "relu")["feedback"]
    cls = grade("two-layer-net", CORPUS / "two-layer-net" / "bug_no_task_default.py")
    params = next(i for i in cls["en"]["items"] if i["id"] == "TwoLayerNet.params")
    assert "passed by keyword to constructors" in params["feedback"]


# ------------------------------------------------------------------ SoftmaxWithLoss.large_scores
def test_large_scores_says_what_actually_differs():
    """Row max subtracted, 1/N missing in backward: no "subtract the row maximum" advice."""
    d = grade("layers", LAYERS / "bug_softmax_loss_backward_no_1_over_n.py")
    item = next(i for i in d["en"]["items"] if i["id"] == "SoftmaxWithLoss.large_scores")
    assert item["status"] == "fail" and item["mistake"]["id"] == "backward-missing-1-over-n"
    assert "subtract each row's maximum" not in item["feedback"] and "row maximum" not in item["feedback"]
    assert "exp does not overflow" in item["feedback"]
    ja = next(i for i in d["ja"]["items"] if i["id"] == "SoftmaxWithLoss.large_scores")
    assert "最大値を引きます" not in ja["feedback"] and "あふれていません" in ja["feedback"]
    overflow = grade("layers", LAYERS / "bug_softmax_no_max_shift.py")
    item = next(i for i in overflow["en"]["items"] if i["id"] == "SoftmaxWithLoss.large_scores")
    assert "subtract each row's maximum before exp" in item["feedback"] and "[]" not in item["feedback"]


# ------------------------------------------------------------------ the batch summary
def test_full_marks_count_honours_the_late_penalty(tmp_path):
    correct = (LAYERS / "correct_book.py").read_bytes()
    for name in ("ontime", "late"):
        (tmp_path / f"{name}.py").write_bytes(correct)
    deadline = datetime(2026, 12, 1, 23, 59, tzinfo=timezone(timedelta(hours=9)))
    times = {"ontime": deadline - timedelta(hours=1), "late": deadline + timedelta(days=1)}  # pinned, never today
    lateness = parse_config({"deadlines": {"layers": deadline.isoformat()}, "late": {"rate": 0.25}})
    result = run_batch("layers", tmp_path, jobs=1, options=OPTIONS, times=times, lateness=lateness)
    by = {r.student: r for r in result.results}
    assert by["late"].raw_score == 23 and by["late"].score < 23 and by["ontime"].score == 23
    assert result.stats()["full_marks"] == 1


# ------------------------------------------------------------------ a submission that does not parse
BROKEN = (LAYERS / "correct_book.py").read_text(encoding="utf-8").replace(
    "class Relu:", "class Relu(:", 1)


def test_a_syntax_error_leads_the_report():
    assert BROKEN != (LAYERS / "correct_book.py").read_text(encoding="utf-8")
    line = BROKEN.split("\n").index("class Relu(:") + 1
    d = grade("layers", BROKEN, "paste.py")
    (problem,) = d["en"]["syntax_errors"]
    assert problem["line"] == line and problem["text"] == "class Relu(:" and problem["cell"] is None
    assert problem["message"]  # Python's own words
    assert d["en"]["notes"][0].startswith(f"paste.py, line") and "class Relu(:" in d["en"]["notes"][0]
    relu = [i for i in d["en"]["items"] if i["id"].startswith("Relu.")]
    assert relu and all(i["status"] == "missing" for i in relu)
    assert all("in the lines that did not parse" in i["feedback"] and f"line {line}" in i["feedback"] for i in relu)
    ja = next(i for i in d["ja"]["items"] if i["id"] == "Relu.forward")
    assert "構文エラー" in ja["feedback"] and f"paste.py の {line} 行目" in ja["feedback"]
    others = [i for i in d["en"]["items"] if i["id"].startswith("Affine.")]
    assert all(i["status"] == "pass" for i in others)  # what parses around it is still graded
    assert json.loads(json.dumps(d["report"].to_bilingual()))["syntax_errors"] == d["en"]["syntax_errors"]


def test_a_name_far_from_the_error_is_probably_there():
    d = grade("layers", "import numpy as np\ndef helper(:\n    pass\n", "p.py")
    item = next(i for i in d["en"]["items"] if i["id"] == "Affine.forward")
    assert item["status"] == "missing" and "probably in the lines that did not parse" in item["feedback"]
    clean = grade("layers", "import numpy as np\n", "q.py")
    item = next(i for i in clean["en"]["items"] if i["id"] == "Affine.forward")
    assert "did not parse" not in item["feedback"] and clean["en"]["syntax_errors"] == []


def test_a_notebook_cell_that_does_not_parse_is_named_by_cell():
    nb = json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None, "source": "import numpy as np"},
        {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
         "source": "class Relu:\n    def forward(self, x:\n        return x\n"}]})
    d = grade("layers", nb, "n.ipynb")
    (problem,) = d["en"]["syntax_errors"]
    assert (problem["file"], problem["cell"], problem["line"]) == ("n.ipynb", 2, 2)
    assert problem["text"] == "def forward(self, x:"
    item = next(i for i in d["ja"]["items"] if i["id"] == "Relu.forward")
    assert "n.ipynb のセル 2 の 2 行目" in item["feedback"]


def test_the_cli_table_leads_with_the_syntax_error(tmp_path):
    from typer.testing import CliRunner
    from grader.cli.app import app

    f = tmp_path / "paste.py"
    f.write_text(BROKEN, encoding="utf-8")
    for lang, words in (("en", "SyntaxError at paste.py, line"), ("ja", "構文エラー: paste.py の")):
        out = CliRunner().invoke(app, ["check", "layers", str(f), "--lang", lang]).stdout
        lines = out.splitlines()
        assert lines[1].startswith(words), lines[:3]
        assert lines[2].strip() == "class Relu(:"


def test_a_fresh_dlgrade_check_names_the_known_mistake():
    """In a process that imported nothing else, `dlgrade check layers` names affine-dw-transpose (the shared
    catalogue of mistakes must register itself whatever the exercise module imports)."""
    import subprocess
    import sys

    p = subprocess.run([sys.executable, "-m", "grader.cli", "check", "layers",
                        str(LAYERS / "bug_affine_dw_transpose.py"), "--json"],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    item = next(i for i in json.loads(p.stdout)["items"] if i["id"] == "Affine.backward")
    assert item["mistake"] and item["mistake"]["id"] == "affine-dw-transpose"
