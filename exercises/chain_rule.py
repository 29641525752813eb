"""Exercise 3 `chain-rule` — 連鎖律に関する例題 (§3.3, problems (1)–(6)).

Each answer q1…q6 is checked against the derivative of a composite function
built by the grader: it draws smooth outer functions z (z(u) = sin(a·u) + b·u²
and others, with random coefficients), evaluates the partial derivatives of z
itself, gives those to the student's function, and compares the result with the
derivative of the whole composite x ↦ z(u(x), …).  The expected value is the
closed form (reference.chain_rule); before any comparison the grader confirms it
against central differences of the composite, so an answer is right exactly
when it is the derivative, whatever symbols it was written with.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from exercises.common import M, assert_close
from grader.compare import Fail, as_array, close_mask, fmt, is_close
from grader.context import ItemContext
from grader.messages import Msg
from grader.spec import Exercise, Item, Mistake
from reference import chain_rule as ref
from reference.functions import sigmoid

SECTION = "3.3"
H = 1e-5


def _mistake(mid, en_title, ja_title, en, ja):
    return Mistake(mid, M(en_title, ja_title), M(en, ja), SECTION)


MISTAKES = (
    _mistake("chain-outer-derivative-missing", "dz/du left out", "dz/du が掛けられていない",
             "The chain rule multiplies the inner derivative by the outer one: dz/dx = (dz/du)·(du/dx).",
             "連鎖律では内側の微分に外側の微分を掛けます: dz/dx = (dz/du)·(du/dx)。"),
    _mistake("chain-derivative-at-x", "σ'(x) written as x(1−x)", "σ'(x) を x(1−x) としている",
             "du/dx = u(1 − u) with u = σ(x), the sigmoid's output, not x itself.",
             "du/dx = u(1 − u) の u はシグモイドの出力 σ(x) であり、x そのものではありません。"),
    _mistake("chain-sign-flipped", "sign flipped", "符号が逆",
             "The answer has the opposite sign: check which term carries the minus sign.",
             "符号が逆になっています。どの項にマイナスが付くか確認してください。"),
    _mistake("chain-inner-sign-lost", "d/dx e^(−x) taken as +e^(−x)", "d/dx e^(−x) を +e^(−x) としている",
             "dv/dx for v = 1 + e^(−x) is −e^(−x): the minus sign comes from the exponent.",
             "v = 1 + e^(−x) のとき dv/dx = −e^(−x) です。指数の中のマイナスが前に出ます。"),
    _mistake("chain-w-transposed", "W used transposed", "W を転置して使っている",
             "dz/dx0 = w00·dz/dy0 + w01·dz/dy1: the row of W that belongs to x0 (W·dz/dy, i.e. dz/dy·Wᵀ).",
             "dz/dx0 = w00·dz/dy0 + w01·dz/dy1 です。x0 に対応するのは W の行です(W·dz/dy、つまり dz/dy·Wᵀ)。"),
)
MISTAKES = MISTAKES + (
    _mistake("chain-q2-misprint", "the misprinted (2) of the text followed", "テキストの (2) の誤植のまま計算している",
             "The text's (2) misses a minus sign: z = −t log u − (1−t) log(1−u) (corrected for this course), whose "
             "derivative is u − t. −t(1−u) − (1−t)u is the derivative of the misprint.",
             "テキストの (2) はマイナス記号が抜けています: z = −t log u − (1−t) log(1−u)(この授業で訂正済み)。"
             "その微分は u − t です。−t(1−u) − (1−t)u は誤植の式の微分です。"),
    _mistake("chain-softmax-uv-missing", "the softmax factor uv left out", "ソフトマックスの微分の因子 uv がない",
             "For (u, v) = softmax(x, y), du/dx = uv and dv/dx = −uv: dz/dx = uv(dz/du − dz/dv).",
             "(u, v) = softmax(x, y) では du/dx = uv、dv/dx = −uv なので dz/dx = uv(dz/du − dz/dv) です。"),
    _mistake("chain-softmax-outputs-swapped", "u and v swapped", "u と v が入れ替わっている",
             "u = e^x/(e^x + e^y) belongs to x and v = e^y/(e^x + e^y) to y: dz/dx = u − s, dz/dy = v − t.",
             "u = e^x/(e^x + e^y) が x に、v = e^y/(e^x + e^y) が y に対応します: dz/dx = u − s、dz/dy = v − t。"),
    _mistake("chain-one-of-pair", "only one of the two derivatives returned", "2 つの偏微分の一方だけを返している",
             "z depends on x AND y: return both partial derivatives, `return dz_dx, dz_dy` — yours returns "
             "a single one of them.",
             "z は x と y の両方に依存するので、2 つの偏微分を両方返します: `return dz_dx, dz_dy`。あなたの関数は"
             "そのうち 1 つだけを返しています。"),
)
_BY_ID = {m.id: m for m in MISTAKES}


# ------------------------------------------------------------------ outer functions z, drawn per trial

@dataclass
class Outer1:
    """z(u) with its derivative dz/du."""

    desc: str
    z: Callable
    dz: Callable


@dataclass
class Outer2:
    """z(u, v) with ∂z/∂u and ∂z/∂v."""

    desc: str
    z: Callable
    zu: Callable
    zv: Callable


def _coef(ctx: ItemContext, lo=0.5, hi=1.5) -> float:
    return float(np.round(ctx.rng.uniform(lo, hi) * ctx.rng.choice([-1.0, 1.0]), 2))


def _lin(terms) -> str:
    """'a·f + b·g' with signs written properly: [(1.2, "sin(u)"), (-0.5, "u²")] -> '1.2·sin(u) − 0.5·u²'."""
    out = ""
    for i, (c, term) in enumerate(terms):
        sign = "−" if c < 0 else "+"
        body = term if abs(c) == 1 else f"{abs(c):g}·{term}"
        out += (("−" if c < 0 else "") + body) if i == 0 else f" {sign} {body}"
    return out


def outer1(ctx: ItemContext, kind: int) -> Outer1:
    a, b = _coef(ctx), _coef(ctx)
    if kind == 0:
        return Outer1("z(u) = " + _lin([(1.0, f"sin({a:g}u)"), (b, "u²")]),
                      lambda u: np.sin(a * u) + b * u ** 2, lambda u: a * np.cos(a * u) + 2 * b * u)
    if kind == 1:
        return Outer1("z(u) = " + _lin([(b, f"exp({a:g}u)")]), lambda u: b * np.exp(a * u),
                      lambda u: a * b * np.exp(a * u))
    return Outer1("z(u) = " + _lin([(a, "log(1 + u²)"), (b, "u³")]), lambda u: a * np.log1p(u ** 2) + b * u ** 3,
                  lambda u: 2 * a * u / (1 + u ** 2) + 3 * b * u ** 2)


def outer2(ctx: ItemContext, kind: int, names=("u", "v")) -> Outer2:
    a, b, c = _coef(ctx), _coef(ctx), _coef(ctx)
    p, q = names
    head = f"z({p}, {q}) = "
    if kind == 0:
        return Outer2(head + _lin([(1.0, f"sin({a:g}{p})"), (b, f"{q}²"), (c, f"{p}{q}")]),
                      lambda u, v: np.sin(a * u) + b * v ** 2 + c * u * v,
                      lambda u, v: a * np.cos(a * u) + c * v, lambda u, v: 2 * b * v + c * u)
    if kind == 1:
        return Outer2(head + f"exp({a:g}{p})·cos({b:g}{q})",
                      lambda u, v: np.exp(a * u) * np.cos(b * v),
                      lambda u, v: a * np.exp(a * u) * np.cos(b * v), lambda u, v: -b * np.exp(a * u) * np.sin(b * v))
    return Outer2(head + _lin([(a, f"{p}³"), (b, f"log(1 + {q}²)"), (c, f"{p}²{q}")]),
                  lambda u, v: a * u ** 3 + b * np.log1p(v ** 2) + c * u ** 2 * v,
                  lambda u, v: 3 * a * u ** 2 + 2 * c * u * v, lambda u, v: 2 * b * v / (1 + v ** 2) + c * u ** 2)


def central(f: Callable, x: np.ndarray) -> np.ndarray:
    """Element-wise d/dx of an element-wise f, by central differences."""
    return (f(x + H) - f(x - H)) / (2 * H)


def confirm(analytic, numeric, label: str) -> None:
    """The closed form the student is compared with must be the derivative (a grader self-check)."""
    if not np.allclose(analytic, numeric, rtol=1e-5, atol=1e-6):
        raise AssertionError(f"chain-rule reference disagrees with central differences in {label}")


def _fmt_arr(a) -> str:
    return "[" + ", ".join(fmt(float(v)) for v in np.ravel(a)) + "]"


def compare(value, expected, what: Msg, setting: Msg, inputs: dict, variants=None) -> np.ndarray:
    """``assert_close`` that, on a mismatch, also names the inputs at the differing element."""
    try:
        return assert_close(value, expected, what, variants=variants, context=setting)
    except Fail as fail:
        actual = None
        try:
            actual = as_array(value, what)
        except Fail:
            pass
        if actual is not None and actual.shape == np.shape(expected):
            with np.errstate(invalid="ignore"):
                bad = ~(close_mask(actual, expected, 1e-4, 1e-6) | (actual == expected))
            if bad.any():
                i = tuple(np.argwhere(bad)[0])
                parts = ", ".join(f"{k} = {fmt(float(np.asarray(v)[i]))}" for k, v in inputs.items()
                                  if np.shape(v) == np.shape(expected))
                if parts:
                    fail.msg = fail.msg + M(f"(There {parts}.)", f"(その位置の値: {parts}。)")
        raise


def _setting(problem: str, outer_desc: str, composite_en: str, composite_ja: str) -> Msg:
    return M(f"(Problem ({problem}) with {outer_desc}: the expected value is the derivative of {composite_en}.)",
             f"(問題 ({problem})、{outer_desc} のとき。期待値は {composite_ja} の微分です。)")


def _variants(**by_id):
    return {_BY_ID[k.replace("_", "-")]: v for k, v in by_id.items()}


# ------------------------------------------------------------------ (1) u = sigmoid(x)

def q1_check(ctx: ItemContext):
    for kind in range(3):
        o = outer1(ctx, kind)
        x = ctx.randn(6, scale=2.0)
        u = sigmoid(x)
        dz_du = o.dz(u)
        expected = ref.q1(x, dz_du)
        confirm(expected, central(lambda xx: o.z(sigmoid(xx)), x), "q1")
        compare(ctx.call("q1", x, dz_du), expected, M("q1(x, dz_du)", "q1(x, dz_du)"),
                _setting("1", o.desc, "x ↦ z(sigmoid(x))", "x ↦ z(sigmoid(x))"), {"x": x, "dz_du": dz_du},
                variants=_variants(chain_outer_derivative_missing=u * (1 - u), chain_derivative_at_x=x * (1 - x) * dz_du))


# ------------------------------------------------------------------ (2) binary cross-entropy of sigmoid

def q2_check(ctx: ItemContext):
    x = ctx.randn(8, scale=2.0)
    t = (ctx.rng.random(8) < 0.5).astype(float)
    t[:2] = [0.0, 1.0]
    expected = ref.q2(x, t)

    def z_of_x(xx):
        u = sigmoid(xx)
        return -t * np.log(u) - (1 - t) * np.log(1 - u)

    confirm(expected, central(z_of_x, x), "q2")
    compare(ctx.call("q2", x, t), expected, M("q2(x, t)", "q2(x, t)"),
            M("(Problem (2): the expected value is the derivative of x ↦ −t log u − (1−t) log(1−u), u = sigmoid(x).)",
              "(問題 (2)。期待値は x ↦ −t log u − (1−t) log(1−u)(u = sigmoid(x))の微分です。)"),
            {"x": x, "t": t}, variants=_variants(chain_sign_flipped=-expected,
                                                 chain_q2_misprint=-t * (1 - sigmoid(x)) - (1 - t) * sigmoid(x)))


# ------------------------------------------------------------------ (3) u = 1 + e^x, v = 1 + e^(−x)

def q3_check(ctx: ItemContext):
    for kind in range(3):
        o = outer2(ctx, kind)
        x = np.clip(ctx.randn(6), -1.5, 1.5)
        u, v = 1 + np.exp(x), 1 + np.exp(-x)
        zu, zv = o.zu(u, v), o.zv(u, v)
        expected = ref.q3(x, zu, zv)
        confirm(expected, central(lambda xx: o.z(1 + np.exp(xx), 1 + np.exp(-xx)), x), "q3")
        compare(ctx.call("q3", x, zu, zv), expected, M("q3(x, dz_du, dz_dv)", "q3(x, dz_du, dz_dv)"),
                _setting("3", o.desc, "x ↦ z(1 + e^x, 1 + e^(−x))", "x ↦ z(1 + e^x, 1 + e^(−x))"),
                {"x": x, "dz_du": zu, "dz_dv": zv},
                variants=_variants(chain_inner_sign_lost=np.exp(x) * zu + np.exp(-x) * zv,
                                   chain_sign_flipped=-expected))


# ------------------------------------------------------------------ (4), (5): two-variable softmax

def _pair(value, n: int, name: str, names: tuple[str, str], expected: tuple = ()) -> tuple:
    """A returned (dz/dx, dz/dy): a tuple or list of two arrays, or an array of shape (2, n).
    ``expected``: the two right components; a single array equal to one of them names chain-one-of-pair."""
    what = M(f"The value returned by {name}", f"{name} の返り値")
    if isinstance(value, (tuple, list)) and len(value) == 2:
        return value[0], value[1]
    if isinstance(value, np.ndarray) and value.ndim >= 1 and value.shape[0] == 2 and value.size == 2 * n:
        return value[0], value[1]
    got = f"a {type(value).__name__}" + (f" of shape {value.shape}" if isinstance(value, np.ndarray) else
                                         f" of length {len(value)}" if isinstance(value, (tuple, list)) else "")
    if value is None:
        got = "None (is a `return` missing?)"
    single = isinstance(value, np.ndarray) and value.size == n and any(
        is_close(value, e) for e in expected)
    raise Fail(M(f"{what.en} should be a pair ({names[0]}, {names[1]}), e.g. `return dx, dy`; got {got}.",
                 f"{what.ja} は ({names[0]}, {names[1]}) の組であるべきです(例: `return dx, dy`)。返り値: {got}。"),
               mistake=_BY_ID["chain-one-of-pair"] if single else None)



def _grade_pair(ctx: ItemContext, name: str, value, expected: tuple, setting: Msg, inputs: dict,
                variants: tuple[dict, dict]) -> None:
    """Both components must be right; one right of two earns half the item."""
    n = np.size(expected[0])
    first, second = _pair(value, n, name, ("dz/dx", "dz/dy"), expected)
    fails = []
    for comp, exp, label, var in ((first, expected[0], "dz/dx", variants[0]),
                                  (second, expected[1], "dz/dy", variants[1])):
        try:
            compare(comp, exp, M(f"{label} (returned by {name})", f"{name} が返す {label}"), setting, inputs,
                    variants=var)
        except Fail as f:
            fails.append(f)
    if not fails:
        return
    f = fails[0]
    if len(fails) == 1:
        raise Fail(f.msg + M("(The other component is right: half the points.)",
                             "(もう一方の成分は正しいので半分の得点です。)"), mistake=f.mistake, score=0.5)
    raise Fail(f.msg + M("dz/dy is wrong as well.", "dz/dy も違います。"), mistake=f.mistake or fails[1].mistake)


def _softmax2(x, y):
    return sigmoid(x - y), sigmoid(y - x)


def q4_check(ctx: ItemContext):
    for kind in range(3):
        o = outer2(ctx, kind)
        x, y = ctx.randn(5, scale=1.5), ctx.randn(5, scale=1.5)
        u, v = _softmax2(x, y)
        zu, zv = o.zu(u, v), o.zv(u, v)
        dx, dy = ref.q4(x, y, zu, zv)
        confirm(dx, central(lambda xx: o.z(*_softmax2(xx, y)), x), "q4 dx")
        confirm(dy, central(lambda yy: o.z(*_softmax2(x, yy)), y), "q4 dy")
        _grade_pair(ctx, "q4", ctx.call("q4", x, y, zu, zv), (dx, dy),
                    _setting("4", o.desc, "(x, y) ↦ z(softmax(x, y))", "(x, y) ↦ z(softmax(x, y))"),
                    {"x": x, "y": y, "dz_du": zu, "dz_dv": zv},
                    (_variants(chain_sign_flipped=-dx, chain_softmax_uv_missing=zu - zv),
                     _variants(chain_sign_flipped=-dy, chain_softmax_uv_missing=zv - zu)))


def q5_check(ctx: ItemContext):
    x, y = ctx.randn(6, scale=1.5), ctx.randn(6, scale=1.5)
    s = np.round(ctx.rng.random(6), 3)
    s[:2] = [0.0, 1.0]
    t = 1.0 - s
    dx, dy = ref.q5(x, y, s, t)

    def z(xx, yy):
        u, v = _softmax2(xx, yy)
        return -s * np.log(u) - t * np.log(v)

    confirm(dx, central(lambda xx: z(xx, y), x), "q5 dx")
    confirm(dy, central(lambda yy: z(x, yy), y), "q5 dy")
    _grade_pair(ctx, "q5", ctx.call("q5", x, y, s, t), (dx, dy),
                M("(Problem (5): the expected values are the partial derivatives of −s log u − t log v, "
                  "(u, v) = softmax(x, y), s + t = 1.)",
                  "(問題 (5)。期待値は −s log u − t log v((u, v) = softmax(x, y)、s + t = 1)の偏微分です。)"),
                {"x": x, "y": y, "s": s, "t": t},
                (_variants(chain_sign_flipped=-dx, chain_softmax_outputs_swapped=sigmoid(y - x) - s),
                 _variants(chain_sign_flipped=-dy, chain_softmax_outputs_swapped=sigmoid(x - y) - t)))


# ------------------------------------------------------------------ (6) affine map of two inputs

def q6_check(ctx: ItemContext):
    for kind in range(3):
        o = outer2(ctx, kind, ("y0", "y1"))
        W = np.round(ctx.randn(2, 2), 2)
        while abs(W[0, 1] - W[1, 0]) < 0.2:  # W must differ from its transpose
            W = np.round(ctx.randn(2, 2), 2)
        b = ctx.randn(2, scale=0.5)
        x = ctx.randn(2, scale=0.5)
        yv = x @ W + b
        dz_dy = np.array([o.zu(yv[0], yv[1]), o.zv(yv[0], yv[1])], dtype=float)
        expected = ref.q6(W, dz_dy)

        def z_of(xx):
            y0, y1 = xx @ W + b
            return o.z(y0, y1)

        numeric = np.array([(z_of(x + H * e) - z_of(x - H * e)) / (2 * H) for e in np.eye(2)])
        confirm(expected, numeric, "q6")
        value = ctx.call("q6", W, dz_dy)
        what = M("q6(W, dz_dy)", "q6(W, dz_dy)")
        arr = as_array(value, what)
        if arr.size == 2:
            arr = arr.reshape(2)  # (1, 2) or (2, 1) are the same two numbers
        assert_close(arr, expected, what,
                     context=M(f"(Problem (6) with {o.desc}, W = {W.tolist()}, dz_dy = {_fmt_arr(dz_dy)}: the expected "
                               "value is the gradient of x ↦ z(xW + b).)",
                               f"(問題 (6)、{o.desc}、W = {W.tolist()}、dz_dy = {_fmt_arr(dz_dy)} のとき。期待値は "
                               "x ↦ z(xW + b) の勾配です。)"),
                     variants=_variants(chain_w_transposed=W.T @ dz_dy, chain_sign_flipped=-expected))


H1 = M("u = σ(x) and du/dx = u(1 − u), so dz/dx = (dz/du)·u(1 − u); element-wise with NumPy.",
       "u = σ(x)、du/dx = u(1 − u) なので dz/dx = (dz/du)·u(1 − u)。NumPy で要素ごとに計算します。")
H2 = M("Use (1) with dz/du = −t/u + (1 − t)/(1 − u); the result simplifies a lot.",
       "(1) の結果に dz/du = −t/u + (1 − t)/(1 − u) を代入します。大きく簡単になります。")
H3 = M("x reaches z along two paths: dz/dx = (∂z/∂u)(du/dx) + (∂z/∂v)(dv/dx), with du/dx = e^x, dv/dx = −e^(−x).",
       "x は 2 つの経路で z に届きます: dz/dx = (∂z/∂u)(du/dx) + (∂z/∂v)(dv/dx)、du/dx = e^x、dv/dx = −e^(−x)。")
H4 = M("∂u/∂x = ∂v/∂y = uv and ∂u/∂y = ∂v/∂x = −uv; return the pair (dz/dx, dz/dy).",
       "∂u/∂x = ∂v/∂y = uv、∂u/∂y = ∂v/∂x = −uv です。(dz/dx, dz/dy) の組を返します。")
H5 = M("Put ∂z/∂u = −s/u and ∂z/∂v = −t/v into (4) and use s + t = 1, u + v = 1; return (dz/dx, dz/dy).",
       "(4) に ∂z/∂u = −s/u、∂z/∂v = −t/v を代入し、s + t = 1、u + v = 1 を使います。(dz/dx, dz/dy) を返します。")
H6 = M("∂y0/∂x0 = w00 and ∂y1/∂x0 = w01, so dz/dx0 = w00·dz/dy0 + w01·dz/dy1 (and likewise for x1); "
       "return an array of shape (2,).",
       "∂y0/∂x0 = w00、∂y1/∂x0 = w01 なので dz/dx0 = w00·dz/dy0 + w01·dz/dy1(x1 も同様)。形状 (2,) の配列を返します。")

EXERCISE = Exercise(
    id="chain-rule",
    title=M("Chain-rule problems", "連鎖律に関する例題"),
    section=SECTION,
    notebooks=(),
    items=(
        Item("q1", 1, q1_check, H1, SECTION),
        Item("q2", 1, q2_check, H2, SECTION),
        Item("q3", 1, q3_check, H3, SECTION),
        Item("q4", 1.5, q4_check, H4, SECTION),
        Item("q5", 1.5, q5_check, H5, SECTION),
        Item("q6", 1, q6_check, H6, SECTION),
    ),
    mistakes=MISTAKES,
)
