"""Exercise 5 `two-layer-net` — 2 層のニューラルネットワーク (§4, notebooks 2-2-1/2/3).

`TwoLayerNet(input_size, hidden_size, output_size, task="multiclass", weight_init_std=0.01)`
for task = "regression" | "binary" | "multiclass".

The grader sets the parameters itself by writing INTO the net's existing arrays
(`params[key][...] = value`), so a net whose layers hold the very same arrays
(the book's style) sees the new values.  Expected values come from
reference.two_layer_net, computed in the grader.  predict / loss / gradient /
training are graded per task: each task is a third of the item.
"""

from __future__ import annotations


import numpy as np

from exercises.common import M
from exercises.losses import check_scalar
from grader.compare import Fail, as_array, as_scalar, assert_close
from grader.context import ItemContext
from grader.messages import Msg
from grader.runner.session import Budget, StudentError, StudentTimeout
from exercises import mistakes as catalogue
from grader.spec import Exercise, Item, Mistake
from reference import two_layer_net as ref
from reference.functions import identity, relu, sigmoid, softmax

SECTION = "4"
KEYS = ("W1", "b1", "W2", "b2")
TASKS = ("regression", "binary", "multiclass")
OUTPUT_SIZE = {"regression": 2, "binary": 1, "multiclass": 3}
D, HID, N = 4, 6, 8


def _mistake(mid, section, en_title, ja_title, en, ja):
    return Mistake(mid, M(en_title, ja_title), M(en, ja), section)


# Exercise-specific mistakes; 1/N, ½, the ReLU mask, dW, db and initialisation: exercises/mistakes.py.
MISTAKES = (
    _mistake("output-activation-wrong", "4", "wrong output activation for the task", "タスクに合わない出力層の活性化関数",
             "regression: identity (no activation); binary: sigmoid; multiclass: softmax (§2).",
             "回帰: 恒等関数(活性化なし)、2 値分類: シグモイド、多クラス分類: ソフトマックス(§2)。"),
    _mistake("hidden-activation-not-relu", "4.1", "hidden activation is not ReLU", "隠れ層の活性化関数が ReLU でない",
             "The hidden layer of this net uses ReLU: X1 = max(A1, 0) (§4.1).",
             "このネットワークの隠れ層は ReLU です: X1 = max(A1, 0)(§4.1)。"),
    _mistake("grad-sign-flipped", "3.7", "gradient of the wrong sign", "勾配の符号が逆",
             "The output layer's gradient is (prediction − target)/N, not (target − prediction)/N (§3.7).",
             "出力層の勾配は (予測 − 正解)/N であり、(正解 − 予測)/N ではありません(§3.7)。"),
    _mistake("params-not-shared", "4", "the net does not use the arrays in params", "params の配列をネットワークが使っていない",
             "The grader (like an optimizer) writes new values into the arrays of `params`; the layers must hold those "
             "very arrays (no .copy()), or read them from `params` at every call.",
             "採点プログラムは(オプティマイザと同様に)`params` の配列に新しい値を書き込みます。層はその配列そのものを持つか"
             "(.copy() しない)、呼び出しのたびに `params` から読む必要があります。"),
    _mistake("bias-shape-2d", "4", "biases of shape (1, H) instead of (H,)", "バイアスの形状が (H,) でなく (1, H)",
             "b1 and b2 are 1-D: np.zeros(hidden_size) has shape (H,), np.zeros((1, hidden_size)) has shape (1, H). "
             "Broadcasting makes x·W1 + b1 work with either, but the contract (like an optimizer or a saved model) "
             "expects the shape (H,) (§4).",
             "b1 と b2 は 1 次元です。np.zeros(hidden_size) の形状は (H,)、np.zeros((1, hidden_size)) は (1, H) です。"
             "ブロードキャストにより x·W1 + b1 はどちらでも動きますが、仕様(オプティマイザや保存したモデルと同様)は"
             "形状 (H,) を前提にしています(§4)。"),
    _mistake("db-keepdims", "3.6", "db of shape (1, H) (keepdims=True)", "db の形状が (1, H)(keepdims=True)",
             "The gradient of a parameter has the parameter's shape: db = np.sum(dA, axis=0) has shape (H,) like b. "
             "With keepdims=True it is (1, H), and params['b1'] -= lr * db fails (or turns b1 into (1, H)) (§3.6).",
             "パラメータの勾配はパラメータと同じ形状です: db = np.sum(dA, axis=0) は b と同じ (H,) です。"
             "keepdims=True では (1, H) になり、params['b1'] -= lr * db が失敗します(または b1 が (1, H) に"
             "なります)(§3.6)。"),
    _mistake("gradient-returns-params", "4.1", "gradient returns the parameters", "gradient がパラメータを返している",
             "gradient(x, t) returns the GRADIENTS dE/dW1, dE/db1, dE/dW2, dE/db2 (a new dict, e.g. grads), not "
             "self.params: your dict holds the weights themselves (§4.1).",
             "gradient(x, t) が返すのは勾配 dE/dW1、dE/db1、dE/dW2、dE/db2(grads などの新しい辞書)で、self.params では"
             "ありません。あなたの辞書には重みそのものが入っています(§4.1)。"),
    _mistake("gradient-without-forward", "4.1", "gradient does not run the forward pass",
             "gradient が順伝播を実行していない",
             "gradient(x, t) must first run the forward pass on ITS x and t (e.g. self.loss(x, t)) and then "
             "backpropagate: yours uses what an earlier loss() call stored, so it fails on a new net and gives the "
             "gradient of other data otherwise (§4.1).",
             "gradient(x, t) は、まず自分の x と t で順伝播(例: self.loss(x, t))を実行してから逆伝播します。"
             "あなたの gradient は以前の loss() の呼び出しで保存された値を使っているので、新しいネットワークでは失敗し、"
             "それ以外では別のデータの勾配になります(§4.1)。"),
    _mistake("gradient-accumulates", "4.1", "gradients added up across calls", "勾配が呼び出しをまたいで足し込まれている",
             "Each call of gradient(x, t) returns the gradient of THIS mini-batch only: yours returns the sum of the "
             "gradients of all calls so far (e.g. self.dW += ... in Affine.backward, or dW arrays kept from one call "
             "to the next). Assign: self.dW = np.dot(self.x.T, dout) (§4.1).",
             "gradient(x, t) は呼び出すたびにそのミニバッチだけの勾配を返します。あなたの gradient はそれまでのすべての"
             "呼び出しの勾配の和を返しています(例: Affine.backward の self.dW += ...、呼び出しをまたいで保持した dW)。"
             "代入してください: self.dW = np.dot(self.x.T, dout)(§4.1)。"),
)
_BY_ID = {m.id: m for m in MISTAKES}


def _v(**by_id):
    return catalogue.variants(MISTAKES, **by_id)


def _task_msg(task: str) -> Msg:
    return M(f'task="{task}":', f'task="{task}":')


# ------------------------------------------------------------------ the reference, in the grader

def ref_net(task: str, params: dict) -> ref.TwoLayerNet:
    W1, W2 = params["W1"], params["W2"]
    net = ref.TwoLayerNet(W1.shape[0], W1.shape[1], W2.shape[1], task=task, rng=np.random.default_rng(0))
    for k in KEYS:
        net.params[k][...] = params[k]
    return net


def scores(params: dict, x: np.ndarray, hidden=relu) -> np.ndarray:
    return hidden(x @ params["W1"] + params["b1"]) @ params["W2"] + params["b2"]


OUT = {"regression": identity, "binary": sigmoid, "multiclass": softmax}


def ref_predict(task, params, x, hidden=relu):
    return OUT[task](scores(params, x, hidden))


def relu_inverted_params(params: dict) -> dict:
    """A net whose ReLU returns min(0, a) (the mask inverted) computes what the correct net computes with
    W1, b1, W2 negated: min(0, a)·W2 = relu(−a)·(−W2).  Its loss and gradient follow from the reference."""
    return {"W1": -params["W1"], "b1": -params["b1"], "W2": -params["W2"], "b2": params["b2"]}


def relu_inverted_gradient(task: str, params: dict, x, t) -> dict:
    g = ref_net(task, relu_inverted_params(params)).gradient(x, t)
    return {"W1": -g["W1"], "b1": -g["b1"], "W2": -g["W2"], "b2": g["b2"]}


# ------------------------------------------------------------------ test data

def _params_for(ctx: ItemContext, task: str, x: np.ndarray) -> dict:
    """Random parameters with every hidden pre-activation away from the ReLU kink, some units dead,
    and every predicted probability in [0.02, 0.98]."""
    k = OUTPUT_SIZE[task]
    for _ in range(200):
        p = {"W1": ctx.randn(D, HID, scale=0.8), "b1": ctx.randn(HID, scale=0.3),
             "W2": ctx.randn(HID, k, scale=0.6), "b2": ctx.randn(k, scale=0.3)}
        a1 = x @ p["W1"] + p["b1"]
        if np.abs(a1).min() < 0.02 or (a1 > 0).mean() < 0.3 or (a1 > 0).mean() > 0.8:
            continue
        for _ in range(20):
            y = ref_predict(task, p, x)
            if task == "regression" or (y.min() >= 0.02 and y.max() <= 0.98):
                return p
            p["W2"] *= 0.7
            p["b2"] *= 0.7
    raise AssertionError("could not draw test parameters")


def _targets(ctx: ItemContext, task: str, n: int) -> np.ndarray:
    if task == "regression":
        return ctx.randn(n, OUTPUT_SIZE[task])
    if task == "binary":
        t = (ctx.rng.random((n, 1)) < 0.5).astype(float)
        t[:2] = [[0.0], [1.0]]
        return t
    return ctx.one_hot(n, OUTPUT_SIZE[task])


def case(ctx: ItemContext, task: str):
    x = ctx.randn(N, D)
    return x, _params_for(ctx, task, x), _targets(ctx, task, N)


# ------------------------------------------------------------------ building the student's net

def _shape_problems(task: str, got: dict, sizes: tuple[int, int, int], strict: bool = True) -> Msg | None:
    """None when params has the keys and shapes of the contract; ``strict=False`` lets a bias have any shape
    of the right size (e.g. (1, H)), which only TwoLayerNet.params marks wrong."""
    d, h, k = sizes
    want = {"W1": (d, h), "b1": (h,), "W2": (h, k), "b2": (k,)}
    for key in KEYS:
        if key not in got:
            return M(f"net.params has no key '{key}' (keys: {sorted(map(str, got))}); it needs W1, b1, W2, b2.",
                     f"net.params にキー '{key}' がありません(キー: {sorted(map(str, got))})。W1, b1, W2, b2 が必要です。")
        arr = got[key]
        if not isinstance(arr, np.ndarray):
            return M(f"net.params['{key}'] is a {getattr(arr, 'type_name', type(arr).__name__)}, not a NumPy array.",
                     f"net.params['{key}'] が NumPy 配列ではなく {getattr(arr, 'type_name', type(arr).__name__)} です。")
        if arr.shape != want[key] and (strict or key[0] != "b" or arr.size != int(np.prod(want[key]))):
            return M(f"net.params['{key}'] has shape {arr.shape}; expected {want[key]} for TwoLayerNet(input_size={d}, "
                     f"hidden_size={h}, output_size={k}, task=\"{task}\").",
                     f"net.params['{key}'] の形状が {arr.shape} です。TwoLayerNet(input_size={d}, hidden_size={h}, "
                     f"output_size={k}, task=\"{task}\") では {want[key]} のはずです。")
    return None


def new_net(ctx: ItemContext, task: str, sizes=None, strict: bool = False, **extra):
    """Construct the student's net; return (batch-independent) refs (net, params) and the params read back."""
    d, h, k = sizes or (D, HID, OUTPUT_SIZE[task])
    b = ctx.batch()
    net = b.new("TwoLayerNet", input_size=d, hidden_size=h, output_size=k, task=task, **extra)
    params = b.attr(net, "params", want=True)
    b.run()
    got = params.value
    if not isinstance(got, dict):
        kind = getattr(got, "type_name", type(got).__name__)
        raise Fail(M(f"net.params should be a dict of arrays (W1, b1, W2, b2), but it is a {kind}.",
                     f"net.params は配列の辞書(W1, b1, W2, b2)であるべきですが、{kind} になっています。"))
    problem = _shape_problems(task, got, (d, h, k), strict)
    if problem is not None:
        if not strict:
            raise Fail(problem + M("(See TwoLayerNet.params.)", "(TwoLayerNet.params を参照。)"))
        raise Fail(problem, mistake=_BY_ID["bias-shape-2d"] if _biases_2d(got, (d, h, k)) else None)
    return net, params, got


def _biases_2d(got: dict, sizes: tuple[int, int, int]) -> bool:
    """The weights have their shapes and a bias is a row (1, n) instead of (n,) (the other one either)."""
    d, h, k = sizes
    shapes = {key: getattr(got.get(key), "shape", None) for key in KEYS}
    return shapes["W1"] == (d, h) and shapes["W2"] == (h, k) and shapes["b1"] in ((h,), (1, h)) \
        and shapes["b2"] in ((k,), (1, k)) and (shapes["b1"], shapes["b2"]) != ((h,), (k,))


def set_params(b, params_ref, values: dict) -> dict:
    """Write ``values`` into the student's existing arrays; return the refs of those arrays."""
    refs = {}
    for key in KEYS:
        refs[key] = b.item(params_ref, key, want=False)
        b.assign(refs[key], values[key])
    return refs


def net_with(ctx: ItemContext, task: str, values: dict):
    """A new net of the student's with ``values`` written into its params; also its own initial values."""
    net, params, initial = new_net(ctx, task)
    b = ctx.batch()
    refs = set_params(b, params, values)
    b.run()
    return net, refs, initial


def per_task(ctx: ItemContext, check) -> Msg | None:
    """Run ``check(ctx, task)`` for the three tasks; each is a third of the item."""
    fails: list[tuple[str, Fail]] = []
    for task in TASKS:
        try:
            check(ctx, task)
        except Fail as f:
            fails.append((task, f))
        except StudentError as e:
            fails.append((task, Fail(e.describe())))
    if not fails:
        return None
    task, f = fails[0]
    passed = [t for t in TASKS if t not in {t for t, _ in fails}]
    msg = _task_msg(task) + f.msg
    if len(fails) > 1:
        others = ", ".join(t for t, _ in fails[1:])
        msg = msg + M(f"(Also wrong: task {others}.)", f"(task {others} も誤りです。)")
    if passed:
        msg = msg + M(f"(Right for {', '.join(passed)}: {len(passed)}/3 of the points.)",
                      f"({', '.join(passed)} は正しいので得点は {len(passed)}/3 です。)")
    raise Fail(msg, mistake=f.mistake, score=len(passed) / 3)


# ------------------------------------------------------------------ params

def _fits(m: float, s: float, n: int, std: float) -> bool:
    """Mean m and standard deviation s of n draws fit N(0, std²), each within 7 standard errors."""
    return abs(m) <= 7 * std / np.sqrt(n) and abs(s / std - 1) <= 7 / np.sqrt(2 * n)


def _stat_check(arr: np.ndarray, std: float, label: str, call: str, default_std: float | None = None) -> None:
    """Mean 0 and standard deviation ``std``, each within 7 standard errors (false alarm < 1e-11).
    ``default_std``: the spec's default weight_init_std, what a net that ignores the argument draws."""
    n = arr.size
    m, s = float(arr.mean()), float(arr.std())
    if not _fits(m, s, n, std):
        mistake = None
        kurtosis = float(np.mean((arr - m) ** 4)) / s ** 4 if s > 0 else np.nan
        if 1.6 < kurtosis < 2.0:  # 1.8 for a uniform draw, 3 for a normal one (sampling error ≈ 0.02 here)
            mistake = catalogue.find("init-uniform")
        elif _fits(m, s, n, std ** 2):
            mistake = catalogue.find("init-variance-as-std")  # std² used as the standard deviation
        elif default_std is not None and default_std != std and _fits(m, s, n, default_std):
            mistake = catalogue.find("weight-init-std-ignored")  # the default whatever is passed
        raise Fail(M(f"{label} of {call} has mean {m:.4g} and standard deviation {s:.4g} over its {n} entries; "
                     f"they should be drawn from N(0, {std:g}²): mean ≈ 0, standard deviation ≈ {std:g} "
                     f"(weight_init_std * np.random.randn(...)).",
                     f"{call} の {label}({n} 要素)の平均が {m:.4g}、標準偏差が {s:.4g} です。N(0, {std:g}²) から"
                     f"生成するので、平均 ≈ 0、標準偏差 ≈ {std:g} になるはずです(weight_init_std * np.random.randn(...))。"),
                   mistake=mistake)


def params_check(ctx: ItemContext):
    for task in TASKS:
        k = 1 if task == "binary" else 20
        _, _, got = new_net(ctx, task, (50, 400, k), strict=True, weight_init_std=0.5)
        label = f"TwoLayerNet(input_size=50, hidden_size=400, output_size={k}, task=\"{task}\", weight_init_std=0.5)"
        _stat_check(got["W1"], 0.5, "params['W1']", label, default_std=0.01)
        if task == "multiclass":
            _stat_check(got["W2"], 0.5, "params['W2']", label, default_std=0.01)
        for key in ("b1", "b2"):
            if np.abs(got[key]).max() > 1e-12:
                raise Fail(M(f"params['{key}'] of {label} is not zero (max |value| {np.abs(got[key]).max():.4g}); "
                             "the biases start at 0 (np.zeros).",
                             f"{label} の params['{key}'] が 0 ではありません(|値| の最大 {np.abs(got[key]).max():.4g})。"
                             "バイアスの初期値は 0(np.zeros)です。"), mistake=catalogue.find("bias-not-zero"))
    # the defaults: task="multiclass", weight_init_std=0.01
    try:
        _default_check(ctx, {})
    except (Fail, StudentError) as problem:
        try:  # the same net with the spec's defaults passed explicitly
            _default_check(ctx, {"task": "multiclass", "weight_init_std": 0.01})
        except (Fail, StudentError):
            raise problem from None
        note = M('With task="multiclass", weight_init_std=0.01 passed explicitly your net is right: a default value '
                 'in your __init__ differs from the spec\'s (task="multiclass", weight_init_std=0.01), or is missing.',
                 'task="multiclass", weight_init_std=0.01 を明示的に渡すと正しいので、__init__ の既定値が'
                 '仕様(task="multiclass", weight_init_std=0.01)と違うか、既定値がありません。')
        if isinstance(problem, StudentError):  # e.g. no default for task: stays an error, with the diagnosis
            problem.note, problem.mistake = note, catalogue.find("default-value-wrong")
            raise problem from None
        raise Fail(problem.msg + note, mistake=catalogue.find("default-value-wrong")) from None


def _default_check(ctx: ItemContext, explicit: dict) -> None:
    """TwoLayerNet(input_size=50, hidden_size=400, output_size=20) draws W1, W2 from N(0, 0.01²); ``explicit``:
    the same with (some of) the spec's default arguments passed."""
    call = "TwoLayerNet(input_size=50, hidden_size=400, output_size=20)"
    b = ctx.batch()
    net = b.new("TwoLayerNet", input_size=50, hidden_size=400, output_size=20, **explicit)
    default = b.attr(net, "params", want=True)
    b.run()
    dflt = default.value
    problem = _shape_problems("multiclass", dflt, (50, 400, 20)) if isinstance(dflt, dict) else M(
        "net.params is not a dict.", "net.params が辞書ではありません。")
    if problem is not None:
        raise Fail(M(f"With the defaults, {call}:", f"既定値の {call} で:") + problem)
    for key in ("W1", "W2"):
        _stat_check(dflt[key], 0.01, f"params['{key}']", call + " (default weight_init_std=0.01)")


# ------------------------------------------------------------------ predict

def _predict_task(ctx: ItemContext, task: str):
    x, p, _ = case(ctx, task)
    net, _, initial = net_with(ctx, task, p)
    b = ctx.batch()
    y = b.method(net, "predict", x)
    b.run()
    expected = ref_predict(task, p, x)
    s = scores(p, x)
    wrong_outs = {"regression": [sigmoid(s), softmax(s)], "binary": [s, softmax(s)],
                  "multiclass": [s, sigmoid(s)]}[task]
    value = y.value
    arr = as_array(value, M("predict(x)", "predict(x)"))
    if task == "binary" and arr.size == expected.size:
        value = arr = arr.reshape(expected.shape)  # (N,) for one output is fine
    wrong_out = wrong_outs[0]
    if arr.shape == expected.shape:  # the wrong output activation closest to what came back
        wrong_out = min(wrong_outs, key=lambda w: float(np.nan_to_num(np.abs(arr - w), nan=np.inf).sum()))
    variants = _v(params_not_shared=ref_predict(task, initial, x), output_activation_wrong=wrong_out,
                  hidden_activation_not_relu=ref_predict(task, p, x, hidden=sigmoid),
                  relu_inverted=ref_predict(task, p, x, hidden=lambda a: np.minimum(0.0, a)))
    assert_close(value, expected, M("predict(x)", "predict(x)"), variants=variants)
    if task != "regression":
        _predict_large_scores(ctx, task, net, p, x)


def _predict_large_scores(ctx: ItemContext, task: str, net, p: dict, x: np.ndarray) -> None:
    """Output scores up to ±50 (a net built with a larger weight_init_std, or trained a while): the
    probabilities must still come out right. exp(50) is finite even in float32, so any softmax or sigmoid
    within the contract manages; one that shifts the scores the wrong way (exp(x + max)) overflows."""
    s = scores(p, x)
    big = dict(p, W2=p["W2"] * (50.0 / np.abs(s).max()), b2=p["b2"] * (50.0 / np.abs(s).max()))
    net_big, _, _ = net_with(ctx, task, big)
    b = ctx.batch()
    y = b.method(net_big, "predict", x)
    b.run()
    expected = ref_predict(task, big, x)
    arr = as_array(y.value, M("predict(x)", "predict(x)"))
    if task == "binary" and arr.size == expected.size:
        arr = arr.reshape(expected.shape)
    assert_close(arr, expected, M("predict(x)", "predict(x)"), context=M(
        "(output scores up to ±50: the probabilities must still be right — softmax subtracts the row maximum, "
        "exp(x − max), §5.2)", "(出力スコアが ±50 程度の場合: 確率はやはり正しくなければなりません。"
        "softmax は行の最大値を引いてから exp します(exp(x − max)、§5.2))"))


def predict_check(ctx: ItemContext):
    return per_task(ctx, _predict_task)


# ------------------------------------------------------------------ loss

def _loss_task(ctx: ItemContext, task: str):
    x, p, t = case(ctx, task)
    net, _, initial = net_with(ctx, task, p)
    b = ctx.batch()
    loss = b.method(net, "loss", x, t)
    b.run()
    expected = float(ref.two_layer_forward_loss(p, x, t, task))
    got = as_scalar(loss.value, M("loss(x, t)", "loss(x, t)"))
    k = OUTPUT_SIZE[task]
    regression = task == "regression"
    variants = _v(params_not_shared=float(ref.two_layer_forward_loss(initial, x, t, task)),
                  loss_missing_1_over_n=N * expected if regression else None,
                  ce_sum_not_mean=None if regression else N * expected,
                  mse_missing_half=2 * expected if regression else None,
                  loss_divided_by_elements=expected / k if task != "binary" and k > 1 else None,
                  relu_inverted=float(ref.two_layer_forward_loss(relu_inverted_params(p), x, t, task)))
    check_scalar(got, expected, M(f"loss(x, t) for x of shape {x.shape}", f"x の形状が {x.shape} のときの loss(x, t)"),
                 variants=variants)


def loss_check(ctx: ItemContext):
    return per_task(ctx, _loss_task)


# ------------------------------------------------------------------ gradient

def numerical_param_grad(ctx: ItemContext, net, arr_ref, value: np.ndarray, x, t, h=1e-5) -> np.ndarray:
    """Central differences of the student's own ``loss`` w.r.t. one parameter array, in one batch."""
    b = ctx.batch()
    pairs = []
    for idx in np.ndindex(value.shape):
        v = float(value[idx])
        b.setitem(arr_ref, tuple(int(i) for i in idx), v + h)
        plus = b.method(net, "loss", x, t)
        b.setitem(arr_ref, tuple(int(i) for i in idx), v - h)
        minus = b.method(net, "loss", x, t)
        b.setitem(arr_ref, tuple(int(i) for i in idx), v)
        pairs.append((idx, plus, minus))
    b.run(timeout=ctx.item.timeout)
    grad = np.zeros(value.shape)
    for idx, plus, minus in pairs:
        fp = as_scalar(plus.value, M("loss(x, t)", "loss(x, t)"))
        fm = as_scalar(minus.value, M("loss(x, t)", "loss(x, t)"))
        grad[idx] = (fp - fm) / (2 * h)
    return grad


def _grad_variants(task, p, x, t, key, expected, inverted=None):
    """What typical backprop mistakes give for ``key``; ``inverted``: the gradient of the net with its ReLU
    inverted (relu_inverted_gradient)."""
    out = {"backward-missing-1-over-n": N * expected, "grad-sign-flipped": -expected,
           "gradient-returns-params": p[key]}
    if inverted is not None:
        out["relu-inverted"] = inverted[key]
    a1 = x @ p["W1"] + p["b1"]
    z1 = relu(a1)
    y = OUT[task](z1 @ p["W2"] + p["b2"])
    dy = (y - t) / N
    dz1 = dy @ p["W2"].T
    da1 = dz1 * (a1 > 0)
    for mid, wrong in (("relu-mask-inverted", dz1 * (a1 <= 0)), ("relu-mask-missing", dz1)):
        if key == "W1":
            out[mid] = x.T @ wrong
        elif key == "b1":
            out[mid] = wrong.sum(axis=0)
    if key[0] == "W":
        out["affine-dw-transpose"] = expected.T  # dAᵀ·X instead of Xᵀ·dA
    else:
        da = da1 if key == "b1" else dy  # the gradient at the layer's output, one row per sample
        out.update({"affine-db-not-summed": da, "affine-db-mean": da.mean(axis=0),
                    "affine-db-wrong-axis": da.sum(axis=1)})
    return catalogue.variants(MISTAKES, **{m.replace("-", "_"): v for m, v in out.items()})


def _gradient_task(ctx: ItemContext, task: str):
    x, p, t = case(ctx, task)
    net, refs, initial = net_with(ctx, task, p)
    b = ctx.batch()
    g = b.method(net, "gradient", x, t)
    try:
        b.run()
    except StudentError as error:
        if _uses_last_loss(ctx, task, p, x, t):
            raise Fail(error.describe() + M(
                f"Called after loss(x[:{N // 2}], t[:{N // 2}]) on a new net, your gradient(x, t) returns the "
                f"gradient of x[:{N // 2}], t[:{N // 2}]: it does not run the forward pass on its own x and t.",
                f"新しいネットワークで loss(x[:{N // 2}], t[:{N // 2}]) のあとに呼ぶと、あなたの gradient(x, t) は "
                f"x[:{N // 2}], t[:{N // 2}] の勾配を返します。自分の x と t で順伝播を実行していません。"),
                mistake=_BY_ID["gradient-without-forward"]) from None
        raise
    grads = g.value
    what = M("gradient(x, t)", "gradient(x, t)")
    if not isinstance(grads, dict):
        kind = getattr(grads, "type_name", type(grads).__name__)
        raise Fail(M(f"{what.en} should return a dict with keys W1, b1, W2, b2; it returned a {kind}.",
                     f"{what.ja} は W1, b1, W2, b2 をキーとする辞書を返すべきですが、{kind} が返されました。"))
    expected = ref_net(task, p).gradient(x, t)
    stale = ref_net(task, initial).gradient(x, t)
    inverted = relu_inverted_gradient(task, p, x, t)
    for key in KEYS:
        if key not in grads:
            raise Fail(M(f"The dict returned by gradient(x, t) has no key '{key}' (keys: {sorted(map(str, grads))}).",
                         f"gradient(x, t) が返す辞書にキー '{key}' がありません(キー: {sorted(map(str, grads))})。"))
    for key in KEYS:
        label = M(f"gradient(x, t)['{key}']", f"gradient(x, t)['{key}']")
        got = grads[key]
        if isinstance(got, np.ndarray) and got.shape == initial[key].shape != expected[key].shape:
            got = got.reshape(expected[key].shape)  # the shape of the student's own (1, H) bias is fine here
        try:
            variants = {_BY_ID["params-not-shared"]: stale[key],
                        **_grad_variants(task, p, x, t, key, expected[key], inverted)}
            if key[0] == "b" and getattr(got, "shape", None) == (1, expected[key].size):
                variants[_BY_ID["db-keepdims"]] = expected[key].reshape(1, -1)
            assert_close(got, expected[key], label, variants=variants)
        except Fail as fail:
            fail.msg = fail.msg + _diagnose(ctx, net, refs[key], p, key, x, t, got, expected[key], initial[key].shape)
            raise


def _uses_last_loss(ctx: ItemContext, task: str, p: dict, x, t) -> bool:
    """Does gradient(x, t), called on a new net after loss(x', t') on other data, return the gradient at
    (x', t')?  (What a gradient that skips the forward pass and reuses the last loss call's state gives.)"""
    x2, t2 = x[: N // 2], t[: N // 2]
    try:
        net, _, _ = net_with(ctx, task, p)
        b = ctx.batch()
        b.method(net, "loss", x2, t2, want=False)
        g = b.method(net, "gradient", x, t)
        b.run()
    except (Fail, StudentError):
        return False
    grads = g.value
    if not isinstance(grads, dict) or any(key not in grads for key in KEYS):
        return False
    want, wrong = ref_net(task, p).gradient(x2, t2), ref_net(task, p).gradient(x, t)
    for key in KEYS:
        got = grads[key]
        if not isinstance(got, np.ndarray) or got.size != want[key].size:
            return False
        got = got.reshape(want[key].shape)
        if not np.allclose(got, want[key], rtol=1e-5, atol=1e-8) or np.allclose(got, wrong[key], rtol=1e-5, atol=1e-8):
            return False
    return True


def _diagnose(ctx, net, arr_ref, p, key, x, t, got, expected, shape) -> Msg:
    """Is the student's gradient at least the derivative of the student's own loss?"""
    try:
        own = numerical_param_grad(ctx, net, arr_ref, p[key].reshape(shape), x, t).reshape(p[key].shape)
        arr = np.asarray(got, dtype=float)
    except (Fail, StudentError, TypeError, ValueError):
        return M("", "")
    if arr.shape == own.shape and np.allclose(arr, own, rtol=1e-3, atol=1e-6):
        return M("It does match the numerical gradient of your own loss, so loss (the forward pass or the loss "
                 "formula) is wrong as well.",
                 "ただし、あなたの loss の数値微分とは一致しています。loss(順伝播または損失の式)も誤っています。")
    if np.allclose(own, expected, rtol=1e-3, atol=1e-6):
        return M("Your loss is right (its numerical gradient matches the expected gradient): the error is in the "
                 "backward pass.",
                 "あなたの loss は正しい(数値微分が期待される勾配と一致する)ので、誤りは逆伝播にあります。")
    return M("It matches neither the expected gradient nor the numerical gradient of your own loss.",
             "期待される勾配とも、あなたの loss の数値微分とも一致しません。")


def gradient_check(ctx: ItemContext):
    return per_task(ctx, _gradient_task)


# ------------------------------------------------------------------ training with the grader's own SGD
#
# The grader runs plain SGD itself: each step it writes its current weights into the student's
# arrays, calls the student's `gradient` on a mini-batch, and takes the step in the grader.  Every
# CHECKPOINT steps it evaluates the training loss of those weights with the reference forward pass
# and compares it with the same SGD run on the reference gradient (same start, same batches).
#
# The loss curves must agree to CURVE_RTOL.  A correct gradient reproduces the reference curve to
# about 1e-8 (rounding, measured over 500 seeds with 1e-9 noise added to every gradient step), while
# every typical mistake measured — missing /N, a missing or inverted ReLU mask, a gradient of twice
# the size, gradients accumulated across calls, a stale copy of the weights — is off by at least
# 2 % somewhere on the curve.  A looser rule ("final loss within 1.5x of the reference") would let
# several of those mistakes pass or fail depending on the random data, i.e. differently at each
# regrade of the same file.

TRAIN_N, TRAIN_D, TRAIN_H = 64, 2, 16
TRAIN_STEPS, TRAIN_BATCH, CHECKPOINT = 100, 16, 10
TRAIN_LR = {"regression": 0.05, "binary": 0.5, "multiclass": 0.5}
CURVE_RTOL = 1e-3
TRAIN_BUDGET = 8.0  # seconds for the three trainings together


def training_data(rng: np.random.Generator, task: str):
    x = rng.uniform(-2.0, 2.0, (TRAIN_N, TRAIN_D))
    if task == "regression":
        t = np.sin(1.5 * x[:, :1]) + 0.5 * x[:, 1:] ** 2 - 0.5
    elif task == "binary":
        t = ((x ** 2).sum(axis=1, keepdims=True) < 1.7).astype(float)
    else:
        angle = np.arctan2(x[:, 1], x[:, 0])
        t = np.eye(3)[((angle + np.pi) / (2 * np.pi / 3)).astype(int) % 3]
    return x, t


def training_init(rng: np.random.Generator, task: str) -> dict:
    k = 1 if task != "multiclass" else 3
    return {"W1": rng.standard_normal((TRAIN_D, TRAIN_H)) * 0.8, "b1": rng.standard_normal(TRAIN_H) * 0.1,
            "W2": rng.standard_normal((TRAIN_H, k)) * 0.3, "b2": np.zeros(k)}


def training_batches(rng: np.random.Generator):
    return [rng.choice(TRAIN_N, TRAIN_BATCH, replace=False) for _ in range(TRAIN_STEPS)]


def sgd_reference(task, params, x, t, batches) -> list[float]:
    """The reference loss curve: the training loss after every CHECKPOINT steps of SGD."""
    net = ref_net(task, params)
    curve = []
    for step, idx in enumerate(batches, 1):
        g = net.gradient(x[idx], t[idx])
        for k in KEYS:
            net.params[k] -= TRAIN_LR[task] * g[k]
        if step % CHECKPOINT == 0:
            curve.append(float(ref.two_layer_forward_loss(net.params, x, t, task)))
    return curve


def training_problem(rng: np.random.Generator, task: str):
    """Data, start and batches on which the reference learns well (final loss < half the initial one)."""
    x, t = training_data(rng, task)
    for _ in range(20):
        init, batches = training_init(rng, task), training_batches(rng)
        loss0 = float(ref.two_layer_forward_loss(init, x, t, task))
        curve = sgd_reference(task, init, x, t, batches)
        if curve[-1] < 0.5 * loss0:
            return x, t, init, batches, loss0, curve
    raise AssertionError("no training problem on which the reference learns")


def _grads_of(value, p: dict) -> dict:
    if not isinstance(value, dict) or any(key not in value for key in KEYS):
        raise Fail(M("gradient(x, t) did not return a dict with keys W1, b1, W2, b2 during training.",
                     "学習中に gradient(x, t) が W1, b1, W2, b2 をキーとする辞書を返しませんでした。"))
    out = {}
    for key in KEYS:
        gk = as_array(value[key], M(f"gradient(x, t)['{key}']", f"gradient(x, t)['{key}']"))
        if gk.size != p[key].size:
            raise Fail(M(f"gradient(x, t)['{key}'] has shape {gk.shape}; params['{key}'] has shape {p[key].shape}.",
                         f"gradient(x, t)['{key}'] の形状 {gk.shape} が params['{key}'] の形状 {p[key].shape} と違います。"))
        out[key] = gk.reshape(p[key].shape)
    return out


def _training_task(ctx: ItemContext, task: str, deadline: Budget):
    x, t, init, batches, loss0, ref_curve = training_problem(ctx.rng, task)
    k = init["W2"].shape[1]
    net, params, _ = new_net(ctx, task, (TRAIN_D, TRAIN_H, k))
    p = {key: v.copy() for key, v in init.items()}
    lr = TRAIN_LR[task]
    refs = None
    first_bad = None  # first step whose gradient differs from the reference gradient at the same weights
    summed = {key: np.zeros_like(v) for key, v in init.items()}  # the reference gradients of all steps so far
    accumulates = False  # the first wrong gradient is that sum (gradients added up across calls)
    for step, idx in enumerate(batches, 1):
        remaining = deadline.remaining()
        if remaining <= 0:
            raise StudentTimeout(TRAIN_BUDGET)
        b = ctx.batch()
        if refs is None:
            refs = set_params(b, params, p)
        else:
            for key in KEYS:
                b.assign(refs[key], p[key])
        g = b.method(net, "gradient", x[idx], t[idx])
        b.run(timeout=remaining)
        grads = _grads_of(g.value, p)
        if first_bad is None:
            expected = ref_net(task, p).gradient(x[idx], t[idx])
            for key in KEYS:
                summed[key] = summed[key] + expected[key]
            if not all(np.allclose(grads[key], expected[key], rtol=1e-3, atol=1e-7) for key in KEYS):
                first_bad = step
                accumulates = step > 1 and all(np.allclose(grads[key], summed[key], rtol=1e-3, atol=1e-7)
                                               for key in KEYS)
        for key in KEYS:
            p[key] = p[key] - lr * grads[key]  # the grader's SGD step, written into the net next round
        if step % CHECKPOINT:
            continue
        with np.errstate(all="ignore"):
            loss = float(ref.two_layer_forward_loss(p, x, t, task))
        want = ref_curve[step // CHECKPOINT - 1]
        if np.isfinite(loss) and abs(loss - want) <= CURVE_RTOL * want + 1e-6:
            continue
        why_en = why_ja = ""
        if first_bad == 1:
            why_en = " Your gradient already differed from the true gradient at the first step."
            why_ja = "最初のステップですでに、あなたの gradient は正しい勾配と異なっていました。"
        elif first_bad is not None:
            why_en = (f" Your gradient was right for the first {first_bad - 1} step(s) and wrong from step {first_bad} "
                      "on: it depends on earlier calls (gradients added up across calls, or weights copied instead "
                      "of read from params).")
            why_ja = (f"あなたの gradient は最初の {first_bad - 1} ステップは正しく、ステップ {first_bad} から誤っています。"
                      "以前の呼び出しに依存しています(呼び出しをまたいで勾配を足し込んでいる、または params の配列ではなく"
                      "重みのコピーを使っている)。")
        raise Fail(M(f"The grader trained your net with its own SGD (lr = {lr}, batches of {TRAIN_BATCH}) using your "
                     f"gradient: after {step} steps the training loss is {loss:.6g} (initially {loss0:.4g}), but SGD "
                     f"with the true gradient from the same start on the same batches gives {want:.6g}.{why_en}",
                     f"あなたの gradient を使って採点プログラムが SGD(lr = {lr}、バッチサイズ {TRAIN_BATCH})で学習させた"
                     f"ところ、{step} ステップ後の訓練損失は {loss:.6g}(初期値 {loss0:.4g})でした。同じ初期値・同じバッチで"
                     f"正しい勾配を使うと {want:.6g} になります。{why_ja}"),
                   mistake=_BY_ID["gradient-accumulates"] if accumulates else None)


def training_check(ctx: ItemContext):
    deadline = ctx.budget(TRAIN_BUDGET)  # plus the time spent waiting for a CPU (a busy machine)
    return per_task(ctx, lambda c, task: _training_task(c, task, deadline))


# ------------------------------------------------------------------ the exercise

H_PARAMS = M("params = {'W1': weight_init_std * np.random.randn(input_size, hidden_size), 'b1': np.zeros(hidden_size), "
             "'W2': weight_init_std * np.random.randn(hidden_size, output_size), 'b2': np.zeros(output_size)}.",
             "params = {'W1': weight_init_std * np.random.randn(input_size, hidden_size), 'b1': np.zeros(hidden_size), "
             "'W2': weight_init_std * np.random.randn(hidden_size, output_size), 'b2': np.zeros(output_size)}。")
H_PREDICT = M("A1 = x·W1 + b1, X1 = relu(A1), A2 = X1·W2 + b2, then the output activation of the task: identity "
              "(regression), sigmoid (binary), softmax (multiclass). Use the arrays in self.params.",
              "A1 = x·W1 + b1、X1 = relu(A1)、A2 = X1·W2 + b2 のあと、タスクの出力活性化: 恒等(回帰)、シグモイド"
              "(2 値分類)、ソフトマックス(多クラス)。self.params の配列を使います。")
H_LOSS = M("The mean loss over the batch: (1/2N)Σ(ŷ − y)² (regression), binary cross-entropy (binary), "
           "cross-entropy (multiclass), N = x.shape[0] (§2).",
           "バッチ平均の損失: (1/2N)Σ(ŷ − y)²(回帰)、2 値の交差エントロピー(2 値分類)、交差エントロピー(多クラス)。"
           "N = x.shape[0](§2)。")
H_GRAD = M("Backward (§4.1): dA2 = (ŷ − t)/N for all three tasks; dW2 = X1ᵀ·dA2, db2 = sum(dA2, axis=0); "
           "dX1 = dA2·W2ᵀ, dA1 = dX1 * (A1 > 0); dW1 = xᵀ·dA1, db1 = sum(dA1, axis=0).",
           "逆伝播(§4.1): 3 つのタスクとも dA2 = (ŷ − t)/N。dW2 = X1ᵀ·dA2、db2 = sum(dA2, axis=0)、"
           "dX1 = dA2·W2ᵀ、dA1 = dX1 * (A1 > 0)、dW1 = xᵀ·dA1、db1 = sum(dA1, axis=0)。")
H_TRAIN = M("gradient must be computed afresh at the current values of the arrays in params at every call "
            "(no accumulation across calls, no stale copies of the weights).",
            "gradient は呼び出すたびに params の配列の現在の値で計算し直す必要があります(呼び出しをまたいで足し込まない、"
            "重みの古いコピーを使わない)。")

EXERCISE = Exercise(
    id="two-layer-net",
    title=M("Two-layer neural network", "2 層のニューラルネットワーク"),
    section=SECTION,
    notebooks=("2-2-1_シンプルな2層のニューラルネット(回帰).ipynb", "2-2-2_シンプルな2層のニューラルネット(2値分類).ipynb",
               "2-2-3_シンプルな2層のニューラルネット(分類).ipynb"),
    items=(
        Item("TwoLayerNet.params", 1, params_check, H_PARAMS, "4", kind="class"),
        Item("TwoLayerNet.predict", 1.5, predict_check, H_PREDICT, "4.1", kind="class"),
        Item("TwoLayerNet.loss", 1.5, loss_check, H_LOSS, "2", kind="class"),
        Item("TwoLayerNet.gradient", 3, gradient_check, H_GRAD, "4.1", kind="class"),
        Item("TwoLayerNet.training", 3, training_check, H_TRAIN, "4.1", kind="class", timeout=12.0),
    ),
    mistakes=MISTAKES,
)
