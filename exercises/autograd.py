"""Exercise 13 `autograd` — PyTorch による自動微分 (§3.8, notebook 2-1).

The student's functions compute gradients with PyTorch's automatic differentiation; the grader
calls them with float64 NumPy arrays and compares what comes back (arrays, tensors or floats:
a tensor travels as its array, ``grader/runner/wire.py``) with the NumPy reference, computed here.
The student process of this exercise comes from a zygote that has imported PyTorch
(``Exercise.requires``); without PyTorch every item is ``error`` with one sentence (``grader/extras.py``).

``uses_autograd`` reads the submission's own source (the grader has it): the function, and the
helpers of the submission it calls, must call ``.backward(...)`` or ``torch.autograd.grad(...)``
(or another ``torch.autograd`` / ``torch.func`` entry point).
"""

from __future__ import annotations

import ast

import numpy as np

from exercises import mistakes  # noqa: F401 - registers the shared catalogue (ctx.mistake looks ids up there)
from exercises.common import M, Fail, assert_close, assert_unchanged, as_scalar, loss_in_band
from grader.context import ItemContext
from grader.runner.session import StudentError
from grader.spec import Exercise, Item
from reference import layers as ref
from reference.functions import sigmoid

NON_SCALAR = "implicitly created only for scalar outputs"
DELTA_MAX = 1e-5  # any δ up to 1e-5 inside log is valid (EXERCISES.md): autograd then differentiates log(y + δ)  # PyTorch's RuntimeError for Y.backward() on a matrix


# ------------------------------------------------------------------ running the student's functions

def _run(ctx: ItemContext, b) -> None:
    """Run a batch; PyTorch's "grad can be implicitly created only for scalar outputs" is the §3.8 mistake."""
    try:
        b.run()
    except StudentError as exc:
        if NON_SCALAR in str(exc.info.get("message", "")):
            raise Fail(exc.describe(), mistake=ctx.mistake("autograd-backward-non-scalar")) from None
        raise


def _parts(value, names: tuple[str, ...], fn: str):
    """The returned tuple (dX, dW, ...), checked for its length."""
    if len(names) == 1:
        return (value,)
    if not isinstance(value, (tuple, list)) or len(value) != len(names):
        got = f"a {type(value).__name__} of length {len(value)}" if isinstance(value, (tuple, list)) else \
            ("None" if value is None else f"a {getattr(value, 'type_name', type(value).__name__)}")
        raise Fail(M(f"`{fn}` should return the tuple ({', '.join(names)}), but returned {got}.",
                     f"`{fn}` はタプル ({', '.join(names)}) を返すべきですが、{got} が返されました。"))
    return tuple(value)


def _none_is_non_leaf(ctx: ItemContext, fn: str, what: str, value) -> None:
    """A gradient that is None: `.grad` of a tensor that is not a leaf (the function reads `.grad`)."""
    if value is not None:
        return
    reads_grad = _reads_grad(ctx, fn)
    msg = M(f"{what} is None." + (" `.grad` stays None for a tensor that is not a leaf, and before backward."
                                  if reads_grad else " Is a `return` missing?"),
            f"{what} が None です。" + ("葉でないテンソルの .grad や backward 前の .grad は None のままです。"
                                       if reads_grad else "return 文がないのでは?"))
    raise Fail(msg, mistake=ctx.mistake("autograd-grad-of-non-leaf") if reads_grad else None)


def _twice(ctx: ItemContext, fn: str, args: tuple, names: tuple[str, ...], expected: tuple, variants: tuple,
           context=None) -> None:
    """Call ``fn`` twice with the same inputs (one round trip) and compare both results.

    ``variants``: per returned value, ``ctx.variants(...)`` of the mistakes it may show.
    The second call shows gradients that accumulate between calls (a leaf kept and not zeroed):
    then it differs from the first by the correct gradient."""
    b = ctx.batch()
    f = b.name(fn)
    first = b.call(f, *args)
    second = b.call(f, *args)
    _run(ctx, b)
    r1, r2 = _parts(first.value, names, fn), _parts(second.value, names, fn)
    for name, v1, v2, exp, wrong in zip(names, r1, r2, expected, variants):
        what = M(f"{name} returned by {fn}", f"{fn} が返す {name}")
        _none_is_non_leaf(ctx, fn, what.en, v1)
        _none_is_non_leaf(ctx, fn, what.en, v2)
        try:
            a1 = assert_close(v1, exp, what, variants=wrong, context=context)
        except Fail as fail:
            if fail.mistake is None and _accumulates(v1, v2, exp):
                fail.mistake = ctx.mistake("autograd-grad-accumulates")
            raise
        try:
            assert_close(v2, exp, M(f"{name} returned by a second call of {fn} with the same inputs",
                                    f"同じ入力で 2 回目に呼んだ {fn} が返す {name}"), context=context)
        except Fail as fail:
            if _accumulates(a1, v2, exp):
                fail.mistake = ctx.mistake("autograd-grad-accumulates")
            raise


def _accumulates(v1, v2, expected) -> bool:
    """v2 − v1 is the gradient of one call: the second call added to what the first left in .grad."""
    try:
        a1 = np.asarray(v1, dtype=float).reshape(np.shape(expected))
        a2 = np.asarray(v2, dtype=float).reshape(np.shape(expected))
    except (TypeError, ValueError):
        return False
    return bool(np.all(np.isfinite(a2 - a1)) and np.allclose(a2 - a1, expected, rtol=1e-4, atol=1e-6)
                and not np.allclose(a2, expected, rtol=1e-4, atol=1e-6))


def _no_mutation(ctx: ItemContext, fn: str, args: tuple, names: tuple[str, ...]) -> None:
    b = ctx.batch()
    refs = [b.const(a) for a in args]
    b.call(b.name(fn), *refs, want=False)
    reads = [b.read(r) for r in refs]
    _run(ctx, b)
    for name, before, after in zip(names, args, reads):
        assert_unchanged(np.asarray(before), after.value, M(f"`{name}` (argument of {fn})", f"`{name}`({fn} の引数)"))


# ------------------------------------------------------------------ uses_autograd: the submission's source

AUTOGRAD_MODULES = ("torch.autograd", "torch.func")


def _dotted(node) -> str | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


class _Source:
    """The submission's top-level definitions and import aliases (from the grader's copy of the source)."""

    def __init__(self, units):
        self.defs: dict[str, ast.AST] = {}
        self.aliases: dict[str, str] = {}  # local name -> the module or function it stands for
        for unit in units:
            try:
                tree = ast.parse(unit.source)
            except (SyntaxError, ValueError):
                continue
            for node in tree.body:
                self._top(node)

    def _top(self, node) -> None:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            self.defs[node.name] = node
        elif isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            self.defs[node.targets[0].id] = node.value
        elif isinstance(node, (ast.If, ast.Try, ast.With)):
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.stmt):
                    self._top(child)
        for sub in ast.walk(node):
            if isinstance(sub, ast.Import):
                for a in sub.names:
                    if a.asname:
                        self.aliases[a.asname] = a.name
                    else:
                        self.aliases.setdefault(a.name.split(".")[0], a.name.split(".")[0])
            elif isinstance(sub, ast.ImportFrom) and sub.module and not sub.level:
                for a in sub.names:
                    self.aliases[a.asname or a.name] = f"{sub.module}.{a.name}"

    def resolve(self, dotted: str) -> str:
        head, _, rest = dotted.partition(".")
        base = self.aliases.get(head, head)
        return f"{base}.{rest}" if rest else base

    def calls_autograd(self, node) -> bool:
        for sub in ast.walk(node):
            if not isinstance(sub, ast.Call):
                continue
            if isinstance(sub.func, ast.Attribute) and sub.func.attr == "backward":
                return True
            name = _dotted(sub.func)
            if name and any(self.resolve(name).startswith(m + ".") for m in AUTOGRAD_MODULES):
                return True
        return False

    def reaches(self, name: str) -> list[ast.AST] | None:
        """The definition of ``name`` and of every top-level definition it refers to (helpers)."""
        if name not in self.defs:
            return None
        seen, todo, out = {name}, [name], []
        while todo:
            node = self.defs[todo.pop()]
            out.append(node)
            for sub in ast.walk(node):
                if isinstance(sub, ast.Name) and sub.id in self.defs and sub.id not in seen:
                    seen.add(sub.id)
                    todo.append(sub.id)
        return out


def _source(ctx: ItemContext) -> _Source:
    key = "autograd_source"
    if key not in ctx.session.memo:
        ctx.session.memo[key] = _Source(ctx.session.units)
    return ctx.session.memo[key]


def _reads_grad(ctx: ItemContext, fn: str) -> bool:
    nodes = _source(ctx).reaches(fn) or []
    return any(isinstance(sub, ast.Attribute) and sub.attr == "grad" for n in nodes for sub in ast.walk(n))


def _uses_autograd(fn: str):
    def check(ctx: ItemContext):
        src = _source(ctx)
        nodes = src.reaches(fn)
        if nodes is None:
            raise Fail(M(f"The definition of `{fn}` was not found in your source (define it with `def {fn}(...)` "
                         "at the top level), so it cannot be checked for autograd.",
                         f"ソースに `{fn}` の定義が見つかりません(トップレベルで `def {fn}(...)` と定義してください)。"
                         "自動微分を使っているか確認できません。"))
        if not any(src.calls_autograd(n) for n in nodes):
            raise Fail(M(f"`{fn}` computes its gradients without autograd: neither it nor the helpers it calls "
                         "call `.backward(...)` or `torch.autograd.grad(...)`. This exercise is about PyTorch's "
                         "automatic differentiation (§3.8): build the result from tensors with requires_grad=True "
                         "and let PyTorch compute the gradients — a hand-written formula is the `layers` exercise.",
                         f"`{fn}` は自動微分を使わずに勾配を計算しています。この関数(と呼び出している補助関数)は "
                         "`.backward(...)` も `torch.autograd.grad(...)` も呼んでいません。この課題は PyTorch の"
                         "自動微分の演習です(§3.8): requires_grad=True のテンソルから結果を作り、勾配は PyTorch に"
                         "計算させてください(手で書いた公式は `layers` 課題の内容です)。"))
    return check


# ------------------------------------------------------------------ the four functions

def matmul_grads_values(ctx: ItemContext):
    for n, k, l in ((4, 3, 2), (2, 5, 3)):
        X, W, dY = ctx.randn(n, k), ctx.randn(k, l), ctx.randn(n, l)
        ones = np.ones_like(dY)
        _twice(ctx, "matmul_grads", (X, W, dY), ("dX", "dW"), (dY @ W.T, X.T @ dY),
               (ctx.variants(autograd_sum_without_dy=ones @ W.T), ctx.variants(autograd_sum_without_dy=X.T @ ones)),
               context=M(f"(X {X.shape}, W {W.shape}, dY {dY.shape})", f"(X {X.shape}、W {W.shape}、dY {dY.shape})"))


def affine_grads_values(ctx: ItemContext):
    for n, k, l in ((4, 3, 2), (3, 2, 4)):
        X, W, bias, dY = ctx.randn(n, k), ctx.randn(k, l), ctx.randn(l), ctx.randn(n, l)
        ones = np.ones_like(dY)
        _twice(ctx, "affine_grads", (X, W, bias, dY), ("dX", "dW", "db"), (dY @ W.T, X.T @ dY, dY.sum(axis=0)),
               (ctx.variants(autograd_sum_without_dy=ones @ W.T), ctx.variants(autograd_sum_without_dy=X.T @ ones),
                ctx.variants(autograd_sum_without_dy=ones.sum(axis=0))),
               context=M(f"(X {X.shape}, W {W.shape}, b {bias.shape}, dY {dY.shape})",
                         f"(X {X.shape}、W {W.shape}、b {bias.shape}、dY {dY.shape})"))


def sigmoid_grad_values(ctx: ItemContext):
    for shape in ((3, 4), (2, 3, 2), (5,)):
        x = ctx.randn(*shape, scale=2.0)
        y = sigmoid(x)
        _twice(ctx, "sigmoid_grad", (x,), ("dσ/dx",), (y * (1 - y),), ({},),
               context=M(f"(x of shape {x.shape})", f"(x の形状 {x.shape})"))


def _softmax_case(x, t):
    r = ref.SoftmaxWithLoss()
    loss = r.forward(x, t)
    return loss, r.backward()


def _softmax_delta(x, t, delta: float):
    """E = −Σ t log(y + δ) / N and its exact derivative dE/dx (what autograd returns for that δ)."""
    z = x - x.max(axis=1, keepdims=True)
    y = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    n = x.shape[0]
    g = -t / (n * (y + delta))  # dE/dy
    return float(-np.sum(t * np.log(y + delta)) / n), y * (g - np.sum(g * y, axis=1, keepdims=True))


def _dx_envelope(x, t):
    """(middle, half-width) of dE/dx over every valid δ in [0, DELTA_MAX]: the two ends span it."""
    _, a = _softmax_delta(x, t, 0.0)
    _, b = _softmax_delta(x, t, DELTA_MAX)
    return (a + b) / 2, np.abs(b - a) / 2


def _no_shift(x, t):
    """What softmax without the max shift gives (inf/inf = nan for large scores)."""
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        e = np.exp(x)
        y = e / e.sum(axis=1, keepdims=True)
        loss = -np.sum(t * np.log(y + 1e-7)) / x.shape[0]
        return loss, (y - t) / x.shape[0]


def _check_softmax(ctx: ItemContext, x, t, context=None, twice: bool = True):
    loss, dx = _softmax_case(x, t)
    n = x.shape[0]
    wrong_loss, wrong_dx = _no_shift(x, t)
    b = ctx.batch()
    f = b.name("softmax_with_loss_grads")
    calls = [b.call(f, x, t) for _ in range(2 if twice else 1)]
    _run(ctx, b)
    results = [_parts(c.value, ("E", "dE/dx"), "softmax_with_loss_grads") for c in calls]
    E1, dx1 = results[0]
    E1 = as_scalar(E1, M("E returned by softmax_with_loss_grads", "softmax_with_loss_grads が返す E"))
    if not loss_in_band(E1, _softmax_delta(x, t, 0.0)[0], _softmax_delta(x, t, DELTA_MAX)[0]):
        assert_close(E1, loss, M("E (the mean cross-entropy)", "E(交差エントロピーの平均)"), context=context,
                     variants=ctx.variants(ce_sum_not_mean=n * loss, softmax_no_max_shift=wrong_loss))
    _none_is_non_leaf(ctx, "softmax_with_loss_grads", "dE/dx", dx1)
    mid, half = _dx_envelope(x, t)
    try:
        a1 = assert_close(dx1, mid, M("dE/dx returned by softmax_with_loss_grads", "softmax_with_loss_grads が返す dE/dx"),
                          context=context, atol=1e-6 + half,
                          variants=ctx.variants(ce_sum_not_mean=n * dx, softmax_no_max_shift=wrong_dx))
    except Fail as fail:
        if twice and fail.mistake is None and _accumulates(dx1, results[1][1], dx):
            fail.mistake = ctx.mistake("autograd-grad-accumulates")
        raise
    if twice:
        dx2 = results[1][1]
        _none_is_non_leaf(ctx, "softmax_with_loss_grads", "dE/dx", dx2)
        try:
            assert_close(dx2, mid, M("dE/dx returned by a second call with the same inputs",
                                     "同じ入力で 2 回目に呼んだときの dE/dx"), context=context, atol=1e-6 + half)
        except Fail as fail:
            if _accumulates(a1, dx2, dx):
                fail.mistake = ctx.mistake("autograd-grad-accumulates")
            raise


def softmax_values(ctx: ItemContext):
    # scores of scale 0.5 keep every probability well inside [0.01, 0.99] (EXERCISES.md tolerances)
    for n, k in ((6, 4), (3, 5)):
        _check_softmax(ctx, ctx.randn(n, k, scale=0.5), ctx.one_hot(n, k),
                       context=M(f"(x of shape {(n, k)})", f"(x の形状 {(n, k)})"))


def softmax_large_scores(ctx: ItemContext):
    # the random rows sit on a grid of 1/8 so that float32 holds them exactly (a float32 solution is correct)
    offsets = np.array([[-1000.0], [700.0], [-500.0]])
    x = np.vstack([[1000.0, 999.0, 998.0], offsets + np.round(ctx.randn(3, 3, scale=0.5) * 8) / 8])
    _check_softmax(ctx, x, ctx.one_hot(4, 3), twice=False, context=M(
        "(scores like [1000, 999, 998]: exp overflows unless the row maximum is subtracted first — "
        "torch.softmax / torch.log_softmax / F.cross_entropy do it, §5.2)",
        "(スコアが [1000, 999, 998] のように大きい場合: 行ごとの最大値を先に引かないと exp があふれます。"
        "torch.softmax / torch.log_softmax / F.cross_entropy はそうしています。§5.2)"))


def matmul_grads_no_mutation(ctx: ItemContext):
    _no_mutation(ctx, "matmul_grads", (ctx.randn(4, 3), ctx.randn(3, 2), ctx.randn(4, 2)), ("X", "W", "dY"))


def affine_grads_no_mutation(ctx: ItemContext):
    _no_mutation(ctx, "affine_grads", (ctx.randn(4, 3), ctx.randn(3, 2), ctx.randn(2), ctx.randn(4, 2)),
                 ("X", "W", "b", "dY"))


def sigmoid_grad_no_mutation(ctx: ItemContext):
    _no_mutation(ctx, "sigmoid_grad", (ctx.randn(3, 4),), ("x",))


def softmax_no_mutation(ctx: ItemContext):
    # large scores: a max shift done in place (x -= x.max(...)) on torch.from_numpy(x) writes into x
    x = ctx.randn(4, 3, scale=0.5) + 10.0
    _no_mutation(ctx, "softmax_with_loss_grads", (x, ctx.one_hot(4, 3)), ("x", "t"))


# ------------------------------------------------------------------ the catalogue entry

H_MATMUL = M("Y = X @ W from tensors with requires_grad=True; Y is a matrix, so give backward the gradient: "
             "Y.backward(dY) (or (Y * dY).sum().backward()); then X.grad, W.grad (§3.8).",
             "requires_grad=True のテンソルで Y = X @ W。Y は行列なので backward に勾配を渡します: Y.backward(dY)"
             "(または (Y * dY).sum().backward())。そのあと X.grad、W.grad(§3.8)。")
H_AFFINE = M("As matmul_grads with Y = X @ W + b; b.grad is dY summed over the batch (§3.7, §3.8).",
             "matmul_grads と同様に Y = X @ W + b。b.grad は dY のバッチ方向の和になります(§3.7、§3.8)。")
H_SIGMOID = M("y = torch.sigmoid(x) element-wise; y.backward(torch.ones_like(y)) (or y.sum().backward()) "
              "gives dσ/dx = σ(1−σ) in x.grad (§1.2, §3.8).",
              "y = torch.sigmoid(x)(要素ごと)。y.backward(torch.ones_like(y))(または y.sum().backward())で "
              "x.grad に dσ/dx = σ(1−σ) が入ります(§1.2、§3.8)。")
H_SOFTMAX = M("E = mean cross-entropy of softmax(x) against t — a scalar, so E.backward() — e.g. "
              "-(t * torch.log_softmax(x, dim=1)).sum() / N; return (E, x.grad) (§5.2, §3.8).",
              "E = softmax(x) と t の交差エントロピーの平均(スカラーなので E.backward())。例: "
              "-(t * torch.log_softmax(x, dim=1)).sum() / N。(E, x.grad) を返します(§5.2、§3.8)。")
H_USES = M("Compute the gradients with autograd — .backward(...) or torch.autograd.grad(...) — not with the "
           "hand-derived formula (§3.8).",
           "勾配は手で導いた公式ではなく自動微分(.backward(...) または torch.autograd.grad(...))で計算します(§3.8)。")
H_MUT = M("Do not write into the arrays you are given: torch.from_numpy(x) shares x's memory, so an in-place "
          "operation on it (x_t -= ..., x_t.sub_(...)) changes x; use torch.tensor(x) (a copy) or out-of-place ops.",
          "渡された配列に書き込まないでください。torch.from_numpy(x) は x とメモリを共有するので、そのテンソルへの"
          "インプレース演算(x_t -= ...、x_t.sub_(...))は x を変えます。torch.tensor(x)(コピー)か、"
          "インプレースでない演算を使ってください。")


def _items(fn: str, points: float, values, hint, section: str, no_mut, extra=()) -> list[Item]:
    return ([Item(fn, points, values, hint, section, timeout=10.0)] + list(extra)
            + [Item(f"{fn}.uses_autograd", 0.75, _uses_autograd(fn), H_USES, "3.8"),
               Item(f"{fn}.no_mutation", 0.5, no_mut, H_MUT, section, timeout=10.0)])


EXERCISE = Exercise(
    id="autograd",
    title=M("Automatic differentiation with PyTorch", "PyTorch による自動微分"),
    section="3.8",
    notebooks=("2-1_自動微分.ipynb",),
    items=tuple(
        _items("matmul_grads", 1.5, matmul_grads_values, H_MATMUL, "3.8", matmul_grads_no_mutation)
        + _items("affine_grads", 1.5, affine_grads_values, H_AFFINE, "3.8", affine_grads_no_mutation)
        + _items("sigmoid_grad", 1, sigmoid_grad_values, H_SIGMOID, "3.8", sigmoid_grad_no_mutation)
        + _items("softmax_with_loss_grads", 1.5, softmax_values, H_SOFTMAX, "5.2", softmax_no_mutation,
                 extra=[Item("softmax_with_loss_grads.large_scores", 1, softmax_large_scores, H_SOFTMAX, "5.2",
                             timeout=10.0)])
    ),
    requires=("torch",),
)
