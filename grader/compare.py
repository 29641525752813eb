"""Comparisons that turn a student's returned data into a verdict with a message.

Order of checks, each with its own message: type, shape, NaN/inf, values.  All of
this runs in the grader process on decoded plain data.  Functions raise
:class:`Fail` (the student's answer is wrong) and return the checked array.
"""

from __future__ import annotations

import numpy as np

from grader.messages import Msg
from grader.spec import SHARED_MISTAKES, Mistake

RTOL = 1e-4
ATOL = 1e-6


class Fail(Exception):
    """The item's result is wrong.  ``score`` is an optional partial credit fraction."""

    def __init__(self, msg: Msg, mistake: Mistake | None = None, score: float = 0.0):
        super().__init__(msg.en)
        self.msg = msg
        self.mistake = mistake
        self.score = score


def fmt(x) -> str:
    """A number as a person reads it: 6 significant digits (0-d arrays and NumPy scalars included)."""
    if isinstance(x, np.ndarray) and x.ndim == 0:
        x = x[()]
    if isinstance(x, (bool, np.bool_)):
        return str(bool(x))
    if isinstance(x, (float, np.floating)):
        return f"{float(x):.6g}"
    if isinstance(x, np.integer):
        return str(int(x))
    return str(x)


def _ja(text: str, particle: str) -> str:
    """``text`` and a particle: spaced after Latin letters or code (`dx` の), not after Japanese (出力の)."""
    return f"{text} {particle}" if text[-1:].isascii() else f"{text}{particle}"


def _index(idx) -> str:
    return "[" + ", ".join(str(int(i)) for i in idx) + "]"


def as_array(value, what: Msg, dtype=float) -> np.ndarray:
    """Decoded value -> numeric ndarray, or Fail naming what came back instead."""
    if isinstance(value, np.ndarray):
        arr = value
    elif isinstance(value, (bool, int, float)) and value is not None:
        arr = np.asarray(value)
    elif isinstance(value, (list, tuple)):
        try:
            arr = np.asarray(value, dtype=float)
        except (TypeError, ValueError):
            raise Fail(Msg(en=f"{what.en} should be numbers, but your code returned a nested {type(value).__name__} "
                              "that is not a rectangular array of numbers.",
                           ja=f"{_ja(what.ja, 'は')}数値の配列であるべきですが、数値の配列に変換できない "
                              f"{type(value).__name__} が返されました。")) from None
    else:
        got = "None (nothing returned — is a `return` missing?)" if value is None else \
            f"a {getattr(value, 'type_name', type(value).__name__)}"
        got_ja = "None(return 文がないのでは?)" if value is None else \
            f"{getattr(value, 'type_name', type(value).__name__)} 型の値"
        raise Fail(Msg(en=f"{what.en} should be a NumPy array, but your code returned {got}.",
                       ja=f"{_ja(what.ja, 'は')} NumPy 配列であるべきですが、{got_ja}が返されました。"))
    if arr.dtype.kind == "c":
        raise Fail(Msg(en=f"{what.en} is complex; real numbers were expected.",
                       ja=f"{_ja(what.ja, 'が')}複素数になっています。実数が期待されています。"))
    if arr.dtype.kind not in "biuf":
        raise Fail(Msg(en=f"{what.en} has dtype {arr.dtype}; numbers were expected.",
                       ja=f"{_ja(what.ja, 'の')} dtype が {arr.dtype} です。数値が期待されています。"))
    return arr.astype(dtype, copy=False)


def as_scalar(value, what: Msg) -> float:
    arr = as_array(value, what)
    if arr.size != 1:
        raise Fail(Msg(en=f"{what.en} should be a single number (a scalar), but has shape {arr.shape}.",
                       ja=f"{_ja(what.ja, 'は')}スカラー(1 つの数)であるべきですが、形状が {arr.shape} です。"))
    return float(arr.reshape(()))


def check_shape(arr: np.ndarray, shape: tuple, what: Msg, squeeze: bool = False) -> np.ndarray:
    if squeeze:
        if np.squeeze(arr).shape != tuple(s for s in shape if s != 1):
            raise Fail(Msg(en=f"{what.en} has shape {arr.shape}, expected {shape}.",
                           ja=f"{_ja(what.ja, 'の')}形状が {arr.shape} です。期待される形状は {shape} です。"))
        return arr.reshape(shape)
    if arr.shape != tuple(shape):
        raise Fail(Msg(en=f"{what.en} has shape {arr.shape}, expected {tuple(shape)}.",
                       ja=f"{_ja(what.ja, 'の')}形状が {arr.shape} です。期待される形状は {tuple(shape)} です。"))
    return arr


def close_mask(actual: np.ndarray, expected: np.ndarray, rtol: float, atol: float) -> np.ndarray:
    with np.errstate(invalid="ignore", over="ignore"):
        return np.abs(actual - expected) <= atol + rtol * np.abs(expected)


def is_close(actual, expected, rtol: float = RTOL, atol: float = ATOL, equal_nan: bool = False) -> bool:
    """Same shape (or the same squeezed shape) and every element close; ``equal_nan``: NaN matches NaN."""
    try:
        a = np.asarray(actual, dtype=float)
        e = np.asarray(expected, dtype=float)
    except (TypeError, ValueError):
        return False
    if a.shape != e.shape:
        if a.size == e.size and np.squeeze(a).shape == np.squeeze(e).shape:
            a = a.reshape(e.shape)
        else:
            return False
    same = close_mask(a, e, rtol, atol) | (a == e)
    if equal_nan:
        same |= np.isnan(a) & np.isnan(e)
    return bool(np.all(np.isfinite(a) == np.isfinite(e)) and np.all(same))


def ratio(actual: np.ndarray, expected: np.ndarray) -> float | None:
    """⟨a, e⟩/⟨e, e⟩: how many times the expected values the student's values are."""
    den = float(np.vdot(expected, expected))
    if den == 0 or not np.all(np.isfinite(actual)):
        return None
    return float(np.vdot(actual, expected)) / den


def assert_close(value, expected, what: Msg, rtol: float = RTOL, atol: float = ATOL,
                 squeeze: bool = False, variants: dict[Mistake, np.ndarray] | None = None,
                 context: Msg | None = None, reveal: bool = True) -> np.ndarray:
    """Compare ``value`` with ``expected``; on mismatch name the first differing element.

    ``variants`` maps known mistakes to the value that mistake produces: when the
    student's value matches one (and not the correct value) the Fail names it.
    ``reveal=False``: the message never states an expected value (a student's own numbers of a
    per-student variant: the answer itself).
    """
    expected = np.asarray(expected, dtype=float)
    actual = as_array(value, what)
    if actual.shape != expected.shape and actual.size == expected.size and squeeze:
        actual = actual.reshape(expected.shape)
    if expected.ndim == 0 and actual.size == 1:
        actual = actual.reshape(())
    if actual.shape != expected.shape:
        try:
            check_shape(actual, expected.shape, what)
        except Fail as fail:  # a wrong shape can still be a known mistake (doutᵀX, db not summed)
            fail.mistake = match_variant(actual, variants, rtol, atol)
            raise
    ctx_en = f" {context.en}" if context else ""
    ctx_ja = f"{context.ja}" if context else ""
    exp_finite = np.isfinite(expected)
    bad = ~np.isfinite(actual) & exp_finite
    if bad.any() and not reveal:
        idx = np.argwhere(bad)[0]
        raise Fail(Msg(en=f"{what.en} contains {fmt(actual[tuple(idx)])} at {_index(idx)} where a finite value "
                          f"was expected ({int(bad.sum())} non-finite element(s)).{ctx_en}",
                       ja=f"{what.ja} の {_index(idx)} が {fmt(actual[tuple(idx)])} になっています"
                          f"(有限の値が期待されています。非有限の要素 {int(bad.sum())} 個)。{ctx_ja}"),
                   mistake=match_variant(actual, variants, rtol, atol, expected))
    if bad.any():
        mistake = match_variant(actual, variants, rtol, atol, expected)
        if actual.ndim == 0:  # a scalar has no position to name
            raise Fail(Msg(en=f"{what.en} is {fmt(actual)} where a finite value {fmt(expected)} was expected.{ctx_en}",
                           ja=f"{_ja(what.ja, 'が')} {fmt(actual)} になっています(期待値 {fmt(expected)})。{ctx_ja}"),
                       mistake=mistake)
        idx = np.argwhere(bad)[0]
        raise Fail(Msg(en=f"{what.en} contains {fmt(actual[tuple(idx)])} at {_index(idx)} where a finite value "
                          f"{fmt(expected[tuple(idx)])} was expected ({int(bad.sum())} non-finite element(s))."
                          f"{ctx_en}",
                       ja=f"{_ja(what.ja, 'の')} {_index(idx)} が {fmt(actual[tuple(idx)])} になっています"
                          f"(期待値 {fmt(expected[tuple(idx)])}、非有限の要素 {int(bad.sum())} 個)。{ctx_ja}"),
                   mistake=mistake)
    ok = close_mask(actual, expected, rtol, atol) | (actual == expected)
    if ok.all():
        return actual
    mistake = match_variant(actual, variants, rtol, atol, expected)
    err = np.where(ok, 0.0, np.abs(actual - expected) / (atol + rtol * np.abs(expected)))
    idx = np.unravel_index(int(np.nanargmax(np.where(np.isnan(err), np.inf, err))), err.shape) \
        if actual.ndim else ()
    first = tuple(np.argwhere(~ok)[0]) if actual.ndim else ()
    idx = first if actual.ndim else idx
    where_en = f" at {_index(idx)}" if actual.ndim else ""
    where_ja = f"位置 {_index(idx)} で" if actual.ndim else ""
    a_val, e_val = actual[idx] if actual.ndim else actual, expected[idx] if actual.ndim else expected
    count_en = f" ({int((~ok).sum())} of {ok.size} elements differ)" if ok.size > 1 else ""
    count_ja = f"({ok.size} 要素中 {int((~ok).sum())} 要素が不一致)" if ok.size > 1 else ""
    r = ratio(actual, expected)
    ratio_en = ratio_ja = ""
    if r is not None and ok.size > 1 and abs(r - 1) > 0.05 and is_close(actual, r * expected, 1e-3, atol):
        ratio_en = f" Your values are all about {r:.4g} times the expected ones."
        ratio_ja = f"あなたの値はすべて期待値の約 {r:.4g} 倍です。"
    if not reveal:
        raise Fail(Msg(en=f"{what.en} differs{where_en}: got {fmt(a_val)}{count_en}.{ctx_en}",
                       ja=f"{what.ja} の値が違います。{where_ja}あなたの値 {fmt(a_val)}{count_ja}。{ctx_ja}"),
                   mistake=mistake)
    msg = Msg(en=f"{what.en} differs{where_en}: got {fmt(a_val)}, expected {fmt(e_val)}{count_en}.{ratio_en}{ctx_en}",
              ja=f"{_ja(what.ja, 'の')}値が違います。{where_ja}あなたの値 {fmt(a_val)}、期待値 {fmt(e_val)}{count_ja}。"
                 f"{ratio_ja}{ctx_ja}")
    raise Fail(msg, mistake=mistake)


def _misfit(actual: np.ndarray, target, rtol: float, atol: float) -> float:
    """The largest error of ``actual`` against ``target`` in units of the tolerance (NaN = NaN fits)."""
    t = np.asarray(target, dtype=float)
    if t.shape != actual.shape:
        if t.size != actual.size:
            return np.inf
        t = t.reshape(actual.shape)
    with np.errstate(invalid="ignore", over="ignore"):
        err = np.abs(actual - t) / (atol + rtol * np.abs(t))
    err = np.where((actual == t) | (np.isnan(actual) & np.isnan(t)), 0.0, err)
    return float(np.max(np.where(np.isnan(err), np.inf, err))) if err.size else 0.0


def match_variant(actual, variants, rtol, atol, expected=None) -> Mistake | None:
    """The known mistake whose value ``actual`` matches (within 10× the tolerance; NaN where the mistake
    gives NaN) and fits better than ``expected``; None when there is none."""
    best, best_fit = None, np.inf
    correct_fit = np.inf if expected is None else _misfit(actual, expected, rtol, atol)
    for mistake, wrong in (variants or {}).items():
        if wrong is None or not is_close(actual, wrong, rtol * 10, atol * 10, equal_nan=True):
            continue
        fit = _misfit(actual, wrong, rtol, atol)
        if fit < correct_fit and fit < best_fit:
            best, best_fit = mistake, fit
    return best


def assert_unchanged(before: np.ndarray, after, what: Msg) -> None:
    arr = as_array(after, what)
    if arr.shape != before.shape or not np.array_equal(arr, before, equal_nan=True):
        raise Fail(Msg(en=f"Your code modified its input {what.en} (it must not change the arrays it is given; "
                          "work on a copy, e.g. `x = x.copy()` or use expressions that create new arrays).",
                       ja=f"入力配列 {what.ja} が書き換えられています。渡された配列は変更してはいけません"
                          "(`x = x.copy()` などでコピーしてから操作してください)。"),
                   mistake=SHARED_MISTAKES.get("input-modified-in-place"))
