"""Exercise 12 `regularization` — 正則化 (§9.1, §9.4, notebooks 2-8, 2-10).

Items:

- ``l2_penalty``, ``l2_penalty_grad``, ``l1_penalty``, ``l1_penalty_grad`` — values (§9.1, the text's
  forms: α Σ sum(W∗W) with gradient 2αW), the gradient also diagnosed by numerical differentiation
  of the student's own penalty.
- ``Adam.*`` — the optimizers exercise's own Adam items (same inputs, tolerances and messages).
- ``MultiLayerNetExtend.*`` — structure and initial values, predict, accuracy, loss (weight decay over
  W only), gradient (against the reference AND numerical differentiation of the student's own
  ``loss(x, t, train_flg=True)``), dropout only in training (and gradient through its masks), and the
  lecture's experiment (§8.4).

Batch normalisation accepts any ε ≤ 1e-5: the expected values are computed with ε = 0 and
ε = 1e-5 and a value passes anywhere between the two (``assert_in_envelope``).

The experiment (``MultiLayerNetExtend.training``): the grader trains the student's net (64 → 6×50 →
10) with its own reference Adam (lr 0.01, batches of 100 drawn with the grader's RNG) on the 8×8
digits (exercises/data): in each step ONE round trip writes the previous step's parameters into the
student's arrays and calls ``gradient`` on the batch (sent as indices into the data set, which
stays in the worker). Accuracy is measured in the grader with the reference forward on the
grader's copy of the parameters; batch normalisation uses the statistics of the whole training
set (train mode over all 1797 samples), so the result does not depend on how, or whether, the
student's layers keep running statistics (running statistics would also do, but spread more:
minimum 0.951 instead of 0.976 over the same 1 600 runs).

Margins, measured with the reference net in place of the student's
(``bench/flaky_dropout_batchnorm.py experiment``):

- He + batch norm, 300 steps: 1 600 runs, min 0.976, mean 0.996 ± 0.003 — far above 0.85; a run
  below is retried once with a fresh net and fresh batches all the same (only a wrong net pays).
- std 0.01 without batch norm, 100 steps: 2 000 runs, mean 0.17 ± 0.09, max 0.525 — ONE run in
  2 000 escapes the plateau past 0.5. So this half takes the best of up to 3 runs with a fresh net
  and fresh batches (a correct net fails all three with probability ≈ (1/2000)³ ≈ 1e-10), while the
  mistake it targets, weight_init_std ignored (He without batch norm), gives ≥ 0.93 on every run
  (100 runs: min 0.930, mean 0.970).

A correct, vectorised net takes about 2 s for the whole item (one BN run + one plain run).
"""

from __future__ import annotations

import dataclasses
import functools
import math
import time
from pathlib import Path

import numpy as np

from exercises import mistakes as catalogue
from exercises.batchnorm import EPS_RANGE, MISSING_MEAN_TERM, MISSING_XHAT_TERM, assert_in_envelope
from exercises.common import M, as_array, as_scalar, assert_close
from exercises.dropout import INVERTED, MISTAKES as DROPOUT_MISTAKES
from exercises.initialization import MISTAKES as INIT_MISTAKES
from exercises.initialization import check_mean_var
from exercises.optimizers import EXERCISE as OPTIMIZERS
from grader.compare import Fail, check_shape, fmt
from grader.context import ItemContext
from grader.runner.session import Budget, StudentTimeout
from grader.spec import Exercise, Item, Mistake
from reference import regularization as ref
from reference.initialization import init_std
from reference.layers import BatchNormalization as RefBatchNorm
from reference.layers import Dropout as RefDropout
from reference.multilayer_net import MultiLayerNetExtend as RefNet
from reference.optimizers import Adam as RefAdam

NET = "MultiLayerNetExtend"

# ------------------------------------------------------------------------------------------ mistakes

# Exercise-specific mistakes, then the catalogued ones (exercises/mistakes.py) these checks can name; the
# dropout, initialisation and optimizer ones come with those exercises' lists.
MISTAKES = (
    Mistake("l2-half-form", M(
        "L2 penalty in the ½λ‖W‖² form",
        "L2 ペナルティーが ½λ‖W‖² の形になっている"), M(
        "The text (§9.1) adds α Σ sum(W∗W) — no ½ (and its gradient is 2αW). \"Deep Learning from Scratch\" "
        "uses ½λ‖W‖²; this course uses the text's form.",
        "テキスト(§9.1)では α Σ sum(W∗W)(½ なし。勾配は 2αW)を加えます。「ゼロから作る Deep Learning」"
        "は ½λ‖W‖² ですが、この授業ではテキストの形を使います。"), "9.1"),
    Mistake("penalty-missing-alpha", M(
        "Penalty without the factor α",
        "ペナルティーに係数 α が掛かっていない"), M(
        "Both the penalty and its gradient are multiplied by α (the regularisation strength).",
        "ペナルティーとその勾配には、どちらも α(正則化の強さ)を掛けます。"), "9.1"),
    Mistake("l2-norm-not-squared", M(
        "L2 penalty with the norm instead of its square",
        "L2 ペナルティーがノルムの 2 乗ではなくノルム"), M(
        "Ω = Σ_l ‖W_l‖² = Σ_l sum(W_l ∗ W_l): the squared norm, no square root.",
        "Ω = Σ_l ‖W_l‖² = Σ_l sum(W_l ∗ W_l)。ノルムの 2 乗で、平方根はとりません。"), "9.1"),
    Mistake("l1-missing-abs", M(
        "L1 penalty without the absolute value",
        "L1 ペナルティーで絶対値をとっていない"), M(
        "|W| is the sum of the ABSOLUTE values of all elements: np.sum(np.abs(W)).",
        "|W| はすべての成分の絶対値の和です: np.sum(np.abs(W))。"), "9.1"),
    Mistake("l1-sign-at-zero", M(
        "sign(0) taken as +1", "sign(0) を +1 にしている"), M(
        "The L1 gradient is α·sign(W) and sign(0) = 0: `(W >= 0) - (W < 0)` or `np.where(W >= 0, 1, -1)` gives "
        "+α where W is exactly 0. Use np.sign(W) (§9.1).",
        "L1 の勾配は α·sign(W) で sign(0) = 0 です。`(W >= 0) - (W < 0)` や `np.where(W >= 0, 1, -1)` は W が"
        "ちょうど 0 の成分で +α になります。np.sign(W) を使います(§9.1)。"), "9.1"),
    Mistake("l1-sign-at-zero-negative", M(
        "sign(0) taken as −1", "sign(0) を −1 にしている"), M(
        "The L1 gradient is α·sign(W) and sign(0) = 0: `(W > 0) - (W <= 0)` or `np.where(W > 0, 1, -1)` gives "
        "−α where W is exactly 0. Use np.sign(W) (§9.1).",
        "L1 の勾配は α·sign(W) で sign(0) = 0 です。`(W > 0) - (W <= 0)` や `np.where(W > 0, 1, -1)` は W が"
        "ちょうど 0 の成分で −α になります。np.sign(W) を使います(§9.1)。"), "9.1"),
    Mistake("l1-sign-by-division", M(
        "L1 gradient computed by a division by sign(W)", "L1 の勾配を sign(W) で割って計算している"), M(
        "alpha / np.sign(W) equals α·sign(W) except where W is 0: there it divides by 0 (inf). Multiply: "
        "alpha * np.sign(W) (§9.1).",
        "alpha / np.sign(W) は W が 0 の成分以外では α·sign(W) と等しいですが、0 の成分では 0 で割ります(inf)。"
        "alpha * np.sign(W) と掛け算にします(§9.1)。"), "9.1"),
    Mistake("train-flg-default-true", M(
        "train_flg defaults to True",
        "train_flg の既定値が True になっている"), M(
        "loss(x, t) and predict(x) without train_flg compute the TEST result: the signature is "
        "`def loss(self, x, t, train_flg=False)` (docs/exercises.md, regularization). With True as the default, dropout and batch "
        "normalisation run in training mode whenever the test loss or accuracy is asked for.",
        "train_flg を渡さない loss(x, t) と predict(x) はテスト時の結果を返します。シグネチャは "
        "`def loss(self, x, t, train_flg=False)` です(docs/exercises.md の regularization)。既定値が True だと、テストの損失や精度を"
        "求めるたびにドロップアウトとバッチ正規化が学習モードで動きます。"), "9.2"),
    Mistake("dropout-never-applied", M(
        "use_dropout ignored: nothing is dropped", "use_dropout を無視している(何も消去されない)"), M(
        "With use_dropout=True the net puts a Dropout layer after every hidden activation, and each training call "
        "drops units with a new mask (§9.2).",
        "use_dropout=True のときは各中間層の活性化関数の後に Dropout 層を置き、学習時の呼び出しのたびに新しい"
        "マスクでニューロンを消去します(§9.2)。"), "9.2"),
    Mistake("bn-params-missing", M(
        "γ and β not in params", "γ と β が params にない"), M(
        "With use_batchnorm=True, params holds gamma1, beta1, … for every hidden layer (starting at 1 and 0), and "
        "the batch-norm layers use those very arrays, so that an optimizer trains them (§8.2).",
        "use_batchnorm=True のとき params には各中間層の gamma1, beta1, …(初期値 1 と 0)が入り、バッチ正規化の層は"
        "その配列そのものを使います。そうすることで最適化手法が学習できます(§8.2)。"), "8.2"),
    Mistake("decay-missing-in-loss", M(
        "Weight decay missing from the loss",
        "損失に重み減衰が入っていない"), M(
        "loss adds λ Σ_l sum(W_l ∗ W_l) to the cross-entropy (§9.1).",
        "loss は交差エントロピーに λ Σ_l sum(W_l ∗ W_l) を加えます(§9.1)。"), "9.1"),
) + tuple(catalogue.MISTAKES[mid] for mid in (
    "l2-grad-missing-2", "decay-not-in-gradient", "decay-includes-biases", "bn-batch-stats-at-test",
    "bn-backward-missing-term", "accuracy-count", "predict-returns-probabilities", "layers-hold-copies",
    "dropout-at-test", "weight-init-std-ignored", "bias-not-zero"))

_MISTAKE = {m.id: m for m in MISTAKES + DROPOUT_MISTAKES + INIT_MISTAKES}


# ------------------------------------------------------------------------------------------ penalties

def _weights(ctx: ItemContext) -> list[np.ndarray]:
    shapes = [(int(ctx.rng.integers(2, 6)), int(ctx.rng.integers(2, 6))) for _ in range(3)]
    return [ctx.randn(*s) for s in shapes]


def _alpha(ctx: ItemContext) -> float:
    return round(float(ctx.rng.uniform(0.05, 0.9)), 3)


def check_l2_penalty(ctx: ItemContext):
    for weights in (_weights(ctx), [ctx.randn(4, 3)]):
        alpha = _alpha(ctx)
        squares = sum(float(np.sum(W * W)) for W in weights)
        got = ctx.call("l2_penalty", weights, alpha)
        assert_close(as_scalar(got, M("l2_penalty(weights, alpha)", "l2_penalty(weights, alpha)")),
                     ref.l2_penalty(weights, alpha),
                     M(f"l2_penalty of {len(weights)} array(s), alpha={alpha}",
                       f"{len(weights)} 個の配列の l2_penalty、alpha={alpha}"),
                     variants={_MISTAKE["l2-half-form"]: alpha * squares / 2,
                               _MISTAKE["penalty-missing-alpha"]: squares,
                               _MISTAKE["l2-norm-not-squared"]: alpha * sum(np.sqrt(np.sum(W * W)) for W in weights)})


def check_l1_penalty(ctx: ItemContext):
    for weights in (_weights(ctx), [ctx.randn(3, 5)]):
        alpha = _alpha(ctx)
        got = ctx.call("l1_penalty", weights, alpha)
        assert_close(as_scalar(got, M("l1_penalty(weights, alpha)", "l1_penalty(weights, alpha)")),
                     ref.l1_penalty(weights, alpha),
                     M(f"l1_penalty of {len(weights)} array(s), alpha={alpha}",
                       f"{len(weights)} 個の配列の l1_penalty、alpha={alpha}"),
                     variants={_MISTAKE["penalty-missing-alpha"]: sum(float(np.sum(np.abs(W))) for W in weights),
                               _MISTAKE["l1-missing-abs"]: alpha * sum(float(np.sum(W)) for W in weights)})


def _penalty_grad_check(ctx: ItemContext, name: str, penalty: str, expected_fn, variants_fn):
    W = ctx.randn(4, 3, away=0.05)  # away from 0, where |W| has no derivative
    alpha = _alpha(ctx)
    got = ctx.call(name, W, alpha)
    expected = expected_fn(W, alpha)
    try:
        assert_close(got, expected, M(f"{name}(W, alpha={alpha})", f"{name}(W, alpha={alpha})"),
                     variants=variants_fn(W, alpha))
    except Fail as fail:
        # Diagnosis: the numerical derivative of the student's own penalty([W], alpha)
        try:
            numeric = ctx.numerical_vjp(lambda b, Wv: b.call(b.name(penalty), [Wv], alpha), W, np.array(1.0),
                                        what=M(f"{penalty}([W], alpha)", f"{penalty}([W], alpha)"))
            own = np.allclose(np.asarray(got, dtype=float).reshape(W.shape), numeric, rtol=1e-4, atol=1e-6)
            right = np.allclose(numeric, expected, rtol=1e-4, atol=1e-6)
        except Exception:  # noqa: BLE001 - the diagnosis is best effort
            own = right = False
        if own and not right:
            fail.msg = fail.msg + M(f"It is the derivative of your own {penalty}, so {penalty} differs from the "
                                    "text's as well.",
                                    f"あなたの {penalty} の微分にはなっているので、{penalty} もテキストと違います。")
        elif right:
            fail.msg = fail.msg + M(f"The numerical derivative of your own {penalty}([W], alpha) is the expected "
                                    "value: the gradient formula is what is wrong.",
                                    f"あなたの {penalty}([W], alpha) の数値微分は期待値と一致します。勾配の式が"
                                    "違っています。")
        raise


def check_l2_penalty_grad(ctx: ItemContext):
    _penalty_grad_check(ctx, "l2_penalty_grad", "l2_penalty", ref.l2_penalty_grad,
                        lambda W, a: {_MISTAKE["l2-grad-missing-2"]: a * W, _MISTAKE["penalty-missing-alpha"]: 2 * W})


def check_l1_penalty_grad(ctx: ItemContext):
    _penalty_grad_check(ctx, "l1_penalty_grad", "l1_penalty", ref.l1_penalty_grad,
                        lambda W, a: {_MISTAKE["penalty-missing-alpha"]: np.sign(W)})
    # exact zeros: α·sign(0) = 0 (a weight that is 0 is not pushed either way); `(W >= 0) - (W < 0)` gives +α
    # there, `alpha / np.sign(W)` gives inf
    W = ctx.randn(4, 5, away=0.05)
    zeros = ctx.rng.permutation(W.size)[:6]
    W.flat[zeros] = 0.0
    alpha = _alpha(ctx)
    got = ctx.call("l1_penalty_grad", W, alpha)
    with np.errstate(divide="ignore"):
        by_division = alpha / np.sign(W)
    idx = tuple(int(i) for i in np.unravel_index(int(zeros[0]), W.shape))
    assert_close(got, ref.l1_penalty_grad(W, alpha),
                 M(f"l1_penalty_grad(W, alpha={alpha}) for a W with exact zeros (W{list(idx)} = 0)",
                   f"厳密に 0 の成分を含む W(W{list(idx)} = 0)での l1_penalty_grad(W, alpha={alpha})"),
                 context=M("(α·sign(W): sign(0) = 0, so the gradient is 0 where W is 0 — np.sign(W))",
                           "(α·sign(W): sign(0) = 0 なので W が 0 の成分の勾配は 0 です。np.sign(W) を使います)"),
                 variants={_MISTAKE["l1-sign-at-zero"]: alpha * np.where(W >= 0, 1.0, -1.0),
                           _MISTAKE["l1-sign-at-zero-negative"]: alpha * np.where(W > 0, 1.0, -1.0),
                           _MISTAKE["l1-sign-by-division"]: by_division})


# ------------------------------------------------------------------------------------------ the net

@dataclasses.dataclass(frozen=True)
class Cfg:
    input_size: int
    hidden: tuple[int, ...]
    output_size: int
    activation: str = "relu"
    init: object = "relu"
    decay: float = 0.0
    use_dropout: bool = False
    dropout_ratio: float = 0.5
    use_batchnorm: bool = False
    defaults: bool = False  # the student's net is built without the arguments that have their default value

    @property
    def sizes(self) -> list[int]:
        return [self.input_size, *self.hidden, self.output_size]

    @property
    def depth(self) -> int:
        return len(self.hidden) + 1

    def ctor(self) -> dict:
        kw = {"input_size": self.input_size, "hidden_size_list": list(self.hidden),
              "output_size": self.output_size, "activation": self.activation, "weight_init_std": self.init,
              "weight_decay_lambda": self.decay, "use_dropout": self.use_dropout,
              "dropout_ratio": self.dropout_ratio, "use_batchnorm": self.use_batchnorm}
        if self.defaults:  # the signature's defaults are part of the contract (EXERCISES.md)
            default = Cfg(0, (), 0).ctor()
            kw = {k: v for k, v in kw.items() if k in ("input_size", "hidden_size_list", "output_size")
                  or v != default[k]}
        return kw

    def shapes(self) -> dict[str, tuple]:
        out = {}
        for i in range(1, self.depth + 1):
            out[f"W{i}"] = (self.sizes[i - 1], self.sizes[i])
            out[f"b{i}"] = (self.sizes[i],)
        if self.use_batchnorm:
            for i in range(1, self.depth):
                out[f"gamma{i}"] = (self.sizes[i],)
                out[f"beta{i}"] = (self.sizes[i],)
        return out

    def label(self) -> str:
        args = [str(self.input_size), str(list(self.hidden)), str(self.output_size)]
        defaults = Cfg(0, (), 0)
        for field, name in (("activation", "activation"), ("init", "weight_init_std"),
                            ("decay", "weight_decay_lambda"), ("use_dropout", "use_dropout"),
                            ("dropout_ratio", "dropout_ratio"), ("use_batchnorm", "use_batchnorm")):
            if getattr(self, field) != getattr(defaults, field):
                args.append(f"{name}={getattr(self, field)!r}")
        return f"{NET}({', '.join(args)})"

    def reference(self, values: dict, eps: float | tuple[float, float] = 1e-7) -> RefNet:
        net = RefNet(self.input_size, list(self.hidden), self.output_size, activation=self.activation,
                     weight_init_std=1.0, weight_decay_lambda=self.decay, use_dropout=self.use_dropout,
                     dropout_ratio=self.dropout_ratio, use_batchnorm=self.use_batchnorm,
                     rng=np.random.default_rng(0))
        for key, v in values.items():
            net.params[key][...] = v
        train_eps, test_eps = eps if isinstance(eps, tuple) else (eps, eps)
        for layer in net.layers.values():
            if isinstance(layer, RefBatchNorm):
                layer.eps = train_eps
                layer.forward = functools.partial(_bn_forward_mixed, layer, train_eps, test_eps)
        return net


def _bn_forward_mixed(layer: RefBatchNorm, train_eps: float, test_eps: float, x, train_flg=True):
    """The reference forward with one ε for the batch statistics and another for the running ones (both
    valid: a submission may well write ``np.sqrt(var)`` in one branch and ``+ 1e-5`` in the other)."""
    layer.eps = train_eps if train_flg else test_eps
    return RefBatchNorm.forward(layer, x, train_flg)


# Every (ε of the batch statistics, ε of the running statistics) corner of the valid range: the
# envelope of a net's outputs is spanned by all four, not only by the two that use one ε throughout
# (a net with ε = 0 in training and 1e-5 at test fell outside that in 6–12 % of the seeds).
EPS_CORNERS = tuple((a, b) for a in EPS_RANGE for b in EPS_RANGE)

# A δ ≤ DELTA_MAX inside the log is valid (EXERCISES.md): for one-hot t, −log(y_t + δ) changes the loss by
# log((y_t + δ)/y_t) and dE/dscores row by row by the factor y_t/(y_t + δ); both effects, computed exactly
# here, widen the tolerances of the loss, the gradient and the gradient check.
DELTA_MAX = 1e-5


def _delta_slack_loss(cfg: "Cfg", values, x, t, train_flg) -> float:
    return _delta_slack_scores(cfg.reference(values).predict(x, train_flg=train_flg), t)


def _delta_slack_scores(scores, t) -> float:
    p = np.exp(scores - scores.max(axis=1, keepdims=True))
    y_t = np.sum(p / p.sum(axis=1, keepdims=True) * t, axis=1)
    return float(np.mean(np.log(y_t + DELTA_MAX) - np.log(y_t)))


def _delta_slack_grads(cfg: "Cfg", values, x, t) -> dict[str, np.ndarray]:
    g0 = cfg.reference(values).gradient(x, t)
    net = cfg.reference(values)
    plain = net.last_layer.backward

    def scaled(dout=1):
        y_t = np.sum(net.last_layer.y * net.last_layer.t, axis=1)
        return plain(dout) * (y_t / (y_t + DELTA_MAX))[:, None]

    net.last_layer.backward = scaled
    gd = net.gradient(x, t)
    return {k: np.abs(gd[k] - g0[k]) for k in g0}


def _check_structure(value, cfg: Cfg) -> dict[str, np.ndarray]:
    label = cfg.label()
    if not isinstance(value, dict):
        raise Fail(M(f"{label}.params should be a dict of arrays, but it is "
                     f"{getattr(value, 'type_name', type(value).__name__)}.",
                     f"{label}.params は配列の辞書であるべきですが、{getattr(value, 'type_name', type(value).__name__)} "
                     "になっています。"))
    out = {}
    for key, shape in cfg.shapes().items():
        if key not in value:
            have = ", ".join(map(str, value)) or "none"
            bn_missing = key.startswith(("gamma", "beta")) and all(
                k in value for k in cfg.shapes() if not k.startswith(("gamma", "beta")))
            bn = " and gamma1, beta1, … for every hidden layer (use_batchnorm=True)" if cfg.use_batchnorm else ""
            bn_ja = "、use_batchnorm=True なら各中間層の gamma1, beta1, …" if cfg.use_batchnorm else ""
            raise Fail(M(f"{label}.params has no key {key!r} (keys: {have}). It must have W1, b1, …, "
                         f"W{cfg.depth}, b{cfg.depth}{bn}.",
                         f"{label}.params にキー {key!r} がありません(キー: {have})。W1, b1, …, W{cfg.depth}, "
                         f"b{cfg.depth}{bn_ja} が必要です。"),
                       mistake=_MISTAKE["bn-params-missing"] if bn_missing else None)
        arr = as_array(value[key], M(f"{label}.params[{key!r}]", f"{label}.params[{key!r}]"))
        if arr.shape != shape:
            raise Fail(M(f"{label}.params[{key!r}] has shape {arr.shape}, expected {shape}.",
                         f"{label}.params[{key!r}] の形状が {arr.shape} です。期待される形状は {shape} です。"))
        out[key] = arr
    return out


def _open(ctx: ItemContext, cfg: Cfg):
    """The student's net: (net ref, params ref, its initial params checked against the structure)."""
    b = ctx.batch()
    net = b.new(NET, **cfg.ctor())
    P = b.attr(net, "params")
    b.run()
    return net, P, _check_structure(P.value, cfg)


def _write(b, P, values: dict) -> None:
    """Write the grader's values into the student's existing arrays (in place, as an optimizer does)."""
    for k, v in values.items():
        b.assign(b.item(P, k, want=False), v)


def _trace(net: RefNet, x, train_flg: bool) -> tuple[list[np.ndarray], list[np.ndarray], np.ndarray]:
    """Run the reference net: (the inputs of the hidden activations, the inputs of the batch-norm layers,
    the scores). In train mode this updates the net's running statistics, as predict does."""
    acts, bn_inputs = [], []
    for name, layer in net.layers.items():
        if name.startswith("Activation"):
            acts.append(x)
        if isinstance(layer, RefBatchNorm):
            bn_inputs.append(x)
        x = layer.forward(x, train_flg) if isinstance(layer, (RefBatchNorm, RefDropout)) else layer.forward(x)
    return acts, bn_inputs, x


def _off_kinks(cfg: Cfg, acts: list[np.ndarray], margin: float = 0.01) -> bool:
    """Every ReLU input at least ``margin`` from 0, so that h = 1e-5 or ε ≤ 1e-5 never crosses the kink."""
    return cfg.activation != "relu" or all(np.abs(a).min() >= margin for a in acts)


def _draw(ctx: ItemContext, cfg: Cfg, n: int = 8, strict: bool = True):
    """x, t and parameter values; with ``strict``: probabilities in [0.02, 0.98] (EXERCISES.md), ReLU inputs
    off the kink, and batch-norm inputs of batch variance ≥ 0.1 (so that ε ≤ 1e-5 changes little)."""
    for _ in range(500):
        x = ctx.randn(n, cfg.input_size)
        t = ctx.one_hot(n, cfg.output_size)
        values = {}
        for i in range(1, cfg.depth + 1):
            n_in, n_out = cfg.sizes[i - 1], cfg.sizes[i]
            scale = 0.7 if i == cfg.depth else 1.0
            values[f"W{i}"] = ctx.randn(n_in, n_out) * np.sqrt(2.0 / n_in) * scale
            values[f"b{i}"] = ctx.randn(n_out, scale=0.3)
            if cfg.use_batchnorm and i < cfg.depth:
                values[f"gamma{i}"] = ctx.rng.uniform(0.5, 1.5, n_out)
                values[f"beta{i}"] = ctx.randn(n_out, scale=0.5)
        if not strict:
            return x, t, values
        acts, bn_inputs, scores = _trace(cfg.reference(values), x, True)
        probs = np.exp(scores - scores.max(axis=1, keepdims=True))
        probs /= probs.sum(axis=1, keepdims=True)
        if (0.02 <= probs.min() and probs.max() <= 0.98 and _off_kinks(cfg, acts)
                and all(z.var(axis=0).min() >= 0.1 for z in bn_inputs)):
            return x, t, values
    raise AssertionError("could not draw test data for the net")  # a grader bug, not the student's


def _no_decay(cfg: Cfg) -> Cfg:
    return dataclasses.replace(cfg, decay=0.0)


def _ref_loss(cfg, values, x, t, eps, train_flg):
    return cfg.reference(values, eps).loss(x, t, train_flg=train_flg)


def _ref_grads(cfg, values, x, t, eps):
    return cfg.reference(values, eps).gradient(x, t)


def _grad_dict(value, cfg: Cfg) -> dict[str, np.ndarray]:
    label = f"{cfg.label()}.gradient(x, t)"
    if not isinstance(value, dict):
        raise Fail(M(f"{label} should return a dict of arrays keyed like params, but returned "
                     f"{getattr(value, 'type_name', type(value).__name__)}.",
                     f"{label} は params と同じキーの配列の辞書を返すべきですが、"
                     f"{getattr(value, 'type_name', type(value).__name__)} が返されました。"))
    out = {}
    for key, shape in cfg.shapes().items():
        if key not in value:
            raise Fail(M(f"{label} has no key {key!r} (keys: {', '.join(map(str, value)) or 'none'}).",
                         f"{label} にキー {key!r} がありません(キー: {', '.join(map(str, value)) or 'なし'})。"))
        arr = as_array(value[key], M(f"{label}[{key!r}]", f"{label}[{key!r}]"))
        if arr.size == math.prod(shape):
            arr = arr.reshape(shape)
        out[key] = arr
    return out


# ---- params

PARAMS_CFG = (160, (50, 30), 10)  # W1 8 000 values; He 2/160, Glorot 2/210, 1/160 and 0.01 all differ


def check_net_params(ctx: ItemContext):
    inp, hidden, out = PARAMS_CFG
    cases = [Cfg(inp, hidden, out, use_batchnorm=True), Cfg(inp, hidden, out, init="he"),
             Cfg(inp, hidden, out, activation="sigmoid", init="sigmoid", use_batchnorm=True),
             Cfg(inp, hidden, out, activation="sigmoid", init="xavier"), Cfg(inp, hidden, out, init=0.01),
             Cfg(inp, hidden, out, use_batchnorm=True, defaults=True)]  # weight_init_std="relu" by default
    for cfg in cases:
        _, _, params = _open(ctx, cfg)
        label = cfg.label()
        for i in range(1, cfg.depth + 1):
            n_in, n_out = cfg.sizes[i - 1], cfg.sizes[i]
            sigma = init_std(n_in, n_out, cfg.init)
            if isinstance(cfg.init, str) and cfg.init in ("he", "relu"):
                formula = M(f"He, √(2/n_in) = √(2/{n_in})", f"He、√(2/n_in) = √(2/{n_in})")
                wrong = {_MISTAKE["he-variance-1-over-n"]: 1.0 / n_in}
            elif isinstance(cfg.init, str):
                formula = M(f"Glorot–Bengio, √(2/(n_in + n_out)) = √(2/{n_in + n_out})",
                            f"Glorot–Bengio、√(2/(n_in + n_out)) = √(2/{n_in + n_out})")
                wrong = {_MISTAKE["glorot-book-form"]: 1.0 / n_in}
            else:
                formula = M(f"weight_init_std = {cfg.init} is the standard deviation",
                            f"weight_init_std = {cfg.init} は標準偏差")
                wrong = {_MISTAKE["init-std-as-variance"]: float(cfg.init),
                         _MISTAKE["weight-init-std-ignored"]: 2.0 / n_in}  # He whatever is passed
            check_mean_var(params[f"W{i}"], sigma, M(f"{label}.params['W{i}'] ({n_in} → {n_out})",
                                                     f"{label}.params['W{i}']({n_in} → {n_out})"), formula, wrong)
            if np.any(params[f"b{i}"] != 0):
                raise Fail(M(f"{label}.params['b{i}'] should start at 0.", f"{label}.params['b{i}'] の初期値は 0 です。"),
                           mistake=_MISTAKE["bias-not-zero"])
            if cfg.use_batchnorm and i < cfg.depth:
                if not np.all(params[f"gamma{i}"] == 1) or not np.all(params[f"beta{i}"] == 0):
                    raise Fail(M(f"{label}: params['gamma{i}'] should start at 1 and params['beta{i}'] at 0 (§8.2).",
                                 f"{label}: params['gamma{i}'] の初期値は 1、params['beta{i}'] は 0 です(§8.2)。"))


# ---- predict / accuracy / loss

def _stale_note(fail: Fail, got, cfg: Cfg, original: dict, x, train_flg: bool, values: dict | None = None) -> Fail:
    """The output is that of the net's ORIGINAL parameters: the layers hold copies of params."""
    try:
        stale = cfg.reference(original).predict(x, train_flg=train_flg)
        got_arr = np.asarray(got, dtype=float).reshape(stale.shape)
        if values is not None and not np.allclose(got_arr, stale, rtol=1e-3, atol=1e-5):
            # only the hidden layers hold copies (the last Affine shares its arrays)
            last = {f"W{cfg.depth}", f"b{cfg.depth}"}
            mixed = {k: (values[k] if k in last else v) for k, v in original.items()}
            stale = cfg.reference(mixed).predict(x, train_flg=train_flg)
        if np.allclose(got_arr, stale, rtol=1e-3, atol=1e-5):
            fail.msg = fail.msg + M(
                "It is what the net's ORIGINAL parameters give: the grader writes new values into the arrays of "
                "self.params in place (as an optimizer does) and your layers do not see them — they must hold "
                "the very same arrays, not copies.",
                "これはネットワークの「元の」パラメータでの値です。採点では self.params の配列に新しい値をその場で"
                "書き込みます(最適化手法と同じ)が、あなたの層にはそれが見えていません。層はコピーではなく同じ配列を"
                "持つ必要があります。")
            fail.mistake = _MISTAKE["layers-hold-copies"]
    except Exception:  # noqa: BLE001 - best effort
        pass
    return fail


def check_net_predict(ctx: ItemContext):
    cases = (Cfg(5, (6, 4), 3), Cfg(5, (6, 4), 3, activation="sigmoid", init="sigmoid"),
             Cfg(5, (6, 4), 3, use_batchnorm=True),
             Cfg(5, (6, 4), 3, defaults=True))  # by default relu, no batch norm, no dropout
    for cfg in cases:
        x, _, values = _draw(ctx, cfg)
        refs = [cfg.reference(values, eps) for eps in EPS_CORNERS]
        if cfg.use_batchnorm:
            # two training calls (batch statistics), then test mode with the running statistics they left
            calls = [(x, {"train_flg": True}), (x, {"train_flg": True})]
            history = cfg.reference(values)
            history.predict(x, train_flg=True)
            history.predict(x, train_flg=True)
            # 6 rows: a test batch large enough that "batch statistics at test time" is recognisable for
            # every valid ε (with 3 rows a feature's batch variance can be small enough for ε to matter)
            x_test = ctx.randn(6, cfg.input_size)
            while not _off_kinks(cfg, _trace(history, x_test, False)[0]):
                x_test = ctx.randn(6, cfg.input_size)
            calls.append((x_test, {"train_flg": False}))
            calls.append((x_test, {}))  # the default is train_flg=False (EXERCISES.md)
        else:
            calls = [(x, {})]
        net, P, original = _open(ctx, cfg)
        b = ctx.batch()
        _write(b, P, values)
        outs = [b.method(net, "predict", xs, **kw) for xs, kw in calls]
        b.run()
        for (xs, kw), got in zip(calls, outs):
            flag = kw.get("train_flg", False)
            expected = [r.predict(xs, train_flg=flag) for r in refs]  # the reference nets replay the same calls
            if not kw and cfg.use_batchnorm:
                how = M("predict(x) (no train_flg: the default is train_flg=False) after two training calls",
                        "学習モードで 2 回呼んだ後の predict(x)(train_flg なし。既定値は train_flg=False)")
            elif not kw:
                how = M("predict(x)", "predict(x)")
            elif flag:
                how = M("predict(x, train_flg=True)", "predict(x, train_flg=True)")
            else:
                how = M("predict(x, train_flg=False) after two training calls (running statistics)",
                        "学習モードで 2 回呼んだ後の predict(x, train_flg=False)(移動平均・移動分散を使う)")
            # batch statistics in test mode: what a fresh net gives in training mode on the same batch
            mid = (np.min(expected, axis=0) + np.max(expected, axis=0)) / 2
            p = np.exp(mid - mid.max(axis=1, keepdims=True))
            variants = {_MISTAKE["predict-returns-probabilities"]: p / p.sum(axis=1, keepdims=True)}
            if cfg.use_batchnorm and not flag:
                as_train = cfg.reference(values).predict(xs, train_flg=True)
                variants[_MISTAKE["train-flg-default-true" if not kw else "bn-batch-stats-at-test"]] = as_train
            try:
                assert_in_envelope(got.value, expected, M(f"{cfg.label()}.{how.en}", f"{cfg.label()}.{how.ja}"),
                                   variants=variants)
            except Fail as fail:
                raise _stale_note(fail, got.value, cfg, original, xs, flag, values) from None
    _check_predict_small_variance(ctx)


def _check_predict_small_variance(ctx: ItemContext):
    """Batch norm where ε shows: every feature's batch variance is 1e-3 (running variance 1.9e-4 after two
    training calls), so only an ε in [0, 1e-5] keeps the output inside the envelope of the ε corners; a
    negative ε (var − 1e-6) or a larger one falls outside. One hidden layer and W2 = I make every score
    relu(γ·x̂ + β) + b2 of a single unit, a monotone function of ε, so the corners' envelope holds every
    valid ε exactly (no curvature between the corners)."""
    h = 6
    cfg = Cfg(5, (h,), h, use_batchnorm=True)
    x, x_test = ctx.randn(8, 5), ctx.randn(6, 5)
    w = ctx.randn(5, h)
    w *= np.sqrt(1e-3 / (x @ w).var(axis=0))
    values = {"W1": w, "b1": ctx.randn(h, scale=0.01), "gamma1": ctx.rng.uniform(0.5, 1.5, h),
              "beta1": ctx.randn(h, scale=0.5), "W2": np.eye(h), "b2": ctx.randn(h, scale=0.3)}
    refs = [cfg.reference(values, eps) for eps in EPS_CORNERS]
    calls = [(x, True), (x, True), (x_test, False)]
    net, P, original = _open(ctx, cfg)
    b = ctx.batch()
    _write(b, P, values)
    outs = [b.method(net, "predict", xs, train_flg=flag) for xs, flag in calls]
    b.run()
    for (xs, flag), got in zip(calls, outs):
        expected = [r.predict(xs, train_flg=flag) for r in refs]
        how = (M("predict(x, train_flg=True) with batch variances of 1e-3 (ε must lie in [0, 1e-5]: "
                 "x̂ = (x − μ) / √(σ² + ε))", "バッチ分散 1e-3 での predict(x, train_flg=True)(ε は [0, 1e-5] の範囲: "
                 "x̂ = (x − μ) / √(σ² + ε))") if flag else
               M("predict(x, train_flg=False) after two training calls with batch variances of 1e-3 (running "
                 "variance + ε, ε in [0, 1e-5])", "バッチ分散 1e-3 で 2 回学習した後の predict(x, train_flg=False)"
                 "(移動分散 + ε、ε は [0, 1e-5])"))
        try:
            assert_in_envelope(got.value, expected, M(f"{cfg.label()}.{how.en}", f"{cfg.label()}.{how.ja}"))
        except Fail as fail:
            raise _stale_note(fail, got.value, cfg, original, xs, flag, values) from None


def check_net_accuracy(ctx: ItemContext):
    cfg = Cfg(5, (6, 4), 4)
    x, _, values = _draw(ctx, cfg, n=20)
    scores = cfg.reference(values).predict(x)
    labels = np.argmax(scores, axis=1)
    # 5 to 8 of the 20 rows wrong: 60–75 % right, so that a count or 1 − accuracy (which 50 % would hide) shows
    wrong = np.zeros(20, dtype=bool)
    wrong[ctx.rng.permutation(20)[:int(ctx.rng.integers(5, 9))]] = True
    labels[wrong] = (labels[wrong] + ctx.rng.integers(1, 4, int(wrong.sum()))) % 4
    t = np.eye(4)[labels]
    net, P, _ = _open(ctx, cfg)
    b = ctx.batch()
    _write(b, P, values)
    own = b.method(net, "predict", x)
    acc = b.method(net, "accuracy", x, t)
    b.run()
    # judged on the student's own predict: a bug in predict (or in how params reach the layers) costs
    # `predict`, not `accuracy` — and a wrong net cannot pass here by a lucky count
    try:
        own_scores = np.asarray(own.value, dtype=float)
        scores = own_scores if own_scores.shape == scores.shape and np.all(np.isfinite(own_scores)) else scores
    except (TypeError, ValueError):
        pass
    expected = float(np.mean(np.argmax(scores, axis=1) == labels))
    got = as_scalar(acc.value, M(f"{cfg.label()}.accuracy(x, t)", f"{cfg.label()}.accuracy(x, t)"))
    assert_close(got, expected, M(f"{cfg.label()}.accuracy(x, t) (one-hot t, 20 samples)",
                                  f"{cfg.label()}.accuracy(x, t)(one-hot の t、20 データ)"), rtol=1e-9, atol=1e-9,
                 variants={_MISTAKE["accuracy-count"]: expected * 20})
    _check_accuracy_test_mode(ctx)


def _check_accuracy_test_mode(ctx: ItemContext):
    """accuracy is a test-time measure: with batch normalisation after training calls it uses the running
    statistics (predict(x, train_flg=False)). The batch is drawn so that the batch statistics move the
    arg-max of at least 3 of its 20 rows, and t is the test-time arg-max (100 % right)."""
    cfg = Cfg(5, (6, 4), 4, use_batchnorm=True)
    found = False
    for _ in range(40):  # a net and a test batch; each try is cheap (reference forwards only)
        x, _, values = _draw(ctx, cfg, n=20)
        history = cfg.reference(values)
        for _ in range(2):
            history.predict(x, train_flg=True)
        for _ in range(25):
            x2 = ctx.randn(20, cfg.input_size)
            scores = history.predict(x2, train_flg=False)
            top2 = np.sort(scores, axis=1)[:, -2:]
            as_train = np.argmax(cfg.reference(values).predict(x2, train_flg=True), axis=1)
            if (np.min(top2[:, 1] - top2[:, 0]) >= 1e-3 * (1 + np.abs(top2).max())
                    and np.sum(as_train != np.argmax(scores, axis=1)) >= 3):
                found = True
                break
        if found:
            break
    else:  # pragma: no cover - practically impossible
        raise AssertionError("could not draw a test batch for accuracy")
    t = np.eye(4)[np.argmax(scores, axis=1)]
    net, P, _ = _open(ctx, cfg)
    b = ctx.batch()
    _write(b, P, values)
    for _ in range(2):
        b.method(net, "predict", x, train_flg=True, want=False)
    own = b.method(net, "predict", x2, train_flg=False)
    acc = b.method(net, "accuracy", x2, t)
    b.run()
    try:  # judged on the student's own test-time predict, as above
        own_scores = np.asarray(own.value, dtype=float)
        scores = own_scores if own_scores.shape == scores.shape and np.all(np.isfinite(own_scores)) else scores
    except (TypeError, ValueError):
        pass
    expected = float(np.mean(np.argmax(scores, axis=1) == np.argmax(t, axis=1)))
    label = f"{cfg.label()}.accuracy(x, t)"
    assert_close(as_scalar(acc.value, M(label, label)), expected,
                 M(f"{label} after two calls of predict(x, train_flg=True)",
                   f"predict(x, train_flg=True) を 2 回呼んだ後の {label}"), rtol=1e-9, atol=1e-9,
                 context=M("(accuracy measures the test-time prediction: predict(x, train_flg=False), which "
                           "normalises with the running statistics)",
                           "(accuracy はテスト時の予測で測ります: predict(x, train_flg=False)。移動平均・移動分散で"
                           "正規化します)"),
                 variants={_MISTAKE["accuracy-count"]: expected * 20})


def _decay(ctx: ItemContext) -> float:
    return round(float(ctx.rng.uniform(0.05, 0.3)), 3)


def _loss_variants(cfg: Cfg, values, x, t, train_flg, eps=1e-7) -> dict[Mistake, float]:
    base = _ref_loss(_no_decay(cfg), values, x, t, eps, train_flg)
    w2 = sum(float(np.sum(v * v)) for k, v in values.items() if k.startswith("W"))
    all2 = sum(float(np.sum(v * v)) for v in values.values())
    return {_MISTAKE["l2-half-form"]: base + cfg.decay * w2 / 2, _MISTAKE["decay-missing-in-loss"]: base,
            _MISTAKE["decay-includes-biases"]: base + cfg.decay * all2}


def check_net_loss(ctx: ItemContext):
    lam = _decay(ctx)
    cases = [(Cfg(5, (6, 4), 3, decay=lam), False), (Cfg(5, (4, 4), 3, decay=lam, use_batchnorm=True), True),
             (Cfg(5, (6, 4), 3, defaults=True), False)]  # weight_decay_lambda=0 by default
    for cfg, flag in cases:
        x, t, values = _draw(ctx, cfg)
        net, P, _ = _open(ctx, cfg)
        b = ctx.batch()
        _write(b, P, values)
        loss = b.method(net, "loss", x, t, train_flg=True) if flag else b.method(net, "loss", x, t)
        b.run()
        how = "loss(x, t, train_flg=True)" if flag else "loss(x, t)"
        what = M(f"{cfg.label()}.{how}", f"{cfg.label()}.{how}")
        expected = [_ref_loss(cfg, values, x, t, eps, flag) for eps in EPS_RANGE]
        assert_in_envelope(as_scalar(loss.value, what), expected, what,
                           atol=1e-6 + 1.5 * _delta_slack_loss(cfg, values, x, t, flag),
                           variants=_loss_variants(cfg, values, x, t, flag))
    _check_loss_default(ctx, lam)


TRAIN_CALLS = 20  # running statistics then hold 1 − 0.9²⁰ = 88 % of the batch's: test outputs of the same order


def _check_loss_default(ctx: ItemContext, lam: float):
    """``loss(x, t)`` without train_flg is the TEST loss (EXERCISES.md: ``train_flg=False``): a batch-norm net
    after training calls normalises with its running statistics, a dropout net drops nothing."""
    cfg = Cfg(5, (4, 4), 3, decay=lam, use_batchnorm=True)
    found = False
    for _ in range(50):
        x, t, values = _draw(ctx, cfg)
        history = cfg.reference(values)
        for _ in range(TRAIN_CALLS):
            history.predict(x, train_flg=True)
        for attempt in range(20):  # a test batch off the kinks, probabilities in [0.01, 0.99] at test time
            x2 = x + (0.2 * ctx.randn(*x.shape) if attempt else 0.0)
            acts, _, scores = _trace(history, x2, False)
            p = np.exp(scores - scores.max(axis=1, keepdims=True))
            p /= p.sum(axis=1, keepdims=True)
            if _off_kinks(cfg, acts) and 0.01 <= p.min() and p.max() <= 0.99:
                found = True
                break
        if found:
            break
    else:  # pragma: no cover - practically impossible
        raise AssertionError("could not draw a test batch")
    t2 = t
    net, P, _ = _open(ctx, cfg)
    b = ctx.batch()
    _write(b, P, values)
    for _ in range(TRAIN_CALLS):
        b.method(net, "loss", x, t, train_flg=True, want=False)
    explicit = b.method(net, "loss", x2, t2, train_flg=False)
    loss = b.method(net, "loss", x2, t2)
    b.run()
    what = M(f"{cfg.label()}.loss(x, t) (no train_flg) after {TRAIN_CALLS} calls of loss(x, t, train_flg=True)",
             f"{cfg.label()}.loss(x, t)(train_flg なし。loss(x, t, train_flg=True) を {TRAIN_CALLS} 回呼んだ後)")
    refs = [cfg.reference(values, eps) for eps in EPS_CORNERS]
    for r in refs:
        for _ in range(TRAIN_CALLS):
            r.loss(x, t, train_flg=True)
    expected = [r.loss(x2, t2) for r in refs]
    trained = cfg.reference(values)
    for _ in range(TRAIN_CALLS):
        trained.loss(x, t, train_flg=True)
    as_train = trained.loss(x2, t2, train_flg=True)
    how = M(f"{cfg.label()}.loss(x, t, train_flg=False) after {TRAIN_CALLS} calls with train_flg=True",
            f"{cfg.label()}.loss(x, t, train_flg=False)(train_flg=True で {TRAIN_CALLS} 回呼んだ後)")
    assert_in_envelope(as_scalar(explicit.value, how), expected, how,
                       atol=1e-6 + 1.5 * _delta_slack_scores(scores, t2),
                       context=M("(test mode: the running statistics are used)",
                                 "(テストモード: 移動平均・移動分散を使います)"),
                       variants={_MISTAKE["bn-batch-stats-at-test"]: as_train})
    assert_in_envelope(as_scalar(loss.value, what), expected, what,
                       atol=1e-6 + 1.5 * _delta_slack_scores(scores, t2),
                       context=M("(the default is train_flg=False: the running statistics are used)",
                                 "(既定値は train_flg=False: 移動平均・移動分散を使います)"),
                       variants={_MISTAKE["train-flg-default-true"]: as_train})
    cfg = Cfg(5, (6, 4), 3, decay=lam, use_dropout=True, dropout_ratio=0.4)
    x, t, values = _draw(ctx, cfg)
    net, P, _ = _open(ctx, cfg)
    b = ctx.batch()
    _write(b, P, values)
    explicit = [b.method(net, "loss", x, t, train_flg=False) for _ in range(2)]
    losses = [b.method(net, "loss", x, t) for _ in range(2)]
    b.run()
    how = M(f"{cfg.label()}.loss(x, t, train_flg=False)", f"{cfg.label()}.loss(x, t, train_flg=False)")
    first, second = (as_scalar(v.value, how) for v in explicit)
    if first != second:
        raise Fail(M(f"Two calls of {how.en} returned {fmt(first)} and {fmt(second)}: at test time no unit is "
                     "dropped, so the test loss is the same every time.",
                     f"{how.ja} を 2 回呼ぶと {fmt(first)} と {fmt(second)} になりました。テスト時はニューロンを消去しない"
                     "ので、テストの損失は毎回同じです。"), mistake=_MISTAKE["dropout-at-test"])
    what = M(f"{cfg.label()}.loss(x, t) (no train_flg)", f"{cfg.label()}.loss(x, t)(train_flg なし)")
    first, second = (as_scalar(v.value, what) for v in losses)
    if first != second:
        raise Fail(M(f"Two calls of {what.en} returned {fmt(first)} and {fmt(second)}: without train_flg the net "
                     "must compute the test loss (train_flg=False, no dropout), which is the same every time. "
                     "The default of loss and predict is train_flg=False.",
                     f"{what.ja} を 2 回呼ぶと {fmt(first)} と {fmt(second)} になりました。train_flg を渡さないときは"
                     "テストの損失(train_flg=False、ドロップアウトなし)で、毎回同じ値になるはずです。loss と predict の"
                     "既定値は train_flg=False です。"), mistake=_MISTAKE["train-flg-default-true"])


# ---- gradient

H_NUM = 1e-5


def _numerical(ctx: ItemContext, net, P, values: dict, x, t):
    """Central differences of the student's own loss(x, t, train_flg=True) for every parameter element,
    together with gradient(x, t), in one batch."""
    b = ctx.batch()
    _write(b, P, values)
    xr, tr = b.const(x), b.const(t)
    g = b.method(net, "gradient", xr, tr)
    probes = []
    for key, v in values.items():
        arr = b.item(P, key, want=False)
        for flat in range(v.size):
            idx = tuple(int(i) for i in np.unravel_index(flat, v.shape))
            b.setitem(arr, idx, float(v[idx]) + H_NUM)
            lp = b.method(net, "loss", xr, tr, train_flg=True)
            b.setitem(arr, idx, float(v[idx]) - H_NUM)
            lm = b.method(net, "loss", xr, tr, train_flg=True)
            b.setitem(arr, idx, float(v[idx]))
            probes.append((key, idx, lp, lm))
    b.run()
    numeric = {k: np.empty_like(v) for k, v in values.items()}
    for key, idx, lp, lm in probes:
        what = M("loss(x, t, train_flg=True)", "loss(x, t, train_flg=True)")
        numeric[key][idx] = (as_scalar(lp.value, what) - as_scalar(lm.value, what)) / (2 * H_NUM)
    return g.value, numeric


def _grad_variants(cfg: Cfg, values, x, t, key: str) -> dict[Mistake, np.ndarray]:
    base = _ref_grads(_no_decay(cfg), values, x, t, 1e-7)[key]
    lam = cfg.decay
    if key.startswith("W"):
        return {_MISTAKE["l2-grad-missing-2"]: base + lam * values[key], _MISTAKE["decay-not-in-gradient"]: base,
                **_bn_backward_variants(cfg, values, x, t, key)}
    return {_MISTAKE["decay-includes-biases"]: base + 2 * lam * values[key],
            **_bn_backward_variants(cfg, values, x, t, key)}


def _bn_backward_variants(cfg: Cfg, values, x, t, key: str) -> dict[Mistake, np.ndarray]:
    """The gradient when every batch-norm backward lacks one term of dx = γ/σ (dout − c − x̃·d) (§8.2);
    either term gives the same kind of mistake (bn-backward-missing-term), whichever fits."""
    if not cfg.use_batchnorm:
        return {}
    out = {}
    for mistake, keep_c, keep_d in ((MISSING_MEAN_TERM, False, True), (MISSING_XHAT_TERM, True, False)):
        net = cfg.reference(values)
        for layer in net.layers.values():
            if isinstance(layer, RefBatchNorm):
                layer.backward = functools.partial(_bn_backward_without, layer, keep_c, keep_d)
        out[mistake] = net.gradient(x, t)[key]
    return out


def _bn_backward_without(layer: RefBatchNorm, keep_c: bool, keep_d: bool, dout: np.ndarray) -> np.ndarray:
    layer.dbeta = dout.sum(axis=0)
    layer.dgamma = np.sum(layer.xn * dout, axis=0)
    c = dout.mean(axis=0) if keep_c else 0.0
    d = np.mean(layer.xn * dout, axis=0) if keep_d else 0.0
    return layer.gamma / layer.std * (dout - c - layer.xn * d)


def check_net_gradient(ctx: ItemContext):
    lam = _decay(ctx)
    cases = [Cfg(5, (4, 4), 3, decay=lam, use_batchnorm=True),
             Cfg(4, (5, 3), 3, activation="sigmoid", init="sigmoid", decay=lam, use_batchnorm=True),
             Cfg(5, (4, 4), 3, decay=lam)]
    for cfg in cases:
        x, t, values = _draw(ctx, cfg)
        net, P, _ = _open(ctx, cfg)
        got, numeric = _numerical(ctx, net, P, values, x, t)
        grads = _grad_dict(got, cfg)
        expected = [_ref_grads(cfg, values, x, t, eps) for eps in EPS_RANGE]
        slack = _delta_slack_grads(cfg, values, x, t)
        for key in cfg.shapes():
            what = M(f"{cfg.label()}.gradient(x, t)[{key!r}]", f"{cfg.label()}.gradient(x, t)[{key!r}]")
            # the numerical derivative of a loss with δ inside the log differs from the analytic (y − t)/N
            # gradient by the δ effect: compared with that slack, not with the δ-free reference
            own = bool(grads[key].shape == numeric[key].shape and np.all(
                np.abs(grads[key] - numeric[key]) <= 1e-6 + 1e-4 * np.abs(numeric[key]) + 1.5 * slack[key]))
            try:
                assert_in_envelope(grads[key], [e[key] for e in expected], what, atol=1e-6 + 1.5 * slack[key],
                                   variants=_grad_variants(cfg, values, x, t, key))
            except Fail as fail:
                fail.msg = fail.msg + (M(
                    "It agrees with the numerical derivative of your own loss(x, t, train_flg=True), so the loss "
                    "itself differs from the text's (see MultiLayerNetExtend.loss).",
                    "あなたの loss(x, t, train_flg=True) の数値微分とは一致しているので、loss 自体がテキストと違います"
                    "(MultiLayerNetExtend.loss を参照)。") if own else M(
                    "It does not agree with the numerical derivative of your own loss(x, t, train_flg=True) "
                    "either: the backward pass (or the decay term of the gradient) is wrong.",
                    "あなたの loss(x, t, train_flg=True) の数値微分とも一致しません。逆伝播(または勾配の減衰項)が"
                    "違っています。"))
                raise
            if not own:
                no_decay = _ref_grads(_no_decay(cfg), values, x, t, 1e-7)[key]
                decay_missing = key.startswith("W") and np.allclose(numeric[key], no_decay, rtol=1e-3, atol=1e-5)
                off = np.abs(grads[key] - numeric[key]) > 1e-6 + 1e-4 * np.abs(numeric[key]) + 1.5 * slack[key]
                idx = tuple(np.argwhere(off)[0])
                where = f"[{', '.join(map(str, idx))}]"
                raise Fail(M(
                    f"Gradient check: {what.en}{where} = {fmt(grads[key][idx])} is the text's value, but the "
                    f"numerical derivative of your own loss(x, t, train_flg=True) is {fmt(numeric[key][idx])}: "
                    "gradient must be the gradient of loss — does your loss add the decay λ Σ sum(W∗W)?",
                    f"勾配確認: {what.ja}{where} = {fmt(grads[key][idx])} はテキストどおりですが、あなたの "
                    f"loss(x, t, train_flg=True) の数値微分は {fmt(numeric[key][idx])} です。gradient は loss の勾配"
                    "でなければなりません。loss に減衰項 λ Σ sum(W∗W) を加えていますか?"),
                    mistake=_MISTAKE["decay-missing-in-loss"] if decay_missing else None)


# ---- dropout in the net

def check_net_dropout(ctx: ItemContext):
    p = round(float(ctx.rng.uniform(0.2, 0.4)), 3)
    cfg = Cfg(5, (30, 30), 3, use_dropout=True, dropout_ratio=p)
    x, t, values = _draw(ctx, cfg, n=20, strict=False)  # only equality and inequality are checked
    net, P, _ = _open(ctx, cfg)
    b = ctx.batch()
    _write(b, P, values)
    tests = [b.method(net, "predict", x) for _ in range(2)] + [b.method(net, "predict", x, train_flg=False)]
    losses = [b.method(net, "loss", x, t, train_flg=True) for _ in range(2)]
    b.run()
    expected = cfg.reference(values).predict(x, train_flg=False)
    inverted = dataclasses.replace(cfg, use_dropout=False).reference(values).predict(x)
    try:  # a net that never drops also gives y = x at test time: that is not inverted dropout
        drops = len({as_scalar(v.value, M("loss", "loss")) for v in losses}) > 1
    except Fail:
        drops = False
    try:
        differ = not np.array_equal(np.asarray(tests[0].value, dtype=float), np.asarray(tests[1].value, dtype=float))
    except (TypeError, ValueError):
        differ = False
    for i, got in enumerate(tests):
        how = ("predict(x)", "predict(x)") if i < 2 else ("predict(x, train_flg=False)", "predict(x, train_flg=False)")
        try:
            assert_close(got.value, expected, M(f"{cfg.label()}.{how[0]} (call {i + 1}; dropout only in training, "
                                                "test-time outputs scaled by 1 − p)",
                                                f"{cfg.label()}.{how[1]}({i + 1} 回目。ドロップアウトは学習時のみ、"
                                                "テスト時は出力を 1 − p 倍)"),
                         variants={_MISTAKE["dropout-inverted" if drops else "dropout-never-applied"]: inverted})
        except Fail as fail:
            if fail.mistake is not None and fail.mistake.id == "dropout-inverted":
                fail.msg = fail.msg + INVERTED
            elif fail.mistake is None and differ:
                fail.msg = fail.msg + M("Two calls of predict(x) gave different outputs: units are dropped at test "
                                        "time too (pass train_flg to the Dropout layers).",
                                        "predict(x) を 2 回呼ぶと出力が違いました。テスト時にもニューロンが消去されて"
                                        "います(Dropout 層に train_flg を渡してください)。")
                fail.mistake = _MISTAKE["dropout-at-test"]
            raise
    what = M(f"{cfg.label()}.loss(x, t, train_flg=True)", f"{cfg.label()}.loss(x, t, train_flg=True)")
    first, second = (as_scalar(v.value, what) for v in losses)
    if first == second:
        raise Fail(M(f"Two calls of {what.en} gave the same value {fmt(first)}: in training each call must drop "
                     "units with a new random mask (use_dropout=True).",
                     f"{what.ja} を 2 回呼ぶと同じ値 {fmt(first)} になりました。学習時は呼び出しのたびに新しい乱数の"
                     "マスクでニューロンを消去します(use_dropout=True)。"), mistake=_MISTAKE["dropout-never-applied"])
    # dropout_ratio=0.5 by default: test-time outputs scaled by 0.5
    cfg = Cfg(5, (6, 4), 3, use_dropout=True, defaults=True)
    x, _, values = _draw(ctx, cfg, n=6, strict=False)
    net, P, _ = _open(ctx, cfg)
    b = ctx.batch()
    _write(b, P, values)
    got = b.method(net, "predict", x)
    b.run()
    assert_close(got.value, cfg.reference(values).predict(x),
                 M(f"{cfg.label()}.predict(x) (the default dropout_ratio is 0.5: test-time outputs scaled by 0.5)",
                   f"{cfg.label()}.predict(x)(dropout_ratio の既定値は 0.5。テスト時の出力は 0.5 倍)"))
    _check_dropout_fraction(ctx, p)
    _check_dropout_backward(ctx, p)


def _check_dropout_fraction(ctx: ItemContext, p: float):
    """In training a unit is dropped with probability dropout_ratio and kept unchanged otherwise: with W1 = 0,
    b1 = c > 0, W2 = I and b2 = 0 the scores of predict(x, train_flg=True) are c·mask itself. 1 000 units: the
    share dropped must be p within 6 standard deviations (a correct net fails with probability ~1e-9); a mask
    that keeps with probability p instead (rand < p) drops 1 − p."""
    h, n = 20, 50
    cfg = Cfg(3, (h,), h, use_dropout=True, dropout_ratio=p)
    c = ctx.rng.uniform(0.5, 2.0, h)
    values = {"W1": np.zeros((3, h)), "b1": c, "W2": np.eye(h), "b2": np.zeros(h)}
    x = ctx.randn(n, 3)
    net, P, _ = _open(ctx, cfg)
    b = ctx.batch()
    _write(b, P, values)
    y = b.method(net, "predict", x, train_flg=True)
    b.run()
    label = f"{cfg.label()}.predict(x, train_flg=True) with W1 = 0, b1 = c > 0, W2 = I, b2 = 0"
    arr = as_array(y.value, M(label, label))
    check_shape(arr, (n, h), M(label, label))
    dropped = np.isclose(arr, 0.0, atol=1e-9)
    kept = np.isclose(arr, c, rtol=1e-6, atol=1e-9)
    if not np.all(dropped | kept):
        i, j = np.argwhere(~(dropped | kept))[0]
        raise Fail(M(f"{label}: every output must be c (unit kept) or 0 (dropped), but [{i}, {j}] is {fmt(arr[i, j])} "
                     f"with c = {fmt(c[j])}: in training the kept units pass unchanged (§9.2).",
                     f"{label}: 出力はどれも c(残したニューロン)か 0(消去したニューロン)のはずですが、[{i}, {j}] が "
                     f"{fmt(arr[i, j])}(c = {fmt(c[j])})です。学習時、残したニューロンはそのまま通します(§9.2)。"))
    share = float(dropped.mean())
    sd = np.sqrt(p * (1 - p) / dropped.size)
    if abs(share - p) > 6 * sd:
        raise Fail(M(f"{label}: {share:.3f} of the {dropped.size} units were dropped; dropout_ratio={p:g} drops each "
                     f"unit with probability {p:g} (a mask that keeps it with probability {p:g} drops {1 - p:g}), §9.2.",
                     f"{label}: {dropped.size} 個のうち {share:.3f} の割合のニューロンが消去されました。dropout_ratio={p:g} "
                     f"では各ニューロンを確率 {p:g} で消去します(確率 {p:g} で残すマスクだと {1 - p:g} が消えます)。§9.2。"))


def _check_dropout_backward(ctx: ItemContext, p: float):
    """gradient goes back through the masks of its own training forward, whatever the random source: with
    W1 = 0, b1 = c > 0 and W2 = I every hidden unit is c_k·m_nk (m the mask), so dE/dW2[k, k] =
    c_k Σ_n m_nk δ_nk = c_k · dE/db1[k] exactly when backward multiplies by the mask (δ = dE/dscores); a
    backward without the mask gives dE/db1 = Σ_n δ_n = dE/db2 instead."""
    h = 20
    cfg = Cfg(3, (h,), h, use_dropout=True, dropout_ratio=p)
    c = ctx.rng.uniform(0.5, 2.0, h)
    values = {"W1": np.zeros((3, h)), "b1": c, "W2": np.eye(h), "b2": ctx.randn(h)}
    x, t = ctx.randn(50, 3), ctx.one_hot(50, h)
    net, P, _ = _open(ctx, cfg)
    b = ctx.batch()
    _write(b, P, values)
    g = b.method(net, "gradient", x, t)
    b.run()
    grads = _grad_dict(g.value, cfg)
    label = f"{cfg.label()}.gradient(x, t)"
    assert_close(grads["b1"], np.diag(grads["W2"]) / c,
                 M(f"{label}['b1'] with W1 = 0, b1 = c > 0, W2 = I (each hidden unit is c·mask, so "
                   "gradient['b1'] must be diag(gradient['W2']) / c)",
                   f"W1 = 0、b1 = c > 0、W2 = I での {label}['b1'](各中間ニューロンは c·マスクなので、"
                   "gradient['b1'] は diag(gradient['W2']) / c のはず)"),
                 context=M("(gradient backpropagates through the dropout layers with the masks of its own "
                           "training forward: Dropout.backward returns dout·mask)",
                           "(gradient は自分の学習時の順伝播のマスクでドロップアウト層を逆伝播します。"
                           "Dropout.backward は dout·mask を返します)"),
                 variants={_MISTAKE["dropout-backward-no-mask"]: grads["b2"]})


# ---- the lecture's experiment (§8.4)

TRAIN_ARCH = (64, (50,) * 6, 10)
TRAIN_LR = 0.01
TRAIN_BATCH = 100
BN_STEPS, BN_MIN_ACC, BN_RUNS = 300, 0.85, 2
PLAIN_STEPS, PLAIN_MAX_ACC, PLAIN_RUNS = 100, 0.5, 3
TRAIN_BUDGET = 20.0  # seconds for the whole item; a vectorised net needs about 2


@functools.lru_cache(maxsize=1)
def digits() -> tuple[np.ndarray, np.ndarray]:
    """The 8×8 digits (exercises/data/README.md): x in [0, 1] (N, 64), labels (N,)."""
    with np.load(Path(__file__).with_name("data") / "digits.npz") as data:
        return data["x"].astype(np.float64) / 16.0, data["y"].astype(np.int64)


def _train(ctx: ItemContext, cfg: Cfg, steps: int, deadline: Budget) -> float:
    """Train the student's net with the grader's Adam; return the training accuracy (reference forward)."""
    x, y = digits()
    t = np.eye(10)[y]
    b = ctx.batch()
    net = b.new(NET, **cfg.ctor())
    P = b.attr(net, "params")
    xs, ts = b.const(x), b.const(t)  # the data set stays in the worker; each step sends indices only
    b.run()
    start = _check_structure(P.value, cfg)
    # Adam is element-wise: one flat vector (and one update) for all parameters, with a view per key
    theta = np.concatenate([v.ravel() for v in start.values()])
    params, offset = {}, 0
    for k, v in start.items():
        params[k] = theta[offset:offset + v.size].reshape(v.shape)
        offset += v.size
    arrays = None
    adam = RefAdam(lr=TRAIN_LR)
    for step in range(steps):
        if deadline.remaining() <= 0:
            raise StudentTimeout(TRAIN_BUDGET)
        idx = ctx.rng.choice(len(x), TRAIN_BATCH)
        b = ctx.batch()
        if arrays is None:
            arrays = {k: b.item(P, k, want=False) for k in params}
        else:
            for k, v in params.items():
                b.assign(arrays[k], v)
        g = b.method(net, "gradient", b.item(xs, idx, want=False), b.item(ts, idx, want=False))
        b.run()
        grads = _grad_dict(g.value, cfg)
        for k, v in start.items():
            if grads[k].shape != v.shape:
                raise Fail(M(f"{cfg.label()}.gradient(x, t)[{k!r}] has shape {grads[k].shape}, but params[{k!r}] "
                             f"has shape {v.shape}: the grader's Adam cannot update params with it.",
                             f"{cfg.label()}.gradient(x, t)[{k!r}] の形状は {grads[k].shape} ですが、params[{k!r}] の"
                             f"形状は {v.shape} です。採点側の Adam でパラメータを更新できません。"))
        adam.update({"θ": theta}, {"θ": np.concatenate([grads[k].ravel() for k in params])})
    ref_net = cfg.reference(params)
    scores = ref_net.predict(x, train_flg=cfg.use_batchnorm)  # batch norm: statistics of the whole set
    return float(np.mean(np.argmax(scores, axis=1) == y))


def check_net_training(ctx: ItemContext):
    deadline = ctx.budget(TRAIN_BUDGET)  # plus the time spent waiting for a CPU (a busy machine)
    inp, hidden, out = TRAIN_ARCH
    setup_en = (f"the grader trained your {NET}({inp}, {list(hidden)}, {out}, …) with its own Adam (lr "
                f"{TRAIN_LR}, batches of {TRAIN_BATCH}) on the 8×8 handwritten digits (1797 images)")
    setup_ja = (f"採点側の Adam(学習率 {TRAIN_LR}、バッチサイズ {TRAIN_BATCH})で、あなたの {NET}({inp}, {list(hidden)}, "
                f"{out}, …)を 8×8 の手書き数字(1797 枚)で学習させました")
    bn = Cfg(inp, hidden, out, init="he", use_batchnorm=True)
    accs = []
    while len(accs) < BN_RUNS and not (accs and accs[-1] >= BN_MIN_ACC):
        accs.append(_train(ctx, bn, BN_STEPS, deadline))
    if accs[-1] < BN_MIN_ACC:
        runs = ", ".join(f"{a:.3f}" for a in accs)
        raise Fail(M(f"The lecture's experiment (§8.4): {setup_en}. With He initialisation and batch normalisation "
                     f"the training accuracy after {BN_STEPS} steps is {runs} ({len(accs)} runs), expected ≥ "
                     f"{BN_MIN_ACC} (a correct net reaches about 0.99). Check gradient (and the batch-norm layers) — "
                     "the other items say where.",
                     f"講義の実験(§8.4): {setup_ja}。He の初期値とバッチ正規化で {BN_STEPS} ステップ後の訓練精度が "
                     f"{runs}({len(accs)} 回)ですが、{BN_MIN_ACC} 以上になるはずです(正しいネットワークなら約 0.99)。"
                     "gradient(とバッチ正規化の層)を確認してください。ほかの項目が手がかりになります。"))
    plain = Cfg(inp, hidden, out, init=0.01)
    accs = []
    for _ in range(PLAIN_RUNS):
        accs.append(_train(ctx, plain, PLAIN_STEPS, deadline))
        if accs[-1] <= PLAIN_MAX_ACC:
            return None
    raise Fail(M(f"The lecture's experiment (§8.4): {setup_en}. With weight_init_std=0.01 and no batch "
                 f"normalisation a net this deep hardly learns in {PLAIN_STEPS} steps (a correct net: about "
                 f"0.17), but yours reached {', '.join(f'{a:.3f}' for a in accs)} in {PLAIN_RUNS} runs. Does your "
                 "net use weight_init_std as the standard deviation of every W, and leave batch normalisation "
                 "out when use_batchnorm=False?",
                 f"講義の実験(§8.4): {setup_ja}。weight_init_std=0.01 でバッチ正規化なしだと、この深さのネットワークは "
                 f"{PLAIN_STEPS} ステップではほとんど学習しません(正しいネットワークで約 0.17)が、あなたのネットワーク"
                 f"は {PLAIN_RUNS} 回とも {', '.join(f'{a:.3f}' for a in accs)} に達しました。weight_init_std をすべての "
                 "W の標準偏差として使い、use_batchnorm=False のときはバッチ正規化を入れていませんか?"))


# ------------------------------------------------------------------------------------------ items

H_L2 = M("l2_penalty(weights, alpha) = α Σ_l sum(W_l ∗ W_l) (§9.1; no ½).",
         "l2_penalty(weights, alpha) = α Σ_l sum(W_l ∗ W_l)(§9.1。½ はつけません)。")
H_L2G = M("∂(α sum(W∗W))/∂W = 2αW (§9.1).", "∂(α sum(W∗W))/∂W = 2αW(§9.1)。")
H_L1 = M("l1_penalty(weights, alpha) = α Σ_l sum(|W_l|) (§9.1).",
         "l1_penalty(weights, alpha) = α Σ_l sum(|W_l|)(§9.1)。")
H_L1G = M("∂(α sum(|W|))/∂W = α·sign(W) (§9.1).", "∂(α sum(|W|))/∂W = α·sign(W)(§9.1)。")
H_PARAMS = M("params: W1, b1, …, WL, bL and, with use_batchnorm=True, gamma1, beta1, … for each hidden layer "
             "(starting at 1 and 0); W from weight_init_std (\"relu\"/\"he\": √(2/n_in), \"sigmoid\"/\"xavier\": "
             "√(2/(n_in + n_out)), a float: that standard deviation), b at 0.",
             "params: W1, b1, …, WL, bL と、use_batchnorm=True なら各中間層の gamma1, beta1, …(初期値 1 と 0)。"
             "W は weight_init_std から(\"relu\"/\"he\": √(2/n_in)、\"sigmoid\"/\"xavier\": √(2/(n_in + n_out))、"
             "数値: その標準偏差)、b は 0。")
H_PREDICT = M("Affine → [BatchNormalization] → activation → [Dropout] for each hidden layer, then Affine; pass "
              "train_flg to the batch-norm and dropout layers; the layers hold the arrays of self.params.",
              "各中間層は Affine → [BatchNormalization] → 活性化関数 → [Dropout]、最後に Affine。バッチ正規化と"
              "ドロップアウトの層には train_flg を渡します。層は self.params の配列そのものを持ちます。")
H_ACC = M("accuracy(x, t) = mean(argmax(predict(x, train_flg=False), axis=1) == argmax(t, axis=1)).",
          "accuracy(x, t) = mean(argmax(predict(x, train_flg=False), axis=1) == argmax(t, axis=1))。")
H_LOSS = M("loss = cross-entropy of predict(x, train_flg) + λ Σ_l sum(W_l ∗ W_l) over W1 … WL only (§9.1).",
           "loss = predict(x, train_flg) の交差エントロピー + W1 … WL だけの λ Σ_l sum(W_l ∗ W_l)(§9.1)。")
H_GRAD = M("gradient: loss(x, t, train_flg=True), backward through the layers; grads['W'] = dW + 2λW, "
           "grads['gamma'], grads['beta'] from the batch-norm layers; b, γ, β get no decay.",
           "gradient: loss(x, t, train_flg=True) の後に各層を逆伝播。grads['W'] = dW + 2λW、grads['gamma']、"
           "grads['beta'] はバッチ正規化の層から。b、γ、β には減衰をかけません。")
H_DROPOUT = M("Dropout only with train_flg=True (a new mask each call); with train_flg=False the dropout layers "
              "multiply by 1 − p, so predict is deterministic (§9.2); gradient backpropagates through the masks "
              "(dout·mask).",
              "ドロップアウトは train_flg=True のときだけ(呼び出しごとに新しいマスク)。train_flg=False では 1 − p "
              "倍するだけなので predict は決定的です(§9.2)。gradient はマスクを通して逆伝播します(dout·mask)。")
H_TRAIN = M("§8.4: with He initialisation and batch normalisation a 7-layer net learns the digits quickly; with "
            "std 0.01 and no batch normalisation it hardly learns at first. The grader trains your net with its "
            "own Adam and measures the training accuracy.",
            "§8.4: He の初期値とバッチ正規化を使うと 7 層のネットワークでも数字を速く学習し、標準偏差 0.01 で"
            "バッチ正規化なしだと最初はほとんど学習しません。採点側の Adam であなたのネットワークを学習させ、訓練"
            "精度を測ります。")

ADAM_POINTS = {"Adam.update": 1.5, "Adam.step_count": 0.5, "Adam.in_place": 0.5, "Adam.trajectory": 0.5}
ADAM_ITEMS = tuple(dataclasses.replace(i, points=ADAM_POINTS.get(i.id, 0.5))
                   for i in OPTIMIZERS.items if i.name == "Adam")

EXERCISE = Exercise(
    id="regularization",
    title=M("Regularisation", "正則化"),
    section="9",
    notebooks=("2-8_深層モデルのための最適化.ipynb", "2-10_正則化に関する演習.ipynb"),
    items=(
        Item("l2_penalty", 1, check_l2_penalty, H_L2, "9.1"),
        Item("l2_penalty_grad", 1, check_l2_penalty_grad, H_L2G, "9.1"),
        Item("l1_penalty", 1, check_l1_penalty, H_L1, "9.1"),
        Item("l1_penalty_grad", 1, check_l1_penalty_grad, H_L1G, "9.1"),
        *ADAM_ITEMS,
        Item(f"{NET}.params", 1, check_net_params, H_PARAMS, "7.2", kind="class"),
        Item(f"{NET}.predict", 1, check_net_predict, H_PREDICT, "8.2", kind="class"),
        Item(f"{NET}.accuracy", 0.5, check_net_accuracy, H_ACC, "5.3", kind="class"),
        Item(f"{NET}.loss", 1, check_net_loss, H_LOSS, "9.1", kind="class"),
        Item(f"{NET}.gradient", 2, check_net_gradient, H_GRAD, "9.1", kind="class"),
        Item(f"{NET}.dropout", 1, check_net_dropout, H_DROPOUT, "9.2", kind="class"),
        Item(f"{NET}.training", 2, check_net_training, H_TRAIN, "8.4", kind="class", timeout=10.0),
    ),
    mistakes=MISTAKES + DROPOUT_MISTAKES + INIT_MISTAKES + OPTIMIZERS.mistakes,
)
