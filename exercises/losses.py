"""Exercise 2 `losses` — 損失関数と出力層 (§2, §5.2).

Probabilities given to the loss functions lie in [0.02, 0.98] except in the
`edge_cases` items, so a δ of 1e-7 inside log changes a loss by far less than
the relative tolerance (EXERCISES.md, "Tolerances").
"""

from __future__ import annotations

import numpy as np

from exercises.common import M, assert_close, assert_unchanged
from grader.compare import Fail, match_variant, as_scalar
from grader.context import ItemContext
from grader.messages import Msg
from grader.runner.session import StudentError
from exercises import mistakes as catalogue
from grader.spec import Exercise, Item, Mistake
from reference import functions as ref


def _mistake(mid, section, en_title, ja_title, en, ja):
    return Mistake(mid, M(en_title, ja_title), M(en, ja), section)


# Exercise-specific mistakes; the common ones (1/N, ½, δ, the sign, softmax's axis and max shift) come from
# the shared catalogue, exercises/mistakes.py.
MISTAKES = (
    _mistake("softmax-whole-batch", "2.3", "softmax normalised over the whole batch", "softmax をバッチ全体で正規化している",
             "np.sum(np.exp(x)) without an axis adds up every row; normalise each row separately.",
             "axis を指定しない np.sum(np.exp(x)) は全行を足してしまいます。行ごとに正規化します。"),
    _mistake("softmax-global-max", "5.2", "softmax shifted by the maximum of the whole batch",
             "softmax でバッチ全体の最大値を引いている",
             "np.max(x) without an axis is the largest score of the WHOLE batch: a row far below it underflows to "
             "exp(−2000) = 0 everywhere and gives 0/0 = nan. Subtract each row's own maximum: "
             "np.max(x, axis=-1, keepdims=True).",
             "axis を指定しない np.max(x) はバッチ全体の最大値です。それより大きく下回る行は exp(−2000) = 0 になり、"
             "0/0 = nan になります。行ごとの最大値 np.max(x, axis=-1, keepdims=True) を引いてください。"),
    _mistake("softmax-min-shift", "5.2", "softmax shifted by the minimum", "softmax で最小値を引いている",
             "Subtracting the MINIMUM keeps the largest score large: exp(2000) still overflows. Subtract the "
             "maximum of each row (or of the vector) so that the largest exponent is exp(0) = 1.",
             "最小値を引いても最大のスコアは大きいままで、exp(2000) はオーバーフローします。行(またはベクトル)の"
             "最大値を引いて、最大の指数が exp(0) = 1 になるようにします。"),
    _mistake("cross-entropy-single-sample", "2.3", "a single sample (1-D y) divided by K",
             "1 次元の y(データ 1 個)を K で割っている",
             "For a 1-D y, y.shape[0] is the number of classes K, not the batch size: reshape to (1, K) first "
             "(the book's `if y.ndim == 1: ...`).",
             "1 次元の y では y.shape[0] はクラス数 K でありバッチサイズではありません。先に (1, K) に reshape "
             "します(書籍の `if y.ndim == 1: ...`)。"),
)


def _variants(**by_id):
    return catalogue.variants(MISTAKES, **by_id)


def check_scalar(got: float, expected: float, what: Msg, variants=None, context: Msg | None = None,
                 rtol: float = 1e-4, atol: float = 1e-6) -> float:
    """A scalar (loss) against its expected value; the message gives both and how they relate."""
    ctx_en = f" {context.en}" if context else ""
    ctx_ja = context.ja if context else ""
    mistake = None
    if not abs(got - expected) <= atol + rtol * abs(expected):
        mistake = match_variant(np.asarray(got, dtype=float), variants, rtol, atol, np.asarray(expected, dtype=float))
    if not np.isfinite(got):
        raise Fail(M(f"{what.en} is {got}, expected the finite value {expected:.6g}.{ctx_en}",
                     f"{what.ja} が {got} になっています。期待値は有限の値 {expected:.6g} です。{ctx_ja}"), mistake=mistake)
    if abs(got - expected) <= atol + rtol * abs(expected):
        return got
    rel_en = rel_ja = ""
    if expected != 0 and got != 0:
        r = got / expected
        if abs(r - 1) > 0.05:
            rel_en = f" (your value is {r:.4g} times the expected one)"
            rel_ja = f"(あなたの値は期待値の {r:.4g} 倍です)"
    raise Fail(M(f"{what.en} differs: got {got:.6g}, expected {expected:.6g}{rel_en}.{ctx_en}",
                 f"{what.ja} の値が違います。あなたの値 {got:.6g}、期待値 {expected:.6g}{rel_ja}。{ctx_ja}"),
               mistake=mistake)


def _scalar_call(ctx: ItemContext, name: str, *args) -> float:
    value = ctx.call(name, *args)
    return as_scalar(value, M(f"The value returned by {name}", f"{name} の返り値"))


def _what(name: str, y) -> Msg:
    return M(f"{name}(y, t) for y of shape {np.shape(y)}", f"y の形状が {np.shape(y)} のときの {name}(y, t)")


def _probs(ctx: ItemContext, shape, lo=0.02, hi=0.98) -> np.ndarray:
    return lo + (hi - lo) * ctx.rng.random(shape)


def _prob_rows(ctx: ItemContext, n: int, k: int) -> np.ndarray:
    """Rows that sum to 1 with every entry in [0.02, 0.98] (softmax of small scores)."""
    while True:
        y = ref.softmax(ctx.randn(n, k, scale=0.6))
        if y.min() >= 0.02 and y.max() <= 0.98:
            return y


# ------------------------------------------------------------------ mean squared error (§2.1)

def mse_values(ctx: ItemContext):
    for shape in ((6, 3), (8,), (5, 1)):
        y, t = ctx.randn(*shape), ctx.randn(*shape)
        n = shape[0]
        expected = ref.mean_squared_error(y, t)
        k = y.size // n
        check_scalar(_scalar_call(ctx, "mean_squared_error", y, t), expected, _what("mean_squared_error", y),
                     variants=_variants(mse_missing_half=2 * expected, loss_missing_1_over_n=n * expected,
                                        loss_divided_by_elements=expected / k if k > 1 else None))


# ------------------------------------------------------------------ binary cross-entropy (§2.2)

def bce_values(ctx: ItemContext):
    for shape in ((8, 1), (8,)):
        y = _probs(ctx, shape)
        t = (ctx.rng.random(shape) < 0.5).astype(float)
        expected = ref.binary_cross_entropy(y, t)
        check_scalar(_scalar_call(ctx, "binary_cross_entropy", y, t), expected, _what("binary_cross_entropy", y),
                     variants=_variants(ce_sum_not_mean=8 * expected, ce_sign_flipped=-expected))


def _no_delta(loss) -> float:
    """What ``loss()`` gives without the δ inside the log: log(0) = −inf, 0·log(0) = nan."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(loss())


def bce_edge_cases(ctx: ItemContext):
    # exact 0 and 1 where they are right (t = 0 and t = 1): the loss is finite and the usual value
    y = _probs(ctx, (8, 1), 0.05, 0.95)
    t = (ctx.rng.random((8, 1)) < 0.5).astype(float)
    t[:2] = [[0.0], [1.0]]
    y[:2] = t[:2]
    perm = ctx.rng.permutation(8)
    y, t = y[perm], t[perm]
    expected = ref.binary_cross_entropy(y, t)
    context = M("(y holds exact 0 where t = 0 and exact 1 where t = 1: add a small δ inside log, e.g. "
                "np.log(y + 1e-7) and np.log(1 - y + 1e-7), §2.2.)",
                "(t = 0 の位置に y = 0、t = 1 の位置に y = 1 がちょうど含まれます。log の中に小さな δ を加えます。"
                "例: np.log(y + 1e-7)、np.log(1 - y + 1e-7)。§2.2)")
    check_scalar(_scalar_call(ctx, "binary_cross_entropy", y, t), expected, _what("binary_cross_entropy", y),
                 context=context, atol=1e-5,
                 variants=_variants(ce_sum_not_mean=8 * expected, ce_sign_flipped=-expected,
                                    ce_no_delta=_no_delta(lambda: -np.sum(t * np.log(y) + (1 - t) * np.log(1 - y))
                                                          / 8)))
    # exact 0/1 on the wrong side: the true loss is infinite; the contract asks for a finite number
    y2 = np.array([[1.0], [0.0], [0.5], [0.3]])
    t2 = np.array([[0.0], [1.0], [1.0], [0.0]])
    got = _scalar_call(ctx, "binary_cross_entropy", y2, t2)
    if not np.isfinite(got):
        raise Fail(M(f"binary_cross_entropy(y, t) returned {got} for y = [1, 0, 0.5, 0.3] and t = [0, 1, 1, 0] "
                     "(shape (4, 1)); it must stay finite when y holds exact 0 or 1 — a small δ inside log does that.",
                     f"y = [1, 0, 0.5, 0.3]、t = [0, 1, 1, 0](形状 (4, 1))に対して binary_cross_entropy(y, t) が "
                     f"{got} を返しました。y がちょうど 0 や 1 を含むときも有限でなければなりません"
                     "(log の中に小さな δ を加えます)。"), mistake=catalogue.find("ce-no-delta"))
    if got <= 1.0:
        raise Fail(M(f"binary_cross_entropy(y, t) returned {got:.6g} for y = [1, 0, 0.5, 0.3] and "
                     "t = [0, 1, 1, 0]; two confidently wrong predictions must give a large loss (> 1).",
                     f"y = [1, 0, 0.5, 0.3]、t = [0, 1, 1, 0] に対して binary_cross_entropy(y, t) が {got:.6g} "
                     "を返しました。確信をもって外れた予測が 2 つあるので、損失は大きく(1 より大きく)なるはずです。"))


# ------------------------------------------------------------------ softmax (§2.3, §5.2)

def _softmax_what(x) -> Msg:
    return M(f"softmax(x) for x of shape {np.shape(x)}", f"x の形状が {np.shape(x)} のときの softmax(x)")


def softmax_rows(ctx: ItemContext):
    for shape in ((5, 4), (3, 6)):
        x = ctx.randn(*shape, scale=2.0)
        e = np.exp(x)
        assert_close(ctx.call("softmax", x), ref.softmax(x), _softmax_what(x),
                     variants=_variants(softmax_wrong_axis=e / e.sum(axis=0, keepdims=True),
                                        softmax_whole_batch=e / e.sum()))


def softmax_vector(ctx: ItemContext):
    x = ctx.randn(6, scale=2.0)
    assert_close(ctx.call("softmax", x), ref.softmax(x), _softmax_what(x))


LARGE = M("(large scores: subtract the maximum of each row before exp, §5.2 — exp(1000) overflows.)",
          "(スコアが大きい場合: exp の前に行ごとの最大値を引きます。exp(1000) はオーバーフローします。§5.2)")


def softmax_large_scores(ctx: ItemContext):
    x = np.array([[1000.0, 1000.0, 1000.0], [1000.0, 999.0, 998.0], [-1000.0, 0.0, 1000.0], [5.0, 1.0, -2.0]])
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        e_global = np.exp(x - x.max())
        global_max = e_global / e_global.sum(axis=-1, keepdims=True)
    assert_close(ctx.call("softmax", x), ref.softmax(x), _softmax_what(x), context=LARGE,
                 variants=_variants(softmax_no_max_shift=_unshifted_softmax(x), softmax_global_max=global_max))
    # vectors: equal scores, then unequal ones spanning more than exp's range (subtracting the MINIMUM, or
    # nothing, overflows there: exp(2000) = inf), then large negative ones (exp(−1000) = 0, 0/0 = nan)
    big = float(ctx.rng.choice([999.0, 1000.0]))
    # (a softmax without any shift fails one of the first two; one shifted by the minimum only the third)
    for v in (np.array([1000.0, 1000.0]), ctx.rng.permutation(np.array([-1000.0, -999.0, -998.0])),
              ctx.rng.permutation(np.array([big, big - 1.0, -1000.0]))):
        try:
            got = ctx.call("softmax", v)
        except StudentError:
            # a softmax that only takes (N, K) loses `softmax.vector`; here the overflow is graded on a row
            v = v.reshape(1, -1)
            got = ctx.call("softmax", v)
        min_shift = _min_shifted_softmax(v)
        assert_close(got, ref.softmax(v), _softmax_what(v) + M(f"(x = {np.array2string(v.ravel())})",
                                                                f"(x = {np.array2string(v.ravel())})"),
                     context=LARGE, variants=_variants(softmax_min_shift=min_shift) if min_shift is not None
                     else _variants(softmax_no_max_shift=_unshifted_softmax(v)))


def _min_shifted_softmax(x: np.ndarray) -> np.ndarray | None:
    """softmax shifted by the minimum instead of the maximum (overflows when the range exceeds ~709)."""
    with np.errstate(over="ignore", invalid="ignore"):
        e = np.exp(x - np.min(x, axis=-1, keepdims=True))
        value = e / np.sum(e, axis=-1, keepdims=True)
    return value if not np.all(np.isfinite(value)) else None


def _unshifted_softmax(x: np.ndarray) -> np.ndarray:
    """softmax without subtracting the maximum: exp(1000) = inf and inf/inf = nan."""
    with np.errstate(over="ignore", invalid="ignore"):
        e = np.exp(x)
        return e / np.sum(e, axis=-1, keepdims=True)


def softmax_no_mutation(ctx: ItemContext):
    """Both branches: a batch (N, K) and a vector (K,) — the book's 1-D branch is a different code path."""
    x = ctx.randn(4, 3, scale=2.0)
    for arg in (x, x[0].copy()):
        b = ctx.batch()
        xr = b.const(arg)
        b.call(b.name("softmax"), xr, want=False)
        after = b.read(xr)
        try:
            b.run()
        except StudentError:
            if arg.ndim == 2:
                continue  # 2-D not supported: graded by `softmax`; check the vector instead
            raise
        shape = "a vector (K,)" if arg.ndim == 1 else "a batch (N, K)"
        shape_ja = "ベクトル (K,)" if arg.ndim == 1 else "バッチ (N, K)"
        assert_unchanged(arg, after.value, M(f"`x` (the argument of softmax, {shape})",
                                             f"`x`(softmax の引数、{shape_ja})"))


def _loss_no_mutation(name: str, make):
    """``name(y, t)`` must leave y and t unchanged (no `y += 1e-7`, no `y[y == 0] = delta`)."""
    def check(ctx: ItemContext):
        for y, t in make(ctx):
            b = ctx.batch()
            yr, tr = b.const(y), b.const(t)
            b.call(b.name(name), yr, tr, want=False)
            y_after, t_after = b.read(yr), b.read(tr)
            b.run()
            assert_unchanged(y, y_after.value, M(f"`y` (the argument of {name}, shape {y.shape})",
                                                 f"`y`({name} の引数、形状 {y.shape})"))
            assert_unchanged(t, t_after.value, M(f"`t` (the argument of {name})", f"`t`({name} の引数)"))
    check.__name__ = f"{name}_no_mutation"
    return check


def _mse_inputs(ctx):
    return [(ctx.randn(5, 3), ctx.randn(5, 3))]


def _bce_inputs(ctx):
    y = _probs(ctx, (6, 1))
    y[0, 0], y[1, 0] = 0.0, 1.0  # exact 0 and 1: where a δ is often added in place
    t = (ctx.rng.random((6, 1)) < 0.5).astype(float)
    t[0, 0], t[1, 0] = 0.0, 1.0
    return [(y, t)]


def _cee_inputs(ctx):
    y, t = _prob_rows(ctx, 4, 3), ctx.one_hot(4, 3)
    y[0, int(np.argmin(t[0]))] = 0.0
    y[0] /= y[0].sum()
    v = _prob_rows(ctx, 1, 4)[0]
    tv = np.zeros(4)
    tv[ctx.rng.integers(0, 4)] = 1.0
    return [(y, t), (v, tv)]  # a batch, then a single sample (the book's 1-D branch reshapes)


# ------------------------------------------------------------------ cross-entropy (§2.3)

def cee_values(ctx: ItemContext):
    for n, k in ((6, 4), (5, 3)):
        y, t = _prob_rows(ctx, n, k), ctx.one_hot(n, k)
        expected = ref.cross_entropy_error(y, t)
        check_scalar(_scalar_call(ctx, "cross_entropy_error", y, t), expected, _what("cross_entropy_error", y),
                     context=M("(t is one-hot, same shape as y.)", "(t は y と同じ形状のワンホット表現です。)"),
                     variants=_variants(ce_sum_not_mean=n * expected, ce_sign_flipped=-expected,
                                        loss_divided_by_elements=expected / k))


def cee_single_sample(ctx: ItemContext):
    y = _prob_rows(ctx, 1, 5)[0]
    t = np.zeros(5)
    t[ctx.rng.integers(0, 5)] = 1.0
    expected = ref.cross_entropy_error(y, t)
    check_scalar(_scalar_call(ctx, "cross_entropy_error", y, t), expected, _what("cross_entropy_error", y),
                 context=M("(A 1-D y is a single sample: N = 1.)", "(1 次元の y はデータ 1 個です: N = 1。)"),
                 variants=_variants(cross_entropy_single_sample=expected / 5, ce_sign_flipped=-expected))


def cee_edge_cases(ctx: ItemContext):
    y = _prob_rows(ctx, 5, 4)
    t = ctx.one_hot(5, 4)
    # exact zeros where t is 0: one per row, and a row with two
    for i in range(5):
        zeros = [j for j in range(4) if t[i, j] == 0][: 2 if i == 0 else 1]
        y[i, zeros] = 0.0
        y[i] /= y[i].sum()
    expected = ref.cross_entropy_error(y, t)
    check_scalar(_scalar_call(ctx, "cross_entropy_error", y, t), expected, _what("cross_entropy_error", y),
                 variants=_variants(ce_sum_not_mean=5 * expected, ce_sign_flipped=-expected,
                                    loss_divided_by_elements=expected / 4,
                                    ce_no_delta=_no_delta(lambda: -np.sum(t * np.log(y)) / 5)),
                 context=M("(y holds exact 0 where t is 0: 0·log 0 must not become nan — add a small δ inside log, "
                           "e.g. np.log(y + 1e-7), §2.3.)",
                           "(t が 0 の位置で y がちょうど 0 です。0·log 0 が nan にならないように、log の中に小さな δ を"
                           "加えます。例: np.log(y + 1e-7)。§2.3)"))


H_MSE = M("(1/2N) Σ (y − t)² with N = y.shape[0]: np.sum((y - t)**2) / (2 * y.shape[0]).",
          "(1/2N) Σ (y − t)²(N = y.shape[0])。np.sum((y - t)**2) / (2 * y.shape[0]) です。")
H_BCE = M("−(1/N) Σ [t log y + (1−t) log(1−y)] with N = y.shape[0]; add δ = 1e-7 inside each log.",
          "−(1/N) Σ [t log y + (1−t) log(1−y)](N = y.shape[0])。各 log の中に δ = 1e-7 を加えます。")
H_SOFTMAX = M("Per row: subtract the row max, exp, divide by the row sum "
              "(np.max/np.sum with axis=-1, keepdims=True work for (N, K) and (K,)).",
              "行ごとに最大値を引いて exp をとり、行の和で割ります(axis=-1, keepdims=True の np.max/np.sum なら "
              "(N, K) にも (K,) にも使えます)。")
H_CEE = M("−(1/N) Σ t log(y + δ); a 1-D y is one sample, so reshape it to (1, K) first; N = y.shape[0].",
          "−(1/N) Σ t log(y + δ)。1 次元の y はデータ 1 個なので先に (1, K) に reshape します。N = y.shape[0]。")
H_MUT = M("Do not write into x (no `x -= np.max(x, ...)`); `x = x - np.max(x, ...)` makes a new array.",
          "x に書き込まないでください(`x -= np.max(x, ...)` は不可)。`x = x - np.max(x, ...)` なら新しい配列になります。")
H_MUT_LOSS = M("Do not write into y or t (no `y += 1e-7`, no `y[y == 0] = 1e-7`, no `t = t.reshape(...)` followed "
               "by writes): np.log(y + 1e-7) makes a new array.",
               "y や t に書き込まないでください(`y += 1e-7` や `y[y == 0] = 1e-7` は不可)。"
               "np.log(y + 1e-7) なら新しい配列になります。")

EXERCISE = Exercise(
    id="losses",
    title=M("Loss functions and output layers", "損失関数と出力層"),
    section="2",
    notebooks=(),
    items=(
        Item("mean_squared_error", 1, mse_values, H_MSE, "2.1"),
        Item("binary_cross_entropy", 1, bce_values, H_BCE, "2.2"),
        Item("mean_squared_error.no_mutation", 0.5, _loss_no_mutation("mean_squared_error", _mse_inputs), H_MUT_LOSS,
             "2.1"),
        Item("binary_cross_entropy.edge_cases", 1, bce_edge_cases, H_BCE, "2.2"),
        Item("binary_cross_entropy.no_mutation", 0.5, _loss_no_mutation("binary_cross_entropy", _bce_inputs),
             H_MUT_LOSS, "2.2"),
        Item("softmax", 1, softmax_rows, H_SOFTMAX, "2.3"),
        Item("softmax.vector", 0.5, softmax_vector, H_SOFTMAX, "2.3"),
        Item("softmax.large_scores", 1, softmax_large_scores, H_SOFTMAX, "5.2"),
        Item("softmax.no_mutation", 0.5, softmax_no_mutation, H_MUT, "5.2"),
        Item("cross_entropy_error", 1, cee_values, H_CEE, "2.3"),
        Item("cross_entropy_error.single_sample", 0.5, cee_single_sample, H_CEE, "2.3"),
        Item("cross_entropy_error.edge_cases", 0.5, cee_edge_cases, H_CEE, "2.3"),
        Item("cross_entropy_error.no_mutation", 0.5, _loss_no_mutation("cross_entropy_error", _cee_inputs),
             H_MUT_LOSS, "2.3"),
    ),
    mistakes=MISTAKES,
)
