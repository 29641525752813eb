"""Exercise 1 `activations` — 活性化関数 (§1.2).

sigmoid, relu, tanh, leaky_relu: element-wise, float64 arrays in, arrays out.
Inputs never put an element on a kink except where the item is about the kink
(leaky_relu at exactly 0, where every valid answer is 0).
"""

from __future__ import annotations

import numpy as np

from exercises.common import M, assert_close, assert_unchanged
from grader.compare import Fail, as_array, close_mask, fmt
from grader.context import ItemContext
from exercises import mistakes as catalogue
from grader.spec import Exercise, Item, Mistake
from reference import functions as ref

SECTION = "1.2"


def _mistake(mid, en_title, ja_title, en, ja):
    return Mistake(mid, M(en_title, ja_title), M(en, ja), SECTION)


# Exercise-specific mistakes; sigmoid's overflow, leaky ReLU's slope and the inverted ReLU come from
# exercises/mistakes.py.
MISTAKES = (
    _mistake("sigmoid-sign-flipped", "sigmoid computed as 1/(1+e^x)", "sigmoid を 1/(1+e^x) で計算している",
             "The exponent's sign is flipped: σ(x) = 1/(1+e^(−x)).",
             "指数の符号が逆です。σ(x) = 1/(1+e^(−x)) です。"),
    _mistake("tanh-half-argument", "tanh computed as 2σ(x) − 1", "tanh を 2σ(x) − 1 で計算している",
             "2σ(x) − 1 = tanh(x/2). The identity is tanh(x) = 2σ(2x) − 1.",
             "2σ(x) − 1 = tanh(x/2) です。正しい関係は tanh(x) = 2σ(2x) − 1 です。"),
    _mistake("relu-returns-mask", "relu returns the mask x > 0", "relu がマスク x > 0 を返している",
             "(x > 0) is 1 or 0 (True/False): relu returns the VALUES, max(0, x) — e.g. x * (x > 0) or np.maximum(0, x).",
             "(x > 0) は 1 か 0(True/False)です。relu は値 max(0, x) を返します。例: x * (x > 0)、np.maximum(0, x)。"),
    _mistake("leaky-relu-zero-slope", "leaky ReLU with slope 0 (plain ReLU)", "傾き 0 の Leaky ReLU(ただの ReLU)",
             "For x ≤ 0 the leaky ReLU is 0.1·x, not 0: a slope of 0 is plain ReLU (§1.2).",
             "x ≤ 0 での Leaky ReLU は 0 ではなく 0.1·x です。傾き 0 ではただの ReLU になります(§1.2)。"),
) + (catalogue.MISTAKES["relu-inverted"],)


def _call(ctx: ItemContext, name: str, x: np.ndarray):
    return ctx.call(name, x)


def check_elementwise(name: str, x: np.ndarray, value, expected: np.ndarray, variants=None):
    """Compare ``name(x)`` with ``expected``; a mismatch names the index and the input there."""
    what = M(f"{name}(x) for x of shape {x.shape}", f"x の形状が {x.shape} のときの {name}(x)")
    try:
        return assert_close(value, expected, what, variants=variants)
    except Fail as fail:
        actual = as_array(value, what)
        if actual.shape == expected.shape:
            with np.errstate(invalid="ignore"):
                bad = ~(close_mask(actual, expected, 1e-4, 1e-6) | (actual == expected))
            if bad.any():
                idx = tuple(np.argwhere(bad)[0])
                where = "[" + ", ".join(str(int(i)) for i in idx) + "]"
                fail.msg = fail.msg + M(f"(There x{where} = {fmt(x[idx])}.)", f"(そこでの x{where} = {fmt(x[idx])}。)")
        raise


def _variants(**by_id):
    return catalogue.variants(MISTAKES, **by_id)


def _shapes(ctx: ItemContext, shapes, scale):
    """One input per shape, each with positive and negative elements (|x| ≥ 0.05)."""
    return [_both_signs(ctx, int(np.prod(s)), scale).reshape(s) for s in shapes]


# ------------------------------------------------------------------ sigmoid

def sigmoid_values(ctx: ItemContext):
    for x in _shapes(ctx, ((7,), (3, 4), (2, 3, 4)), 3.0):
        check_elementwise("sigmoid", x, _call(ctx, "sigmoid", x), ref.sigmoid(x),
                          variants=_variants(sigmoid_sign_flipped=ref.sigmoid(-x)))


def sigmoid_large_inputs(ctx: ItemContext):
    x = np.array([-1000.0, -710.0, -500.0, -100.0, -40.0, -20.0, -1.0, 0.0, 1.0, 20.0, 40.0, 100.0, 500.0,
                  710.0, 1000.0])
    ctx.rng.shuffle(x)
    value = _call(ctx, "sigmoid", x)
    try:
        check_elementwise("sigmoid", x, value, ref.sigmoid(x), variants=_variants(sigmoid_sign_flipped=ref.sigmoid(-x)))
    except Fail as fail:
        try:
            arr = np.asarray(value, dtype=float).reshape(x.shape)
        except (TypeError, ValueError):
            raise fail from None
        if not np.all(np.isfinite(arr)) and fail.mistake is None:
            fail.mistake = catalogue.find("sigmoid-overflow")
        raise


def _both_signs(ctx: ItemContext, n: int, scale: float) -> np.ndarray:
    """n values, half of them negative and half positive (|x| ≥ 0.05), in random order."""
    x = np.abs(ctx.randn(n, scale=scale, away=0.05))
    x[: n // 2] *= -1
    return ctx.rng.permutation(x)


def _no_mutation(ctx: ItemContext, name: str, x: np.ndarray):
    b = ctx.batch()
    ref_x = b.const(x)
    b.call(b.name(name), ref_x, want=False)
    after = b.read(ref_x)
    b.run()
    assert_unchanged(x, after.value, M(f"`x` (the argument of {name})", f"`x`({name} の引数)"))


def sigmoid_no_mutation(ctx: ItemContext):
    x = ctx.rng.permutation(np.concatenate([_both_signs(ctx, 6, 3.0), [-50.0, 50.0]]))
    _no_mutation(ctx, "sigmoid", x)


# ------------------------------------------------------------------ relu / tanh / leaky_relu

def relu_values(ctx: ItemContext):
    for x in _shapes(ctx, ((8,), (4, 5)), 2.0):
        check_elementwise("relu", x, _call(ctx, "relu", x), ref.relu(x),
                          variants=_variants(relu_inverted=np.minimum(0.0, x), relu_returns_mask=(x > 0) * 1.0))


def relu_no_mutation(ctx: ItemContext):
    _no_mutation(ctx, "relu", _both_signs(ctx, 8, 2.0))


def tanh_values(ctx: ItemContext):
    for x in _shapes(ctx, ((8,), (4, 5)), 2.0):
        x = np.clip(x, -8.0, 8.0)
        check_elementwise("tanh", x, _call(ctx, "tanh", x), ref.tanh(x),
                          variants=_variants(tanh_half_argument=np.tanh(x / 2)))


def leaky_relu_values(ctx: ItemContext):
    for x in _shapes(ctx, ((8,), (4, 5)), 2.0):
        x.flat[ctx.rng.integers(0, x.size)] = 0.0  # at exactly 0: 0 whichever branch takes it
        check_elementwise("leaky_relu", x, _call(ctx, "leaky_relu", x), ref.leaky_relu(x),
                          variants=_variants(leaky_relu_slope=ref.leaky_relu(x, 0.01),
                                             leaky_relu_zero_slope=ref.relu(x)))


def tanh_no_mutation(ctx: ItemContext):
    _no_mutation(ctx, "tanh", _both_signs(ctx, 8, 2.0))


def leaky_relu_no_mutation(ctx: ItemContext):
    _no_mutation(ctx, "leaky_relu", _both_signs(ctx, 8, 2.0))


H_SIGMOID = M("σ(x) = 1/(1 + exp(−x)) element-wise with np.exp (works for arrays of any shape); "
              "an overflow warning for x ≈ −1000 is harmless, but nan is not.",
              "σ(x) = 1/(1 + exp(−x)) を np.exp で要素ごとに計算します(どんな形状の配列でも動きます)。"
              "x ≈ −1000 での overflow の警告は問題ありませんが、nan になってはいけません。")
H_RELU = M("relu(x) = np.maximum(0, x).", "relu(x) = np.maximum(0, x) です。")
H_TANH = M("tanh(x) = (e^x − e^(−x))/(e^x + e^(−x)), or np.tanh(x).",
           "tanh(x) = (e^x − e^(−x))/(e^x + e^(−x))、または np.tanh(x) です。")
H_LEAKY = M("x for x > 0 and 0.1·x for x ≤ 0, e.g. np.where(x > 0, x, 0.1 * x).",
            "x > 0 では x、x ≤ 0 では 0.1·x です。例: np.where(x > 0, x, 0.1 * x)。")
H_MUT = M("Do not write into the array you are given (no `x[x < 0] = 0`, no `x *= ...`); "
          "compute a new array, or work on `x.copy()`.",
          "渡された配列に書き込まないでください(`x[x < 0] = 0` や `x *= ...` は不可)。"
          "新しい配列を作るか、`x.copy()` に対して操作します。")

EXERCISE = Exercise(
    id="activations",
    title=M("Activation functions", "活性化関数"),
    section=SECTION,
    notebooks=(),
    items=(
        Item("sigmoid", 1, sigmoid_values, H_SIGMOID, SECTION),
        Item("sigmoid.large_inputs", 1, sigmoid_large_inputs, H_SIGMOID, SECTION),
        Item("sigmoid.no_mutation", 0.5, sigmoid_no_mutation, H_MUT, SECTION),
        Item("relu", 1, relu_values, H_RELU, SECTION),
        Item("relu.no_mutation", 0.5, relu_no_mutation, H_MUT, SECTION),
        Item("tanh", 1, tanh_values, H_TANH, SECTION),
        Item("tanh.no_mutation", 0.5, tanh_no_mutation, H_MUT, SECTION),
        Item("leaky_relu", 1, leaky_relu_values, H_LEAKY, SECTION),
        Item("leaky_relu.no_mutation", 0.5, leaky_relu_no_mutation, H_MUT, SECTION),
    ),
    mistakes=MISTAKES,
)
