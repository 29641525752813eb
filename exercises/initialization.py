"""Exercise 9 `initialization` — 重みの初期値 (§7, notebook 2-6).

`init_weight(n_in, n_out, method)` is checked statistically.  Every test below is set so that a
CORRECT draw (independent N(0, σ²) entries) fails it with probability at most ``P_TEST`` = 1e-11,
from bounds that are exact or rigorous (no normal approximation of a tail):

* mean — for n independent N(0, σ²) values the sample mean is exactly N(0, σ²/n):
  |mean| ≤ z·σ/√n with erfc(z/√2) = P_TEST (z ≈ 6.8).  σ is replaced by its upper confidence
  bound √(mean(x²)/lo) (lo from the χ² interval below), so that a draw with the wrong VARIANCE
  is reported as such and not as a wrong mean (two bounds: ≤ 2·P_TEST).
* variance — with the mean known to be 0, n·mean(x²)/σ² is exactly χ²_n.  Chernoff's bounds
  P(χ²_n ≥ n(1+δ)) ≤ exp(−n/2·(δ − ln(1+δ))) and P(χ²_n ≤ n(1−δ)) ≤ exp(−n/2·(−δ − ln(1−δ)))
  are each set to P_TEST/2 and solved for δ (e.g. n = 120 000: mean(x²)/σ² within ≈ [0.959, 1.043]).
* normal shape — split the draw into halves A and B; σ̂ from A (its ratio c = σ̂/σ lies in the
  χ² interval above), and the Kolmogorov–Smirnov distance of B/σ̂ to Φ, evaluated on a grid of
  points (which can only make it smaller).  Under the hypothesis
  D ≤ D_true + sup_x |Φ(cx) − Φ(x)|, with P(D_true > ε) ≤ 2·exp(−2·n_B·ε²) (Dvoretzky–Kiefer–
  Wolfowitz, Massart's constant), set to P_TEST/2.  The bound does not depend on σ, so a wrong
  variance costs only the variance items.  For n_B = 60 000 the threshold is ≈ 0.020; a uniform
  draw with the right variance is at distance 0.057 from the normal (at x ≈ ±0.80σ).
* independence — two calls with the same arguments must differ, and for independent draws
  the correlation of two calls is tiny: conditioned on y, Σxy/(σ‖y‖) is exactly N(0, 1), so
  |r| ≤ z/√(n·lo) with lo the χ² lower bound of ‖x‖²/(nσ²); we fail only at |r| > 0.05, far
  above that bound (≈ 0.02 for n = 120 000).
* small arrays — 300 calls of a small shape pooled: their mean and variance must agree with a
  large draw of the same σ (the ratio of two independent χ² estimates, each within its interval),
  so the statistics cannot be met by special-casing large arrays.

Count: `he`, `xavier`, `std` 3 draws × (mean 2 + variance 1) = 9 bounds each, `normal` 3 × 2,
`random` 3 — about 35 bounds of ≤ 1e-11: a correct submission loses a point with probability
< 1e-9 per grading.  `bench/flaky_statistical.py` grades a correct
submission many times to confirm there are no false failures in practice.
"""

from __future__ import annotations

import math

import numpy as np

from exercises.common import M, as_array
from grader.compare import Fail, fmt
from grader.context import ItemContext
from grader.messages import Msg
from exercises import mistakes as catalogue
from grader.spec import Exercise, Item
from reference.initialization import init_std

P_TEST = 1e-11

# ---------------------------------------------------------------------------------------- statistics


def _bisect(f, lo: float, hi: float, iters: int = 200) -> float:
    """Root of a function that is positive at lo and negative at hi (or vice versa)."""
    flo = f(lo)
    for _ in range(iters):
        mid = 0.5 * (lo + hi)
        if (f(mid) > 0) == (flo > 0):
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def z_two_sided(p: float = P_TEST) -> float:
    """z with P(|Z| > z) = p for a standard normal Z (exact, via erfc)."""
    return _bisect(lambda z: math.erfc(z / math.sqrt(2)) - p, 0.0, 40.0)


def chi2_interval(n: int, p: float = P_TEST) -> tuple[float, float]:
    """(lo, hi): P(χ²_n/n ∉ [lo, hi]) ≤ p, from Chernoff's bound on each side (p/2 each)."""
    target = math.log(2.0 / p)
    upper = _bisect(lambda d: n / 2 * (d - math.log1p(d)) - target, 0.0, 1e6)
    lower = _bisect(lambda d: n / 2 * (-d - math.log1p(-d)) - target, 0.0, 1.0 - 1e-15)
    return 1.0 - lower, 1.0 + upper


def _phi_cdf(x):
    x = np.asarray(x, dtype=float)
    return 0.5 * (1.0 + np.vectorize(math.erf)(x / math.sqrt(2.0)))


def _scale_shift(c: float) -> float:
    """sup_x |Φ(cx) − Φ(x)| (attained at x² = 2 ln c / (c² − 1))."""
    if abs(c - 1.0) < 1e-15:
        return 0.0
    x = math.sqrt(2.0 * math.log(c) / (c * c - 1.0))
    return abs(float(_phi_cdf(c * x) - _phi_cdf(x)))


def ks_threshold(n_a: int, n_b: int, p: float = P_TEST) -> float:
    eps = math.sqrt(math.log(2.0 / (p / 2)) / (2.0 * n_b))
    lo, hi = chi2_interval(n_a, p / 2)
    return eps + max(_scale_shift(math.sqrt(lo)), _scale_shift(math.sqrt(hi)))


KS_GRID = np.round(np.arange(-4.0, 4.0001, 0.05), 10)
_KS_PHI = _phi_cdf(KS_GRID)


def ks_grid_distance(u: np.ndarray) -> float:
    """max over the grid of |F_n(x) − Φ(x)| (≤ the full KS distance)."""
    u = np.sort(u.ravel())
    ecdf = np.searchsorted(u, KS_GRID, side="right") / u.size
    return float(np.max(np.abs(ecdf - _KS_PHI)))


def normality_distance(x: np.ndarray) -> tuple[float, float]:
    """(distance, threshold) of the split-half test described in the module docstring."""
    flat = np.asarray(x, dtype=float).ravel()
    half = flat.size // 2
    a, b = flat[:half], flat[half:]
    sigma_hat = math.sqrt(float(np.mean(a * a)))
    if sigma_hat == 0 or not math.isfinite(sigma_hat):
        return math.inf, ks_threshold(a.size, b.size)
    return ks_grid_distance(b / sigma_hat), ks_threshold(a.size, b.size)


# ---------------------------------------------------------------------------------------- messages

def _m_label(method) -> str:
    return f'"{method}"' if isinstance(method, str) else repr(method)


def check_mean_var(x: np.ndarray, sigma: float, what: Msg, formula: Msg, mistakes: dict | None = None) -> None:
    """Mean 0 and variance σ² within the exact/Chernoff bounds (see the module docstring)."""
    x = np.asarray(x, dtype=float)
    n = x.size
    if not np.all(np.isfinite(x)):
        raise Fail(what + M("contains NaN or inf.", "に NaN または inf が含まれています。"))
    mean = float(np.mean(x))
    var = float(np.mean(x * x))
    lo, hi = chi2_interval(n)
    z = z_two_sided()
    # The mean is judged against the draw's own scale: for a correct draw σ ≤ √(mean(x²)/lo) unless the
    # χ² bound fails, so a wrong variance is reported as such (below), not as a wrong mean.
    constant = n > 1 and bool(np.all(x == x.flat[0]))
    if constant and x.flat[0] == 0:
        raise Fail(M(f"{what.en}: all {n} values are 0, expected σ = {fmt(sigma)} ({formula.en}).",
                     f"{what.ja}: {n} 個の値がすべて 0 です。期待値は σ = {fmt(sigma)}({formula.ja})です。"),
                   mistake=catalogue.MISTAKES["init-all-zero"])
    if constant:
        raise Fail(M(f"{what.en}: all {n} values are {fmt(float(x.flat[0]))}: the weights must be random, "
                     f"N(0, σ²) with σ = {fmt(sigma)} ({formula.en}).",
                     f"{what.ja}: {n} 個の値がすべて {fmt(float(x.flat[0]))} です。重みは乱数 N(0, σ²)"
                     f"(σ = {fmt(sigma)}: {formula.ja})でなければなりません。"),
                   mistake=catalogue.MISTAKES["init-constant"])
    if abs(mean) > z * math.sqrt(var / lo) / math.sqrt(n):
        raise Fail(M(f"{what.en}: the mean of the {n} values is {fmt(mean)}, but for weights drawn from "
                     f"N(0, σ²) it should be 0 (|mean| ≤ {fmt(z * math.sqrt(var / lo / n))} for a correct draw "
                     "of this size and spread).",
                     f"{what.ja}: {n} 個の値の平均が {fmt(mean)} ですが、N(0, σ²) からとった重みなら 0 になる"
                     f"はずです(この大きさ・広がりの正しい乱数なら |平均| ≤ {fmt(z * math.sqrt(var / lo / n))})。"))
    ratio = var / sigma ** 2
    if not lo <= ratio <= hi:
        mistake = None
        for m, alt in (mistakes or {}).items():  # alt: the variance that mistake produces
            if alt > 0 and lo <= var / alt <= hi:
                mistake = m
                break
        raise Fail(M(f"{what.en}: the variance of the {n} values is {fmt(var)} (σ ≈ {fmt(math.sqrt(var))}), "
                     f"expected {fmt(sigma ** 2)} (σ = {fmt(sigma)}: {formula.en}) — {fmt(ratio)} times too "
                     f"{'large' if ratio > 1 else 'small'}; a correct draw of this size is within "
                     f"[{lo:.3f}, {hi:.3f}] times.",
                     f"{what.ja}: {n} 個の値の分散が {fmt(var)}(σ ≈ {fmt(math.sqrt(var))})ですが、期待値は "
                     f"{fmt(sigma ** 2)}(σ = {fmt(sigma)}: {formula.ja})です(比 {fmt(ratio)}。この大きさの正しい"
                     f"乱数なら [{lo:.3f}, {hi:.3f}] 倍の範囲に入ります)。"), mistake=mistake)


# ---------------------------------------------------------------------------------------- mistakes

# All from the shared catalogue (exercises/mistakes.py).
MISTAKES = tuple(catalogue.MISTAKES[mid] for mid in (
    "glorot-book-form", "he-variance-1-over-n", "init-variance-as-std", "init-std-as-variance", "init-uniform",
    "init-uses-n-out", "glorot-missing-2", "init-transposed", "init-constant", "init-all-zero",
    "init-same-values-every-call"))
_MISTAKE = {m.id: m for m in MISTAKES}

# ---------------------------------------------------------------------------------------- checks

# Large draws: n = 120 000 each, n_in very different from n_out so that every wrong formula
# (1/n_in, 2/n_out, 1/(n_in+n_out), ...) is far outside the χ² interval (≈ ±4 %).
BIG = ((400, 300), (100, 1200), (1500, 80))
FLOATS = (0.01, 0.5, 2.0)

FORMULA = {
    "he": M("He, variance 2/n_in", "He の初期値、分散 2/n_in"),
    "xavier": M("Glorot–Bengio, variance 2/(n_in + n_out)", "Glorot–Bengio の初期値、分散 2/(n_in + n_out)"),
}


def _draw(ctx: ItemContext, calls: list[tuple]) -> list[np.ndarray]:
    b = ctx.batch()
    pend = [b.call(b.name("init_weight"), n_in, n_out, method) for n_in, n_out, method in calls]
    b.run()
    out = []
    for (n_in, n_out, method), p in zip(calls, pend):
        what = _what(n_in, n_out, method)
        arr = as_array(p.value, what)
        if arr.shape != (n_in, n_out):
            raise Fail(M(f"{what.en} returned shape {arr.shape}, expected ({n_in}, {n_out}) (n_in rows, n_out "
                         "columns).",
                         f"{what.ja} の形状が {arr.shape} です。期待される形状は ({n_in}, {n_out})(n_in 行 n_out 列)"
                         "です。"),
                       mistake=_MISTAKE["init-transposed"] if arr.shape == (n_out, n_in) else None)
        out.append(arr)
    return out


def _what(n_in, n_out, method) -> Msg:
    s = f"init_weight({n_in}, {n_out}, {_m_label(method)})"
    return M(s, s)


def init_shape(ctx: ItemContext):
    calls = [(3, 5, "he"), (5, 3, "xavier"), (1, 7, 0.1), (64, 2, "he"), (2, 64, "xavier"), (6, 6, 1.0)]
    arrays = _draw(ctx, calls)
    for (n_in, n_out, method), arr in zip(calls, arrays):
        if arr.dtype.kind != "f":
            raise Fail(M(f"{_what(n_in, n_out, method).en} has dtype {arr.dtype}; floating-point weights were "
                         "expected.",
                         f"{_what(n_in, n_out, method).ja} の dtype が {arr.dtype} です。浮動小数点数の重みが期待されて"
                         "います。"))


def _method_item(method: str):
    def check(ctx: ItemContext):
        calls = [(n_in, n_out, method) for n_in, n_out in BIG]
        for (n_in, n_out, _), arr in zip(calls, _draw(ctx, calls)):
            sigma = init_std(n_in, n_out, method)
            # variances that known mistakes produce: 1/n_in, and the variance used as σ (σ⁴)
            one_over = "glorot-book-form" if method == "xavier" else "he-variance-1-over-n"
            wrong = {_MISTAKE[one_over]: 1.0 / n_in, _MISTAKE["init-variance-as-std"]: sigma ** 4}
            if method == "xavier":
                wrong[_MISTAKE["glorot-missing-2"]] = 1.0 / (n_in + n_out)
            else:
                wrong[_MISTAKE["init-uses-n-out"]] = 2.0 / n_out
            check_mean_var(arr, sigma, _what(n_in, n_out, method), FORMULA[method], wrong)
    check.__name__ = f"init_{method}"
    return check


def init_float(ctx: ItemContext):
    calls = [(n_in, n_out, std) for (n_in, n_out), std in zip(BIG, FLOATS)]
    for (n_in, n_out, std), arr in zip(calls, _draw(ctx, calls)):
        check_mean_var(arr, std, _what(n_in, n_out, std),
                       M(f"a float method is the standard deviation itself, σ = {std}",
                         f"method が数値のときはそれ自体が標準偏差 σ = {std}"),
                       {_MISTAKE["init-std-as-variance"]: std})  # √method used as σ: variance = method


def init_normal(ctx: ItemContext):
    calls = [(400, 300, "he"), (100, 1200, "xavier"), (1500, 80, 0.5)]
    for (n_in, n_out, method), arr in zip(calls, _draw(ctx, calls)):
        d, thr = normality_distance(arr)
        if not d <= thr:
            u = np.asarray(arr, dtype=float).ravel()
            u = u / math.sqrt(float(np.mean(u * u))) if np.any(u) else u
            kurt = float(np.mean(u ** 4)) if np.any(u) else float("nan")
            raise Fail(M(f"{_what(n_in, n_out, method).en}: the values are not normally distributed — their "
                         f"distribution differs from a normal one by {d:.3f} (Kolmogorov–Smirnov distance after "
                         f"scaling to variance 1; a normal draw of this size stays below {thr:.3f}). Their "
                         f"kurtosis E[x⁴]/σ⁴ is {kurt:.2f}: 3 for a normal distribution, 1.8 for a uniform one. "
                         "§7 draws W from a normal distribution (np.random.randn or np.random.normal).",
                         f"{_what(n_in, n_out, method).ja}: 値が正規分布に従っていません。分散 1 に揃えたあとの"
                         f"正規分布とのずれ(コルモゴロフ–スミルノフ距離)が {d:.3f} です(この大きさの正規乱数なら "
                         f"{thr:.3f} 未満)。尖度 E[x⁴]/σ⁴ は {kurt:.2f} です(正規分布は 3、一様分布は 1.8)。§7 では W "
                         "を正規分布からとります(np.random.randn か np.random.normal)。"),
                       mistake=_MISTAKE["init-uniform"] if 1.6 < kurt < 2.0 else None)


SMALL_SHAPE = (4, 6)
SMALL_CALLS = 300
SMALL_STD = 0.3


def init_random(ctx: ItemContext):
    # 1) two calls with the same arguments: different values, uncorrelated
    b = ctx.batch()
    f = b.name("init_weight")
    first = b.call(f, 400, 300, "he")
    second = b.call(f, 400, 300, "he")
    big = b.call(f, 600, 200, SMALL_STD)
    small = [b.call(f, *SMALL_SHAPE, SMALL_STD) for _ in range(SMALL_CALLS)]
    b.run()
    x = as_array(first.value, _what(400, 300, "he"))
    y = as_array(second.value, _what(400, 300, "he"))
    if x.shape != y.shape or x.shape != (400, 300):
        raise Fail(M(f"init_weight(400, 300, \"he\") returned shape {x.shape}, expected (400, 300).",
                     f"init_weight(400, 300, \"he\") の形状が {x.shape} です。期待される形状は (400, 300) です。"),
                   mistake=_MISTAKE["init-transposed"] if x.shape == y.shape == (300, 400) else None)
    if np.array_equal(x, y) and np.any(x != x.flat[0]):
        raise Fail(M("Two calls init_weight(400, 300, \"he\") returned exactly the same array. Every call must "
                     "draw new random values — do not call np.random.seed (or create a generator with a fixed "
                     "seed) inside init_weight: every layer would start from the same numbers.",
                     "init_weight(400, 300, \"he\") を 2 回呼ぶとまったく同じ配列が返されました。呼ぶたびに新しい乱数を"
                     "とる必要があります。init_weight の中で np.random.seed を呼んだり、固定のシードで乱数生成器を"
                     "作ったりしないでください(すべての層が同じ数から始まってしまいます)。"),
                   mistake=_MISTAKE["init-same-values-every-call"])
    nx, ny = float(np.linalg.norm(x)), float(np.linalg.norm(y))
    r = float(np.vdot(x, y)) / (nx * ny) if nx and ny else 1.0
    if not abs(r) <= 0.05:
        raise Fail(M(f"Two calls init_weight(400, 300, \"he\") returned arrays with correlation {r:.3f}; "
                     "independent draws have a correlation close to 0 (below 0.02 in size).",
                     f"init_weight(400, 300, \"he\") を 2 回呼んだ結果の相関係数が {r:.3f} です。独立な乱数なら相関は"
                     "ほぼ 0(大きさ 0.02 未満)です。"))
    # 2) small arrays: pooled, the same distribution as a big draw of the same σ
    big_arr = as_array(big.value, _what(600, 200, SMALL_STD))
    smalls = [as_array(p.value, _what(*SMALL_SHAPE, SMALL_STD)) for p in small]
    for arr in (big_arr, *smalls):
        if not np.all(np.isfinite(arr)):
            raise Fail(M("init_weight returned NaN or inf.", "init_weight が NaN または inf を返しました。"))
    if any(a.shape != SMALL_SHAPE for a in smalls):
        bad = next(a.shape for a in smalls if a.shape != SMALL_SHAPE)
        raise Fail(M(f"init_weight(4, 6, {SMALL_STD}) returned shape {bad}.",
                     f"init_weight(4, 6, {SMALL_STD}) の形状が {bad} です。"))
    flat = next((a for a in smalls if a.size and np.all(a == a.flat[0])), None)
    if flat is not None:  # not random at all (e.g. zeros for small arrays only; σ = 0.3 is passed, so not σ = 0)
        value = fmt(float(flat.flat[0]))
        raise Fail(M(f"init_weight(4, 6, {SMALL_STD}) returned an array whose {flat.size} values are all {value}: "
                     f"the weights must be random, N(0, σ²) with σ = {SMALL_STD}, for small arrays as for large ones.",
                     f"init_weight(4, 6, {SMALL_STD}) が返した配列の {flat.size} 個の値がすべて {value} です。"
                     f"配列の大きさによらず、重みは乱数 N(0, σ²)(σ = {SMALL_STD})でなければなりません。"),
                   mistake=_MISTAKE["init-constant"])
    distinct = len({a.tobytes() for a in smalls})
    if distinct < SMALL_CALLS:
        raise Fail(M(f"{SMALL_CALLS} calls init_weight(4, 6, {SMALL_STD}) returned only {distinct} different arrays: "
                     "every call must draw new random values (no fixed seed inside the function).",
                     f"init_weight(4, 6, {SMALL_STD}) を {SMALL_CALLS} 回呼んだところ、異なる配列は {distinct} 個だけでした。"
                     "呼ぶたびに新しい乱数をとる必要があります(関数の中で固定のシードを使わないでください)。"),
                   mistake=_MISTAKE["init-same-values-every-call"] if distinct == 1 else None)
    pool = np.concatenate([a.ravel() for a in smalls])
    var_big, var_pool = float(np.mean(big_arr ** 2)), float(np.mean(pool ** 2))
    lo_b, hi_b = chi2_interval(big_arr.size)
    lo_p, hi_p = chi2_interval(pool.size)
    z = z_two_sided()
    small_en = (f"The values of {SMALL_CALLS} small arrays init_weight(4, 6, {SMALL_STD}) taken together")
    small_ja = f"小さな配列 init_weight(4, 6, {SMALL_STD}) を {SMALL_CALLS} 個集めた値"
    if var_big > 0 and abs(float(np.mean(pool))) > z * math.sqrt(var_big / lo_b) / math.sqrt(pool.size):
        raise Fail(M(f"{small_en} have mean {fmt(float(np.mean(pool)))}, but should have mean 0.",
                     f"{small_ja}の平均が {fmt(float(np.mean(pool)))} です。平均は 0 になるはずです。"))
    ratio = var_pool / var_big if var_big > 0 else math.inf
    if not lo_p / hi_b <= ratio <= hi_p / lo_b:
        raise Fail(M(f"{small_en} have variance {fmt(var_pool)}, but one large array init_weight(600, 200, "
                     f"{SMALL_STD}) has {fmt(var_big)}: small and large arrays must come from the same "
                     "distribution.",
                     f"{small_ja}の分散が {fmt(var_pool)} ですが、大きな配列 init_weight(600, 200, {SMALL_STD}) の分散は "
                     f"{fmt(var_big)} です。配列の大きさによらず同じ分布からとる必要があります。"))


H_SHAPE = M("Return an array of shape (n_in, n_out) (rows = inputs, columns = outputs), e.g. "
            "`np.random.randn(n_in, n_out) * std`.",
            "形状 (n_in, n_out)(行 = 入力、列 = 出力)の配列を返します。例: `np.random.randn(n_in, n_out) * std`。")
H_HE = M('method "he": σ = √(2/n_in) (§7.2), W = np.random.randn(n_in, n_out) * σ.',
         'method "he": σ = √(2/n_in)(§7.2)、W = np.random.randn(n_in, n_out) * σ。')
H_XAVIER = M('method "xavier": σ = √(2/(n_in + n_out)) — the text\'s Glorot–Bengio (§7.2), not 1/n_in.',
             'method "xavier": σ = √(2/(n_in + n_out))。テキストの Glorot–Bengio(§7.2)で、1/n_in ではありません。')
H_FLOAT = M("A float method is the standard deviation σ itself: np.random.randn(n_in, n_out) * method.",
            "method が数値のときはそれ自体が標準偏差 σ: np.random.randn(n_in, n_out) * method。")
H_NORMAL = M("Draw from a normal distribution (np.random.randn / np.random.normal), not a uniform one (§7).",
             "一様分布ではなく正規分布からとります(np.random.randn / np.random.normal、§7)。")
H_RANDOM = M("Each call must draw fresh random numbers (no np.random.seed inside the function), for any size.",
             "どの大きさでも、呼ぶたびに新しい乱数をとります(関数の中で np.random.seed を呼ばない)。")

EXERCISE = Exercise(
    id="initialization",
    title=M("Weight initialisation", "重みの初期値"),
    section="7",
    notebooks=("2-6_初期値の取り方.ipynb",),
    items=(
        Item("init_weight.shape", 0.5, init_shape, H_SHAPE, "7"),
        Item("init_weight.he", 1, _method_item("he"), H_HE, "7.2"),
        Item("init_weight.xavier", 1, _method_item("xavier"), H_XAVIER, "7.2"),
        Item("init_weight.std", 1, init_float, H_FLOAT, "7"),
        Item("init_weight.normal", 1, init_normal, H_NORMAL, "7"),
        Item("init_weight.random", 1, init_random, H_RANDOM, "7"),
    ),
    mistakes=MISTAKES,
)
