"""Frozen descriptions of exercises and items (what is graded), apart from results."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Mapping

from grader.messages import Msg


@dataclass(frozen=True)
class Mistake:
    """A known typical mistake: a stable id, a title and an explanation in both languages."""

    id: str
    title: Msg
    explanation: Msg
    section: str = ""


# The shared catalogue of typical mistakes; exercises/mistakes.py registers it at import, so that
# the engine can look a mistake up by id without importing the catalogue (it sits above the engine).
SHARED_MISTAKES: dict[str, Mistake] = {}


def register_mistakes(mistakes) -> None:
    for m in mistakes:
        SHARED_MISTAKES[m.id] = m


@dataclass(frozen=True)
class Item:
    """One graded item: ``Name`` or ``Name.check`` (EXERCISES.md names, exactly)."""

    id: str
    points: float
    check: Callable
    hint: Msg
    section: str
    kind: str = "function"  # what the name must be: "function", "class" or "value"
    timeout: float = 5.0
    description: Msg | None = None
    hidden: bool = False

    @property
    def name(self) -> str:
        return self.id.split(".")[0]


@dataclass(frozen=True)
class Param:
    """One number (array) of an exercise's problem that varies per student."""

    name: str
    shape: tuple[int, ...]
    description: Msg


@dataclass(frozen=True)
class Variants:
    """Per-student numbers of an exercise (EXERCISES.md, "Per-student variants").

    ``draw(rng) -> {name: array}`` draws one student's numbers from a seeded generator (the seed is
    derived from the course secret, the exercise and the student: ``grader.variants``);
    ``practice`` is the text's numbers (grading without a student id); ``answers(params) ->
    {item id: expected array}`` gives the value items' expected answers, which the engine also uses
    to say whose numbers a wrong answer fits; ``statement`` is the problem in words, printed above
    the numbers.  Checks read the student's numbers as ``ctx.variant``.
    """

    params: tuple[Param, ...]
    draw: Callable
    practice: Mapping[str, object]
    answers: Callable
    statement: Msg | None = None


@dataclass(frozen=True)
class Exercise:
    id: str
    title: Msg
    section: str
    notebooks: tuple[str, ...]
    items: tuple[Item, ...]
    mistakes: tuple[Mistake, ...] = field(default_factory=tuple)
    # name -> the signature students are given ("Affine(W, b) — forward(x), backward(dout)"): explains a TypeError
    signatures: Mapping[str, str] = field(default_factory=dict)
    # optional packages the student process must have (grader/extras.py): ("torch",) for §3.8
    requires: tuple[str, ...] = ()
    variants: Variants | None = None  # per-student numbers (None: every student grades the same problem)

    @property
    def max_score(self) -> float:
        return float(sum(i.points for i in self.items))

    @property
    def names(self) -> list[str]:
        seen: list[str] = []
        for item in self.items:
            if item.name not in seen:
                seen.append(item.name)
        return seen

    def item(self, item_id: str) -> Item:
        for i in self.items:
            if i.id == item_id:
                return i
        raise KeyError(item_id)
