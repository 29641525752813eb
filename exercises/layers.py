"""Exercise 6 `layers` — 層のクラス (§5.1, notebooks 3-1-1, 3-1-2, 3-1-3)."""

from __future__ import annotations

import numpy as np

from exercises.common import (M, Fail, assert_close, check_forward, check_loss_backward, check_no_mutation,
                              fwd_msg, loss_in_band, loss_scalar, run_loss_backward)
from grader.compare import fmt
from grader.context import ItemContext
from grader.spec import Exercise, Item
from reference import layers as ref
from reference.functions import sigmoid

DX = M("dx (the value returned by backward)", "dx(backward の返り値)")


def _dx_against_own_forward(ctx: ItemContext, cls: str, ctor: dict, x, dout, dx_value, extra=()):
    """Diagnosis when dx disagrees with the reference: is it at least consistent with the forward?"""
    def build(b, xv):
        return b.method(b.new(cls, **ctor), "forward", xv, *extra)
    return ctx.numerical_vjp(build, x, dout, what=fwd_msg(cls))


def _check_dx(ctx, cls, ctor, x, dout, dx_value, expected, section, variants=None):
    try:
        return assert_close(dx_value, expected, DX, variants=variants)
    except Exception as fail:
        try:
            numeric = _dx_against_own_forward(ctx, cls, ctor, x, dout, dx_value)
            consistent = np.allclose(np.asarray(dx_value, dtype=float).reshape(numeric.shape), numeric,
                                     rtol=1e-4, atol=1e-6)
        except Exception:  # noqa: BLE001 - the diagnosis is best-effort
            consistent = False
        if consistent:
            fail.msg = fail.msg + M(
                "It does agree with the numerical gradient of your own forward, so check forward as well.",
                "ただし、あなたの forward の数値微分とは一致しています。forward も確認してください。")
        raise


# ------------------------------------------------------------------ Affine

def affine_forward(ctx: ItemContext):
    x, W, b = ctx.randn(4, 3), ctx.randn(3, 2), ctx.randn(2)
    check_forward(ctx, "Affine", {"W": W, "b": b}, (x,), x @ W + b,
                  variants=ctx.variants(affine_no_bias=x @ W))


def affine_backward(ctx: ItemContext):
    # a square W first: dout·W (W instead of Wᵀ) then gives a value to recognise instead of a shape error
    for k, l in ((4, 4), (4, 3)):
        _affine_backward_case(ctx, 5, k, l)


def _affine_backward_case(ctx: ItemContext, n: int, k: int, l: int):
    x, W, bias, dout = ctx.randn(n, k), ctx.randn(k, l), ctx.randn(l), ctx.randn(n, l)
    b = ctx.batch()
    obj = b.new("Affine", W=W, b=bias)
    b.method(obj, "forward", x, want=False)
    dx = b.method(obj, "backward", dout)
    dW = b.attr(obj, "dW")
    db = b.attr(obj, "db")
    b.run()
    shapes = M(f"(x of shape {x.shape}, W of shape {W.shape})", f"(x の形状 {x.shape}、W の形状 {W.shape})")
    _check_dx(ctx, "Affine", {"W": W, "b": bias}, x, dout, dx.value, dout @ W.T, "3.7",
              variants=ctx.variants(affine_dx_no_transpose=dout @ W if k == l else None))
    try:
        assert_close(dW.value, x.T @ dout, M("self.dW", "self.dW"),
                     variants=ctx.variants(affine_dw_transpose=dout.T @ x), context=shapes)
    except Fail as fail:
        # diagnosis only (costs a batch of forwards): is dW at least consistent with the student's forward?
        num_dW = ctx.numerical_vjp(lambda bb, Wv: bb.method(bb.new("Affine", W=Wv, b=bias), "forward", x), W,
                                   dout, what=fwd_msg("Affine"))
        if not np.allclose(num_dW, x.T @ dout):
            fail.msg = fail.msg + M("(Your forward's numerical gradient also differs — check forward.)",
                                    "(forward の数値微分とも一致しません。forward も確認してください。)")
        raise
    assert_close(db.value, dout.sum(axis=0), M("self.db", "self.db"), context=shapes,
                 variants=ctx.variants(affine_db_mean=dout.mean(axis=0), affine_db_not_summed=dout))


def affine_worked_examples(ctx: ItemContext):
    """§3.6: 1-(1) dE/dX = [4, 3, 4], dE/dW = [[4, 2], [−2, −1], [2, 1]]; 2: dE/db = [2, 0]."""
    X = np.array([[2.0, -1.0, 1.0]])
    W = np.array([[2.0, 0.0], [1.0, 1.0], [0.0, 4.0]])
    dY = X @ W - np.array([[1.0, 2.0]])  # E = ½((y1−1)² + (y2−2)²): dE/dY = Y − t = [2, 1]
    b = ctx.batch()
    obj = b.new("Affine", W=W, b=np.zeros(2))
    b.method(obj, "forward", X, want=False)
    dx = b.method(obj, "backward", dY)
    dW = b.attr(obj, "dW")
    b.run()
    assert_close(dx.value, [[4.0, 3.0, 4.0]], M("§3.6 problem 1-(1) dE/dX", "§3.6 例題 1-(1) の dE/dX"))
    dW_expected = X.T @ dY
    assert_close(dW.value, dW_expected, M("§3.6 problem 1-(1) dE/dW", "§3.6 例題 1-(1) の dE/dW"),
                 variants=ctx.variants(affine_dw_transpose=dW_expected.T))
    X2 = np.array([[1.0, 3.0], [2.0, -1.0], [0.0, 1.0]])
    dY2 = np.array([[1.0, 0.0], [0.0, -1.0], [1.0, 1.0]])
    b = ctx.batch()
    obj = b.new("Affine", W=np.eye(2), b=np.array([2.0, 1.0]))
    b.method(obj, "forward", X2, want=False)
    dx2 = b.method(obj, "backward", dY2)
    db2 = b.attr(obj, "db")
    b.run()
    assert_close(dx2.value, dY2, M("§3.6 problem 2 dE/dX (W = I)", "§3.6 例題 2 の dE/dX(W = 単位行列)"))
    assert_close(db2.value, [2.0, 0.0], M("§3.6 problem 2 dE/db", "§3.6 例題 2 の dE/db"),
                 variants=ctx.variants(affine_db_mean=dY2.mean(axis=0), affine_db_not_summed=dY2))


def affine_no_mutation(ctx: ItemContext):
    check_no_mutation(ctx, "Affine", {"W": ctx.randn(3, 2), "b": ctx.randn(2)}, (ctx.randn(4, 3),),
                      ctx.randn(4, 2), names=("x",))


# ------------------------------------------------------------------ Sigmoid / Relu

def sigmoid_forward(ctx: ItemContext):
    # fixed values on both sides of 0 and of ±1 as well: a branch on the sign (x >= 0, a stable form) is
    # exercised on every seed, not only when the random draw happens to fall there
    x = np.concatenate([ctx.randn(3, 4, scale=3.0), np.array([[-1000.0, -50.0, 50.0, 1000.0],
                                                              [-2.5, -0.7, -0.2, 0.0], [0.2, 0.5, 0.9, 2.5]])])
    with np.errstate(over="ignore", invalid="ignore"):
        overflowing = np.exp(x) / (1 + np.exp(x))  # inf/inf = nan at x = 1000
    check_forward(ctx, "Sigmoid", {}, (x,), sigmoid(x), variants=ctx.variants(sigmoid_overflow=overflowing))


def sigmoid_backward(ctx: ItemContext):
    x, dout = ctx.randn(4, 5, scale=2.0), ctx.randn(4, 5)
    b = ctx.batch()
    obj = b.new("Sigmoid")
    b.method(obj, "forward", x, want=False)
    dx = b.method(obj, "backward", dout)
    b.run()
    y = sigmoid(x)
    _check_dx(ctx, "Sigmoid", {}, x, dout, dx.value, dout * y * (1 - y), "3.7",
              variants=ctx.variants(sigmoid_backward_from_x=dout * x * (1 - x),
                                    sigmoid_derivative_without_dout=y * (1 - y)))


def sigmoid_no_mutation(ctx: ItemContext):
    check_no_mutation(ctx, "Sigmoid", {}, (ctx.randn(3, 4),), ctx.randn(3, 4), names=("x",))


def relu_forward(ctx: ItemContext):
    x = ctx.randn(4, 5, away=0.05)
    check_forward(ctx, "Relu", {}, (x,), np.maximum(0, x))


def relu_backward(ctx: ItemContext):
    x, dout = ctx.randn(4, 5, away=0.05), ctx.randn(4, 5)
    x[0, 0] = 0.0  # the text: dE/dx = 0 where x ≤ 0
    b = ctx.batch()
    obj = b.new("Relu")
    b.method(obj, "forward", x, want=False)
    dx = b.method(obj, "backward", dout)
    b.run()
    expected = dout * (x > 0)
    assert_close(dx.value, expected, DX,
                 variants=ctx.variants(relu_mask_inverted=dout * (x <= 0), relu_mask_from_dout=dout * (dout > 0),
                                       relu_mask_missing=dout))


def relu_no_mutation(ctx: ItemContext):
    check_no_mutation(ctx, "Relu", {}, (ctx.randn(3, 4, away=0.05),), ctx.randn(3, 4), names=("x",))


# ------------------------------------------------------------------ loss layers

def _probs_targets(ctx, n, k):
    # scores of scale 0.5 keep every probability well inside [0.01, 0.99] (EXERCISES.md tolerances)
    return ctx.randn(n, k, scale=0.5), ctx.one_hot(n, k)


def identity_forward(ctx: ItemContext):
    y, t = ctx.randn(6, 3), ctx.randn(6, 3)
    b = ctx.batch()
    loss = b.method(b.new("IdentityWithLoss"), "forward", y, t)
    b.run()
    expected = np.sum((y - t) ** 2) / (2 * 6)
    assert_close(loss_scalar(loss.value, "IdentityWithLoss"), expected, fwd_msg("IdentityWithLoss"),
                 variants=ctx.variants(mse_missing_half=2 * expected, loss_missing_1_over_n=6 * expected))


DELTA_MAX = 1e-5  # any δ up to 1e-5 inside log is valid (EXERCISES.md)


def identity_backward(ctx: ItemContext):
    y, t = ctx.randn(6, 3), ctx.randn(6, 3)
    check_loss_backward(ctx, "IdentityWithLoss", y, t, (y - t) / 6, DX,
                        variants=ctx.variants(backward_missing_1_over_n=y - t))


def identity_no_mutation(ctx: ItemContext):
    check_no_mutation(ctx, "IdentityWithLoss", {}, (ctx.randn(4, 2), ctx.randn(4, 2)), names=("y", "t"))


def _sigmoid_loss_data(ctx, shape):
    x = np.clip(ctx.randn(*shape, scale=2.0), -4.0, 4.0)  # sigmoid(x) in [0.018, 0.982]
    t = (ctx.rng.random(shape) < 0.5).astype(float)
    return x, t


def sigmoid_loss_forward(ctx: ItemContext):
    for shape in ((8, 1), (8,)):
        x, t = _sigmoid_loss_data(ctx, shape)
        b = ctx.batch()
        loss = b.method(b.new("SigmoidWithLoss"), "forward", x, t)
        b.run()
        expected = ref.SigmoidWithLoss().forward(x, t)
        y = sigmoid(x)
        shifted = -np.sum(t * np.log(y + DELTA_MAX) + (1 - t) * np.log(1 - y + DELTA_MAX)) / shape[0]
        value = loss_scalar(loss.value, "SigmoidWithLoss")
        if loss_in_band(value, expected, shifted):
            continue
        assert_close(value, expected,
                     fwd_msg("SigmoidWithLoss") + M(f"(x of shape {shape})", f"(x の形状 {shape})"),
                     rtol=1e-4, atol=1e-6, variants=ctx.variants(ce_sum_not_mean=8 * expected))


def sigmoid_loss_backward(ctx: ItemContext):
    for shape in ((8, 1), (8,)):
        x, t = _sigmoid_loss_data(ctx, shape)
        check_loss_backward(ctx, "SigmoidWithLoss", x, t, (sigmoid(x) - t) / 8,
                            DX + M(f"(x of shape {shape})", f"(x の形状 {shape})"),
                            variants=ctx.variants(backward_missing_1_over_n=sigmoid(x) - t))


def sigmoid_loss_no_mutation(ctx: ItemContext):
    x, t = _sigmoid_loss_data(ctx, (5, 1))
    check_no_mutation(ctx, "SigmoidWithLoss", {}, (x, t), names=("x", "t"))


def _softmax_mistakes(x, t, delta: float = 1e-7) -> dict:
    """(loss, dx) of the typical softmax mistakes: normalised over the wrong axis (axis 0, shifted by the
    column maxima), and without the max shift (exp overflows to inf and inf/inf gives nan)."""
    n = x.shape[0]
    e0 = np.exp(x - x.max(axis=0, keepdims=True))
    y_axis0 = e0 / e0.sum(axis=0, keepdims=True)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        e = np.exp(x)
        y_noshift = e / e.sum(axis=1, keepdims=True)
        return {name: (-np.sum(t * np.log(y + delta)) / n, (y - t) / n)
                for name, y in (("softmax_wrong_axis", y_axis0), ("softmax_no_max_shift", y_noshift))}


def softmax_loss_forward(ctx: ItemContext):
    x, t = _probs_targets(ctx, 6, 4)
    b = ctx.batch()
    loss = b.method(b.new("SoftmaxWithLoss"), "forward", x, t)
    b.run()
    r = ref.SoftmaxWithLoss()
    expected = r.forward(x, t)
    wrong = _softmax_mistakes(x, t)
    value = loss_scalar(loss.value, "SoftmaxWithLoss")
    if not loss_in_band(value, expected, -np.sum(t * np.log(r.y + DELTA_MAX)) / 6):
        assert_close(value, expected, fwd_msg("SoftmaxWithLoss"),
                     variants=ctx.variants(ce_sum_not_mean=6 * expected,
                                           softmax_wrong_axis=wrong["softmax_wrong_axis"][0]))
    _softmax_loss_small_target(ctx)


def _softmax_loss_small_target(ctx: ItemContext) -> None:
    """Every target probability ≈ 0.011 (the low end of the spec's [0.01, 0.99]): there δ inside the log
    shows, so the loss must lie between the exact value and the one with δ = 1e-5 (every valid δ gives a
    value in between; δ = 2e-5 or log(y − δ) do not)."""
    n, k = 4, 3
    x = ctx.randn(n, k, scale=0.3)
    t = ctx.one_hot(n, k)
    target = t.argmax(axis=1)
    rows = np.arange(n)
    others = np.exp(x).sum(axis=1) - np.exp(x[rows, target])
    x[rows, target] = np.log(0.011 / 0.989 * others)
    b = ctx.batch()
    loss = b.method(b.new("SoftmaxWithLoss"), "forward", x, t)
    b.run()
    r = ref.SoftmaxWithLoss()
    expected = r.forward(x, t)
    value = loss_scalar(loss.value, "SoftmaxWithLoss")
    shifted = -np.sum(t * np.log(r.y + DELTA_MAX)) / n
    if not loss_in_band(value, expected, shifted):
        raise Fail(M(f"forward(x, t) with every target probability ≈ 0.011 returned {fmt(value)}; expected a "
                     f"value between {fmt(shifted)} (δ = 1e-5 inside the log, the largest valid δ) and "
                     f"{fmt(expected)} (no δ): −Σ t log(y + δ) / N with 0 ≤ δ ≤ 1e-5 (§5.1).",
                     f"目標クラスの確率がどれも約 0.011 のとき forward(x, t) は {fmt(value)} を返しました。"
                     f"{fmt(shifted)}(log の中の δ = 1e-5、許される最大の δ)から {fmt(expected)}(δ なし)の間の"
                     "はずです: −Σ t log(y + δ) / N(0 ≤ δ ≤ 1e-5)(§5.1)。"))


def softmax_loss_backward(ctx: ItemContext):
    x, t = _probs_targets(ctx, 6, 4)
    y = ref.SoftmaxWithLoss()
    y.forward(x, t)
    expected = y.backward()
    wrong = _softmax_mistakes(x, t)
    check_loss_backward(ctx, "SoftmaxWithLoss", x, t, expected, DX,
                        variants=ctx.variants(backward_missing_1_over_n=6 * expected,
                                              softmax_wrong_axis=wrong["softmax_wrong_axis"][1]))


LARGE_OVERFLOW = M("(scores like [1000, 999, 998] overflow exp: subtract each row's maximum before exp, §5.2)",
                   "(スコアが [1000, 999, 998] のように大きいと exp があふれます。exp の前に行ごとの最大値を引きます。§5.2)")
LARGE_FINITE = M("(with scores like [1000, 999, 998] your values are finite, so exp does not overflow: the fault is "
                 "in the formula itself, E = −Σ t log y / N and dx = (y − t)/N, §5.1)",
                 "(スコアが [1000, 999, 998] のように大きくても値は有限なので、exp はあふれていません。"
                 "誤りは式そのものにあります: E = −Σ t log y / N、dx = (y − t)/N。§5.1)")


def _all_finite(value) -> bool:
    try:
        return bool(np.all(np.isfinite(np.asarray(value, dtype=float))))
    except (TypeError, ValueError):
        return True  # not numbers at all: the comparison says so, not the overflow advice


def softmax_loss_large_scores(ctx: ItemContext):
    x = np.array([[1000.0, 999.0, 998.0], [-1000.0, -998.0, -999.0], [5.0, 1.0, -2.0]])
    t = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, 1.0, 0.0]])
    r = ref.SoftmaxWithLoss()
    expected_loss = r.forward(x, t)
    expected_dx = r.backward()
    loss, dx = run_loss_backward(ctx, "SoftmaxWithLoss", x, t)
    wrong = _softmax_mistakes(x, t)
    finite = _all_finite(loss) and _all_finite(dx)
    # Say what actually differs: the row-max advice only when the values overflowed; finite wrong values
    # mean the shift is there and the fault is elsewhere (a missing 1/N, a wrong axis, ...).
    context = LARGE_OVERFLOW if not finite else LARGE_FINITE
    shifted = -np.sum(t * np.log(r.y + DELTA_MAX)) / 3  # the largest valid δ (every valid δ lies in between)
    try:
        if not loss_in_band(loss_scalar(loss, "SoftmaxWithLoss"), expected_loss, shifted, atol=1e-5):
            assert_close(loss_scalar(loss, "SoftmaxWithLoss"), expected_loss, fwd_msg("SoftmaxWithLoss"),
                         context=context, rtol=1e-4, atol=1e-5,
                         variants=ctx.variants(ce_sum_not_mean=3 * expected_loss,
                                               **{k: v[0] for k, v in wrong.items()}))
    except Fail as fail:
        if fail.mistake is None:  # the loss depends on the δ in the log; dx does not: it can still tell
            try:
                assert_close(dx, expected_dx, DX, variants=ctx.variants(**{k: v[1] for k, v in wrong.items()}))
            except Fail as dx_fail:
                fail.mistake = dx_fail.mistake
        raise
    assert_close(dx, expected_dx, DX, context=context,
                 variants=ctx.variants(backward_missing_1_over_n=3 * expected_dx,
                                       **{k: v[1] for k, v in wrong.items()}))


def softmax_loss_no_mutation(ctx: ItemContext):
    x, t = _probs_targets(ctx, 4, 3)
    check_no_mutation(ctx, "SoftmaxWithLoss", {}, (x, t), names=("x", "t"))


H_AFFINE = M("Y = XW + b; dX = dY·Wᵀ, dW = Xᵀ·dY, db = sum(dY, axis=0) (§3.7). Store x in forward.",
             "Y = XW + b、dX = dY·Wᵀ、dW = Xᵀ·dY、db = sum(dY, axis=0)(§3.7)。forward で x を保存します。")
H_SIGMOID = M("y = 1/(1+exp(−x)); backward returns dout·y·(1−y) using the stored output y (§5.1).",
              "y = 1/(1+exp(−x))。backward は保存した出力 y を使って dout·y·(1−y) を返します(§5.1)。")
H_RELU = M("mask = (x > 0) in forward; backward returns dout·mask — 0 where x ≤ 0 (§5.1).",
           "forward で mask = (x > 0) を保存し、backward は dout·mask を返します(x ≤ 0 では 0。§5.1)。")
H_IDENTITY = M("E = Σ(y−t)²/(2N) with N = y.shape[0]; backward = (y−t)/N (§5.1, the regression loss layer).",
               "E = Σ(y−t)²/(2N)(N = y.shape[0])、backward は (y−t)/N(§5.1 回帰誤差の層)。")
H_SIGLOSS = M("y = sigmoid(x); E = −Σ[t log y + (1−t) log(1−y)]/N; backward = (y−t)/N (§5.1).",
              "y = sigmoid(x)、E = −Σ[t log y + (1−t) log(1−y)]/N、backward は (y−t)/N(§5.1)。")
H_SOFTLOSS = M("y = softmax(x) with the row max subtracted; E = −Σ t log y / N; backward = (y−t)/N (§5.1, §5.2).",
               "y = softmax(x)(行ごとに最大値を引く)、E = −Σ t log y / N、backward は (y−t)/N(§5.1、§5.2)。")
H_MUT = M("Do not write into the arrays you are given (no `x -= ...`, `dout[mask] = 0`); make a copy first.",
          "渡された配列に書き込まないでください(`x -= ...` や `dout[mask] = 0` は不可)。先にコピーします。")


def _items(cls, hint, section, forward, backward, no_mut, extra=()):
    out = [Item(f"{cls}.forward", 1, forward, hint, section, kind="class"),
           Item(f"{cls}.backward", 2, backward, hint, section, kind="class")]
    out += list(extra)
    out.append(Item(f"{cls}.no_mutation", 0.5, no_mut, H_MUT, section, kind="class"))
    return out


EXERCISE = Exercise(
    id="layers",
    title=M("Layer classes", "層のクラス"),
    section="5.1",
    notebooks=("3-1-1_アファイン層.ipynb", "3-1-2_SoftmaxWithLoss 層_演習問題.ipynb", "3-1-3_その他の層.ipynb"),
    items=tuple(
        _items("Affine", H_AFFINE, "3.7", affine_forward, affine_backward, affine_no_mutation,
               extra=[Item("Affine.worked_examples", 1, affine_worked_examples, M(
                   "The §3.6 examples: with dE/dY = [2, 1], dE/dX = [4, 3, 4]; dE/db = sum(dE/dY, axis=0) = [2, 0].",
                   "§3.6 の例題: dE/dY = [2, 1] のとき dE/dX = [4, 3, 4]、dE/db = sum(dE/dY, axis=0) = [2, 0]。"),
                   "3.6", kind="class")])
        + _items("Sigmoid", H_SIGMOID, "5.1", sigmoid_forward, sigmoid_backward, sigmoid_no_mutation)
        + _items("Relu", H_RELU, "5.1", relu_forward, relu_backward, relu_no_mutation)
        + _items("IdentityWithLoss", H_IDENTITY, "5.1", identity_forward, identity_backward, identity_no_mutation)
        + _items("SigmoidWithLoss", H_SIGLOSS, "5.1", sigmoid_loss_forward, sigmoid_loss_backward,
                 sigmoid_loss_no_mutation)
        + _items("SoftmaxWithLoss", H_SOFTLOSS, "5.2", softmax_loss_forward, softmax_loss_backward,
                 softmax_loss_no_mutation,
                 extra=[Item("SoftmaxWithLoss.large_scores", 1, softmax_loss_large_scores, H_SOFTLOSS, "5.2",
                             kind="class")])
    ),
)
