"""Similarity across a class (issue 16): a generated `layers` class with known copies, independent
submissions in the same textbook style, and the book's code as boilerplate."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from simclass import generate, write_book

from exercises import get
from grader.classroom.batch import discover
from grader.classroom.similarity import CSV_HEADER, csv_rows, normalise_tokens, prepare, similarity_for_class

ROOT = Path(__file__).resolve().parents[2]
LAYERS = get("layers")


def dlgrade(*args) -> subprocess.CompletedProcess:
    env = dict(os.environ, DLGRADE_STATEMENT_BUDGET="0.3", COLUMNS="200")
    return subprocess.run([sys.executable, "-m", "grader.cli", *map(str, args)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def klass(tmp_path_factory):
    root = tmp_path_factory.mktemp("class")
    gen = generate(root / "subs", independents=30, seed=1)
    book = write_book(root / "book")
    return root / "subs", book, gen


def pairs_of(text: str) -> tuple[list[str], list[dict]]:
    rows = list(csv.reader(io.StringIO(text)))
    return rows[0], [dict(zip(rows[0], r)) for r in rows[1:]]


def test_copies_are_the_listed_pairs_with_their_evidence(klass, tmp_path):
    subs, book, gen = klass
    out, page = tmp_path / "pairs.csv", tmp_path / "similarity.html"
    p = dlgrade("similarity", "layers", subs, "--out", out, "--boilerplate", book, "--report", page,
                "--jobs", "2", "--no-progress")
    assert p.returncode == 0, p.stderr
    header, rows = pairs_of(out.read_text(encoding="utf-8"))
    assert header == CSV_HEADER
    listed = [frozenset({r["student_a"], r["student_b"]}) for r in rows]
    # every copy is listed (renamed, reordered cells, other comments, bug copied along), no independent pair
    assert set(listed) == gen.copies, rows
    sims = [float(r["similarity"]) for r in rows]
    assert sims == sorted(sims, reverse=True) and min(sims) >= 0.85
    for r in rows:
        same_wrong = int(r["same_wrong_answers"])
        pair = frozenset({r["student_a"], r["student_b"]})
        assert same_wrong == (1 if pair == gen.bug_pair else 0), r
        assert int(r["matched_lines"]) >= 20
    html = page.read_text(encoding="utf-8")
    assert html.count('class="m"') > 50  # matched lines highlighted side by side
    assert "SigmoidWithLoss.backward" in html  # the shared wrong answer, named
    text = html.lower()
    assert "similar" in text and not any(w in text for w in ("plagiar", "cheat", "copied from", "guilty"))


def test_independent_pairs_stay_below_the_copies(klass):
    subs, book, gen = klass
    res = similarity_for_class(LAYERS, subs, discover(subs, LAYERS.notebooks).submissions, [book], None,
                               threshold=0.0)
    names = res.students
    scored = {frozenset({names[p.a], names[p.b]}): p.similarity for p in res.pairs}
    copies = [scored[c] for c in gen.copies]
    copiers = {s for s, kind in gen.kinds.items() if kind == "copy"}
    independents = [s for k, s in scored.items() if k not in gen.copies and not (k & copiers)]
    assert len(independents) > 300  # the textbook style: almost every independent pair shares something
    assert min(copies) > 0.95 and max(independents) < 0.85, (copies, sorted(independents)[-5:])
    assert set(sorted(scored, key=scored.get, reverse=True)[:4]) == gen.copies  # the copies are the top pairs


def test_boilerplate_does_not_raise_scores(tmp_path):
    """Two independents paste the book's functions: without --boilerplate that raises their score;
    with it, their score is what it is when neither pasted it."""
    book = write_book(tmp_path / "book")

    def score(folder, with_book, boilerplate):
        gen = generate(tmp_path / folder, independents=30, seed=1, book_pair=with_book)
        subs = tmp_path / folder
        res = similarity_for_class(LAYERS, subs, discover(subs, ()).submissions, boilerplate, None, threshold=0.0)
        names = res.students
        by_pair = {frozenset({names[p.a], names[p.b]}): p.similarity for p in res.pairs}
        return by_pair.get(frozenset({"s002", "s003"}), 0.0), gen

    plain, _ = score("plain", False, [])
    pasted, gen = score("pasted", True, [])
    subtracted, _ = score("subtracted", True, [book])
    assert gen.book_pair == frozenset({"s002", "s003"})
    assert pasted > plain + 0.15          # the shared book code would look like shared work
    assert abs(subtracted - plain) < 0.02  # subtracted, it changes nothing


def test_tokens_ignore_names_comments_layout_and_docstrings():
    a = '''
class Affine:
    """The affine layer."""
    def forward(self, x):
        # keep x
        self.x = x

        return np.dot(x, self.W) + self.b
'''
    b = '''class Affine:
    def forward(self, inp):
        self.saved = inp   # 入力
        return np.dot(inp, self.weight) + self.b
'''
    assert [t for t, _ in normalise_tokens(a)] == [t for t, _ in normalise_tokens(b)]
    # the API stays itself: np.dot is not np.matmul, x.T is not self.T
    assert "dot" in [t for t, _ in normalise_tokens(a)]
    assert [t for t, _ in normalise_tokens("y = x.T")][-2] == "T"
    assert [t for t, _ in normalise_tokens("y = self.T")][-2] == "V"


def test_fingerprints_are_stable_across_processes(tmp_path):
    """Python's hash() of a string changes with every process (PYTHONHASHSEED): ours must not."""
    src = (ROOT / "tests/corpus/layers/correct_book.py").read_bytes()
    here = prepare("s", [("s.py", src)], LAYERS.names).hashes.tolist()
    code = ("import sys; from pathlib import Path; from grader.classroom.similarity import prepare; "
            "print(prepare('s', [('s.py', Path(sys.argv[1]).read_bytes())], ['Affine']).hashes.tolist())")
    outs = {subprocess.run([sys.executable, "-c", code, str(ROOT / "tests/corpus/layers/correct_book.py")],
                           cwd=ROOT, env=dict(os.environ, PYTHONHASHSEED=seed), capture_output=True, text=True,
                           timeout=60).stdout.strip() for seed in ("1", "2")}
    assert outs == {str(here)} and len(here) > 20


def test_batch_report_lists_the_similar_pairs(klass, tmp_path):
    subs, book, gen = klass
    out = tmp_path / "o"
    p = dlgrade("batch", "layers", subs, "--out", out / "grades.csv", "--report", out / "report.html",
                "--boilerplate", book, "--jobs", "2", "--no-progress", "--lang", "ja")
    assert p.returncode == 0, p.stderr
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "類似した提出物" in html
    section = html[html.index("類似した提出物"):]
    for pair in gen.copies:
        a, b = sorted(pair)
        assert f"<td>{a}</td><td>{b}</td>" in section or f"<td>{b}</td><td>{a}</td>" in section
    assert 'class="m"' in section


def test_usage_errors(klass, tmp_path):
    subs, _, _ = klass
    p = dlgrade("similarity", "layers", subs, "--out", tmp_path / "p.csv", "--boilerplate", tmp_path / "nope",
                "--no-grade")
    assert p.returncode == 2 and "nope" in p.stderr
    p = dlgrade("similarity", "no-such-exercise", subs, "--out", tmp_path / "p.csv")
    assert p.returncode == 2


def test_an_answer_fitting_another_students_variant_pairs_them_first():
    """Per-student variants: the report item's instructors' field says whose numbers a wrong answer fits
    (grader/report.py ``variant_match``); that pairs the two whatever their code, ahead of everything."""
    from grader.classroom.similarity import compare
    from grader.classroom.simreport import render_page

    ex = get("backprop-examples")
    docs = [prepare(s, [(f"{s}.py", f"ex1_1_dX = [{i}, 1, 2]\nex1_1_dW = [[{i}, 0]]\n".encode())], ex.names)
            for i, s in enumerate(["ana", "ben", "cho"])]
    item = {"id": "ex1_1_dX", "status": "fail", "feedback": {"en": "differs", "ja": "違います"}, "mistake": None,
            "variant_match": {"students": ["ana"], "practice": False}}
    reports = {"ana": {"items": []}, "ben": {"items": []}, "cho": {"items": [item]}}
    res = compare(ex.id, docs, reports=reports)
    assert [(res.docs[p.a].student, res.docs[p.b].student, p.other_variant) for p in res.pairs] == \
        [("ana", "cho", [("ex1_1_dX", "ana")])]
    assert csv_rows(res)[0][-1] == "1"  # counted in pairs.csv's same_wrong_answers
    assert "answers another&#39;s variant" in render_page(res) or "answers another's variant" in render_page(res)


def test_the_exercises_starter_code_is_subtracted_by_default(tmp_path):
    """An exercise whose catalogue entry carries starter code (``starter``: source texts) has it removed
    without --boilerplate, as the book's code is with it."""
    from simclass import BOOK_FUNCTIONS

    class WithStarter:  # the catalogue's exercise plus starter code
        id, names, notebooks = LAYERS.id, LAYERS.names, LAYERS.notebooks
        starter = (BOOK_FUNCTIONS,)

    gen = generate(tmp_path / "subs", independents=30, seed=1, book_pair=True)
    subs = discover(tmp_path / "subs", ()).submissions
    book = frozenset({"s002", "s003"})
    assert gen.book_pair == book

    def score(exercise):
        res = similarity_for_class(exercise, tmp_path / "subs", subs, [], None, threshold=0.0)
        return {frozenset({res.students[p.a], res.students[p.b]}): p.similarity for p in res.pairs}[book], res

    plain, _ = score(LAYERS)
    with_starter, res = score(WithStarter)
    assert with_starter < plain - 0.15
    assert res.boilerplate == ["starter 1"]
