"""Check building blocks shared by the exercise modules."""

from __future__ import annotations

import numpy as np

from grader.compare import Fail, as_array, as_scalar, assert_close, assert_unchanged, is_close
from grader.context import ItemContext
from grader.messages import Msg
from grader.runner.session import StudentError

from exercises import mistakes as _catalogue  # noqa: F401 - registers the shared mistakes every check may name


def M(en: str, ja: str) -> Msg:
    return Msg(en=en, ja=ja)


def fwd_msg(cls: str) -> Msg:
    return M(f"{cls}.forward output", f"{cls}.forward の出力")


def loss_backward_args(ctx: ItemContext, cls: str, ctor: dict | None = None) -> tuple:
    """Arguments for a loss layer's ``backward``: ``()`` when ``dout`` has a default (the spec's
    ``backward(dout=1)``), ``(1.0,)`` when the student wrote ``def backward(self, dout):``."""
    key = ("loss_backward_args", cls)
    if key in ctx.session.memo:  # one round trip per class and submission, not per item
        return ctx.session.memo[key]
    b = ctx.batch()
    sig = b.describe(b.attr(b.new(cls, **(ctor or {})), "backward", want=False))
    b.run()
    params = (sig.value or {}).get("params") or []
    required = [p for p in params if p[1] in ("POSITIONAL_ONLY", "POSITIONAL_OR_KEYWORD") and not p[2]]
    ctx.session.memo[key] = (1.0,) if required else ()
    return ctx.session.memo[key]


def run_loss_backward(ctx: ItemContext, cls: str, x, t, ctor=None):
    """forward(x, t) then backward() on a new object; returns (loss, dx)."""
    args = loss_backward_args(ctx, cls, ctor)
    b = ctx.batch()
    obj = b.new(cls, **(ctor or {}))
    loss = b.method(obj, "forward", x, t)
    dx = b.method(obj, "backward", *args)
    b.run()
    return loss.value, dx.value


DOUT = 2.5  # the dout a loss layer's backward is also called with (EXERCISES.md: not only 1)


def check_loss_backward(ctx: ItemContext, cls: str, x, t, expected, what: Msg, variants=None,
                        context: Msg | None = None, ctor: dict | None = None) -> None:
    """A loss layer's ``backward``: ``backward()`` gives ``expected`` (= (y − t)/N), and
    ``backward(2.5)`` gives 2.5·expected — both on a fresh object right after its forward(x, t).

    ``def backward(self, dout):`` without the default fails (loss-backward-dout-required) once its
    values are right; a backward that returns the same dx for dout = 2.5 ignores dout."""
    args = loss_backward_args(ctx, cls, ctor)
    b = ctx.batch()
    obj = b.new(cls, **(ctor or {}))
    b.method(obj, "forward", x, t, want=False)
    dx = b.method(obj, "backward", *args)
    b.run()
    call = "backward()" if not args else "backward(1)"
    assert_close(dx.value, expected, what + M(f"(from {cls}.{call})", f"({cls}.{call} の値)"), variants=variants,
                 context=context)
    if args:
        raise Fail(M(f"{cls}.backward() without an argument raises TypeError: `def backward(self, dout)` has no "
                     f"default. A loss layer is the last layer and is called as backward(): write "
                     f"`def backward(self, dout=1):` (the values of backward(1) are right).",
                     f"{cls}.backward() を引数なしで呼ぶと TypeError になります。`def backward(self, dout)` に既定値が"
                     f"ありません。損失レイヤは最後の層なので backward() で呼ばれます。`def backward(self, dout=1):` "
                     f"と書いてください(backward(1) の値は正しいです)。"),
                   mistake=ctx.mistake("loss-backward-dout-required"))
    b = ctx.batch()
    obj = b.new(cls, **(ctor or {}))
    b.method(obj, "forward", x, t, want=False)
    scaled = b.method(obj, "backward", DOUT)
    try:
        b.run()
    except StudentError as err:
        raise Fail(M(f"{cls}.backward({DOUT}) raised an error: backward must take the incoming gradient dout "
                     f"(def backward(self, dout=1)) and return dout·(y − t)/N. ",
                     f"{cls}.backward({DOUT}) がエラーになりました。backward は上流からの勾配 dout を受け取り"
                     f"(def backward(self, dout=1))、dout·(y − t)/N を返します。") + err.describe(),
                   mistake=ctx.mistake("loss-backward-ignores-dout")) from None
    want = DOUT * np.asarray(expected, dtype=float)
    if not is_close(scaled.value, want) and is_close(scaled.value, expected):
        raise Fail(M(f"{cls}.backward(dout={DOUT}) returned the same dx as backward(1): the result must be "
                     f"multiplied by dout (dx = dout·(y − t)/N).",
                     f"{cls}.backward(dout={DOUT}) が backward(1) と同じ dx を返しました。結果に dout を掛ける必要が"
                     f"あります(dx = dout·(y − t)/N)。"),
                   mistake=ctx.mistake("loss-backward-ignores-dout"))
    assert_close(scaled.value, want, M(f"dx returned by {cls}.backward(dout={DOUT}) (expected dout·(y − t)/N)",
                                       f"{cls}.backward(dout={DOUT}) が返す dx(期待値は dout·(y − t)/N)"),
                 context=context)


def loss_in_band(value, exact: float, shifted: float, rtol: float = 1e-4, atol: float = 1e-6) -> bool:
    """A loss between the exact value and the value with δ = 1e-5 inside the log (every valid δ lies
    between them), up to the tolerances."""
    try:
        v = float(np.asarray(value, dtype=float).reshape(()))
    except (TypeError, ValueError):
        return False
    lo, hi = min(exact, shifted), max(exact, shifted)
    tol = atol + rtol * max(abs(lo), abs(hi))
    return bool(np.isfinite(v) and lo - tol <= v <= hi + tol)


def check_forward(ctx: ItemContext, cls: str, ctor: dict, args: tuple, expected, **kw) -> np.ndarray:
    b = ctx.batch()
    obj = b.new(cls, **ctor)
    y = b.method(obj, "forward", *args)
    b.run()
    return assert_close(y.value, expected, fwd_msg(cls), **kw)


def check_no_mutation(ctx: ItemContext, cls: str, ctor: dict, args: tuple, dout=None,
                      names: tuple[str, ...] = ()) -> None:
    """forward(*args) and backward(dout) must leave every array they were given unchanged.

    The arrays are put into the worker once and read back afterwards, so an in-place
    change by the student's code (``x -= ...``, ``dout[mask] = 0``) is visible.
    """
    backward_args = loss_backward_args(ctx, cls) if dout is None else None
    b = ctx.batch()  # one round trip: the read-backs run after forward and backward, in order
    ctor_refs = {k: b.const(v) for k, v in ctor.items()}
    arg_refs = [b.const(a) for a in args]
    obj = b.new(cls, **ctor_refs)
    b.method(obj, "forward", *arg_refs, want=False)
    dout_ref = b.const(dout) if dout is not None else None
    if dout is not None:
        b.method(obj, "backward", dout_ref, want=False)
    else:
        b.method(obj, "backward", *backward_args, want=False)
    checks = []
    for k, ref in ctor_refs.items():
        checks.append((M(f"`{k}` (constructor argument)", f"`{k}`(コンストラクタの引数)"), ctor[k], b.read(ref)))
    for i, ref in enumerate(arg_refs):
        label = names[i] if i < len(names) else f"argument {i + 1}"
        checks.append((M(f"`{label}` (forward argument)", f"`{label}`(forward の引数)"), args[i], b.read(ref)))
    if dout_ref is not None:
        checks.append((M("`dout` (backward argument)", "`dout`(backward の引数)"), dout, b.read(dout_ref)))
    b.run()
    for what, before, pending in checks:
        assert_unchanged(np.asarray(before), pending.value, what)


def loss_scalar(value, cls: str) -> float:
    return as_scalar(value, M(f"The loss returned by {cls}.forward", f"{cls}.forward が返す損失"))


__all__ = ["DOUT", "Fail", "M", "as_array", "as_scalar", "assert_close", "assert_unchanged", "check_forward",
           "check_loss_backward", "loss_in_band",
           "check_no_mutation", "fwd_msg", "loss_backward_args", "loss_scalar", "run_loss_backward"]
