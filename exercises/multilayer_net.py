"""Exercise 7 `multilayer-net` — 多層のニューラルネットワーク (§5.3, notebook 2-4).

`MultiLayerNet(input_size, hidden_size_list, output_size, activation="relu", weight_init_std=0.01)`.

How the checks work:

* The grader builds the student's net, then writes its own parameter values INTO the arrays of
  ``net.params`` (``arr[...] = value``, the way an optimizer updates them in place), so a net whose
  layers hold the very same arrays (the book's style) computes with them.  Expected values come
  from ``reference.multilayer_net.MultiLayerNet`` with the same values, computed here.
* Parameters are drawn so that every hidden pre-activation is at least 1e-3 away from 0 (ReLU's kink) and
  every softmax probability lies in [0.01, 0.99] (EXERCISES.md): a small δ inside the log and
  central differences with h = 1e-5 (which move a pre-activation by < 1e-4) are both harmless.
* Initialisation is checked statistically per layer with the exact/Chernoff bounds of
  ``exercises.initialization`` (a correct draw fails a bound with probability ≤ 1e-11; the three
  init items check 2 nets × 3 layers × 3 bounds each, 54 bounds: < 1e-9 per grading).
* Defaults are called too (``weight_init_std`` and ``activation`` not passed); ``params`` must hold exactly
  W1, b1, …, WL, bL; ``last_layer`` is checked with ``dout`` ≠ 1 and with every score large; the arrays given to
  predict / loss / accuracy / gradient / last_layer are read back (``MultiLayerNet.no_mutation``).
* The training item runs the grader's own SGD: the student's ``gradient`` at the current
  parameters, the update computed here and written into the student's arrays, and the final
  parameters evaluated with the reference, here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from exercises.common import M, as_array, as_scalar, assert_close, assert_unchanged, loss_in_band
from exercises import mistakes as catalogue
from exercises.initialization import check_mean_var
from grader.compare import Fail, close_mask, fmt, match_variant
from grader.context import ItemContext
from grader.runner.session import StudentError, StudentTimeout
from grader.spec import Exercise, Item, Mistake
from reference.functions import sigmoid, softmax
from reference.layers import SoftmaxWithLoss as RefSoftmaxWithLoss
from reference.multilayer_net import MultiLayerNet as RefNet

N_BATCH = 5


@dataclass(frozen=True)
class Cfg:
    input_size: int
    hidden: tuple
    output_size: int
    activation: str = "relu"

    @property
    def sizes(self) -> list[int]:
        return [self.input_size, *self.hidden, self.output_size]

    @property
    def depth(self) -> int:  # number of Affine layers L
        return len(self.hidden) + 1

    def keys(self) -> list[str]:
        return [f"{p}{i}" for i in range(1, self.depth + 1) for p in ("W", "b")]

    def shape(self, key: str) -> tuple:
        i = int(key[1:])
        n_in, n_out = self.sizes[i - 1], self.sizes[i]
        return (n_in, n_out) if key[0] == "W" else (n_out,)

    def ctor(self, init=0.01) -> dict:
        """Constructor keywords; ``init=None``: weight_init_std not passed (the default, 0.01)."""
        kw = {"input_size": self.input_size, "hidden_size_list": list(self.hidden),
              "output_size": self.output_size, "activation": self.activation, "weight_init_std": init}
        if init is None:
            del kw["weight_init_std"]
        return kw

    def label(self, init=None) -> str:
        extra = f", weight_init_std={init!r}" if init is not None else ""
        return (f"MultiLayerNet(input_size={self.input_size}, hidden_size_list={list(self.hidden)}, "
                f"output_size={self.output_size}, activation={self.activation!r}{extra})")


RELU_CFGS = (Cfg(4, (5,), 3), Cfg(5, (4, 3), 3), Cfg(3, (4, 4, 4, 4, 4), 2))
SIGMOID_CFGS = (Cfg(4, (5,), 3, "sigmoid"), Cfg(4, (3, 4, 5), 3, "sigmoid"), Cfg(3, (4, 4, 4, 4, 4), 4, "sigmoid"))

# ---------------------------------------------------------------------------------------- mistakes

# Exercise-specific mistakes, then the catalogued ones (exercises/mistakes.py) these checks can name.
MISTAKES = (
    Mistake("init-same-size-every-layer",
            M("every layer initialised from the input size", "すべての層を入力サイズで初期化"),
            M("Layer l's variance uses ITS OWN fan-in N_{l−1} (the size of the previous layer), not input_size.",
              "第 l 層の分散にはその層への入力数 N_{l−1}(前の層のサイズ)を使います。input_size ではありません。"),
            "7.2"),
    Mistake("activation-ignored",
            M("activation argument ignored", "activation の指定を無視している"),
            M('activation="relu" builds ReLU layers, activation="sigmoid" Sigmoid layers after every hidden Affine: '
              "your net uses the other one.",
              'activation="relu" なら ReLU、activation="sigmoid" なら Sigmoid の層を各中間 Affine 層の後に置きます。'
              "あなたのネットワークは逆の活性化関数を使っています。"), "5.3"),
    Mistake("output-activation",
            M("an activation after the last Affine", "最後の Affine の後にも活性化関数がある"),
            M("The last Affine layer gives the scores directly: no activation after it (the softmax is in last_layer).",
              "最後の Affine 層の出力がそのままスコアです。その後に活性化関数は置きません(ソフトマックスは last_layer)。"),
            "5.3"),
    Mistake("gradient-missing-bias",
            M("gradient without the biases", "gradient にバイアスの勾配がない"),
            M("gradient returns a dict like params: grads['W1'], grads['b1'], …, grads['bL'] — the biases' gradients "
              "(each Affine layer's db) too.",
              "gradient は params と同じキーの辞書を返します: grads['W1']、grads['b1']、…、grads['bL']。バイアスの勾配"
              "(各 Affine 層の db)も必要です。"), "5.3"),
    Mistake("loss-layer-in-layers",
            M("the loss layer inside layers", "損失の層が layers に入っている"),
            M("self.layers holds the Affine and activation layers only; the SoftmaxWithLoss is self.last_layer.",
              "self.layers には Affine 層と活性化関数の層だけを入れます。SoftmaxWithLoss は self.last_layer です。"),
            "5.3"),
    Mistake("numerical-gradient-too-slow",
            M("gradient by numerical differentiation", "gradient を数値微分で計算している"),
            M("Numerical differentiation needs two forward passes per parameter: far too slow to train. gradient must "
              "use backpropagation (§5.3).",
              "数値微分はパラメータ 1 つにつき 2 回の順伝播が必要で、学習には遅すぎます。gradient は誤差逆伝播法で"
              "計算します(§5.3)。"), "5.3"),
) + tuple(catalogue.MISTAKES[mid] for mid in (
    "he-variance-1-over-n", "glorot-book-form", "ce-sum-not-mean", "backward-missing-1-over-n",
    "sigmoid-backward-from-x", "relu-mask-inverted", "affine-dw-transpose", "affine-db-not-summed",
    "default-value-wrong", "loss-backward-ignores-dout", "loss-backward-dout-required", "bias-not-zero",
    "weight-init-std-ignored", "init-uses-n-out", "layers-hold-copies", "predict-returns-probabilities",
    "accuracy-count", "softmax-no-max-shift"))
_MISTAKE = {m.id: m for m in MISTAKES}

# ---------------------------------------------------------------------------------------- numpy model


def _act(name, z):
    return np.maximum(0.0, z) if name == "relu" else sigmoid(z)


def _np_forward(params, x, cfg: Cfg):
    """(pre-activations of the hidden layers, hidden outputs incl. x, scores)."""
    h, pres, hs = x, [], [x]
    for i in range(1, cfg.depth):
        z = h @ params[f"W{i}"] + params[f"b{i}"]
        h = _act(cfg.activation, z)
        pres.append(z)
        hs.append(h)
    return pres, hs, h @ params[f"W{cfg.depth}"] + params[f"b{cfg.depth}"]


def _np_grad(params, x, t, cfg: Cfg, variant: str | None = None, row_scale=None, deltas=None) -> dict:
    """Backpropagation written out here, with known mistakes as variants (for naming them).

    ``row_scale`` multiplies each sample's dE/dscores (used for the effect of a δ inside the log);
    ``deltas`` (a dict) receives each layer's dE/d(output), one row per sample, by bias key.
    """
    pres, hs, s = _np_forward(params, x, cfg)
    d = softmax(s) - t
    if row_scale is not None:
        d = d * row_scale[:, None]
    if variant != "backward-missing-1-over-n":
        d = d / x.shape[0]
    grads = {}
    for i in range(cfg.depth, 0, -1):
        grads[f"W{i}"] = hs[i - 1].T @ d
        grads[f"b{i}"] = d.sum(axis=0)
        if deltas is not None:
            deltas[f"b{i}"] = d
        if i > 1:
            dh = d @ params[f"W{i}"].T
            z, h = pres[i - 2], hs[i - 1]
            if cfg.activation == "relu":
                d = dh * ((z <= 0) if variant == "relu-mask-inverted" else (z > 0))
            elif variant == "sigmoid-backward-from-x":
                d = dh * z * (1 - z)
            else:
                d = dh * h * (1 - h)
    return grads


def _ref_net(cfg: Cfg, params: dict) -> RefNet:
    net = RefNet(cfg.input_size, list(cfg.hidden), cfg.output_size, activation=cfg.activation,
                 weight_init_std=0.01, rng=np.random.default_rng(0))
    for k, v in params.items():
        net.params[k][...] = v  # the reference's layers share these arrays
    return net


def _make_params(ctx: ItemContext, cfg: Cfg, x: np.ndarray, margin: float = 1e-3) -> dict:
    """Parameters with ReLU pre-activations ≥ margin from 0 and probabilities in [0.01, 0.99]."""
    gain = np.sqrt(2.0) if cfg.activation == "relu" else 2.0
    for _ in range(200):
        params = {}
        for i in range(1, cfg.depth + 1):
            n_in, n_out = cfg.sizes[i - 1], cfg.sizes[i]
            params[f"W{i}"] = ctx.randn(n_in, n_out) * gain / np.sqrt(n_in)
            params[f"b{i}"] = ctx.randn(n_out) * (0.1 if cfg.activation == "relu" else 0.5)
        pres, _, s = _np_forward(params, x, cfg)
        # for sigmoid nets too: a submission that wrongly uses ReLU must not hit a kink by chance
        if any(np.min(np.abs(z)) < margin for z in pres):
            continue
        for _ in range(20):
            p = softmax(s)
            if p.min() >= 0.01 and p.max() <= 0.99:
                return params
            params[f"W{cfg.depth}"] *= 0.7
            params[f"b{cfg.depth}"] *= 0.7
            s = _np_forward(params, x, cfg)[2]
    raise AssertionError("could not draw test parameters")  # pragma: no cover - practically impossible


# ---------------------------------------------------------------------------------------- student side

def _open(ctx: ItemContext, cfg: Cfg, init=0.01):
    """Build the student's net; return (net, params ref, the params it created, checked)."""
    b = ctx.batch()
    net = b.new("MultiLayerNet", **cfg.ctor(init))
    P = b.attr(net, "params")
    b.run()
    return net, P, _check_structure(P.value, cfg, init)


def _check_structure(value, cfg: Cfg, init=0.01) -> dict:
    label = cfg.label(init)
    if not isinstance(value, dict):
        raise Fail(M(f"{label}.params should be a dict of arrays (W1, b1, …), but it is "
                     f"{getattr(value, 'type_name', type(value).__name__)}.",
                     f"{label}.params は配列の辞書(W1, b1, …)であるべきですが、"
                     f"{getattr(value, 'type_name', type(value).__name__)} になっています。"))
    out = {}
    for key in cfg.keys():
        if key not in value:
            have = ", ".join(map(str, value)) or "none"
            raise Fail(M(f"{label}.params has no key {key!r} (keys: {have}). With {len(cfg.hidden)} hidden "
                         f"layer(s) it must have W1, b1, …, W{cfg.depth}, b{cfg.depth}.",
                         f"{label}.params にキー {key!r} がありません(キー: {have})。中間層が {len(cfg.hidden)} 層"
                         f"なら W1, b1, …, W{cfg.depth}, b{cfg.depth} が必要です。"))
        arr = as_array(value[key], M(f"{label}.params[{key!r}]", f"{label}.params[{key!r}]"))
        if arr.shape != cfg.shape(key):
            raise Fail(M(f"{label}.params[{key!r}] has shape {arr.shape}, expected {cfg.shape(key)}.",
                         f"{label}.params[{key!r}] の形状が {arr.shape} です。期待される形状は {cfg.shape(key)} です。"))
        out[key] = arr
    return out


def _write(b, P, params: dict) -> None:
    """Write the grader's values into the student's existing arrays (in place)."""
    for k, v in params.items():
        b.assign(b.item(P, k, want=False), v)


def _not_shared(fail: Fail, got, original: dict, x, cfg: Cfg) -> Fail:
    """If the output matches the net's ORIGINAL parameters, the layers do not see params."""
    try:
        stale = _ref_net(cfg, original).predict(x)
        if np.allclose(np.asarray(got, dtype=float).reshape(stale.shape), stale, rtol=1e-4, atol=1e-6):
            fail.msg = fail.msg + M(
                "Your result is what the net's ORIGINAL parameters give: the grader writes new values into the "
                "arrays of self.params in place (as an optimizer does), and your layers do not see them — they "
                "must hold the very same arrays (Affine(self.params['W1'], self.params['b1'])), not copies.",
                "あなたの結果はネットワークの「元の」パラメータでの値です。採点では self.params の配列に新しい値を"
                "その場で書き込みます(最適化手法と同じ)が、あなたの層にはそれが見えていません。層はコピーではなく"
                "同じ配列(Affine(self.params['W1'], self.params['b1']))を持つ必要があります。")
            fail.mistake = _MISTAKE["layers-hold-copies"]
    except Exception:  # noqa: BLE001 - the diagnosis is best effort
        pass
    return fail


# A student may put a small δ inside the log (the book: log(y + 1e-7)); we accept δ ≤ DELTA_MAX.
# The targets are drawn among the classes of probability ≥ 0.1, so δ/y_t ≤ 1e-4, and the exact
# effect of δ = DELTA_MAX on the loss and on its derivatives is computed here and added to the
# tolerance (for one-hot t: dE/ds changes from (y − t)/N to (y − t)/N · y_t/(y_t + δ)).
DELTA_MAX = 1e-5


def _data(ctx: ItemContext, cfg: Cfg, n: int = N_BATCH):
    x = ctx.randn(n, cfg.input_size)
    params = _make_params(ctx, cfg, x)
    y = softmax(_np_forward(params, x, cfg)[2])
    labels = [int(ctx.rng.choice(np.flatnonzero(row >= 0.1))) for row in y]
    return x, np.eye(cfg.output_size)[labels], params


def _delta_slack_loss(scores, t) -> float:
    y_t = np.sum(softmax(scores) * t, axis=1)
    return float(np.mean(np.log(y_t + DELTA_MAX) - np.log(y_t)))


def _delta_slack_grad(params, x, t, cfg: Cfg) -> dict:
    y_t = np.sum(softmax(_np_forward(params, x, cfg)[2]) * t, axis=1)
    g0 = _np_grad(params, x, t, cfg)
    gd = _np_grad(params, x, t, cfg, row_scale=y_t / (y_t + DELTA_MAX))
    return {k: np.abs(gd[k] - g0[k]) for k in g0}


# ---------------------------------------------------------------------------------------- items

def check_params(ctx: ItemContext):
    cfgs = (Cfg(4, (5,), 3), Cfg(6, (5, 4), 2, "sigmoid"), Cfg(3, (4, 5, 6), 2), Cfg(2, (3, 3, 3, 3, 3), 4))
    for cfg in cfgs:
        _, P, params = _open(ctx, cfg)
        extra = [str(k) for k in P.value if k not in params]
        if extra:
            have = ", ".join(repr(k) for k in extra)
            raise Fail(M(f"{cfg.label(0.01)}.params has the extra key(s) {have}: with {len(cfg.hidden)} hidden "
                         f"layer(s) it holds exactly W1, b1, …, W{cfg.depth}, b{cfg.depth} (an optimizer updates "
                         "every key of params with grads[key], and gradient returns these keys only).",
                         f"{cfg.label(0.01)}.params に余分なキー {have} があります。中間層が {len(cfg.hidden)} 層なら "
                         f"W1, b1, …, W{cfg.depth}, b{cfg.depth} だけを持ちます(最適化手法は params のすべてのキーを "
                         "grads[key] で更新し、gradient はこれらのキーだけを返します)。"))
        for i in range(1, cfg.depth + 1):
            bias = params[f"b{i}"]
            if np.any(bias != 0):
                raise Fail(M(f"{cfg.label(0.01)}.params['b{i}'] is not zero: biases start at 0 (§7).",
                             f"{cfg.label(0.01)}.params['b{i}'] が 0 ではありません。バイアスの初期値は 0 です(§7)。"),
                           mistake=_MISTAKE["bias-not-zero"])


def _init_check(init_values: tuple, formula, cfg: Cfg):
    def check(ctx: ItemContext):
        for init in init_values:
            if init is None:  # weight_init_std not passed: the default 0.01 (EXERCISES.md)
                try:
                    _check_init(ctx, init, formula, cfg)
                except Fail as fail:
                    try:
                        _check_init(ctx, 0.01, formula, cfg)
                    except Fail:
                        raise fail from None
                    fail.msg = fail.msg + M(
                        "With weight_init_std=0.01 passed explicitly your net is right: the default value in your "
                        "__init__ differs from the spec's weight_init_std=0.01.",
                        "weight_init_std=0.01 を明示的に渡すと正しいので、__init__ の既定値が仕様の "
                        "weight_init_std=0.01 と違います。")
                    fail.mistake = _MISTAKE["default-value-wrong"]
                    raise
                continue
            _check_init(ctx, init, formula, cfg)
    return check


def _check_init(ctx: ItemContext, init, formula, cfg: Cfg):
    _, _, params = _open(ctx, cfg, init)
    for i in range(1, cfg.depth + 1):
        n_in, n_out = cfg.sizes[i - 1], cfg.sizes[i]
        var, text = formula(init, n_in, n_out)
        wrong = {}
        if isinstance(init, str):
            if init in ("he", "relu"):
                wrong[_MISTAKE["he-variance-1-over-n"]] = 1.0 / n_in
                wrong[_MISTAKE["init-uses-n-out"]] = 2.0 / n_out
                wrong[_MISTAKE["init-same-size-every-layer"]] = 2.0 / cfg.input_size
            else:
                wrong[_MISTAKE["glorot-book-form"]] = 1.0 / n_in
        elif init is not None:
            wrong[_MISTAKE["weight-init-std-ignored"]] = 0.01 ** 2
        check_mean_var(params[f"W{i}"], float(np.sqrt(var)),
                       M(f"{cfg.label(init)}: params['W{i}'] (layer {i}, {n_in} → {n_out})",
                         f"{cfg.label(init)}: params['W{i}'](第 {i} 層、{n_in} → {n_out})"), text,
                       {m: v for m, v in wrong.items() if not np.isclose(v, var)})


INIT_CFG = (400, (100, 300), 30)  # W1 40 000, W2 30 000, W3 9 000 values; n_in ≠ n_out everywhere


def _he(init, n_in, n_out):
    return 2.0 / n_in, M(f"He, 2/n_in = 2/{n_in}", f"He、2/n_in = 2/{n_in}")


def _xavier(init, n_in, n_out):
    return 2.0 / (n_in + n_out), M(f"Glorot–Bengio, 2/(n_in + n_out) = 2/{n_in + n_out}",
                                   f"Glorot–Bengio、2/(n_in + n_out) = 2/{n_in + n_out}")


def _float(init, n_in, n_out):
    if init is None:
        return 0.01 ** 2, M("weight_init_std not given: the default 0.01 is the standard deviation of every layer",
                            "weight_init_std の指定なし: 既定値 0.01 がすべての層の標準偏差")
    return init ** 2, M(f"weight_init_std = {init} is the standard deviation of every layer",
                        f"weight_init_std = {init} はすべての層の標準偏差")


def check_predict(ctx: ItemContext):
    for cfg in (RELU_CFGS[1], SIGMOID_CFGS[1], RELU_CFGS[0]):
        _check_predict(ctx, cfg)
    # activation not passed: the default "relu" (EXERCISES.md: defaults are part of the contract)
    _check_predict(ctx, RELU_CFGS[1], default_activation=True)


def _check_predict(ctx: ItemContext, cfg: Cfg, default_activation: bool = False):
    x, _, params = _data(ctx, cfg)
    if default_activation:
        kw = cfg.ctor()
        del kw["activation"]
        label = (f"MultiLayerNet(input_size={cfg.input_size}, hidden_size_list={list(cfg.hidden)}, "
                 f"output_size={cfg.output_size})")
        b = ctx.batch()
        net = b.new("MultiLayerNet", **kw)
        P = b.attr(net, "params")
        try:
            b.run()
        except StudentError as exc:
            if exc.info.get("type") == "TypeError" and "argument" in exc.info.get("message", ""):
                raise Fail(M(f"{label} (activation not given) raised TypeError: {exc.info.get('message', '')}. "
                             'The signature is MultiLayerNet(input_size, hidden_size_list, output_size, '
                             'activation="relu", weight_init_std=0.01): activation defaults to "relu".',
                             f"{label}(activation の指定なし)が TypeError になりました: {exc.info.get('message', '')}。"
                             'シグネチャは MultiLayerNet(input_size, hidden_size_list, output_size, '
                             'activation="relu", weight_init_std=0.01) で、activation の既定値は "relu" です。'),
                           mistake=_MISTAKE["default-value-wrong"]) from None
            raise
        original = _check_structure(P.value, cfg)
    else:
        label = cfg.label()
        net, P, original = _open(ctx, cfg)
    b = ctx.batch()
    _write(b, P, params)
    y = b.method(net, "predict", x)
    b.run()
    expected = _ref_net(cfg, params).predict(x)
    other = Cfg(cfg.input_size, cfg.hidden, cfg.output_size, "sigmoid" if cfg.activation == "relu" else "relu")
    try:
        assert_close(y.value, expected, M(f"predict(x) of {label}", f"{label} の predict(x)"),
                     context=M('(activation not given: the default "relu")', '(activation の指定なし: 既定値は "relu")')
                     if default_activation else None,
                     variants=ctx.variants(predict_returns_probabilities=softmax(expected),
                                           activation_ignored=_ref_net(other, params).predict(x),
                                           output_activation=sigmoid(expected)))
    except Fail as f:
        if default_activation and f.mistake is not None and f.mistake.id == "activation-ignored":
            f.msg = f.msg + M('With activation="relu" passed explicitly your net is right: the default in your '
                              '__init__ differs from the spec\'s activation="relu".',
                              'activation="relu" を明示的に渡すと正しいので、__init__ の既定値が仕様の '
                              'activation="relu" と違います。')
            f.mistake = _MISTAKE["default-value-wrong"]
        raise _not_shared(f, y.value, original, x, cfg) from None


def check_loss(ctx: ItemContext):
    for cfg in (RELU_CFGS[1], SIGMOID_CFGS[0]):
        x, t, params = _data(ctx, cfg)
        net, P, original = _open(ctx, cfg)
        b = ctx.batch()
        _write(b, P, params)
        loss = b.method(net, "loss", x, t)
        b.run()
        expected = _ref_net(cfg, params).loss(x, t)
        what = M(f"loss(x, t) of {cfg.label()}", f"{cfg.label()} の loss(x, t)")
        value = as_scalar(loss.value, what)
        slack = _delta_slack_loss(_np_forward(params, x, cfg)[2], t)
        try:
            assert_close(value, expected, what, atol=1e-6 + slack,
                         variants=ctx.variants(ce_sum_not_mean=N_BATCH * expected))
        except Fail as f:
            try:
                stale = _ref_net(cfg, original).loss(x, t)
                if abs(value - stale) <= 1e-4 * abs(stale) + 1e-6:
                    f.msg = f.msg + M("It is the loss with the net's ORIGINAL parameters: your layers do not see "
                                      "the values written into self.params (they must share its arrays).",
                                      "これはネットワークの「元の」パラメータでの損失です。self.params に書き込んだ値が"
                                      "層に届いていません(層は同じ配列を共有する必要があります)。")
                    f.mistake = _MISTAKE["layers-hold-copies"]
            except Exception:  # noqa: BLE001
                pass
            raise


def check_accuracy(ctx: ItemContext):
    """accuracy against the student's OWN predict, so that this item is about accuracy only."""
    cfg = RELU_CFGS[1]
    n = 20
    x = ctx.randn(n, cfg.input_size)
    params = _make_params(ctx, cfg, x)
    net, P, original = _open(ctx, cfg)
    b = ctx.batch()
    _write(b, P, params)
    xr = b.const(x)
    y = b.method(net, "predict", xr)
    b.run()
    scores = _ref_net(cfg, params).predict(x)
    try:
        own = np.asarray(y.value, dtype=float)
        if own.shape == scores.shape and np.all(np.isfinite(own)):
            scores = own
    except (TypeError, ValueError):
        pass
    pred = np.argmax(scores, axis=1)
    flat = int(np.argmax(scores))  # the arg-max over the whole array (axis forgotten)
    for _ in range(200):
        right = set(ctx.rng.permutation(n)[:13].tolist())  # 13 of 20 rows right: accuracy 0.65
        labels = np.array([pred[i] if i in right else (pred[i] + 1 + ctx.rng.integers(cfg.output_size - 1))
                           % cfg.output_size for i in range(n)])
        # an arg-max without axis=1 (of t: row 0's label for every row; of the scores: one flat index) must not
        # give 0.65 by chance
        if np.mean(pred == labels[0]) != 0.65 and np.mean(labels == flat) != 0.65:
            break
    t = np.eye(cfg.output_size)[labels]
    b = ctx.batch()
    acc = b.method(net, "accuracy", xr, t)
    b.run()
    what = M(f"accuracy(x, t) of {cfg.label()} (t one-hot; the arg-max of your predict(x) matches t in 13 of 20 rows)",
             f"{cfg.label()} の accuracy(x, t)(t は one-hot。あなたの predict(x) の arg-max が 20 行中 13 行で t と一致)")
    value = as_scalar(acc.value, what)
    assert_close(value, 0.65, what, variants=ctx.variants(accuracy_count=13.0))


def check_gradient(ctx: ItemContext):
    for cfg in RELU_CFGS + SIGMOID_CFGS:
        x, t, params = _data(ctx, cfg)
        net, P, original = _open(ctx, cfg)
        b = ctx.batch()
        _write(b, P, params)
        g = b.method(net, "gradient", x, t)
        b.run()
        expected = _ref_net(cfg, params).gradient(x, t)
        deltas: dict = {}
        _np_grad(params, x, t, cfg, deltas=deltas)
        shape_variants = {k: ctx.variants(affine_dw_transpose=v.T) if k[0] == "W" else
                          ctx.variants(affine_db_not_summed=deltas[k]) for k, v in expected.items()}
        grads = _grad_dict(g.value, cfg, shape_variants)
        variants = {}
        hidden_bug = "sigmoid-backward-from-x" if cfg.activation == "sigmoid" else "relu-mask-inverted"
        for bug in ("backward-missing-1-over-n", hidden_bug):
            variants[bug] = _np_grad(params, x, t, cfg, bug)
        for key in cfg.keys():
            try:
                assert_close(grads[key], expected[key],
                             M(f"gradient(x, t)[{key!r}] of {cfg.label()}", f"{cfg.label()} の gradient(x, t)[{key!r}]"),
                             rtol=1e-4, atol=1e-7)
            except Fail as f:
                for bug, vg in variants.items():
                    if all(np.allclose(grads[k], vg[k], rtol=1e-3, atol=1e-6) for k in cfg.keys()):
                        f.mistake = _MISTAKE[bug]
                        break
                else:
                    stale = _ref_net(cfg, original).gradient(x, t)
                    if all(np.allclose(grads[k], stale[k], rtol=1e-4, atol=1e-7) for k in cfg.keys()):
                        f.mistake = _MISTAKE["layers-hold-copies"]
                        f.msg = f.msg + M("It is the gradient at the net's ORIGINAL parameters: your layers do not "
                                          "see the values written into self.params (they must share its arrays).",
                                          "これはネットワークの「元の」パラメータでの勾配です。self.params に書き込んだ値"
                                          "が層に届いていません(層は同じ配列を共有する必要があります)。")
                if key[1:] != str(cfg.depth):
                    last_ok = all(is_ok(grads[k], expected[k]) for k in (f"W{cfg.depth}", f"b{cfg.depth}"))
                    if last_ok:
                        f.msg = f.msg + M(f"(W{cfg.depth} and b{cfg.depth} of the last layer are right: look at the "
                                          "backward of the hidden layers.)",
                                          f"(最後の層の W{cfg.depth}、b{cfg.depth} は正しいので、中間層の backward を"
                                          "確認してください。)")
                raise


def is_ok(a, e) -> bool:
    return a.shape == e.shape and bool(np.all(close_mask(a, e, 1e-4, 1e-7)))


def _grad_dict(value, cfg: Cfg, shape_variants: dict | None = None) -> dict:
    """The student's gradient dict, checked for its keys and shapes; ``shape_variants`` ({key: {Mistake:
    value}}) names a known mistake of another shape (dW transposed, db not summed)."""
    label = cfg.label()
    if not isinstance(value, dict):
        kind = getattr(value, "type_name", type(value).__name__)
        raise Fail(M(f"gradient(x, t) of {label} should return a dict like params (W1, b1, …), but returned "
                     f"{'None (a missing return?)' if value is None else kind}.",
                     f"{label} の gradient(x, t) は params と同じキー(W1, b1, …)の辞書を返すべきですが、"
                     f"{'None(return がない?)' if value is None else kind} が返されました。"))
    out = {}
    for key in cfg.keys():
        if key not in value:
            no_bias = key[0] == "b" and all(k in value for k in cfg.keys() if k[0] == "W")
            raise Fail(M(f"gradient(x, t) of {label} has no key {key!r} (keys: {', '.join(map(str, value))}).",
                         f"{label} の gradient(x, t) にキー {key!r} がありません(キー: {', '.join(map(str, value))})。"),
                       mistake=_MISTAKE["gradient-missing-bias"] if no_bias else None)
        what = M(f"gradient(x, t)[{key!r}] of {label}", f"{label} の gradient(x, t)[{key!r}]")
        arr = as_array(value[key], what)
        if arr.shape != cfg.shape(key):
            raise Fail(M(f"{what.en} has shape {arr.shape}, expected {cfg.shape(key)} (the shape of params[{key!r}]).",
                         f"{what.ja} の形状が {arr.shape} です。期待される形状は {cfg.shape(key)}(params[{key!r}] と同じ)"
                         "です。"), mistake=match_variant(arr, (shape_variants or {}).get(key), 1e-4, 1e-7))
        out[key] = arr
    return out


H_NUM = 1e-5
MAX_ELEMENTS = 6  # per parameter array: a random subset (every array is probed)


def check_gradient_numerical(ctx: ItemContext):
    """Backpropagation against central differences of the student's OWN loss (all in one batch)."""
    for cfg in (RELU_CFGS[1], SIGMOID_CFGS[1], RELU_CFGS[2]):
        x, t, params = _data(ctx, cfg)
        net, P, original = _open(ctx, cfg)
        b = ctx.batch()
        _write(b, P, params)
        xr, tr = b.const(x), b.const(t)  # sent once, passed by reference to every loss call
        g = b.method(net, "gradient", xr, tr)
        probes = []
        for key in cfg.keys():
            arr_ref = b.item(P, key, want=False)
            size = params[key].size
            flat = ctx.rng.permutation(size)[:MAX_ELEMENTS] if size > MAX_ELEMENTS else np.arange(size)
            for f in flat:
                idx = tuple(int(i) for i in np.unravel_index(int(f), params[key].shape))
                v = float(params[key][idx])
                b.setitem(arr_ref, idx, v + H_NUM)
                lp = b.method(net, "loss", xr, tr)
                b.setitem(arr_ref, idx, v - H_NUM)
                lm = b.method(net, "loss", xr, tr)
                b.setitem(arr_ref, idx, v)
                probes.append((key, idx, lp, lm))
        b.run()
        grads = _grad_dict(g.value, cfg)
        slack = _delta_slack_grad(params, x, t, cfg)
        what = M(f"loss(x, t) of {cfg.label()}", f"{cfg.label()} の loss(x, t)")
        for key, idx, lp, lm in probes:
            numeric = (as_scalar(lp.value, what) - as_scalar(lm.value, what)) / (2 * H_NUM)
            got = float(grads[key][idx])
            if not abs(got - numeric) <= 1e-6 + 2e-4 * abs(numeric) + 1.5 * slack[key][idx]:
                where = f"[{', '.join(map(str, idx))}]"
                raise Fail(M(
                    f"Gradient check of {cfg.label()}: gradient(x, t)[{key!r}]{where} = {fmt(got)}, but the "
                    f"numerical derivative of your own loss(x, t) is {fmt(numeric)} (central differences, "
                    f"h = {H_NUM:g}): your backward does not match your forward.",
                    f"{cfg.label()} の勾配確認: gradient(x, t)[{key!r}]{where} = {fmt(got)} ですが、あなたの loss(x, t) "
                    f"の数値微分(中心差分、h = {H_NUM:g})は {fmt(numeric)} です。backward と forward が一致していません。"))


def check_layers(ctx: ItemContext):
    for cfg in (RELU_CFGS[1], SIGMOID_CFGS[1]):
        x, _, params = _data(ctx, cfg)
        net, P, original = _open(ctx, cfg)
        b = ctx.batch()
        _write(b, P, params)
        layers = b.attr(net, "layers", want=False)
        seq = b.values(layers, want=True)
        b.run()
        objs = seq.value if isinstance(seq.value, list) else []
        names = [getattr(o, "type_name", type(o).__name__) for o in objs]
        if not objs:
            raise Fail(M(f"{cfg.label()}.layers is empty or not a list / ordered dict of layer objects.",
                         f"{cfg.label()}.layers が空か、層オブジェクトのリスト/順序付き辞書ではありません。"))
        loss_last = M(f"{cfg.label()}.layers ends with a {names[-1]}: the loss layer is kept apart in "
                      "self.last_layer; layers holds the Affine and activation layers only, in forward order.",
                      f"{cfg.label()}.layers の最後が {names[-1]} です。損失の層は self.last_layer に別に持ち、"
                      "layers には Affine 層と活性化関数の層だけを順伝播の順に入れます。")
        b = ctx.batch()
        h = x
        for i in range(len(objs)):
            h = b.method(b.item(seq, i, want=False), "forward", h, want=(i == len(objs) - 1))
        try:
            b.run()
        except StudentError:
            if "loss" in names[-1].lower():
                raise Fail(loss_last, mistake=_MISTAKE["loss-layer-in-layers"]) from None
            raise
        expected = _ref_net(cfg, params).predict(x)
        try:
            assert_close(h.value, expected,
                         M(f"x passed through the {len(objs)} objects of {cfg.label()}.layers in order "
                           f"({' → '.join(names)})",
                           f"{cfg.label()}.layers の {len(objs)} 個のオブジェクトに順に x を通した結果"
                           f"({' → '.join(names)})"),
                         context=M(f"(expected: the scores, after {2 * cfg.depth - 1} layers Affine → activation → "
                                   "… → Affine)",
                                   f"(期待値: Affine → 活性化関数 → … → Affine の {2 * cfg.depth - 1} 層を通したスコア)"))
        except Fail as f:
            if "loss" in names[-1].lower():
                raise Fail(loss_last, mistake=_MISTAKE["loss-layer-in-layers"]) from None
            raise _not_shared(f, h.value, original, x, cfg) from None


DOUT = 2.5


def check_last_layer(ctx: ItemContext):
    """forward(scores, t); backward() (no argument: dout=1 is the default) and backward(2.5) on the same object
    (EXERCISES.md: a loss layer's backward scales by the dout it is given); then, on a new net, forward and
    backward() with every score large (a SoftmaxWithLoss stays finite and right, EXERCISES.md §6)."""
    cfg = RELU_CFGS[0]
    s = ctx.randn(N_BATCH, cfg.output_size, scale=0.5)
    t = ctx.one_hot(N_BATCH, cfg.output_size)
    ref = RefSoftmaxWithLoss()
    expected_loss = ref.forward(s, t)
    expected_dx = ref.backward()
    label = f"{cfg.label()}.last_layer"
    b = ctx.batch()
    net = b.new("MultiLayerNet", **cfg.ctor())
    last = b.attr(net, "last_layer", want=False)
    loss = b.method(last, "forward", s, t)
    dx = b.method(last, "backward")
    dx_scaled = b.method(last, "backward", DOUT)
    try:
        b.run()
    except StudentError as exc:
        if exc.info.get("type") == "TypeError" and "argument" in exc.info.get("message", ""):
            raise Fail(M(f"{label}.backward() (no argument) raised TypeError: {exc.info.get('message', '')}. The "
                         "loss layer is the last layer and is called without dout: its signature is "
                         "`def backward(self, dout=1):`.",
                         f"{label}.backward()(引数なし)が TypeError になりました: {exc.info.get('message', '')}。"
                         "損失の層は最後の層なので dout なしで呼ばれます。シグネチャは `def backward(self, dout=1):` "
                         "です。"), mistake=_MISTAKE["loss-backward-dout-required"]) from None
        raise
    what = M(f"{label}.forward(scores, t)", f"{label}.forward(scores, t)")
    assert_close(as_scalar(loss.value, what), expected_loss, what, atol=1e-6 + _delta_slack_loss(s, t),
                 context=M("(last_layer is a SoftmaxWithLoss: the mean cross-entropy of softmax(scores))",
                           "(last_layer は SoftmaxWithLoss: softmax(scores) の交差エントロピーの平均)"),
                 variants=ctx.variants(ce_sum_not_mean=N_BATCH * expected_loss))
    slack = _delta_slack_dx(s, t)
    back = f"{label}.backward()"
    first = assert_close(dx.value, expected_dx, M(back, back), atol=1e-6 + slack,
                         context=M("(expected (y − t)/N)", "(期待値は (y − t)/N)"),
                         variants=ctx.variants(backward_missing_1_over_n=N_BATCH * expected_dx))
    back = f"{label}.backward({DOUT})"
    try:
        assert_close(dx_scaled.value, DOUT * expected_dx, M(back, back), atol=1e-6 + DOUT * slack,
                     context=M(f"(expected dout·(y − t)/N with dout = {DOUT})",
                               f"(期待値は dout·(y − t)/N、dout = {DOUT})"),
                     variants=ctx.variants(loss_backward_ignores_dout=first,
                                           backward_missing_1_over_n=DOUT * N_BATCH * expected_dx))
    except Fail as fail:
        if fail.mistake is not None and fail.mistake.id == "loss-backward-ignores-dout":
            fail.msg = fail.msg + M(f"backward(dout={DOUT}) returned the same dx as backward(): the result must be "
                                    "multiplied by dout.",
                                    f"backward(dout={DOUT}) が backward() と同じ dx を返しました。結果に dout を掛ける"
                                    "必要があります。")
        raise
    _check_last_layer_large(ctx, cfg, label)
    _check_last_layer_delta(ctx, cfg, label)


def _check_last_layer_delta(ctx: ItemContext, cfg: Cfg, label: str):
    """The target's probability ≈ 0.013 in every row (all probabilities in [0.01, 0.99]): there a δ inside the log
    moves the loss by ≈ δ/0.013, so the valid band δ ∈ [0, 1e-5] is wider than the tolerance and a δ outside it
    (2e-5, −1e-5) is not."""
    k = cfg.output_size
    s = np.zeros((N_BATCH, k))
    t = np.zeros((N_BATCH, k))
    for i in range(N_BATCH):
        target, big, third = ctx.rng.permutation(k)[:3]
        s[i] = ctx.rng.uniform(-3, 3)
        s[i, big] += 4.3 + ctx.rng.uniform(-0.1, 0.1)
        s[i, third] += ctx.rng.uniform(-0.1, 0.1)
        t[i, target] = 1.0
    ref = RefSoftmaxWithLoss()
    exact = ref.forward(s, t)
    shifted = float(-np.sum(t * np.log(ref.y + DELTA_MAX)) / N_BATCH)
    b = ctx.batch()
    net = b.new("MultiLayerNet", **cfg.ctor())
    last = b.attr(net, "last_layer", want=False)
    loss = b.method(last, "forward", s, t)
    b.run()
    what = M(f"{label}.forward(scores, t) with the target's probability ≈ 0.013 in every row",
             f"各行の正解クラスの確率が約 0.013 のときの {label}.forward(scores, t)")
    value = as_scalar(loss.value, what)
    if not loss_in_band(value, exact, shifted):
        raise Fail(M(f"{what.en} is {fmt(value)}; expected between {fmt(shifted)} (δ = 1e-5 inside the log) and "
                     f"{fmt(exact)} (no δ). A δ inside the log may be anything from 0 to 1e-5 (docs/exercises.md, general rules); yours "
                     "is outside that range (or the loss is not the mean cross-entropy).",
                     f"{what.ja} は {fmt(value)} ですが、期待値は {fmt(shifted)}(log の中の δ = 1e-5)から "
                     f"{fmt(exact)}(δ なし)の間です。log の中の δ は 0 から 1e-5 までです(docs/exercises.md の共通のきまり)。あなたの δ は"
                     "その範囲の外です(または損失が交差エントロピーの平均ではありません)。"))


# Every score large (EXERCISES.md §6, SoftmaxWithLoss: "a row [1000, 999, 998]"), positive and negative, with a
# small spread: no probability underflows to 0, so a loss without δ (t·log y with δ = 0) stays finite too, and
# exp without the row maximum subtracted gives inf/inf or 0/0.
LARGE_S = np.array([[1000.0, 999.0, 998.0], [-1000.0, -998.0, -999.0], [500.0, 503.0, 501.0]])
LARGE_T = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])


def _check_last_layer_large(ctx: ItemContext, cfg: Cfg, label: str):
    ref = RefSoftmaxWithLoss()
    expected_loss = ref.forward(LARGE_S, LARGE_T)
    expected_dx = ref.backward()
    shifted = float(-np.sum(LARGE_T * np.log(ref.y + DELTA_MAX)) / 3)  # the largest valid δ
    b = ctx.batch()
    net = b.new("MultiLayerNet", **cfg.ctor())
    last = b.attr(net, "last_layer", want=False)
    loss = b.method(last, "forward", LARGE_S, LARGE_T)
    dx = b.method(last, "backward")
    b.run()
    rows = "[[1000, 999, 998], [-1000, -998, -999], [500, 503, 501]]"
    what = M(f"{label}.forward(scores, t) with the large scores {rows}",
             f"大きなスコア {rows} での {label}.forward(scores, t)")
    value = as_scalar(loss.value, what)
    try:
        finite = bool(np.isfinite(value) and np.all(np.isfinite(np.asarray(dx.value, dtype=float))))
    except (TypeError, ValueError):
        finite = True
    context = (M("(with scores this large exp overflows to inf — or gives 0/0 for large negative ones: subtract "
                 "each row's maximum before exp, §5.2)",
                 "(スコアがこれほど大きいと exp が inf にあふれ、大きな負のスコアでは 0/0 になります。exp の前に"
                 "行ごとの最大値を引きます。§5.2)")
               if not finite else None)
    mistake = None if finite else _MISTAKE["softmax-no-max-shift"]
    if not loss_in_band(value, expected_loss, shifted):
        try:
            assert_close(value, expected_loss, what, context=context, atol=1e-5)
        except Fail as fail:
            fail.mistake = fail.mistake or mistake
            raise
    back = f"{label}.backward()"
    try:
        assert_close(dx.value, expected_dx, M(f"{back} after forward with the large scores {rows}",
                                              f"大きなスコア {rows} での forward の後の {back}"),
                     context=context)
    except Fail as fail:
        fail.mistake = fail.mistake or mistake
        raise


def _delta_slack_dx(scores, t) -> np.ndarray:
    """The effect of δ = DELTA_MAX inside the log on (y − t)/N (row by row the factor y_t/(y_t + δ))."""
    y = softmax(scores)
    y_t = np.sum(y * t, axis=1, keepdims=True)
    d = (y - t) / scores.shape[0]
    return np.abs(d * (y_t / (y_t + DELTA_MAX)) - d)


def check_no_mutation(ctx: ItemContext):
    """predict, loss, accuracy, gradient and last_layer.forward/backward leave the arrays they are given unchanged
    (EXERCISES.md, general rules). The arrays are put into the worker once and read back after each call, so an
    in-place change (``x -= x.max(...)`` on the scores, ``x[mask] = 0``) is visible; a call that raises is the
    correctness items' business, its arguments are still read back."""
    cfg = RELU_CFGS[1]
    x, t, params = _data(ctx, cfg)
    net, P, _ = _open(ctx, cfg)
    b = ctx.batch()
    _write(b, P, params)
    last = b.attr(net, "last_layer", want=False)
    b.run()
    s = ctx.randn(N_BATCH, cfg.output_size, scale=0.5)
    calls = [(net, f"{cfg.label()}.{m}", m, (x, t) if m != "predict" else (x,), ("x", "t"))
             for m in ("predict", "loss", "accuracy", "gradient")]
    calls.append((last, f"{cfg.label()}.last_layer", "forward", (s, t), ("scores", "t")))
    for obj, label, method, args, names in calls:
        b = ctx.batch()
        refs = [b.const(a) for a in args]
        b.method(obj, method, *refs, want=False)
        if method == "forward":
            b.method(obj, "backward", 1, want=False)
        try:
            b.run()
        except StudentError:
            pass
        b = ctx.batch()
        after = [b.read(r) for r in refs]
        b.run()
        call = f"{label}.{method}({', '.join(names[:len(args)])})" + ("; backward(1)" if method == "forward" else "")
        for name, before, pending in zip(names, args, after):
            assert_unchanged(before, pending.value, M(f"`{name}` of {call}", f"{call} の `{name}`"))


# Training: blobs in 20 dimensions, 5 classes; 100 samples, full-batch SGD.
TRAIN_CFG = Cfg(20, (50, 50), 5)
TRAIN_STEPS = 30
TRAIN_LR = 0.1
TRAIN_BUDGET = 4.0  # seconds for all the steps (a correct vectorised net needs about 0.1 s)
# A net stopped within the first third of its steps is >= 20x too slow for a vectorised gradient: named as
# numerical differentiation (stopping at step 2 was the rule, but a quiet machine gets to step 4-8 with it).


def _blobs(ctx: ItemContext, cfg: Cfg, n: int):
    centers = ctx.randn(cfg.output_size, cfg.input_size) * 1.0
    labels = np.arange(n) % cfg.output_size
    x = centers[labels] + ctx.randn(n, cfg.input_size)
    return x, np.eye(cfg.output_size)[labels]


def check_train(ctx: ItemContext):
    cfg = TRAIN_CFG
    x, t = _blobs(ctx, cfg, 100)
    init = RefNet(cfg.input_size, list(cfg.hidden), cfg.output_size, activation="relu", weight_init_std="he",
                  rng=np.random.default_rng(int(ctx.rng.integers(2**31))))
    theta = {k: v.copy() for k, v in init.params.items()}
    # the reference run, here
    ref_net = _ref_net(cfg, theta)
    start_loss = ref_net.loss(x, t)
    for _ in range(TRAIN_STEPS):
        grads = ref_net.gradient(x, t)
        for k in ref_net.params:
            ref_net.params[k] -= TRAIN_LR * grads[k]
    ref_loss = ref_net.loss(x, t)
    ref_acc = ref_net.accuracy(x, t)
    # the student's run: their gradient, our update, written into their arrays
    deadline = ctx.budget(TRAIN_BUDGET)  # plus the time spent waiting for a CPU (a busy machine)
    net, P, original = _open(ctx, cfg, "he")
    b = ctx.batch()
    xr, tr = b.const(x), b.const(t)
    arrays = {k: b.item(P, k, want=False) for k in theta}
    b.run()
    for step in range(1, TRAIN_STEPS + 1):
        b = ctx.batch()
        for k, v in theta.items():
            b.assign(arrays[k], v)
        g = b.method(net, "gradient", xr, tr)
        remaining = deadline.remaining()
        try:
            if remaining <= 0:
                raise StudentTimeout(TRAIN_BUDGET)
            b.run(timeout=remaining)
        except StudentTimeout:
            raise Fail(M(f"Training {cfg.label('he')} ({TRAIN_STEPS} steps of SGD on 100 samples, "
                         f"{sum(v.size for v in theta.values())} parameters) did not finish within {TRAIN_BUDGET:g} s: "
                         f"it stopped at step {step}. gradient must use backpropagation with vectorised NumPy code "
                         "(a numerical gradient needs two forward passes per parameter and is far too slow).",
                         f"{cfg.label('he')} の学習(100 個のデータで SGD を {TRAIN_STEPS} ステップ、パラメータ "
                         f"{sum(v.size for v in theta.values())} 個)が {TRAIN_BUDGET:g} 秒以内に終わりませんでした"
                         f"({step} ステップ目で停止)。gradient はベクトル化した NumPy の誤差逆伝播で計算します(数値微分は"
                         "パラメータごとに 2 回の順伝播が必要で、遅すぎます)。"),
                       mistake=_MISTAKE["numerical-gradient-too-slow"] if step <= TRAIN_STEPS // 3 else None) from None
        grads = _grad_dict(g.value, cfg)
        for k in theta:
            theta[k] = theta[k] - TRAIN_LR * grads[k]
        if not all(np.all(np.isfinite(v)) for v in theta.values()):
            raise Fail(M(f"Training {cfg.label('he')} with SGD (lr {TRAIN_LR}) on 100 samples: the parameters "
                         f"became NaN or infinite at step {step}.",
                         f"{cfg.label('he')} を SGD(lr {TRAIN_LR})で 100 個のデータについて学習すると、{step} ステップ目"
                         "でパラメータが NaN または無限大になりました。"))
    final = _ref_net(cfg, theta)
    loss, acc = final.loss(x, t), final.accuracy(x, t)
    if not (loss <= 1.1 * ref_loss + 0.01 and acc >= ref_acc - 0.05):
        raise Fail(M(f"Training {cfg.label('he')} for {TRAIN_STEPS} steps of SGD (lr {TRAIN_LR}, 100 samples of "
                     f"5 classes) with your gradient: the loss went from {start_loss:.3f} to {loss:.3f} and the "
                     f"training accuracy is {acc:.2f}; a correct net reaches a loss of {ref_loss:.3f} and an "
                     f"accuracy of {ref_acc:.2f}. (The grader writes each update into the arrays of params.)",
                     f"あなたの勾配で {cfg.label('he')} を SGD(lr {TRAIN_LR}、5 クラス 100 個のデータ)で "
                     f"{TRAIN_STEPS} ステップ学習すると、損失は {start_loss:.3f} から {loss:.3f} になり、訓練精度は "
                     f"{acc:.2f} でした。正しいネットワークでは損失 {ref_loss:.3f}、精度 {ref_acc:.2f} になります"
                     "(採点側は毎回の更新を params の配列に書き込みます)。"))


# ---------------------------------------------------------------------------------------- catalogue

H_PARAMS = M("params: W1, b1, …, WL, bL with L = len(hidden_size_list) + 1; W_l of shape (N_{l−1}, N_l), "
             "b_l zeros of shape (N_l,).",
             "params は W1, b1, …, WL, bL(L = len(hidden_size_list) + 1)。W_l の形状は (N_{l−1}, N_l)、b_l は形状 "
             "(N_l,) の 0。")
H_INIT_STD = M("A float weight_init_std is the standard deviation of every W: np.random.randn(n_in, n_out) * std.",
               "weight_init_std が数値のときはすべての W の標準偏差です: np.random.randn(n_in, n_out) * std。")
H_HE = M('"he" / "relu": layer l has variance 2/N_{l−1}, N_{l−1} = its number of inputs (§7.2).',
         '"he" / "relu": 第 l 層の分散は 2/N_{l−1}(N_{l−1} はその層の入力数、§7.2)。')
H_XAVIER = M('"xavier" / "sigmoid": layer l has variance 2/(N_{l−1} + N_l) (§7.2, not 1/N_{l−1}).',
             '"xavier" / "sigmoid": 第 l 層の分散は 2/(N_{l−1} + N_l)(§7.2。1/N_{l−1} ではありません)。')
H_PREDICT = M("predict: x through the layers in order (Affine → activation → … → Affine); return the scores "
              'BEFORE softmax. activation defaults to "relu".',
              "predict: 層を順に通し(Affine → 活性化関数 → … → Affine)、ソフトマックスの前のスコアを返します。"
              'activation の既定値は "relu" です。')
H_LOSS = M("loss = last_layer.forward(predict(x), t): the mean cross-entropy over the batch.",
           "loss = last_layer.forward(predict(x), t): バッチ平均の交差エントロピー。")
H_ACC = M("accuracy = mean(argmax(predict(x), axis=1) == argmax(t, axis=1)), a fraction in [0, 1].",
          "accuracy = mean(argmax(predict(x), axis=1) == argmax(t, axis=1))。[0, 1] の割合です。")
H_GRAD = M("gradient: loss(x, t), dout = last_layer.backward(1), then backward through reversed(layers); "
           "collect each Affine layer's dW, db as grads['W1'], grads['b1'], …",
           "gradient: loss(x, t) の後 dout = last_layer.backward(1)、layers を逆順に backward し、各 Affine 層の dW、"
           "db を grads['W1']、grads['b1']、… に集めます。")
H_NUMCHK = M("Your gradient must agree with the numerical derivative of your own loss (gradient check).",
             "gradient はあなた自身の loss の数値微分と一致する必要があります(勾配確認)。")
H_LAYERS = M("self.layers: the layer objects in forward order (a list or an OrderedDict), without the loss layer.",
             "self.layers: 順伝播の順の層オブジェクト(リストか OrderedDict)。損失の層は含めません。")
H_LAST = M("self.last_layer = SoftmaxWithLoss(): forward(scores, t) = mean cross-entropy (softmax with each row's "
           "maximum subtracted, finite for scores like 1000); backward(dout=1) = dout·(y − t)/N.",
           "self.last_layer = SoftmaxWithLoss(): forward(scores, t) = 交差エントロピーの平均(ソフトマックスは行ごとの最大値を"
           "引いて計算し、1000 のようなスコアでも有限)、backward(dout=1) = dout·(y − t)/N。")
H_NOMUT = M("predict, loss, accuracy, gradient and last_layer must not write into the arrays they are given "
            "(no `x -= np.max(x, ...)` on the scores): compute new arrays, or work on a copy.",
            "predict、loss、accuracy、gradient と last_layer は渡された配列に書き込んではいけません(スコアに "
            "`x -= np.max(x, ...)` などは不可)。新しい配列を作るか、コピーに対して操作します。")
H_TRAIN = M("The layers must use the arrays of self.params, and gradient must be computed at their current values "
            "by backpropagation (vectorised).",
            "層は self.params の配列を使い、gradient はその時点の値で誤差逆伝播により(ベクトル化して)計算します。")

_CI = INIT_CFG
EXERCISE = Exercise(
    id="multilayer-net",
    title=M("Multi-layer neural network", "多層のニューラルネットワーク"),
    section="5.3",
    notebooks=("2-4_多層NN(分類).ipynb",),
    items=(
        Item("MultiLayerNet.params", 1, check_params, H_PARAMS, "5.3", kind="class"),
        Item("MultiLayerNet.init_std", 1, _init_check((0.05, 1.0, None), _float, Cfg(_CI[0], _CI[1], _CI[2], "relu")),
             H_INIT_STD, "7", kind="class"),
        Item("MultiLayerNet.init_he", 1, _init_check(("he", "relu"), _he, Cfg(_CI[0], _CI[1], _CI[2], "relu")),
             H_HE, "7.2", kind="class"),
        Item("MultiLayerNet.init_xavier", 1,
             _init_check(("xavier", "sigmoid"), _xavier, Cfg(_CI[0], _CI[1], _CI[2], "sigmoid")),
             H_XAVIER, "7.2", kind="class"),
        Item("MultiLayerNet.predict", 1, check_predict, H_PREDICT, "5.3", kind="class"),
        Item("MultiLayerNet.loss", 1, check_loss, H_LOSS, "5.3", kind="class"),
        Item("MultiLayerNet.accuracy", 1, check_accuracy, H_ACC, "5.3", kind="class"),
        Item("MultiLayerNet.gradient", 3, check_gradient, H_GRAD, "5.3", kind="class"),
        Item("MultiLayerNet.gradient_check", 1, check_gradient_numerical, H_NUMCHK, "5.3", kind="class"),
        Item("MultiLayerNet.layers", 1, check_layers, H_LAYERS, "5.3", kind="class"),
        Item("MultiLayerNet.last_layer", 1, check_last_layer, H_LAST, "5.3", kind="class"),
        Item("MultiLayerNet.no_mutation", 0.5, check_no_mutation, H_NOMUT, "5.3", kind="class"),
        Item("MultiLayerNet.train", 2, check_train, H_TRAIN, "5.3", kind="class", timeout=8.0),
    ),
    mistakes=MISTAKES,
)
