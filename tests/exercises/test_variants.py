"""Per-student variants (issue 15): backprop-examples' numbers drawn from (secret, exercise, student)."""

from __future__ import annotations

import dataclasses
import itertools
import re

import numpy as np
import pytest

import exercises
from grader import variants as V
from grader.engine import grade_source
from grader.options import GradeOptions
from grader.report import select_lang
from reference import backprop_examples as ref

EX = exercises.get("backprop-examples")
SECRET = bytes(range(32))
ROSTER = [f"s{i:03d}" for i in range(300)]

# a student's own solution, written as a student would: numbers pasted from `dlgrade variant`, then §3.7
SOLUTION = """
def softmax(a):
    e = np.exp(a - np.max(a))
    return e / np.sum(e)

Y = np.dot(X, W)
ex1_1_dX = np.dot(Y - t_reg, W.T)
ex1_1_dW = np.outer(X, Y - t_reg)
ex1_2_dX = (softmax(Y) - t_cls) @ W.T
ex1_2_dW = X.reshape(3, 1) @ (softmax(Y) - t_cls).reshape(1, 2)
ex2_dX = dY.copy()
ex2_db = dY.sum(axis=0)
"""


def solution(student: str | None, book: V.VariantBook) -> bytes:
    return (V.as_code(EX, student, book.params(EX, student)) + SOLUTION).encode()


def options(student, book) -> GradeOptions:
    return dataclasses.replace(GradeOptions(), student=student, variants=book, seed=1)


def test_the_practice_variant_is_the_texts_numbers():
    p = V.practice(EX)
    assert p["X"].tolist() == [2, -1, 1] and p["W"].tolist() == [[2, 0], [1, 1], [0, 4]]
    assert p["t_reg"].tolist() == [1, 2] and p["t_cls"].tolist() == [1, 0]
    assert p["X2"].tolist() == [[1, 3], [2, -1], [0, 1]] and p["b"].tolist() == [2, 1]
    assert p["dY"].tolist() == [[1, 0], [0, -1], [1, 1]]
    assert V.VariantBook(SECRET).answers(EX, None)["ex1_1_dX"].tolist() == [4, 3, 4]


def test_variants_are_deterministic_per_secret_and_student():
    a, a_again = V.draw(EX, "s001", SECRET), V.draw(EX, "s001", SECRET)
    assert all(np.array_equal(a[k], a_again[k]) for k in a)
    other_secret = V.draw(EX, "s001", SECRET[::-1])
    assert any(not np.array_equal(a[k], other_secret[k]) for k in a)
    assert V.seed_for(SECRET, EX.id, "s001") != V.seed_for(SECRET, "layers", "s001")


def test_300_students_get_distinct_hand_computable_problems():
    seen = set()
    for s in ROSTER:
        v = V.draw(EX, s, SECRET)
        assert {k: a.shape for k, a in v.items()} == {"X": (3,), "W": (3, 2), "t_reg": (2,), "t_cls": (2,),
                                                     "X2": (3, 2), "b": (2,), "dY": (3, 2)}
        for k, a in v.items():  # small integers and halves
            assert np.all(a * 2 == np.round(a * 2)) and np.all(np.abs(a) <= 12), (s, k, a)
        y = v["X"] @ v["W"]
        assert y[0] == y[1]  # softmax(Y) = [½, ½]: 1-(2) by hand, as in the text
        assert sorted(v["t_cls"].tolist()) == [0, 1]
        assert np.any(y != v["t_reg"]) and np.any(v["dY"])
        answers = ref.solve(**v)
        for name, arr in answers.items():  # the answers are halves too
            assert np.allclose(arr * 2, np.round(arr * 2)), (s, name, arr)
        seen.add(tuple(np.concatenate([a.ravel() for a in v.values()])))
    assert len(seen) == len(ROSTER)


def test_each_students_answers_pass_for_them_and_fail_for_another_saying_whose():
    book = V.VariantBook(SECRET, ["s001", "s002", "s003"])
    mine, theirs = solution("s001", book), solution("s002", book)
    own = grade_source(EX, mine, "s001.py", options("s001", book))
    assert own.score == EX.max_score, [(i.id, i.feedback.en) for i in own.items]
    assert all(i.variant_match is None for i in own.items)

    copied = grade_source(EX, theirs, "s001.py", options("s001", book))
    assert copied.score == 0 and all(i.status == "fail" for i in copied.items)
    assert all("s002" in i.variant_match for i in copied.items)
    assert all("s001" not in i.variant_match for i in copied.items)
    student_view = copied.to_dict("en")
    assert all("variant_match" not in i for i in student_view["items"])
    assert "not the answer for your numbers" in student_view["items"][0]["feedback"]
    assert "s002" not in str(student_view) and "s002" not in str(copied.to_dict("ja"))
    instructor = copied.to_dict("en", instructor=True)["items"][0]["variant_match"]
    assert "s002" in instructor["students"] and instructor["practice"] is False
    stored = copied.to_bilingual()
    assert "variant_match" not in str(select_lang(stored, "ja"))
    assert select_lang(stored, "en", instructor=True)["items"][0]["variant_match"] == instructor

    # the text's answers, handed in for a student: fail, the instructor is told they are the text's
    text = grade_source(EX, solution(None, book), "s003.py", options("s003", book))
    assert text.score == 0 and all(i.variant_match and None in i.variant_match for i in text.items)
    # the same file graded without a student id: the practice variant, full marks
    assert grade_source(EX, solution(None, book), "x.py", GradeOptions(seed=1)).score == EX.max_score


def test_a_plain_mistake_is_not_attributed_to_anyone():
    book = V.VariantBook(SECRET, ROSTER[:50])
    own = V.draw(EX, "s001", SECRET)
    wrong_sign = V.as_code(EX, "s001", own) + SOLUTION.replace("Y - t_reg", "t_reg - Y")
    r = grade_source(EX, wrong_sign.encode(), "s001.py", options("s001", book))
    by_id = {i.id: i for i in r.items}
    assert by_id["ex1_1_dX"].status == "fail" and by_id["ex1_1_dX"].variant_match is None
    assert by_id["ex1_1_dX"].mistake is not None and by_id["ex1_1_dX"].mistake.id == "answer-sign-flipped"
    assert r.score == EX.max_score - 2


@pytest.mark.parametrize("student", ["s001", "s017", "s123"])
def test_typical_mistakes_are_named_from_a_students_own_numbers(student):
    """softmax forgotten, b added to dE/dX, dE/dY given as dE/dX: each predicted from the numbers graded with."""
    book = V.VariantBook(SECRET, ROSTER[:50])
    own = V.draw(EX, student, SECRET)
    wrong = V.as_code(EX, student, own) + SOLUTION.replace("softmax(Y) - t_cls", "Y - t_cls").replace(
        "ex2_dX = dY.copy()", "ex2_dX = dY + b").replace("ex1_1_dX = np.dot(Y - t_reg, W.T)", "ex1_1_dX = Y - t_reg")
    r = grade_source(EX, wrong.encode(), f"{student}.py", options(student, book))
    named = {i.id: i.mistake.id for i in r.items if i.mistake is not None}
    assert named == {"ex1_1_dX": "answer-is-dy", "ex1_2_dX": "softmax-forgotten", "ex1_2_dW": "softmax-forgotten",
                     **({"ex2_dX": "bias-added-to-dx"} if np.any(own["b"]) else {})}, named
    assert all(i.variant_match is None for i in r.items)


def test_feedback_on_a_students_own_numbers_never_states_the_answer():
    book = V.VariantBook(SECRET, ROSTER[:5])
    wrong = "\n".join(f"{n} = [[7, 7], [7, 7], [7, 7]]" for n in EX.names)
    wrong += "\nex2_dX = [[7, 7], [7, 7], [7, float('nan')]]\nex2_db = [7, 7]\nex1_1_dX = [7, 7, 7]\n"
    mine = grade_source(EX, wrong.encode(), "s001.py", options("s001", book))
    answers = book.answers(EX, "s001")
    for item in mine.items:
        assert item.status == "fail"
        for lang in ("en", "ja"):
            text = item.feedback.get(lang)
            assert not re.search(r"expected -?\d|期待値 ?-?\d|times the expected|倍です", text), text
    assert "got 7" in {i.id: i for i in mine.items}["ex1_1_dX"].feedback.en
    first = float(np.ravel(answers["ex1_1_dX"])[0])
    assert f"expected {first:g}" not in mine.items[0].feedback.en
    # the text's numbers are public: practice feedback states the expected value
    practice_report = grade_source(EX, wrong.encode(), "x.py", GradeOptions(seed=1))
    assert "expected 4" in practice_report.items[0].feedback.en


def test_matching_a_whole_class_is_cheap():
    book = V.VariantBook(SECRET, ROSTER)
    wrong = "\n".join(f"{n} = [[7, 7], [7, 7], [7, 7]]" for n in EX.names).encode()
    grade_source(EX, wrong, "w.py", options("s001", book))  # builds the answer tables once per process
    import time

    t0 = time.perf_counter()
    for _ in range(20):
        for item in EX.items:
            book.whose(EX, item.id, np.full((3, 2), 7.0), "s001")
    assert (time.perf_counter() - t0) / 20 < 0.05  # all six items against 300 students, warm


def test_the_pickled_book_hides_the_secret_from_its_repr():
    book = V.VariantBook(SECRET, ROSTER[:2])
    assert SECRET.hex() not in repr(book) and str(SECRET) not in repr(book) and "secret" in repr(book)
    assert SECRET.hex() not in repr(options("s001", book)) and str(SECRET) not in repr(options("s001", book))


@pytest.mark.parametrize("a,b", list(itertools.combinations(["s001", "s002", "alice", "bob"], 2)))
def test_two_students_answers_differ_on_problems_1_1_and_2(a, b):
    book = V.VariantBook(SECRET)
    x, y = book.answers(EX, a), book.answers(EX, b)
    assert not np.allclose(x["ex1_1_dX"], y["ex1_1_dX"]) or not np.allclose(x["ex1_1_dW"], y["ex1_1_dW"])
    assert not np.allclose(x["ex2_dX"], y["ex2_dX"])
