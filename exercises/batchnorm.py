"""Exercise 10 `batchnorm` — バッチ正規化 (§8, notebook 2-7).

Every valid ε (0 < ε ≤ 1e-5, inside the square root as in the text) must pass. The
checks compute the expected value at ε = 0 and at ε = 1e-5 and accept anything
between the two (plus the usual tolerance): to first order in ε every valid ε
lies on that segment. Batches are built with an exact biased variance ≥ 1 per
feature, so the segment is narrow (≈ ε/2 relative) and every bug lies far off it.
"""

from __future__ import annotations

import numpy as np

from exercises.common import M, as_array, assert_close, check_no_mutation, fwd_msg
from grader.compare import ATOL, RTOL, Fail
from grader.context import ItemContext
from exercises import mistakes as catalogue
from grader.spec import Exercise, Item, Mistake
from reference import layers as ref

CLS = "BatchNormalization"
EPS_MAX = 1e-5  # EXERCISES.md: any ε up to 1e-5
EPS_RANGE = (0.0, EPS_MAX)
DX = M("dx (the value returned by backward)", "dx(backward の返り値)")


def assert_in_envelope(value, candidates, what, rtol: float = RTOL, atol: float = ATOL, **kw) -> np.ndarray:
    """``assert_close`` against the element-wise range spanned by ``candidates`` (the valid variants).

    A value passes when every element lies between the smallest and the largest
    candidate, widened by the usual tolerance.
    """
    stack = np.stack([np.asarray(c, dtype=float) for c in candidates])
    lo, hi = stack.min(axis=0), stack.max(axis=0)
    return assert_close(value, (lo + hi) / 2, what, rtol=rtol, atol=atol + (hi - lo) / 2, **kw)


def batch(ctx: ItemContext, n: int, d: int, s: tuple[float, float] = (1.0, 3.0)) -> np.ndarray:
    """(n, d) data whose biased per-feature variance is exactly s² with s in [1, 3] (or ``s``), mean in [−3, 3]."""
    z = ctx.randn(n, d)
    z = (z - z.mean(axis=0)) / z.std(axis=0)
    return z * ctx.rng.uniform(*s, d) + ctx.rng.uniform(-3.0, 3.0, d)


def gamma_beta(ctx: ItemContext, d: int) -> tuple[np.ndarray, np.ndarray]:
    return ctx.rng.uniform(0.5, 2.0, d), ctx.randn(d)


def ref_layer(gamma, beta, eps, **kw) -> ref.BatchNormalization:
    return ref.BatchNormalization(np.array(gamma), np.array(beta), eps=eps, **kw)


def ref_train(gamma, beta, x, dout, eps):
    """(y, dx, dgamma, dbeta) of the reference layer in training mode."""
    layer = ref_layer(gamma, beta, eps)
    y = layer.forward(x)
    dx = layer.backward(dout)
    return y, dx, layer.dgamma, layer.dbeta


# ------------------------------------------------------------------ mistakes

# Exercise-specific mistakes, then the catalogued ones (exercises/mistakes.py) these checks can name.
MISTAKES = (
    # one kind (counted under one id), two explanations: which of the two terms is missing
    Mistake("bn-backward-missing-term", catalogue.MISTAKES["bn-backward-missing-term"].title, M(
        "The term c = mean(dE/dY, axis=0) is missing: dE/dX = γ/σ (dE/dY − c − X̃·d) (§8.2) — the batch mean μ "
        "depends on x as well.",
        "c = mean(dE/dY, axis=0) の項が抜けています: dE/dX = γ/σ (dE/dY − c − X̃·d)(§8.2)。バッチ平均 μ も x に"
        "依存します。"), "8.2"),
    Mistake("bn-backward-missing-term", catalogue.MISTAKES["bn-backward-missing-term"].title, M(
        "The term X̃·d with d = mean(X̃·dE/dY, axis=0) is missing: dE/dX = γ/σ (dE/dY − c − X̃·d) (§8.2) — "
        "the batch variance depends on x as well.",
        "X̃·d(d = mean(X̃·dE/dY, axis=0))の項が抜けています: dE/dX = γ/σ (dE/dY − c − X̃·d)(§8.2)。"
        "バッチの分散も x に依存します。"), "8.2"),
    Mistake("bn-backward-constant-stats", M(
        "Batch-norm backward treats μ and σ as constants",
        "バッチ正規化の逆伝播で μ と σ を定数扱いしている"), M(
        "γ/σ·dE/dY alone is the gradient for fixed statistics (test mode). In training μ and σ are computed "
        "from the batch: dE/dX = γ/σ (dE/dY − c − X̃·d).",
        "γ/σ·dE/dY だけでは統計量を固定した場合(テスト時)の勾配です。学習時は μ と σ もバッチから計算されるので "
        "dE/dX = γ/σ (dE/dY − c − X̃·d) となります。"), "8.2"),
    Mistake("bn-backward-sums-for-means", M(
        "Batch-norm backward with sums where the text has means",
        "バッチ正規化の逆伝播で平均の代わりに和を使っている"), M(
        "c and d are means over the batch (divided by N), while dγ and dβ are sums.",
        "c と d はバッチ方向の平均(N で割る)、dγ と dβ は和です。"), "8.2"),
    Mistake("bn-param-grads-averaged", M(
        "dγ or dβ averaged instead of summed",
        "dγ や dβ を和ではなく平均にしている"), M(
        "dβ = sum(dE/dY, axis=0) and dγ = sum(X̃·dE/dY, axis=0) (§8.2): sums, not means.",
        "dβ = sum(dE/dY, axis=0)、dγ = sum(X̃·dE/dY, axis=0)(§8.2)。平均ではなく和です。"), "8.2"),
    Mistake("bn-running-not-updated", M(
        "Running statistics never updated",
        "移動平均が更新されていない"), M(
        "Each training forward must update running_mean and running_var from the batch statistics, so that "
        "test mode can use them (§8.2).",
        "学習時の forward のたびにバッチの統計量で running_mean と running_var を更新します。"
        "テスト時にそれを使います(§8.2)。"), "8.2"),
    Mistake("bn-backward-sigma-squared", M(
        "Batch-norm backward divides by σ² instead of σ",
        "バッチ正規化の逆伝播で σ ではなく σ² で割っている"), M(
        "dE/dX = γ/σ (dE/dY − c − X̃·d) with σ = √(v + ε), the standard deviation — not the variance (§8.2).",
        "dE/dX = γ/σ (dE/dY − c − X̃·d) の σ = √(v + ε) は標準偏差です。分散ではありません(§8.2)。"), "8.2"),
    Mistake("bn-dgamma-without-xhat", M(
        "dγ without the factor X̃",
        "dγ に X̃ が掛かっていない"), M(
        "y = γ·X̃ + β, so dγ = sum(X̃·dE/dY, axis=0); sum(dE/dY, axis=0) is dβ (§8.2).",
        "y = γ·X̃ + β なので dγ = sum(X̃·dE/dY, axis=0) です。sum(dE/dY, axis=0) は dβ です(§8.2)。"), "8.2"),
    Mistake("bn-no-beta", M(
        "β not added", "β を足していない"), M(
        "The output is y = γ·X̃ + β: the shift β is missing (§8.2).",
        "出力は y = γ·X̃ + β です。シフト β がありません(§8.2)。"), "8.2"),
    Mistake("bn-test-mode-updates-running", M(
        "Test mode changes the running statistics", "テスト時に移動平均・移動分散を更新している"), M(
        "With train_flg=False the layer only USES running_mean and running_var; only training forwards update "
        "them (§8.2). Otherwise the same test batch gives another output on every call.",
        "train_flg=False のときは running_mean と running_var を使うだけです。更新するのは学習時の forward だけです"
        "(§8.2)。そうしないと同じテストデータでも呼び出すたびに出力が変わります。"), "8.2"),
) + tuple(catalogue.MISTAKES[mid] for mid in ("bn-ddof1", "bn-wrong-axis", "bn-running-reversed",
                                              "bn-batch-stats-at-test", "eps-too-large", "hyperparameter-ignored"))
BIG_EPS = 1e-3  # beyond the valid ε ≤ 1e-5: what "eps-too-large" looks like
MISSING_MEAN_TERM, MISSING_XHAT_TERM = MISTAKES[0], MISTAKES[1]


def wrong_forward(gamma, beta, x, eps=1e-7):
    """What the typical forward mistakes return."""
    n = x.shape[0]
    xc = x - x.mean(axis=0)
    unbiased = gamma * xc / np.sqrt(np.sum(xc ** 2, axis=0) / (n - 1) + eps) + beta
    xr = x - x.mean(axis=1, keepdims=True)
    wrong_axis = gamma * xr / np.sqrt(np.mean(xr ** 2, axis=1, keepdims=True) + eps) + beta
    no_beta = gamma * xc / np.sqrt(np.mean(xc ** 2, axis=0) + eps)
    big_eps = gamma * xc / np.sqrt(np.mean(xc ** 2, axis=0) + BIG_EPS) + beta
    return {"bn_ddof1": unbiased, "bn_wrong_axis": wrong_axis, "bn_no_beta": no_beta, "eps_too_large": big_eps}


# ------------------------------------------------------------------ forward

def bn_forward(ctx: ItemContext):
    # (N, D) with N ≠ D, and a square batch where an axis=1 version broadcasts without an error
    for n, d in ((10, 4), (5, 5)):
        x = batch(ctx, n, d)
        gamma, beta = gamma_beta(ctx, d)
        b = ctx.batch()
        y = b.method(b.new(CLS, gamma=gamma, beta=beta), "forward", x)
        b.run()
        expected = [ref_layer(gamma, beta, e).forward(x) for e in EPS_RANGE]
        assert_in_envelope(y.value, expected, fwd_msg(CLS) + M(f"(x of shape {x.shape})", f"(x の形状 {x.shape})"),
                           variants=ctx.variants(**wrong_forward(gamma, beta, x)))


# ------------------------------------------------------------------ backward

def _train_backward(ctx: ItemContext, n=6, d=3, s=(1.0, 3.0)):
    x = batch(ctx, n, d, s)
    gamma, beta = gamma_beta(ctx, d)
    dout = ctx.randn(n, d)
    b = ctx.batch()
    obj = b.new(CLS, gamma=gamma, beta=beta)
    y = b.method(obj, "forward", x)
    dx = b.method(obj, "backward", dout)
    b.run()
    return x, gamma, beta, dout, y.value, dx.value, obj


def _backward_variants(ctx, gamma, x, dout, eps=1e-7):
    n = x.shape[0]
    std = np.sqrt(x.var(axis=0) + eps)
    xn = (x - x.mean(axis=0)) / std
    c, d = dout.mean(axis=0), np.mean(xn * dout, axis=0)
    g = gamma / std
    return {MISSING_MEAN_TERM: g * (dout - xn * d), MISSING_XHAT_TERM: g * (dout - c),
            **ctx.variants(bn_backward_constant_stats=g * dout,
                           bn_backward_sums_for_means=g * (dout - n * c - xn * n * d),
                           bn_backward_sigma_squared=gamma / std ** 2 * (dout - c - xn * d),
                           eps_too_large=ref_train(gamma, np.zeros_like(gamma), x, dout, BIG_EPS)[1])}


def bn_backward(ctx: ItemContext):
    x, gamma, beta, dout, y, dx, _ = _train_backward(ctx)
    refs = [ref_train(gamma, beta, x, dout, e) for e in EPS_RANGE]
    try:
        assert_in_envelope(dx, [r[1] for r in refs], DX, variants=_backward_variants(ctx, gamma, x, dout))
    except Fail as fail:
        fail.msg = fail.msg + _backward_diagnosis(ctx, gamma, beta, x, dout, y, dx, [r[0] for r in refs])
        raise


def _backward_diagnosis(ctx, gamma, beta, x, dout, y, dx, y_expected):
    """Why dx is wrong: the forward it differentiates, or the backward formula itself."""
    try:
        assert_in_envelope(y, y_expected, fwd_msg(CLS))
    except Fail:
        return M("Your forward output differs from the text's as well (see BatchNormalization.forward): "
                 "fix the forward first.",
                 "forward の出力もテキストと違います(BatchNormalization.forward を参照)。先に forward を直してください。")
    try:
        numeric = ctx.numerical_vjp(lambda bb, xv: bb.method(bb.new(CLS, gamma=gamma, beta=beta), "forward", xv),
                                    x, dout, what=fwd_msg(CLS))
    except Exception:  # noqa: BLE001 - the diagnosis is best-effort
        return M("", "")
    if np.allclose(np.asarray(dx, dtype=float).reshape(numeric.shape), numeric, rtol=1e-4, atol=1e-6):
        return M("", "")
    return M("Your forward is right, but dx is not its derivative (checked by numerical differentiation of your "
             "forward): a term of the backward formula is wrong or missing.",
             "forward は正しいのですが、dx がその微分になっていません(あなたの forward の数値微分で確認)。"
             "逆伝播の式の項が違うか、抜けています。")


def bn_param_grads(ctx: ItemContext):
    # variances below 2.25: an ε of 1e-3 then moves every dgamma by more than the tolerance (with s up to 3 it
    # hid below it in about 1 of 20 seeds)
    x, gamma, beta, dout, _, _, obj = _train_backward(ctx, n=7, d=4, s=(0.7, 1.5))
    b = ctx.batch()
    dgamma = b.attr(obj, "dgamma")
    dbeta = b.attr(obj, "dbeta")
    b.run()
    expected = [ref_train(gamma, beta, x, dout, e)[2] for e in EPS_RANGE]
    xn = (x - x.mean(axis=0)) / x.std(axis=0)
    assert_in_envelope(dgamma.value, expected, M("self.dgamma", "self.dgamma"),
                       variants=ctx.variants(bn_param_grads_averaged=np.mean(xn * dout, axis=0),
                                             bn_dgamma_without_xhat=dout.sum(axis=0),
                                             eps_too_large=ref_train(gamma, beta, x, dout, BIG_EPS)[2]))
    assert_close(dbeta.value, dout.sum(axis=0), M("self.dbeta", "self.dbeta"),
                 variants=ctx.variants(bn_param_grads_averaged=dout.mean(axis=0)))


# ------------------------------------------------------------------ running statistics

def _expected_running(batches, momentum, mean0, var0):
    rm, rv = mean0, var0
    for x in batches:
        rm = momentum * rm + (1 - momentum) * x.mean(axis=0)
        rv = momentum * rv + (1 - momentum) * x.var(axis=0)
    return rm, rv


def _running_variants(batches, momentum, mean0, var0):
    rev_m, rev_v = mean0, var0
    unb_v = var0
    for x in batches:
        rev_m = (1 - momentum) * rev_m + momentum * x.mean(axis=0)
        rev_v = (1 - momentum) * rev_v + momentum * x.var(axis=0)
        unb_v = momentum * unb_v + (1 - momentum) * x.var(axis=0, ddof=1)
    out = ({"bn_running_reversed": rev_m, "bn_running_not_updated": mean0},
           {"bn_running_reversed": rev_v, "bn_ddof1": unb_v, "bn_running_not_updated": var0})
    if momentum != 0.9:  # the momentum argument ignored (0.9, the default, hard-coded)
        hm, hv = _expected_running(batches, 0.9, mean0, var0)
        out[0]["hyperparameter_ignored"] = hm
        out[1]["hyperparameter_ignored"] = hv
    return out


def _running_from_test_mode(ctx: ItemContext, obj, gamma, beta, d):
    """Infer (running_mean, running_var + ε) from two test-mode outputs: y = γ(x − m)/s + β."""
    xa, xb = ctx.randn(1, d), ctx.randn(1, d) + 2.0
    b = ctx.batch()
    ya = b.method(obj, "forward", xa, train_flg=False)
    yb = b.method(obj, "forward", xb, train_flg=False)
    b.run()
    what = fwd_msg(CLS) + M("(train_flg=False)", "(train_flg=False)")
    ya, yb = (as_array(v.value, what).reshape(-1) for v in (ya, yb))
    with np.errstate(divide="ignore", invalid="ignore"):
        s = gamma * (xa - xb).reshape(-1) / (ya - yb)
        m = xa.reshape(-1) - s * (ya - beta) / gamma
    return m, s * s


def bn_running_stats(ctx: ItemContext):
    d = 3
    scenarios = [
        # running stats start as zeros when None (the default momentum 0.9)
        ({}, 0.9, np.zeros(d), np.zeros(d)),
        # given initial running statistics and another momentum
        ({"momentum": 0.8}, 0.8, ctx.randn(d), ctx.rng.uniform(0.5, 2.0, d)),
    ]
    for extra, momentum, mean0, var0 in scenarios:
        gamma, beta = gamma_beta(ctx, d)
        batches = [batch(ctx, n, d) for n in (8, 5, 12)]
        ctor = dict(gamma=gamma, beta=beta, **extra)
        if extra:
            ctor.update(running_mean=mean0.copy(), running_var=var0.copy())
        b = ctx.batch()
        obj = b.new(CLS, **ctor)
        for i, x in enumerate(batches):
            if i == 1:
                b.method(obj, "forward", x, train_flg=True, want=False)
            else:
                b.method(obj, "forward", x, want=False)
        b.run()
        rm, rv = _expected_running(batches, momentum, mean0, var0)
        wrong_m, wrong_v = _running_variants(batches, momentum, mean0, var0)
        context = M(f"(after {len(batches)} training forwards, momentum={momentum}"
                    + (", running_mean/running_var given)" if extra else ", running_mean=None)"),
                    f"(学習時の forward を {len(batches)} 回呼んだ後、momentum={momentum}"
                    + ("、running_mean/running_var を指定)" if extra else "、running_mean=None)"))
        # the attributes named like the constructor arguments, when they exist; otherwise test-mode behaviour
        b = ctx.batch()
        got_m, got_v = b.attr(obj, "running_mean"), b.attr(obj, "running_var")
        try:
            b.run()
            got_m, got_v = as_array(got_m.value, M("", "")), as_array(got_v.value, M("", ""))
            readable = got_m.size == d and got_v.size == d
        except Exception:  # noqa: BLE001 - other attribute names are allowed
            readable = False
        if readable:
            assert_close(got_m.reshape(d), rm, M("running_mean", "running_mean"), context=context,
                         variants=ctx.variants(**wrong_m))
            assert_close(got_v.reshape(d), rv, M("running_var", "running_var"), context=context,
                         variants=ctx.variants(**wrong_v))
        else:
            m, v = _running_from_test_mode(ctx, obj, gamma, beta, d)
            how = M("as used by forward(x, train_flg=False)", "(forward(x, train_flg=False) が使う値)")
            assert_close(m, rm, M("The running mean", "移動平均") + how, context=context,
                         variants=ctx.variants(**wrong_m))
            assert_in_envelope(v, [rv + e for e in EPS_RANGE], M("The running variance", "移動分散") + how,
                               context=context, variants=ctx.variants(**wrong_v))


# ------------------------------------------------------------------ test mode

def bn_test_mode(ctx: ItemContext):
    d = 4
    gamma, beta = gamma_beta(ctx, d)
    mean0, var0 = ctx.randn(d), ctx.rng.uniform(0.5, 2.0, d)
    x1, x5 = ctx.randn(1, d, scale=2.0), ctx.randn(5, d, scale=2.0)
    b = ctx.batch()
    obj = b.new(CLS, gamma=gamma, beta=beta, momentum=0.9, running_mean=mean0.copy(), running_var=var0.copy())
    y1 = b.method(obj, "forward", x1, train_flg=False)
    y1_again = b.method(obj, "forward", x1, train_flg=False)
    y5 = b.method(obj, "forward", x5, train_flg=False)
    b.run()

    def expected(x):
        return [gamma * (x - mean0) / np.sqrt(var0 + e) + beta for e in EPS_RANGE]

    def batch_stats(x):
        return gamma * (x - x.mean(axis=0)) / np.sqrt(x.var(axis=0) + 1e-7) + beta

    def what(en, ja):
        return M(f"{CLS}.forward output with train_flg=False {en}", f"train_flg=False のときの {CLS}.forward の出力({ja})")

    assert_in_envelope(y1.value, expected(x1), what("for a batch of one", "データ数 1"),
                       variants=ctx.variants(bn_batch_stats_at_test=batch_stats(x1)))
    try:
        assert_in_envelope(y1_again.value, expected(x1), what(
            "for the same batch of one, called a second time (test mode must not change the running statistics)",
            "同じデータ数 1 のバッチで 2 回目の呼び出し。テスト時は移動平均・移動分散を変更しません"))
    except Fail as fail:
        fail.mistake = ctx.mistake("bn-test-mode-updates-running")  # the first call was right
        raise
    assert_in_envelope(y5.value, expected(x5), what("for a batch of 5", "データ数 5"),
                       variants=ctx.variants(bn_batch_stats_at_test=batch_stats(x5)))


def bn_no_mutation(ctx: ItemContext):
    gamma, beta = gamma_beta(ctx, 3)
    try:
        check_no_mutation(ctx, CLS, {"gamma": gamma, "beta": beta}, (batch(ctx, 5, 3),), ctx.randn(5, 3),
                          names=("x",))
    except Fail as fail:
        fail.mistake = fail.mistake or ctx.mistake("input-modified-in-place")
        raise


H_FORWARD = M("μ = mean(x, axis=0), v = mean((x − μ)², axis=0) (1/N), x̃ = (x − μ)/√(v + ε), y = γ·x̃ + β (§8.2).",
              "μ = mean(x, axis=0)、v = mean((x − μ)², axis=0)(1/N)、x̃ = (x − μ)/√(v + ε)、y = γ·x̃ + β(§8.2)。")
H_BACKWARD = M("dx = γ/σ (dout − c − x̃·d) with c = mean(dout, axis=0), d = mean(x̃·dout, axis=0), σ = √(v + ε) "
               "(§8.2); store x̃ and σ in forward.",
               "dx = γ/σ (dout − c − x̃·d)、c = mean(dout, axis=0)、d = mean(x̃·dout, axis=0)、σ = √(v + ε)(§8.2)。"
               "forward で x̃ と σ を保存します。")
H_PARAMS = M("self.dbeta = sum(dout, axis=0), self.dgamma = sum(x̃·dout, axis=0) (§8.2).",
             "self.dbeta = sum(dout, axis=0)、self.dgamma = sum(x̃·dout, axis=0)(§8.2)。")
H_RUNNING = M("In training: running = momentum·running + (1 − momentum)·(batch mean / biased batch variance); "
              "running statistics start as zeros when None.",
              "学習時: running = momentum·running + (1 − momentum)·(バッチ平均 / 1/N のバッチ分散)。"
              "None のときは 0 から始めます。")
H_TEST = M("With train_flg=False normalise with running_mean and running_var (not the batch's statistics); "
           "a batch of one must work and test mode changes nothing (§8.2).",
           "train_flg=False のときはバッチの統計量ではなく running_mean と running_var で正規化します。"
           "データ数 1 でも動き、テスト時は何も更新しません(§8.2)。")
H_MUT = M("Do not write into x, dout, gamma or beta (no `x -= mu`); make new arrays.",
          "x、dout、gamma、beta に書き込まないでください(`x -= mu` は不可)。新しい配列を作ります。")

EXERCISE = Exercise(
    id="batchnorm",
    title=M("Batch normalisation", "バッチ正規化"),
    section="8",
    notebooks=("2-7_バッチ正規化.ipynb",),
    items=(
        Item(f"{CLS}.forward", 1.5, bn_forward, H_FORWARD, "8.2", kind="class"),
        Item(f"{CLS}.backward", 2, bn_backward, H_BACKWARD, "8.2", kind="class"),
        Item(f"{CLS}.dgamma_dbeta", 1, bn_param_grads, H_PARAMS, "8.2", kind="class"),
        Item(f"{CLS}.running_stats", 1, bn_running_stats, H_RUNNING, "8.2", kind="class"),
        Item(f"{CLS}.test_mode", 1, bn_test_mode, H_TEST, "8.2", kind="class"),
        Item(f"{CLS}.no_mutation", 0.5, bn_no_mutation, H_MUT, "8.2", kind="class"),
    ),
    mistakes=MISTAKES,
)
