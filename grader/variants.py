"""Per-student variants: each student's numbers, drawn from (course secret, exercise, student id).

An exercise declares its numbers in ``Exercise.variants`` (``grader.spec.Variants``): their names and
shapes, how to draw them from a seeded generator, the text's numbers (the practice variant) and the
expected answers of its value items.  This module derives the seed — HMAC-SHA256 keyed with the
course secret, so the same student always gets the same problem and nobody can compute another's
without the secret — and says whose numbers a wrong answer fits.

The secret lives on the grader's side only: in a :class:`VariantBook` (the secret and the roster of
known students), which the caller puts in ``GradeOptions.variants``.  Nothing of it crosses to the
student process: checks read the student's own numbers (``ctx.variant``) and compare in the grader.
Where the secret is stored (the service's database) is the caller's business (``api/course.py``).
"""

from __future__ import annotations

import hashlib
import hmac
import threading
from collections import OrderedDict
from typing import Iterable

import numpy as np

from grader.messages import Msg
from grader.spec import Exercise

# rtol/atol of a match against someone else's answer: those of grader.compare
RTOL, ATOL = 1e-4, 1e-6

_CACHE_MAX = 50_000  # students × exercises whose answers are kept in this process (~1 kB each)
_TABLES_MAX = 64
_lock = threading.Lock()
_answers: "OrderedDict[tuple, dict]" = OrderedDict()
_tables: "OrderedDict[tuple, tuple]" = OrderedDict()


class NoVariants(ValueError):
    """The exercise has no per-student numbers."""


def seed_for(secret: bytes, exercise_id: str, student: str) -> int:
    """The 128-bit seed of ``student``'s variant of ``exercise_id`` (HMAC-SHA256 with the course secret)."""
    msg = b"dlgrade-variant\x00" + exercise_id.encode() + b"\x00" + student.encode()
    return int.from_bytes(hmac.new(secret, msg, hashlib.sha256).digest()[:16], "big")


def _as_params(exercise: Exercise, raw) -> dict[str, np.ndarray]:
    out = {}
    for p in exercise.variants.params:
        arr = np.array(raw[p.name], dtype=float)
        if arr.shape != tuple(p.shape):
            raise ValueError(f"{exercise.id}: variant number {p.name} has shape {arr.shape}, declared {p.shape}")
        arr.setflags(write=False)
        out[p.name] = arr
    return out


def practice(exercise: Exercise) -> dict[str, np.ndarray]:
    """The text's numbers (grading without a student id)."""
    if exercise.variants is None:
        raise NoVariants(exercise.id)
    return _as_params(exercise, exercise.variants.practice)


def draw(exercise: Exercise, student: str, secret: bytes) -> dict[str, np.ndarray]:
    """``student``'s numbers of ``exercise``: the same for the same (secret, exercise, student)."""
    if exercise.variants is None:
        raise NoVariants(exercise.id)
    rng = np.random.default_rng(seed_for(secret, exercise.id, student))
    return _as_params(exercise, exercise.variants.draw(rng))


def _key(secret: bytes) -> bytes:
    return hashlib.sha256(b"dlgrade-cache\x00" + secret).digest()  # the caches never hold the secret itself


def _answers_of(exercise: Exercise, secret: bytes, student: str | None) -> dict:
    key = (_key(secret), exercise.id, student)
    with _lock:
        hit = _answers.get(key)
        if hit is not None:
            _answers.move_to_end(key)
            return hit
    params = practice(exercise) if student is None else draw(exercise, student, secret)
    answers = {k: np.squeeze(np.asarray(v, dtype=float)) for k, v in exercise.variants.answers(params).items()}
    with _lock:
        _answers[key] = answers
        while len(_answers) > _CACHE_MAX:
            _answers.popitem(last=False)
    return answers


class VariantBook:
    """The course secret and the roster of known students, on the grader's side.

    ``roster``: whose numbers a wrong answer is compared with (the batch's students, or the service's
    student accounts).  Picklable (grading processes of ``dlgrade batch`` receive it); its ``repr``
    never shows the secret.
    """

    def __init__(self, secret: bytes, roster: Iterable[str] = ()):
        if not secret:
            raise ValueError("an empty course secret")
        self._secret = bytes(secret)
        self.roster = tuple(sorted({str(s) for s in roster}))

    def __repr__(self) -> str:
        return f"VariantBook(<secret>, roster={len(self.roster)} students)"

    def with_roster(self, roster: Iterable[str]) -> "VariantBook":
        return VariantBook(self._secret, roster)

    def params(self, exercise: Exercise, student: str | None) -> dict[str, np.ndarray]:
        return practice(exercise) if student is None else draw(exercise, student, self._secret)

    def answers(self, exercise: Exercise, student: str | None) -> dict[str, np.ndarray]:
        return _answers_of(exercise, self._secret, student)

    def _table(self, exercise: Exercise, item_id: str):
        """(labels, stacked answers) of ``item_id`` over the practice variant and the roster."""
        key = (_key(self._secret), exercise.id, item_id, self.roster)
        with _lock:
            hit = _tables.get(key)
            if hit is not None:
                _tables.move_to_end(key)
                return hit
        labels: list[str | None] = [None, *self.roster]
        rows = [_answers_of(exercise, self._secret, s).get(item_id) for s in labels]
        shapes = {r.shape for r in rows if r is not None}
        if len(shapes) != 1 or any(r is None for r in rows):  # answers of varying shape: compare one by one
            table = (labels, rows)
        else:
            table = (labels, np.stack(rows))
        with _lock:
            _tables[key] = table
            while len(_tables) > _TABLES_MAX:
                _tables.popitem(last=False)
        return table

    def whose(self, exercise: Exercise, item_id: str, value, student: str | None) -> list[str | None]:
        """Whose answer of ``item_id`` ``value`` is, other than ``student``'s own (None: the practice variant)."""
        try:
            v = np.squeeze(np.asarray(value, dtype=float))
        except (TypeError, ValueError):
            return []
        if v.dtype.kind not in "fiu" or not np.all(np.isfinite(v)):
            return []
        labels, rows = self._table(exercise, item_id)
        if isinstance(rows, np.ndarray):
            if rows.shape[1:] != v.shape:
                return []
            hit = np.isclose(rows, v, rtol=RTOL, atol=ATOL).reshape(len(labels), -1).all(axis=1)
            found = [labels[i] for i in np.flatnonzero(hit)]
        else:
            found = [lab for lab, r in zip(labels, rows)
                     if r is not None and r.shape == v.shape and np.allclose(r, v, rtol=RTOL, atol=ATOL)]
        return [s for s in found if s != student]


def as_lists(params: dict[str, np.ndarray]) -> dict[str, list]:
    """Numbers as nested lists (integers where they are whole): the JSON of INTERFACES.md."""

    def conv(x):
        if isinstance(x, np.ndarray):
            return [conv(e) for e in x] if x.ndim else conv(x.item())
        x = float(x)
        return int(x) if x.is_integer() else x

    return {k: conv(np.asarray(v)) for k, v in params.items()}


def variant_json(exercise: Exercise, student: str | None, params: dict[str, np.ndarray]) -> dict:
    """``{"exercise", "student", "variant": {name: nested list}}`` (INTERFACES.md)."""
    return {"exercise": exercise.id, "student": student, "variant": as_lists(params)}


def _literal(x) -> str:
    if isinstance(x, list):
        return "[" + ", ".join(_literal(e) for e in x) + "]"
    return repr(x)


def as_code(exercise: Exercise, student: str | None, params: dict[str, np.ndarray], lang: str = "en") -> str:
    """The numbers as NumPy code to paste, the problem in comments above them."""
    v = exercise.variants
    if student is not None:  # a comment line stays one line, whatever the id holds
        student = "".join(c if c.isprintable() else "?" for c in student)
    who = {"en": f"student {student}" if student else "practice: the text's numbers",
           "ja": f"学生 {student}" if student else "練習用: テキストの数値"}[lang if lang in ("en", "ja") else "en"]
    head = {"en": "your problem", "ja": "あなたの問題"}[lang if lang in ("en", "ja") else "en"]
    lines = [f"# {exercise.id} (§{exercise.section}) — {head} ({who})"]
    if v.statement is not None:
        lines += ["# " + line for line in v.statement.get(lang).splitlines()]
    lines.append("import numpy as np")
    lists = as_lists(params)
    width = max(len(p.name) for p in v.params)
    for p in v.params:
        lines.append(f"{p.name:<{width}} = np.array({_literal(lists[p.name])}, dtype=float)"
                     f"  # {p.description.get(lang)}")
    return "\n".join(lines) + "\n"


MATCH_MSG = Msg(
    en="This is not the answer for your numbers. Each student has their own numbers for this exercise: "
       "take yours from the \"your problem\" block of the web page (or `dlgrade variant {exercise} --student ID`, "
       "or the notebook client's `variant()`) and compute with them.",
    ja="これはあなたの数値に対する答えではありません。この課題の数値は学生ごとに異なります。"
       "Web ページの「あなたの問題」(または `dlgrade variant {exercise} --student ID`、ノートブック用クライアントの "
       "`variant()`)で自分の数値を確かめ、その数値で計算してください。")


def match_message(exercise: Exercise) -> Msg:
    return Msg(en=MATCH_MSG.en.replace("{exercise}", exercise.id), ja=MATCH_MSG.ja.replace("{exercise}", exercise.id))
