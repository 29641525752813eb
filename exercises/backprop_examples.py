"""Exercise 4 `backprop-examples` — 誤差逆伝播に関する例題 (§3.6).

Numeric answers as module-level variables: arrays or nested lists (integers
welcome) of any shape that squeezes to the expected one.  Expected values come
from reference.backprop_examples (computed with the reference layers), and agree
with the text's printed answers.
"""

from __future__ import annotations

import numpy as np

from exercises.common import M, assert_close
from grader.compare import Fail, as_array, is_close
from grader.context import ItemContext
from exercises import mistakes as catalogue
from grader.spec import Exercise, Item, Mistake
from reference import backprop_examples as ref

SECTION = "3.6"


def _mistake(mid, en_title, ja_title, en, ja):
    return Mistake(mid, M(en_title, ja_title), M(en, ja), SECTION)


# Exercise-specific mistakes; dW = dYᵀX and the bias-gradient ones come from exercises/mistakes.py.
MISTAKES = (
    _mistake("answer-transposed", "the answer is transposed", "答えが転置されている",
             "A gradient has the shape of the array it is taken with respect to: dE/dX has the shape of X.",
             "勾配は微分する変数と同じ形状です。dE/dX は X と同じ形状になります。"),
    _mistake("answer-sign-flipped", "sign flipped (t − y instead of y − t)", "符号が逆(y − t ではなく t − y)",
             "The output layer's gradient is dE/dY = y − t (prediction minus target, §3.7).",
             "出力層の勾配は dE/dY = y − t(予測 − 正解、§3.7)です。"),
)
_BY_ID = {m.id: m for m in MISTAKES}
_CAT = catalogue.MISTAKES

DY_2 = ref.dE_dY


def _fetch(ctx: ItemContext, name: str):
    b = ctx.batch()
    p = b.name(name, want=True)
    b.run()
    return p.value


def check_value(ctx: ItemContext, name: str, expected, label_en: str, label_ja: str, variants=None,
                shape_variants=None):
    """``name`` must squeeze to ``expected``'s squeezed shape and hold its values."""
    expected = np.asarray(expected, dtype=float)
    what = M(f"`{name}` ({label_en})", f"`{name}`({label_ja})")
    arr = as_array(_fetch(ctx, name), what)
    want = np.squeeze(expected).shape
    if np.squeeze(arr).shape != want:
        mistake = None
        for m, wrong in (shape_variants or {}).items():
            if is_close(arr, wrong):
                mistake = m
        if np.squeeze(arr).shape == np.squeeze(expected).T.shape and is_close(np.squeeze(arr).T, np.squeeze(expected)):
            # a transposed dE/dW is exactly dE/dYᵀ·X, the catalogued mistake
            mistake = _CAT["affine-dw-transpose"] if "dW" in name else _BY_ID["answer-transposed"]
        alt_en = f" (or any shape that squeezes to {want})" if want != expected.shape else ""
        alt_ja = f"(squeeze して {want} になる形状なら可)" if want != expected.shape else ""
        raise Fail(M(f"{what.en} has shape {arr.shape}; expected shape {expected.shape}{alt_en}.",
                     f"{what.ja} の形状が {arr.shape} です。期待される形状は {expected.shape} です{alt_ja}。"),
                   mistake=mistake)
    assert_close(arr.reshape(expected.shape), expected, what,
                 variants={_BY_ID["answer-sign-flipped"]: -expected, **(variants or {})})


def ex1_1_dX(ctx):
    check_value(ctx, "ex1_1_dX", ref.ex1_1_dX, "dE/dX of problem 1-(1)", "問題 1-(1) の dE/dX")


def ex1_1_dW(ctx):
    check_value(ctx, "ex1_1_dW", ref.ex1_1_dW, "dE/dW of problem 1-(1)", "問題 1-(1) の dE/dW")


def ex1_2_dX(ctx):
    check_value(ctx, "ex1_2_dX", ref.ex1_2_dX, "dE/dX of problem 1-(2)", "問題 1-(2) の dE/dX")


def ex1_2_dW(ctx):
    check_value(ctx, "ex1_2_dW", ref.ex1_2_dW, "dE/dW of problem 1-(2)", "問題 1-(2) の dE/dW")


def ex2_dX(ctx):
    check_value(ctx, "ex2_dX", ref.ex2_dX, "dE/dX of problem 2", "問題 2 の dE/dX")


def ex2_db(ctx):
    check_value(ctx, "ex2_db", ref.ex2_db, "dE/db of problem 2", "問題 2 の dE/db",
                variants={_CAT["affine-db-mean"]: DY_2.mean(axis=0)},
                shape_variants={_CAT["affine-db-not-summed"]: DY_2, _CAT["affine-db-wrong-axis"]: DY_2.sum(axis=1)})


H1 = M("Y = XW = [3, 3], so dE/dY = [y1 − 1, y2 − 2]; then dE/dX = dE/dY·Wᵀ and dE/dW = Xᵀ·dE/dY (§3.6, §3.7).",
       "Y = XW = [3, 3] なので dE/dY = [y1 − 1, y2 − 2]。dE/dX = dE/dY·Wᵀ、dE/dW = Xᵀ·dE/dY です(§3.6、§3.7)。")
H2 = M("Softmax + cross-entropy: dE/dY = softmax(Y) − t (§3.3 (5)); with Y = [3, 3] that is [½ − 1, ½ − 0]. "
       "Then dE/dX = dE/dY·Wᵀ, dE/dW = Xᵀ·dE/dY.",
       "ソフトマックス + 交差エントロピー: dE/dY = softmax(Y) − t(§3.3 (5))。Y = [3, 3] なので [½ − 1, ½ − 0]。"
       "dE/dX = dE/dY·Wᵀ、dE/dW = Xᵀ·dE/dY です。")
H3 = M("Y = X + b (broadcast): each y_ij depends on x_ij alone, so dE/dX = dE/dY; b is added to every row, so "
       "dE/db = sum(dE/dY, axis=0).",
       "Y = X + b(ブロードキャスト): y_ij は x_ij だけに依存するので dE/dX = dE/dY。b はすべての行に足されるので "
       "dE/db = sum(dE/dY, axis=0) です。")

EXERCISE = Exercise(
    id="backprop-examples",
    title=M("Backpropagation worked examples", "誤差逆伝播に関する例題"),
    section=SECTION,
    notebooks=(),
    items=(
        Item("ex1_1_dX", 1, ex1_1_dX, H1, SECTION, kind="value"),
        Item("ex1_1_dW", 1, ex1_1_dW, H1, SECTION, kind="value"),
        Item("ex1_2_dX", 1, ex1_2_dX, H2, SECTION, kind="value"),
        Item("ex1_2_dW", 1, ex1_2_dW, H2, SECTION, kind="value"),
        Item("ex2_dX", 1, ex2_dX, H3, SECTION, kind="value"),
        Item("ex2_db", 1, ex2_db, H3, SECTION, kind="value"),
    ),
    mistakes=MISTAKES,
)
