"""Exercise ``dot-product``: ``dot(a, b)`` returns the dot product of two 1-D arrays.

Everything an exercise needs comes from the engine (``grader.spec``, ``grader.context``,
``grader.compare``, ``grader.messages``); the grader runs the student's code, this module only says
what to call and what must come back.
"""

from __future__ import annotations

import numpy as np

from grader.compare import assert_close, assert_unchanged
from grader.context import ItemContext
from grader.messages import Msg
from grader.spec import Exercise, Item

SECTION = "1.1"
HINT = Msg(en="dot(a, b) = Σ a_i b_i; np.dot(a, b) or (a * b).sum().",
           ja="dot(a, b) = Σ a_i b_i です。np.dot(a, b) または (a * b).sum()。")


def dot_values(ctx: ItemContext) -> None:
    for n in (1, 3, 10):
        a, b = ctx.randn(n), ctx.randn(n)
        assert_close(ctx.call("dot", a, b), np.dot(a, b), Msg(en=f"dot(a, b) for vectors of {n}",
                                                              ja=f"長さ {n} のベクトルの dot(a, b)"))


def dot_no_mutation(ctx: ItemContext) -> None:
    a, b = ctx.randn(4), ctx.randn(4)
    batch = ctx.batch()
    ra, rb = batch.const(a), batch.const(b)
    batch.call(batch.name("dot"), ra, rb, want=False)
    after_a, after_b = batch.read(ra), batch.read(rb)
    batch.run()
    assert_unchanged(a, after_a.value, Msg(en="`a` (the argument of dot)", ja="`a`(dot の引数)"))
    assert_unchanged(b, after_b.value, Msg(en="`b` (the argument of dot)", ja="`b`(dot の引数)"))


EXERCISE = Exercise(
    id="dot-product",
    title=Msg(en="Dot product (example plug-in)", ja="内積(プラグインの例)"),
    section=SECTION,
    notebooks=(),
    items=(
        Item("dot", 1, dot_values, HINT, SECTION),
        Item("dot.no_mutation", 0.5, dot_no_mutation, HINT, SECTION),
    ),
    signatures={"dot": "dot(a, b)"},
)
