"""Exercise 11 `dropout` — ドロップアウト (§9.2, notebook 2-9).

The drop fraction is checked on about 10⁵ elements against Hoeffding's bound,
which holds for any sample size without a normal approximation: a correct layer
fails with probability below 1e-10. Shapes and the ratio p are drawn afresh for
every grading, so neither a constant nor a size-detecting answer passes.
"""

from __future__ import annotations

import math

import numpy as np

from exercises.common import M, as_array, assert_close, check_no_mutation, fwd_msg
from grader.compare import Fail
from grader.context import ItemContext
from exercises import mistakes as catalogue
from grader.spec import Exercise, Item, Mistake

CLS = "Dropout"
FALSE_FAIL = 1e-10  # probability that a correct layer fails one fraction check
DX = M("dx (the value returned by backward)", "dx(backward の返り値)")
Y = fwd_msg(CLS)

# Exercise-specific mistakes, then the catalogued ones (exercises/mistakes.py) these checks can name.
MISTAKES = (
    Mistake("dropout-shared-mask", M(
        "One mask shared by the whole mini-batch",
        "ミニバッチ全体で同じマスクを使っている"), M(
        "The mask M has the shape of X: every sample of the batch drops its own units "
        "(np.random.rand(*x.shape), not np.random.rand(x.shape[1])).",
        "マスク M は X と同じ形状の配列で、データごとに消去するニューロンが変わります"
        "(np.random.rand(x.shape[1]) ではなく np.random.rand(*x.shape))。"), "9.2"),
    Mistake("dropout-backward-no-mask", M(
        "backward without the mask", "backward でマスクを掛けていない"), M(
        "A dropped unit passes no gradient: backward returns dout·M with the mask of the last forward (§9.2), "
        "not dout itself.",
        "消去したニューロンには勾配が流れません。backward は直前の forward のマスクを掛けた dout·M を返します"
        "(§9.2)。dout そのものではありません。"), "9.2"),
    Mistake("dropout-same-mask", M(
        "The same mask on every call", "毎回同じマスクになっている"), M(
        "Each training forward draws a NEW random mask; reseeding the generator (np.random.seed(...)) inside the "
        "layer makes every call drop the same units (§9.2).",
        "学習時の forward のたびに新しい乱数のマスクを作ります。層の中で乱数のシード(np.random.seed(...))を設定"
        "すると、毎回同じニューロンが消去されます(§9.2)。"), "9.2"),
    Mistake("dropout-test-no-scaling", M(
        "Test output not scaled by 1 − p", "テスト時の出力に 1 − p を掛けていない"), M(
        "Training keeps each unit with probability 1 − p without rescaling, so at test time the output is scaled "
        "to its expected value: y = x·(1 − p) (§9.2), not y = x.",
        "学習時は各ニューロンを確率 1 − p でそのまま残すので、テスト時は期待値に合わせて y = x·(1 − p) とします"
        "(§9.2)。y = x ではありません。"), "9.2"),
) + tuple(catalogue.MISTAKES[mid] for mid in ("dropout-inverted", "dropout-keep-p", "dropout-new-mask-in-backward",
                                              "dropout-at-test", "hyperparameter-ignored"))


INVERTED = M("That is \"inverted dropout\" (scale by 1/(1−p) while training, identity at test time); the text (§9.2) "
             "uses the original form: training y = x·M, test y = x·(1−p), backward dout·M.",
             "これは「inverted dropout」(学習時に 1/(1−p) 倍し、テスト時は恒等写像)です。テキスト(§9.2)は元の形"
             "です: 学習時 y = x·M、テスト時 y = x·(1−p)、逆伝播 dout·M。")


def name_inverted(fail: Fail) -> None:
    """Say "inverted dropout" in the feedback itself when the values match it."""
    if fail.mistake is not None and fail.mistake.id == "dropout-inverted":
        fail.msg = fail.msg + INVERTED


def fraction_bound(n: int) -> float:
    """t with P(|fraction − p| ≥ t) ≤ FALSE_FAIL for n independent draws (Hoeffding: 2·exp(−2nt²))."""
    return math.sqrt(math.log(2 / FALSE_FAIL) / (2 * n))


def draw_ratio(ctx: ItemContext) -> float:
    """p in [0.15, 0.4]: far from 0.5, so that p and 1 − p give clearly different fractions."""
    return round(float(ctx.rng.uniform(0.15, 0.4)), 3)


def nonzero(ctx: ItemContext, *shape) -> np.ndarray:
    return ctx.randn(*shape, away=0.1)


def _check_kept_values(ctx, x, y, p, what):
    """Every output is 0 (dropped) or exactly x (kept); kept values scaled by 1/(1−p) is inverted dropout."""
    y = as_array(y, what)
    if y.shape != x.shape:
        raise Fail(M(f"{what.en} has shape {y.shape}, expected {x.shape}.",
                     f"{what.ja} の形状が {y.shape} です。期待される形状は {x.shape} です。"))
    kept = y != 0
    if np.allclose(y[kept], x[kept] / (1 - p), rtol=1e-6) and not np.allclose(y[kept], x[kept], rtol=1e-6):
        raise Fail(M(f"{what.en}: the values kept are x/(1−p) = x/{1 - p:g}, not x.",
                     f"{what.ja}: 残した値が x ではなく x/(1−p) = x/{1 - p:g} になっています。") + INVERTED,
                   mistake=ctx.mistake("dropout-inverted"))
    assert_close(y[kept], x[kept], what + M("(the values kept: y must equal x wherever it is not 0)",
                                            "(残した値: 0 でないところでは y = x)"), rtol=1e-6, atol=0)
    return kept


def _check_fraction(ctx, kept, p, what):
    dropped = 1.0 - float(np.mean(kept))
    bound = fraction_bound(kept.size)
    if abs(dropped - p) <= bound:
        return
    mistake = ctx.mistake("dropout-keep-p") if abs(dropped - (1 - p)) <= bound else None
    if mistake is None and abs(p - 0.5) > 2 * bound and abs(dropped - 0.5) <= bound:
        mistake = ctx.mistake("hyperparameter-ignored")  # dropout_ratio ignored: 0.5, the default, hard-coded
    raise Fail(M(f"{what.en}: {dropped:.4f} of the {kept.size} outputs are 0, but with dropout_ratio={p:g} the "
                 f"fraction should be {p:g} (±{bound:.4f}, a range a correct layer leaves with probability below "
                 f"{FALSE_FAIL:g}).",
                 f"{what.ja}: {kept.size} 個の出力のうち 0 の割合が {dropped:.4f} ですが、dropout_ratio={p:g} なら "
                 f"{p:g}(±{bound:.4f}。正しい層がこの範囲を外れる確率は {FALSE_FAIL:g} 未満)のはずです。"),
               mistake=mistake)


def _check_independent(ctx, kept, what):
    """Each sample draws its own mask: not every row (or every column) the same."""
    if kept.shape[0] > 1 and np.all(kept == kept[:1]):
        raise Fail(M(f"{what.en}: every sample of the batch drops the same units.",
                     f"{what.ja}: バッチのすべてのデータで同じニューロンが消去されています。"),
                   mistake=ctx.mistake("dropout-shared-mask"))
    if kept.shape[1] > 1 and np.all(kept == kept[:, :1]):
        raise Fail(M(f"{what.en}: each sample is dropped or kept as a whole; the mask must be drawn per element.",
                     f"{what.ja}: データ単位でまとめて消去されています。マスクは要素ごとに作ります。"))


def dropout_forward(ctx: ItemContext):
    p = draw_ratio(ctx)
    for ctor, ratio in (({"dropout_ratio": p}, p), ({}, 0.5)):
        shape = (int(ctx.rng.integers(150, 250)), int(ctx.rng.integers(400, 600)))
        x = nonzero(ctx, *shape)
        b = ctx.batch()
        y = b.method(b.new(CLS, **ctor), "forward", x)
        b.run()
        what = Y + (M(f"(training, dropout_ratio={ratio:g})", f"(学習時、dropout_ratio={ratio:g})") if ctor else
                    M("(training, the default dropout_ratio 0.5)", "(学習時、既定の dropout_ratio 0.5)"))
        kept = _check_kept_values(ctx, x, y.value, ratio, what)
        _check_independent(ctx, kept, what)
        _check_fraction(ctx, kept, ratio, what)


def dropout_backward(ctx: ItemContext):
    p = draw_ratio(ctx)
    x, dout = nonzero(ctx, 40, 50), ctx.randn(40, 50)
    b = ctx.batch()
    obj = b.new(CLS, dropout_ratio=p)
    y = b.method(obj, "forward", x)
    dx = b.method(obj, "backward", dout)
    b.run()
    kept = as_array(y.value, Y).reshape(x.shape) != 0
    dx = as_array(dx.value, DX)
    if dx.shape == x.shape:
        dx_kept = dx != 0
        if not np.array_equal(dx_kept, kept) and 0 < dx_kept.mean() < 1 and abs(dx_kept.mean() - kept.mean()) < 0.2:
            raise Fail(M(f"dx is 0 at {int(np.sum(dx_kept != kept))} places where the forward's output was not "
                         "(or the other way round): backward must reuse the forward's mask, not draw a new one.",
                         f"{int(np.sum(dx_kept != kept))} か所で dx の 0 の位置が forward の出力の 0 の位置と"
                         "一致しません。backward では新しいマスクを作らず、forward のマスクを使います。"),
                       mistake=ctx.mistake("dropout-new-mask-in-backward"))
    try:
        assert_close(dx, dout * kept, DX + M("(dout where the forward kept x, 0 where it dropped it)",
                                             "(forward で残した位置では dout、消去した位置では 0)"),
                     variants=ctx.variants(dropout_inverted=dout * kept / (1 - p), dropout_backward_no_mask=dout))
    except Fail as fail:
        name_inverted(fail)
        raise


def dropout_new_mask(ctx: ItemContext):
    p = draw_ratio(ctx)
    x = nonzero(ctx, 40, 50)
    b = ctx.batch()
    obj = b.new(CLS, dropout_ratio=p)
    ys = [b.method(obj, "forward", x) for _ in range(2)]
    b.run()
    first, second = (as_array(y.value, Y) for y in ys)
    if first.shape == second.shape and np.array_equal(first != 0, second != 0):
        raise Fail(M("Two training forwards of the same x dropped exactly the same units: draw a new mask on "
                     "every forward call (and do not reseed the random generator inside the layer).",
                     "同じ x で学習時の forward を 2 回呼ぶと、まったく同じニューロンが消去されました。forward の"
                     "たびに新しいマスクを作ってください(層の中で乱数のシードを設定しないでください)。"),
                   mistake=ctx.mistake("dropout-same-mask"))


def dropout_test_mode(ctx: ItemContext):
    p = draw_ratio(ctx)
    x, x_train = ctx.randn(6, 7), nonzero(ctx, 20, 30)
    b = ctx.batch()
    y = b.method(b.new(CLS, dropout_ratio=p), "forward", x, train_flg=False)
    y_train = b.method(b.new(CLS, dropout_ratio=p), "forward", x_train)
    b.run()
    # y = x is inverted dropout only when training scales the kept values by 1/(1−p)
    kept = as_array(y_train.value, Y).reshape(x_train.shape) != 0
    inverted = np.allclose(as_array(y_train.value, Y).reshape(x_train.shape)[kept], x_train[kept] / (1 - p))
    try:
        assert_close(y.value, x * (1 - p), Y + M(f"with train_flg=False (dropout_ratio={p:g}: y = x·(1−p))",
                                                 f"(train_flg=False、dropout_ratio={p:g}: y = x·(1−p))"),
                     variants=ctx.variants(dropout_inverted=x if inverted else None, dropout_keep_p=x * p,
                                           dropout_test_no_scaling=None if inverted else x,
                                           hyperparameter_ignored=x * 0.5))
    except Fail as fail:
        name_inverted(fail)
        if fail.mistake is None:
            try:  # some outputs exactly 0 where x is not, the others x (or x/(1−p)): a mask drawn at test time
                got = as_array(y.value, Y).reshape(x.shape)
                zero = got == 0
                rest = np.isclose(got[~zero], x[~zero]) | np.isclose(got[~zero], x[~zero] / (1 - p))
                if zero.any() and not zero.all() and rest.all():
                    fail.mistake = ctx.mistake("dropout-at-test")
            except Exception:  # noqa: BLE001 - best effort
                pass
        raise


def dropout_no_mutation(ctx: ItemContext):
    try:
        check_no_mutation(ctx, CLS, {"dropout_ratio": draw_ratio(ctx)}, (nonzero(ctx, 6, 5),), ctx.randn(6, 5),
                          names=("x",))
    except Fail as fail:
        fail.mistake = fail.mistake or ctx.mistake("input-modified-in-place")
        raise


H_FORWARD = M("Training: mask = np.random.rand(*x.shape) > p (each element dropped with probability p), "
              "y = x·mask — the kept values unchanged (§9.2).",
              "学習時: mask = np.random.rand(*x.shape) > p(各要素を確率 p で消去)、y = x·mask。"
              "残す値はそのまま(§9.2)。")
H_BACKWARD = M("backward(dout) returns dout·mask with the mask stored by the last forward (§9.2).",
               "backward(dout) は直前の forward で保存したマスクを使って dout·mask を返します(§9.2)。")
H_NEW_MASK = M("Draw the mask inside forward, anew on every call.",
               "マスクは forward の中で、呼び出しのたびに新しく作ります。")
H_TEST = M("With train_flg=False: y = x·(1 − p), no mask (§9.2; not inverted dropout).",
           "train_flg=False のとき: マスクなしで y = x·(1 − p)(§9.2。inverted dropout ではありません)。")
H_MUT = M("Do not write into x or dout (no `x *= mask`); make new arrays.",
          "x や dout に書き込まないでください(`x *= mask` は不可)。新しい配列を作ります。")

EXERCISE = Exercise(
    id="dropout",
    title=M("Dropout", "ドロップアウト"),
    section="9.2",
    notebooks=("2-9_ドロップアウト.ipynb",),
    items=(
        Item(f"{CLS}.forward", 1.5, dropout_forward, H_FORWARD, "9.2", kind="class"),
        Item(f"{CLS}.backward", 1.5, dropout_backward, H_BACKWARD, "9.2", kind="class"),
        Item(f"{CLS}.new_mask", 1, dropout_new_mask, H_NEW_MASK, "9.2", kind="class"),
        Item(f"{CLS}.test_mode", 1, dropout_test_mode, H_TEST, "9.2", kind="class"),
        Item(f"{CLS}.no_mutation", 0.5, dropout_no_mutation, H_MUT, "9.2", kind="class"),
    ),
    mistakes=MISTAKES,
)
