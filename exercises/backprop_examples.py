"""Exercise 4 `backprop-examples` — 誤差逆伝播に関する例題 (§3.6).

Numeric answers as module-level variables: arrays or nested lists (integers
welcome) of any shape that squeezes to the expected one.  Expected values come
from reference.backprop_examples (computed with the reference layers), and agree
with the text's printed answers.
"""

from __future__ import annotations

import ast

import numpy as np

from exercises.common import M, assert_close
from grader.compare import Fail, as_array, is_close
from grader.context import ItemContext
from exercises import mistakes as catalogue
from grader.spec import Exercise, Item, Mistake, Param, Variants
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
    _mistake("softmax-forgotten", "dE/dY = Y − t without the softmax", "ソフトマックスを忘れて dE/dY = Y − t",
             "For softmax + cross-entropy dE/dY = softmax(Y) − t (§3.3 (5)): the softmax of the scores, not the "
             "scores Y themselves, minus the one-hot target.",
             "ソフトマックス + 交差エントロピーでは dE/dY = softmax(Y) − t です(§3.3 (5))。スコア Y そのものではなく、"
             "そのソフトマックスから one-hot の正解を引きます。"),
    _mistake("bias-added-to-dx", "b added to dE/dX", "dE/dX に b を足している",
             "Y = X + b: ∂y_ij/∂x_ij = 1 whatever b is, so dE/dX = dE/dY. b shifts the values, not the gradient.",
             "Y = X + b: b が何であっても ∂y_ij/∂x_ij = 1 なので dE/dX = dE/dY です。b は値をずらすだけで、"
             "勾配は変えません。"),
    _mistake("answer-is-dy", "dE/dY given instead of dE/dX or dE/dW", "dE/dX や dE/dW ではなく dE/dY を答えている",
             "Your answer is the gradient at the output, dE/dY. Backpropagate it through Y = XW: "
             "dE/dX = dE/dY·Wᵀ (the shape of X) and dE/dW = Xᵀ·dE/dY (the shape of W) (§3.5).",
             "あなたの答えは出力での勾配 dE/dY です。Y = XW を通して逆伝播します: dE/dX = dE/dY·Wᵀ(X の形状)、"
             "dE/dW = Xᵀ·dE/dY(W の形状)(§3.5)。"),
    _mistake("answer-is-string", "the answer is a string", "答えが文字列になっている",
             "Quotes make the answer text (a str), not numbers: write ex1_1_dX = [4, 3, 4] or np.array([...]), "
             "without the quotes.",
             "引用符で囲むと答えは数値ではなく文字列(str)になります。ex1_1_dX = [4, 3, 4] や np.array([...]) のように、"
             "引用符なしで書いてください。"),
)
_BY_ID = {m.id: m for m in MISTAKES}
_CAT = catalogue.MISTAKES

DY_2 = ref.dE_dY  # the text's dE/dY of problem 2 (the practice variant)

# ----------------------------------------------------------------------------- per-student numbers
# Hand-computable like the text's: small integers and halves, the text's shapes, and Y = XW with
# equal components so that softmax(Y) = [½, ½] in 1-(2) (the text has Y = [3, 3]).

_X_VALUES = (-3, -2, -1, 1, 2, 3)
_W_MIN, _W_MAX = -2, 4
_STEPS = [(a, b_, c) for a in range(-3, 4) for b_ in range(-3, 4) for c in range(-3, 4) if (a, b_, c) != (0, 0, 0)]
# for each X, the steps d = W[:, 1] − W[:, 0] with X·d = 0 (then y1 = y2)
_ORTHO = {(x1, x2, x3): [d for d in _STEPS if x1 * d[0] + x2 * d[1] + x3 * d[2] == 0]
          for x1 in _X_VALUES for x2 in _X_VALUES for x3 in _X_VALUES}
_NONZERO_HALVES = [h / 2 for h in range(-6, 7) if h]  # −3 … 3 without 0


def draw_variant(rng: np.random.Generator) -> dict[str, np.ndarray]:
    """One student's numbers (the rng is seeded from the course secret, the exercise and the student).

    Plain integers, one generator call per try: a class's worth of draws stays cheap (the grader
    draws every student's numbers to say whose a wrong answer fits)."""
    for _ in range(1000):  # a few tries at most (|Y| ≤ 8)
        r = rng.integers(0, 1 << 30, size=24).tolist()
        X = tuple(_X_VALUES[v % 6] for v in r[:3])
        steps = _ORTHO[X]
        if not steps:
            continue
        d = steps[r[6] % len(steps)]
        # W0 and W0 + d both within [_W_MIN, _W_MAX]: never empty, since |d_i| ≤ 3 < the range's width
        lo = [_W_MIN + max(0, -e) for e in d]
        hi = [_W_MAX - max(0, e) for e in d]
        W0 = [a + v % (b - a + 1) for a, b, v in zip(lo, hi, r[3:6])]
        W1 = [w + e for w, e in zip(W0, d)]
        y = sum(x * w for x, w in zip(X, W0))  # = X·W1: y1 == y2
        if abs(y) > 8:
            continue
        dY1 = [_NONZERO_HALVES[v % 12] for v in r[7:9]]  # dE/dY of 1-(1), never zero
        dY = [(v % 7 - 3) / 2 for v in r[18:24]]  # −1.5 … 1.5
        if not any(dY):
            continue
        return {"X": np.array(X, dtype=float), "W": np.array([W0, W1], dtype=float).T,
                "t_reg": np.array([y - dY1[0], y - dY1[1]]), "t_cls": np.array([1.0, 0.0] if r[9] % 2 else [0.0, 1.0]),
                "X2": np.array([-2 + v % 6 for v in r[10:16]], dtype=float).reshape(3, 2),
                "b": np.array([-2 + v % 6 for v in r[16:18]], dtype=float),
                "dY": np.array(dY).reshape(3, 2)}
    raise RuntimeError("no backprop-examples variant drawn in 1000 tries")  # never for a sane generator


def variant_answers(v) -> dict[str, np.ndarray]:
    return ref.solve(v["X"], v["W"], v["t_reg"], v["t_cls"], v["X2"], v["b"], v["dY"])


VARIANTS = Variants(
    params=(
        Param("X", (3,), M("problems 1-(1), 1-(2): the input row", "問題 1-(1), 1-(2) の入力")),
        Param("W", (3, 2), M("problems 1-(1), 1-(2): the weights, Y = XW", "問題 1-(1), 1-(2) の重み、Y = XW")),
        Param("t_reg", (2,), M("problem 1-(1): E = ½‖Y − t_reg‖²", "問題 1-(1): E = ½‖Y − t_reg‖²")),
        Param("t_cls", (2,), M("problem 1-(2): one-hot target of softmax cross-entropy",
                               "問題 1-(2): ソフトマックス交差エントロピーの one-hot 正解")),
        Param("X2", (3, 2), M("problem 2: Y = X2 + b", "問題 2: Y = X2 + b")),
        Param("b", (2,), M("problem 2: the bias", "問題 2: バイアス")),
        Param("dY", (3, 2), M("problem 2: the given dE/dY", "問題 2: 与えられた dE/dY")),
    ),
    draw=draw_variant,
    practice={"X": ref.X[0], "W": ref.W, "t_reg": ref.T1_1[0], "t_cls": ref.T1_2[0], "X2": ref.X2, "b": ref.b,
              "dY": ref.dE_dY},
    answers=variant_answers,
    statement=M("§3.6 with your numbers. 1-(1): Y = XW, E = ½‖Y − t_reg‖²; answer ex1_1_dX = dE/dX, "
                "ex1_1_dW = dE/dW.\n1-(2): Y = XW, E = softmax cross-entropy of Y against t_cls; answer ex1_2_dX, "
                "ex1_2_dW.\n2: Y = X2 + b (b added to every row), dE/dY = dY; answer ex2_dX = dE/dX2, ex2_db = dE/db.",
                "§3.6 をあなたの数値で解きます。1-(1): Y = XW、E = ½‖Y − t_reg‖²。ex1_1_dX = dE/dX、ex1_1_dW = dE/dW を答えます。"
                "\n1-(2): Y = XW、E = Y と t_cls のソフトマックス交差エントロピー。ex1_2_dX、ex1_2_dW を答えます。"
                "\n2: Y = X2 + b(b は各行に足す)、dE/dY = dY。ex2_dX = dE/dX2、ex2_db = dE/db を答えます。"),
)


def _answer(ctx: ItemContext, name: str) -> np.ndarray:
    """The expected answer ``name`` for the numbers this submission is graded with (its student's, or the text's)."""
    return variant_answers(ctx.variant)[name]


def _dy(ctx: ItemContext) -> np.ndarray:
    return np.asarray(ctx.variant["dY"], dtype=float)


def _output_grads(ctx: ItemContext) -> dict[str, np.ndarray]:
    """dE/dY of problems 1-(1) and 1-(2) for these numbers, and 1-(2)'s without the softmax (Y − t)."""
    v = ctx.variant
    x = np.asarray(v["X"], dtype=float).reshape(1, -1)
    w = np.asarray(v["W"], dtype=float)
    y = x @ w
    e = np.exp(y - y.max())
    return {"reg": y - np.asarray(v["t_reg"], dtype=float).reshape(1, -1),
            "cls": e / e.sum() - np.asarray(v["t_cls"], dtype=float).reshape(1, -1),
            "no_softmax": y - np.asarray(v["t_cls"], dtype=float).reshape(1, -1), "x": x, "w": w}


def _typed_as_string(value) -> bool:
    """A str that reads as numbers (a number or nested lists of them), e.g. '[4, 3, 4]'."""
    if not isinstance(value, str):
        return False
    try:
        arr = np.asarray(ast.literal_eval(value.strip()), dtype=float)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return False
    return arr.size > 0


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
    value = _fetch(ctx, name)
    try:
        arr = as_array(value, what)
    except Fail as fail:
        if _typed_as_string(value):
            fail.mistake = _BY_ID["answer-is-string"]
        raise
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
                 variants={_BY_ID["answer-sign-flipped"]: -expected, **(variants or {})},
                 reveal=not ctx.own_numbers)  # a student's own numbers: the answer is not shown


def ex1_1_dX(ctx):
    check_value(ctx, "ex1_1_dX", _answer(ctx, "ex1_1_dX"), "dE/dX of problem 1-(1)", "問題 1-(1) の dE/dX",
                shape_variants={_BY_ID["answer-is-dy"]: _output_grads(ctx)["reg"]})


def ex1_1_dW(ctx):
    check_value(ctx, "ex1_1_dW", _answer(ctx, "ex1_1_dW"), "dE/dW of problem 1-(1)", "問題 1-(1) の dE/dW",
                shape_variants={_BY_ID["answer-is-dy"]: _output_grads(ctx)["reg"]})


def ex1_2_dX(ctx):
    g = _output_grads(ctx)
    check_value(ctx, "ex1_2_dX", _answer(ctx, "ex1_2_dX"), "dE/dX of problem 1-(2)", "問題 1-(2) の dE/dX",
                variants={_BY_ID["softmax-forgotten"]: g["no_softmax"] @ g["w"].T},
                shape_variants={_BY_ID["answer-is-dy"]: g["cls"]})


def ex1_2_dW(ctx):
    g = _output_grads(ctx)
    check_value(ctx, "ex1_2_dW", _answer(ctx, "ex1_2_dW"), "dE/dW of problem 1-(2)", "問題 1-(2) の dE/dW",
                variants={_BY_ID["softmax-forgotten"]: g["x"].T @ g["no_softmax"]},
                shape_variants={_BY_ID["answer-is-dy"]: g["cls"]})


def ex2_dX(ctx):
    check_value(ctx, "ex2_dX", _answer(ctx, "ex2_dX"), "dE/dX of problem 2", "問題 2 の dE/dX",
                variants={_BY_ID["bias-added-to-dx"]: _dy(ctx) + np.asarray(ctx.variant["b"], dtype=float)})


def ex2_db(ctx):
    check_value(ctx, "ex2_db", _answer(ctx, "ex2_db"), "dE/db of problem 2", "問題 2 の dE/db",
                variants={_CAT["affine-db-mean"]: _dy(ctx).mean(axis=0)},
                shape_variants={_CAT["affine-db-not-summed"]: _dy(ctx), _CAT["affine-db-wrong-axis"]: _dy(ctx).sum(axis=1)})


H1 = M("With the text's numbers Y = XW = [3, 3], so dE/dY = [y1 − 1, y2 − 2]; then dE/dX = dE/dY·Wᵀ and dE/dW = Xᵀ·dE/dY (§3.6, §3.7).",
       "テキストの数値では Y = XW = [3, 3] なので dE/dY = [y1 − 1, y2 − 2]。dE/dX = dE/dY·Wᵀ、dE/dW = Xᵀ·dE/dY です(§3.6、§3.7)。")
H2 = M("Softmax + cross-entropy: dE/dY = softmax(Y) − t (§3.3 (5)); y1 = y2 (the text's Y = [3, 3]) "
       "gives softmax(Y) = [½, ½], so dE/dY = [½ − t1, ½ − t2]. "
       "Then dE/dX = dE/dY·Wᵀ, dE/dW = Xᵀ·dE/dY.",
       "ソフトマックス + 交差エントロピー: dE/dY = softmax(Y) − t(§3.3 (5))。y1 = y2(テキストでは Y = [3, 3])なら "
       "softmax(Y) = [½, ½] なので dE/dY = [½ − t1, ½ − t2]。"
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
    variants=VARIANTS,
)
