"""Check building blocks shared by the exercise modules."""

from __future__ import annotations

import numpy as np

from grader.compare import Fail, as_array, as_scalar, assert_close, assert_unchanged
from grader.context import ItemContext
from grader.messages import Msg


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


__all__ = ["Fail", "M", "as_array", "as_scalar", "assert_close", "assert_unchanged", "check_forward",
           "check_no_mutation", "fwd_msg", "loss_backward_args", "loss_scalar", "run_loss_backward"]
