"""Exercise 8 `optimizers` — 最適化法 (§6, notebook 2-5-1).

Items per optimizer class ``X`` (SGD, Momentum, Nesterov, AdaGrad, RMSprop, Adam):

- ``X.update``      several ``update`` calls with given gradients (two sets of hyperparameters); the
                    CHANGE of every parameter element after every call is compared with the reference.
- ``X.in_place``    ``update`` writes into the very arrays of ``params`` and leaves ``grads`` alone.
- ``X.trajectory``  the text's experiment (§6.1): f(x, y) = x² + 100y² from (10, 1), the whole path.
- ``Adam.step_count`` the step count t advances once per call, also with several keys.

Tolerances — every valid variant of EXERCISES.md must pass (any ε in (0, 1e-5], inside or
outside the square root, both Adam forms; ε = 0 fails where a gradient is exactly 0, see below):

* The update checks use gradients with 3 ≤ |g| ≤ 6 (random signs), so the denominators are
  bounded away from 0 and ε only changes a step by a small *relative* amount, whatever the
  numerator (s can be close to 0 for Adam: the relative effect of ε does not depend on s):
  - AdaGrad: √h ≥ |g| ≥ 3 → ε outside: ε/√h ≤ 3.3e-6; inside √(h+ε): ε/(2h) ≤ 5.6e-7.
  - RMSprop (ρ ≤ 0.99): h ≥ (1−ρ)g² ≥ 0.09 → outside ε/√h ≤ 3.3e-5; inside ε/(2h) ≤ 5.6e-5.
  - Adam, original form: r̃ is an average of g² ≥ 9, so ε/√r̃ ≤ 3.3e-6 and ε/(2r̃) ≤ 5.6e-7.
    Implementation form (no correction inside the root): after the first step r = (1−β₂)g² ≥ 0.009
    (β₂ = 0.999), the worst case — ε inside the root: ε/(2r) ≤ 5.6e-4; outside: ε/√r ≤ 1.05e-4.
  So the changes are compared with rtol 1e-4 (SGD, Momentum, Nesterov: no ε at all), 1e-3
  (AdaGrad, RMSprop: ≥ 18× margin) and 2e-3 (Adam: ≥ 3.6× margin).  `bench/optimizer_variants.py`
  measures the actual worst deviation of every variant on these very inputs (200 input sets:
  at most 0.28 of the tolerance, for Adam) and of every simulated mistake (at least 250 times the
  tolerance); `tests/exercises/test_optimizers_variants.py` grades all 20 ε/form variants.
* The trajectories (30 steps) are compared position by position with |Δ| ≤ 1e-3 + 1e-3·|p|;
  over all ε ∈ {0, 1e-8, 1e-7, 1e-6, 1e-5}, inside/outside, both Adam forms the largest deviation
  from the reference path is 2.9e-5 (Adam; < 1e-5 for the others) at the learning rates used
  here, which avoid degenerate steps (AdaGrad at lr 1 and RMSprop at lr 0.1 put y exactly on 0
  in one step).  The gradient ∇f = (2x, 200y) is computed by the grader at the student's own
  current position, one round trip per step.

Beyond that, ``X.update`` also checks (issue 12):

* ``X()`` without arguments against the spec's defaults (``DEFAULTS``), with gradients of size 1 … 100 that
  change from call to call (so that β₂ = 0.99 instead of 0.999 shows);
* gradients of every size, exact zeros included (some elements 0 in every call, some only in the first):
  each change is compared with the ENVELOPE of every valid variant (ε ∈ {1e-200, 1e-5}, inside or outside
  the root, both Adam forms; each change is monotone in ε for a given form, so the corners span every
  valid ε) widened by 1e-6 relative only. A missing ε gives 0/0 = nan there (``optimizer-eps-missing``),
  ε = 1e-3 leaves the envelope by > 50× its width (``eps-too-large``). For Adam this probe uses β₂ = 0.5:
  with β₂ = 0.999 the implementation form scales ε by 1/√(1 − β₂ᵗ) ≈ 32 at t = 1 (and by 1/(1 − β₂ᵗ)
  inside the root), and ε = 1e-5 there is as large as ε = 1e-3 in the original form.
"""

from __future__ import annotations

import functools

import numpy as np

from exercises.common import M, as_array
from grader.compare import Fail, close_mask, fmt
from grader.context import ItemContext
from grader.messages import Msg
from exercises import mistakes as catalogue
from grader.spec import Exercise, Item, Mistake
from reference import optimizers as ref

NAMES = ("SGD", "Momentum", "Nesterov", "AdaGrad", "RMSprop", "Adam")

# ---------------------------------------------------------------------------------------- settings

# Two sets of hyperparameters per optimizer (constructor keywords of EXERCISES.md): the second
# catches a constructor that ignores its arguments (e.g. a hard-coded momentum of 0.9).
HYPER = {
    "SGD": ({"lr": 0.05}, {"lr": 0.2}),
    "Momentum": ({"lr": 0.05, "momentum": 0.9}, {"lr": 0.02, "momentum": 0.5}),
    "Nesterov": ({"lr": 0.05, "momentum": 0.9}, {"lr": 0.02, "momentum": 0.5}),
    "AdaGrad": ({"lr": 0.1}, {"lr": 0.5}),
    "RMSprop": ({"lr": 0.01, "decay_rate": 0.99}, {"lr": 0.05, "decay_rate": 0.9}),
    "Adam": ({"lr": 0.01, "beta1": 0.9, "beta2": 0.999}, {"lr": 0.05, "beta1": 0.8, "beta2": 0.99}),
}
RTOL = {"SGD": 1e-4, "Momentum": 1e-4, "Nesterov": 1e-4, "AdaGrad": 1e-3, "RMSprop": 1e-3, "Adam": 2e-3}
ATOL_STEP = 1e-9
STEPS = 4

# The text's experiment: learning rates where every valid variant follows the same path.
TRAJ = {
    "SGD": {"lr": 0.008},
    "Momentum": {"lr": 0.004, "momentum": 0.9},
    "Nesterov": {"lr": 0.004, "momentum": 0.9},
    "AdaGrad": {"lr": 1.5},
    "RMSprop": {"lr": 0.05, "decay_rate": 0.99},
    "Adam": {"lr": 0.2, "beta1": 0.9, "beta2": 0.999},
}
TRAJ_STEPS = 30
TRAJ_RTOL = 1e-3
TRAJ_ATOL = 1e-3


def reference_optimizer(name: str, kw: dict):
    return getattr(ref, name)(**kw)


# ---------------------------------------------------------------------------------------- mistakes

# All from the shared catalogue (exercises/mistakes.py); each optimizer's simulated mistakes are in BUGS.
MISTAKES = tuple(catalogue.MISTAKES[mid] for mid in (
    "optimizer-rebinds-params", "optimizer-modifies-grads", "momentum-sign", "momentum-no-velocity",
    "nesterov-book-order", "adagrad-no-accumulation", "rmsprop-decay-swapped", "adam-no-bias-correction",
    "adam-lr-compounded", "adam-step-per-key", "default-value-wrong", "hyperparameter-ignored", "eps-too-large"))

def _mk(mid: str, section: str, title_en: str, title_ja: str, en: str, ja: str) -> Mistake:
    return Mistake(id=mid, title=M(title_en, title_ja), explanation=M(en, ja), section=section)


MISTAKES = MISTAKES + (
    _mk("adam-state-reset", "6.2", "Adam: moments re-created on every call", "Adam: モーメントを毎回作り直している",
        "s and r (m and v) are created ONCE, on the first call (`if self.m is None:`), and kept between calls; "
        "re-creating them as zeros on every call throws the running averages away (§6.2).",
        "s と r(m と v)は最初の呼び出しで一度だけ作り(`if self.m is None:`)、呼び出しの間保持します。毎回 0 で"
        "作り直すと移動平均が失われます(§6.2)。"),
    _mk("adam-betas-swapped", "6.2", "Adam: β₁ and β₂ swapped", "Adam: β₁ と β₂ が逆",
        "s ← β₁s + (1−β₁)g (first moment, β₁ = 0.9) and r ← β₂r + (1−β₂)g·g (second moment, β₂ = 0.999): "
        "the two decay rates are used the other way round (§6.2).",
        "s ← β₁s + (1−β₁)g(1 次のモーメント、β₁ = 0.9)、r ← β₂r + (1−β₂)g·g(2 次のモーメント、β₂ = 0.999)です。"
        "2 つの減衰率が逆に使われています(§6.2)。"),
    _mk("adam-step-count-after", "6.2", "Adam: t increased after the step", "Adam: t をステップの後で増やしている",
        "Increase t at the START of update: with t = 0 in the first step 1 − β₁ᵗ = 0 and the step divides by zero "
        "(§6.2).",
        "t は update の最初で増やします。最初のステップで t = 0 のままだと 1 − β₁ᵗ = 0 となり 0 で割ります(§6.2)。"),
    _mk("optimizer-no-sqrt", "6", "Divided by h instead of √h", "√h でなく h で割っている",
        "The step divides by the square ROOT of the accumulated squares: λg/(√h + ε) (AdaGrad, RMSprop; Adam: "
        "√r̃) (§6).",
        "ステップは 2 乗の蓄積の平方根で割ります: λg/(√h + ε)(AdaGrad、RMSprop。Adam は √r̃)(§6)。"),
    _mk("optimizer-step-sign", "6", "The step goes up the gradient", "勾配を上る方向に更新している",
        "Gradient DESCENT subtracts: θ ← θ − λg (`params[key] -= ...`); your step has the opposite sign (§6).",
        "勾配降下法は引き算です: θ ← θ − λg(`params[key] -= ...`)。あなたの更新は符号が逆です(§6)。"),
    _mk("nesterov-as-momentum", "6", "Nesterov computed as plain momentum", "Nesterov が通常のモメンタムになっている",
        "Nesterov's step looks ahead: θ ← θ + α²v − (1+α)λg, then v ← αv − λg (docs/exercises.md, optimizers); v ← αv − λg; "
        "θ ← θ + v is plain Momentum.",
        "Nesterov は先を見て更新します: θ ← θ + α²v − (1+α)λg、その後 v ← αv − λg(docs/exercises.md の optimizers)。"
        "v ← αv − λg、θ ← θ + v は普通のモメンタムです。"),
    _mk("optimizer-eps-missing", "6", "No ε in the denominator", "分母に ε がない",
        "Where a gradient is exactly 0 the accumulated square is 0 too, and g/√h = 0/0 = nan: add a small ε "
        "(≤ 1e-5, e.g. 1e-7) to the denominator, g/(√h + ε) (§6).",
        "勾配がちょうど 0 の成分では 2 乗の蓄積も 0 になり、g/√h = 0/0 = nan です。分母に小さな ε(1e-5 以下、"
        "例えば 1e-7)を加えます: g/(√h + ε)(§6)。"),
)
_MISTAKE = {m.id: m for m in MISTAKES}

# The spec's defaults (EXERCISES.md §8): every optimizer is also built without arguments.
DEFAULTS = {
    "SGD": {"lr": 0.01},
    "Momentum": {"lr": 0.01, "momentum": 0.9},
    "Nesterov": {"lr": 0.01, "momentum": 0.9},
    "AdaGrad": {"lr": 0.01},
    "RMSprop": {"lr": 0.01, "decay_rate": 0.99},
    "Adam": {"lr": 0.001, "beta1": 0.9, "beta2": 0.999},
}

# Hyperparameters for the gradient-size probe (zeros, 0.01 … 30): for Adam β₂ = 0.5, so that its two valid
# forms give ε nearly the same weight (with β₂ = 0.999 the implementation form scales ε by 1/√(1−β₂ᵗ) ≈ 30
# at t = 1, and ε = 1e-5 there is indistinguishable from ε = 1e-3 in the original form).
PROBE = {
    "SGD": {"lr": 0.1},
    "Momentum": {"lr": 0.1, "momentum": 0.7},
    "Nesterov": {"lr": 0.1, "momentum": 0.7},
    "AdaGrad": {"lr": 0.1},
    "RMSprop": {"lr": 0.05, "decay_rate": 0.9},
    "Adam": {"lr": 0.05, "beta1": 0.8, "beta2": 0.5},
}
EPS_VALID = (1e-200, 1e-5)  # "any ε up to 1e-5" (1e-200: ε = 0 where it does not divide 0 by 0)
ENV_RTOL, ENV_ATOL = 1e-6, 1e-12  # beyond the envelope of the valid variants: arithmetic only


class _Valid:
    """A valid variant of EXERCISES.md: ε (inside or outside the root), Adam's original or implementation form."""

    def __init__(self, name: str, kw: dict, eps: float, inside: bool, original: bool):
        self.name, self.kw, self.eps, self.inside, self.original = name, kw, eps, inside, original
        self.t, self.s, self.r = 0, {}, {}

    def den(self, r):
        return np.sqrt(r + self.eps) if self.inside else np.sqrt(r) + self.eps

    def update(self, params, grads):
        self.t += 1
        k = self.kw
        for key in params:
            g = grads[key]
            s = self.s.setdefault(key, np.zeros_like(g))
            r = self.r.setdefault(key, np.zeros_like(g))
            if self.name == "AdaGrad":
                r += g * g
                params[key] -= k["lr"] * g / self.den(r)
            elif self.name == "RMSprop":
                r[...] = k["decay_rate"] * r + (1 - k["decay_rate"]) * g * g
                params[key] -= k["lr"] * g / self.den(r)
            else:
                b1, b2 = k["beta1"], k["beta2"]
                s[...] = b1 * s + (1 - b1) * g
                r[...] = b2 * r + (1 - b2) * g * g
                if self.original:
                    params[key] -= k["lr"] * (s / (1 - b1 ** self.t)) / self.den(r / (1 - b2 ** self.t))
                else:
                    params[key] -= k["lr"] * np.sqrt(1 - b2 ** self.t) / (1 - b1 ** self.t) * s / self.den(r)


def valid_factories(name: str, kw: dict, eps_values=EPS_VALID) -> list:
    """Factories of every valid variant's corner (ε at both ends, inside/outside, both Adam forms): each
    step's change is monotone in ε for each form, so these span all valid results."""
    if name not in ("AdaGrad", "RMSprop", "Adam"):
        return [lambda: reference_optimizer(name, kw)]
    forms = (True, False) if name == "Adam" else (True,)
    return [functools.partial(_Valid, name, kw, eps, inside, original)
            for eps in eps_values for inside in (True, False) for original in forms]


class _Sim:
    """Grader-side simulation of known mistakes (for naming them in the feedback only)."""

    def __init__(self, name: str, kw: dict, bug: str):
        self.name, self.kw, self.bug = name, dict(kw), bug
        self.state: dict = {}
        self.t = 0
        self.lr = kw.get("lr", 0.01)

    def update(self, params, grads):
        k, bug, st = self.kw, self.bug, self.state
        self.t += 1
        for key in params:
            g = grads[key]
            if key not in st or bug in ("momentum-no-velocity", "adam-state-reset"):
                st[key] = [np.zeros_like(g), np.zeros_like(g)]
            a, b = st[key]
            if self.name == "Momentum":
                if bug == "momentum-sign":
                    a[...] = k["momentum"] * a - k["lr"] * g
                    params[key] -= a
                else:  # momentum-no-velocity
                    a[...] = k["momentum"] * a - k["lr"] * g
                    params[key] += a
            elif self.name == "Nesterov":  # book order: v first
                a[...] = k["momentum"] * a - k["lr"] * g
                params[key] += k["momentum"] ** 2 * a - (1 + k["momentum"]) * k["lr"] * g
            elif self.name == "AdaGrad":
                if bug == "optimizer-no-sqrt":
                    a[...] = a + g * g
                    params[key] -= k["lr"] * g / (a + 1e-7)
                else:
                    a[...] = g * g
                    params[key] -= k["lr"] * g / (np.sqrt(a) + 1e-7)
            elif self.name == "RMSprop":
                rho = k["decay_rate"]
                if bug == "optimizer-no-sqrt":
                    a[...] = rho * a + (1 - rho) * g * g
                    params[key] -= k["lr"] * g / (a + 1e-7)
                else:
                    a[...] = (1 - rho) * a + rho * g * g
                    params[key] -= k["lr"] * g / (np.sqrt(a) + 1e-7)
            elif self.name == "Adam" and bug in ("adam-state-reset", "optimizer-no-sqrt", "optimizer-no-sqrt:impl",
                                                 "adam-step-count-after", "adam-betas-swapped:moments"):
                b1, b2, t = k["beta1"], k["beta2"], self.t
                m1, m2 = (b2, b1) if bug == "adam-betas-swapped:moments" else (b1, b2)
                a[...] = m1 * a + (1 - m1) * g
                b[...] = m2 * b + (1 - m2) * g * g
                if bug == "optimizer-no-sqrt":
                    params[key] -= k["lr"] * (a / (1 - b1 ** t)) / (b / (1 - b2 ** t) + 1e-8)
                elif bug == "optimizer-no-sqrt:impl":
                    params[key] -= k["lr"] * np.sqrt(1 - b2 ** t) / (1 - b1 ** t) * a / (b + 1e-8)
                else:
                    if bug == "adam-step-count-after":
                        t -= 1
                    with np.errstate(divide="ignore", invalid="ignore"):
                        lr_t = k["lr"] * np.sqrt(1 - b2 ** t) / (1 - b1 ** t)
                    params[key] -= lr_t * a / (np.sqrt(b) + 1e-8)
            elif self.name == "Adam":
                b1, b2 = k["beta1"], k["beta2"]
                if bug == "adam-step-per-key" and key != next(iter(params)):
                    self.t += 1
                a[...] = b1 * a + (1 - b1) * g
                b[...] = b2 * b + (1 - b2) * g * g
                if bug == "adam-no-bias-correction":
                    params[key] -= k["lr"] * a / (np.sqrt(b) + 1e-8)
                elif bug == "adam-lr-compounded":
                    if key == next(iter(params)):
                        self.lr = self.lr * np.sqrt(1 - b2 ** self.t) / (1 - b1 ** self.t)
                    params[key] -= self.lr * a / (np.sqrt(b) + 1e-8)
                else:
                    params[key] -= k["lr"] * (a / (1 - b1 ** self.t)) / (np.sqrt(b / (1 - b2 ** self.t)) + 1e-8)


BUGS = {
    "SGD": (),
    "Momentum": ("momentum-sign", "momentum-no-velocity"),
    "Nesterov": ("nesterov-book-order",),
    "AdaGrad": ("adagrad-no-accumulation", "optimizer-no-sqrt"),
    "RMSprop": ("rmsprop-decay-swapped", "optimizer-no-sqrt"),
    "Adam": ("adam-no-bias-correction", "adam-lr-compounded", "adam-step-per-key", "adam-state-reset",
             "optimizer-no-sqrt", "optimizer-no-sqrt:impl", "adam-step-count-after", "adam-betas-swapped:moments"),
}


def _mistake_of(bug: str) -> Mistake:
    return _MISTAKE[bug.split(":")[0]]


def _other_factories(name: str, kw: dict) -> list:
    """(mistake, factory) for mistakes that are the reference with other hyperparameters or another class."""
    out = []
    for hp, default in DEFAULTS[name].items():
        if hp in kw and kw[hp] != default:
            out.append(("hyperparameter-ignored", functools.partial(reference_optimizer, name,
                                                                               {**kw, hp: default})))
    if name == "Adam":
        out.append(("adam-betas-swapped", functools.partial(reference_optimizer, name,
                                                            {**kw, "beta1": kw["beta2"], "beta2": kw["beta1"]})))
    if name == "Nesterov":
        out.append(("nesterov-as-momentum", functools.partial(reference_optimizer, "Momentum", kw)))
    return out


# ---------------------------------------------------------------------------------------- helpers

def _grad(ctx: ItemContext, *shape) -> np.ndarray:
    """Gradients of order 1 with 3 ≤ |g| ≤ 6 and random signs (see the module docstring)."""
    return ctx.rng.uniform(3.0, 6.0, shape) * ctx.rng.choice([-1.0, 1.0], shape)


def _key_msg(key: str, idx) -> str:
    return f"params[{key!r}]" + ("[" + ", ".join(str(int(i)) for i in idx) + "]" if len(idx) else "")


def _entry(value, key: str, shape: tuple) -> np.ndarray:
    what = M(f"params[{key!r}] after update", f"update 後の params[{key!r}]")
    arr = as_array(value, what)
    if arr.shape != shape:
        raise Fail(M(f"{what.en} has shape {arr.shape}, but it was {shape} before: update must keep the arrays' "
                     "shapes.",
                     f"{what.ja} の形状が {arr.shape} になっています(更新前は {shape})。形状を変えてはいけません。"))
    return arr


def _run_student(ctx: ItemContext, name: str, kw: dict, params0: dict, grads_seq: list[dict]) -> list[dict]:
    """One optimizer, len(grads_seq) update calls in one batch; the dict's entries after each call."""
    b = ctx.batch()
    opt = b.new(name, **kw)
    params = b.const({k: v.copy() for k, v in params0.items()})
    after = []
    for grads in grads_seq:
        b.method(opt, "update", params, grads, want=False)
        after.append({key: b.item(params, key) for key in params0})
    b.run()
    return [{key: _entry(p.value, key, params0[key].shape) for key, p in step.items()} for step in after]


def _simulate(factory, params0: dict, grads_seq: list[dict]) -> list[dict]:
    opt = factory()
    params = {k: v.copy() for k, v in params0.items()}
    out = []
    for grads in grads_seq:
        opt.update(params, {k: v.copy() for k, v in grads.items()})
        out.append({k: v.copy() for k, v in params.items()})
    return out


def _changes(params0: dict, history: list[dict]) -> list[dict]:
    prev, out = params0, []
    for step in history:
        out.append({k: step[k] - prev[k] for k in params0})
        prev = step
    return out


def _same_history(a: list[dict], b: list[dict], rtol: float, atol: float) -> bool:
    return all(np.all(close_mask(x[k], y[k], rtol, atol) | (np.isnan(x[k]) & np.isnan(y[k])))
               for x, y in zip(a, b) for k in x)


def _which_mistake(name: str, kw: dict, params0: dict, grads_seq: list[dict], got_changes: list[dict],
                   rtol: float) -> Mistake | None:
    """The simulated mistake whose changes ``got_changes`` match (a mistake that these inputs cannot tell from
    the right answer — Adam's β₁/β₂ with a constant gradient — is not named)."""
    with np.errstate(all="ignore"):
        expected = _changes(params0, _simulate(lambda: reference_optimizer(name, kw), params0, grads_seq))
        candidates = [(_mistake_of(bug), functools.partial(_Sim, name, kw, bug)) for bug in BUGS[name]]
        candidates += [(_MISTAKE[mid], factory) for mid, factory in _other_factories(name, kw)]
        for mistake, factory in candidates:
            sim = _changes(params0, _simulate(factory, params0, grads_seq))
            if _same_history(sim, expected, rtol, ATOL_STEP):
                continue
            if _same_history(got_changes, sim, rtol * 10, 1e-6):
                return mistake
        if _same_history(got_changes, [{k: -v for k, v in step.items()} for step in expected], rtol * 10, 1e-6):
            return _MISTAKE["optimizer-step-sign"]
        if name in ("AdaGrad", "RMSprop", "Adam"):
            # the whole history within what ε from 1e-5 to 1e-2 gives (any placement, either Adam form)
            lo, hi = _envelope(valid_factories(name, kw, (1e-5, 1e-4, 1e-3, 1e-2)), params0, grads_seq)
            if _first_outside(got_changes, lo, hi) is None:
                return _MISTAKE["eps-too-large"]
    return None


def _nan_note(name: str, values) -> Msg:
    if np.all(np.isfinite(values)):
        return M("", "")
    if name == "Adam":
        return M("Your parameters became NaN or infinite — is t still 0 when you divide by 1 − β₁ᵗ or 1 − β₂ᵗ? "
                 "Increase t at the start of update.",
                 "パラメータが NaN または無限大になっています。1 − β₁ᵗ や 1 − β₂ᵗ で割るときに t が 0 のままでは"
                 "ありませんか? update の最初で t を増やします。")
    return M("Your parameters became NaN or infinite (a division by zero?).",
             "パラメータが NaN または無限大になっています(0 で割っていませんか?)。")


def _hp(kw: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in kw.items())


# ---------------------------------------------------------------------------------------- update

def _check_updates(ctx: ItemContext, name: str, keys: dict[str, tuple]):
    rtol = RTOL[name]
    for kw in HYPER[name]:
        params0 = {k: ctx.randn(*shape) for k, shape in keys.items()}
        grads_seq = [{k: _grad(ctx, *shape) for k, shape in keys.items()} for _ in range(STEPS)]
        got = _changes(params0, _run_student(ctx, name, kw, params0, grads_seq))
        expected = _changes(params0, _simulate(lambda: reference_optimizer(name, kw), params0, grads_seq))
        for step, (g_step, e_step) in enumerate(zip(got, expected), start=1):
            for key in keys:
                ok = close_mask(g_step[key], e_step[key], rtol, ATOL_STEP)
                if ok.all():
                    continue
                idx = tuple(np.argwhere(~ok)[0])
                mistake = _which_mistake(name, kw, params0, grads_seq, got, rtol)
                earlier_en = " (the earlier calls were right)" if step > 1 else \
                    " (already the first call, when the state is still zero)"
                earlier_ja = "(それより前の呼び出しは正しい)" if step > 1 else "(状態がまだ 0 の最初の呼び出しで既に違います)"
                ratio = g_step[key][idx] / e_step[key][idx] if e_step[key][idx] else np.nan
                ratio_en = f" Your change is {fmt(ratio)} times the expected one." if np.isfinite(ratio) else ""
                ratio_ja = f"あなたの変化量は期待値の {fmt(ratio)} 倍です。" if np.isfinite(ratio) else ""
                raise Fail(_nan_note(name, g_step[key]) + M(
                    f"{name}({_hp(kw)}): update call {step} changed {_key_msg(key, idx)} by "
                    f"{fmt(g_step[key][idx])}, expected {fmt(e_step[key][idx])}{earlier_en}.{ratio_en} "
                    f"(The grader calls update {STEPS} times with gradients of size 3–6 and compares the change "
                    f"θ_new − θ_old after each call.)",
                    f"{name}({_hp(kw)}): {step} 回目の update で {_key_msg(key, idx)} の変化量が "
                    f"{fmt(g_step[key][idx])} ですが、期待値は {fmt(e_step[key][idx])} です{earlier_ja}。{ratio_ja}"
                    f"(採点では大きさ 3〜6 の勾配で update を {STEPS} 回呼び、各回の変化量 θ_new − θ_old を比べます。)"),
                    mistake=mistake)


def _envelope(factories, params0: dict, grads_seq: list[dict]) -> tuple[list[dict], list[dict]]:
    """Per call and key, the element-wise (low, high) of the change over the valid variants."""
    with np.errstate(all="ignore"):
        runs = [_changes(params0, _simulate(f, params0, grads_seq)) for f in factories]
    lo = [{k: np.min([r[i][k] for r in runs], axis=0) for k in params0} for i in range(len(grads_seq))]
    hi = [{k: np.max([r[i][k] for r in runs], axis=0) for k in params0} for i in range(len(grads_seq))]
    return lo, hi


def _first_outside(got: list[dict], lo: list[dict], hi: list[dict]):
    """(call number, key, index) of the first change outside the envelope (NaN is outside), or None."""
    for step, (g, l, h) in enumerate(zip(got, lo, hi), start=1):
        for key in g:
            tol = ENV_ATOL + ENV_RTOL * np.maximum(np.abs(l[key]), np.abs(h[key]))
            with np.errstate(invalid="ignore"):
                ok = (g[key] >= l[key] - tol) & (g[key] <= h[key] + tol)
            if not ok.all():
                return step, key, tuple(int(i) for i in np.argwhere(~ok)[0])
    return None


def _expected_text(lo: float, hi: float) -> str:
    if np.isclose(lo, hi, rtol=1e-9, atol=1e-15):
        return fmt(lo)
    return f"between {lo:.9g} and {hi:.9g}" if fmt(lo) == fmt(hi) else f"between {fmt(lo)} and {fmt(hi)}"


def _expected_text_ja(lo: float, hi: float) -> str:
    if np.isclose(lo, hi, rtol=1e-9, atol=1e-15):
        return fmt(lo)
    return f"{lo:.9g} 〜 {hi:.9g}" if fmt(lo) == fmt(hi) else f"{fmt(lo)} 〜 {fmt(hi)}"


def _log_uniform_grads(ctx: ItemContext, lo: float, hi: float, *shape) -> np.ndarray:
    return np.exp(ctx.rng.uniform(np.log(lo), np.log(hi), shape)) * ctx.rng.choice([-1.0, 1.0], shape)


def _check_defaults(ctx: ItemContext, name: str, keys: dict[str, tuple]):
    """``X()`` without arguments must behave as ``X(**DEFAULTS[name])`` (EXERCISES.md: defaults are part of the
    contract). Gradients of very different sizes (1 … 100) from call to call make every hyperparameter show."""
    params0 = {k: ctx.randn(*shape) for k, shape in keys.items()}
    grads_seq = [{k: _log_uniform_grads(ctx, 1.0, 100.0, *shape) for k, shape in keys.items()} for _ in range(STEPS)]
    lo, hi = _envelope(valid_factories(name, DEFAULTS[name]), params0, grads_seq)
    got = _changes(params0, _run_student(ctx, name, {}, params0, grads_seq))
    bad = _first_outside(got, lo, hi)
    if bad is None:
        return
    step, key, idx = bad
    explicit = _changes(params0, _run_student(ctx, name, DEFAULTS[name], params0, grads_seq))
    spelled = _first_outside(explicit, lo, hi) is None
    value, low, high = got[step - 1][key][idx], lo[step - 1][key][idx], hi[step - 1][key][idx]
    if fmt(value) == fmt(low) or fmt(value) == fmt(high):
        value_text = f"{value:.9g}"
    else:
        value_text = fmt(value)
    mistake = _MISTAKE["default-value-wrong"] if spelled else \
        _which_mistake(name, DEFAULTS[name], params0, grads_seq, got, RTOL[name])
    call = f"{name}()"
    raise Fail(_nan_note(name, got[step - 1][key]) + M(
        f"{call} (no arguments): update call {step} changed {_key_msg(key, idx)} by {value_text}, expected "
        f"{_expected_text(low, high)} — what {name}({_hp(DEFAULTS[name])}) gives."
        + (f" With these values passed explicitly your {name} is right, so a default value in your __init__ "
           f"differs from the spec's: {name}({_hp(DEFAULTS[name])})." if spelled else ""),
        f"{call}(引数なし): {step} 回目の update で {_key_msg(key, idx)} の変化量が {value_text} ですが、期待値は "
        f"{_expected_text_ja(low, high)}({name}({_hp(DEFAULTS[name])}) の結果)です。"
        + (f"これらの値を明示的に渡すとあなたの {name} は正しいので、__init__ の既定値が仕様"
           f"({name}({_hp(DEFAULTS[name])}))と違います。"
           if spelled else "")), mistake=mistake)


def _sized_grads(ctx: ItemContext, shape: tuple, steps: int) -> list[np.ndarray]:
    """Gradients of every size: some elements exactly 0 in every call, some 0 in the first call only, the
    others of size 0.01 … 30 (a size class per element, random signs)."""
    n = int(np.prod(shape))
    kind = ctx.rng.permutation(np.arange(n) % 5)  # 0: always 0, 1: 0 at first, 2-4: 0.01-0.3, 0.3-3, 3-30
    out = []
    for step in range(steps):
        g = np.empty(n)
        for i in range(n):
            k = kind[i]
            if k == 0 or (k == 1 and step == 0):
                g[i] = 0.0
            else:
                base = (0.01, 0.01, 0.3, 3.0)[k - 1]
                g[i] = base * np.exp(ctx.rng.uniform(0.0, np.log(10.0)))
        out.append((g * ctx.rng.choice([-1.0, 1.0], n)).reshape(shape))
    return out


def _check_sizes(ctx: ItemContext, name: str, keys: dict[str, tuple]):
    """Gradients of every size, zero included (EXERCISES.md): a missing ε divides 0 by 0 where a gradient is
    0; an ε beyond 1e-5 changes the steps of small gradients. Every valid variant spans the envelope."""
    kw = PROBE[name]
    params0 = {k: ctx.randn(*shape) for k, shape in keys.items()}
    per_key = {k: _sized_grads(ctx, shape, STEPS) for k, shape in keys.items()}
    grads_seq = [{k: per_key[k][i] for k in keys} for i in range(STEPS)]
    lo, hi = _envelope(valid_factories(name, kw), params0, grads_seq)
    got = _changes(params0, _run_student(ctx, name, kw, params0, grads_seq))
    bad = _first_outside(got, lo, hi)
    if bad is None:
        return
    step, key, idx = bad
    value, low, high = got[step - 1][key][idx], lo[step - 1][key][idx], hi[step - 1][key][idx]
    g = grads_seq[step - 1][key][idx]
    history = ", ".join(fmt(gs[key][idx]) for gs in grads_seq[:step])
    mistake = None
    note = M("", "")
    if not np.isfinite(value) and np.isfinite(low):
        zero = all(gs[key][idx] == 0 for gs in grads_seq[:step])
        if zero:
            mistake = _MISTAKE["optimizer-eps-missing"]
            note = M(" The gradient of this element has been exactly 0 so far, so its accumulated square is 0: "
                     "without ε the step is 0/0 = nan.",
                     "この成分の勾配はこれまでちょうど 0 なので 2 乗の蓄積も 0 で、ε がないとステップは 0/0 = nan です。")
    if mistake is None:
        mistake = _which_mistake(name, kw, params0, grads_seq, got, RTOL[name])
    raise Fail(M(
        f"{name}({_hp(kw)}) with gradients of every size (exact zeros, 0.01 … 30): update call {step}, with "
        f"grads[{key!r}]{list(idx)} = {fmt(g)} (calls 1–{step}: {history}), changed {_key_msg(key, idx)} by "
        f"{fmt(value)}, expected {_expected_text(low, high)} (the range of every valid ε ≤ 1e-5, inside or outside "
        "the square root).",
        f"{name}({_hp(kw)}) に大きさの違う勾配(ちょうど 0、0.01〜30)を与えると、{step} 回目の update "
        f"(grads[{key!r}]{list(idx)} = {fmt(g)}、1〜{step} 回目: {history})で {_key_msg(key, idx)} の変化量が "
        f"{fmt(value)} ですが、期待値は {_expected_text_ja(low, high)}(1e-5 以下のどの ε でも、平方根の内側でも外側"
        "でもこの範囲)です。") + note, mistake=mistake)


def _update_item(name: str):
    def check(ctx: ItemContext):
        keys = {"W": (3, 4)} if name == "Adam" else {"W": (3, 4), "b": (4,)}
        _check_updates(ctx, name, keys)
        _check_sizes(ctx, name, {"W": (4, 5)} if name == "Adam" else {"W": (4, 5), "b": (5,)})
        _check_defaults(ctx, name, keys)
    check.__name__ = f"{name.lower()}_update"
    return check


def adam_step_count(ctx: ItemContext):
    """Three keys: a per-key step count makes the 2nd and 3rd key use the wrong t."""
    kw = HYPER["Adam"][0]
    keys = {"W1": (2, 3), "b1": (3,), "W2": (3, 2), "b2": (2,)}
    params0 = {k: ctx.randn(*s) for k, s in keys.items()}
    # a constant gradient: with the right t every element moves by exactly λ per step (§6.2)
    g = {k: _grad(ctx, *s) for k, s in keys.items()}
    grads_seq = [g] * 3
    got = _changes(params0, _run_student(ctx, "Adam", kw, params0, grads_seq))
    expected = _changes(params0, _simulate(lambda: reference_optimizer("Adam", kw), params0, grads_seq))
    for step, (g_step, e_step) in enumerate(zip(got, expected), start=1):
        for key in keys:
            ok = close_mask(g_step[key], e_step[key], RTOL["Adam"], ATOL_STEP)
            if not ok.all():
                idx = tuple(np.argwhere(~ok)[0])
                mistake = _which_mistake("Adam", kw, params0, grads_seq, got, RTOL["Adam"])
                first = next(iter(keys))
                # the first key of the first call is right but a later key is not: t grew within the call
                per_key = (mistake is not None and mistake.id == "adam-step-per-key") or (
                    step == 1 and bool(np.all(close_mask(got[0][first], expected[0][first], RTOL["Adam"], ATOL_STEP))))
                if not per_key:  # not (only) the step count: the formula itself is off (see Adam.update)
                    raise Fail(_nan_note("Adam", g_step[key]) + M(
                        f"With a constant gradient every element should move by λ = {kw['lr']} per call, but update "
                        f"call {step} changed {_key_msg(key, idx)} by {fmt(g_step[key][idx])}, expected "
                        f"{fmt(e_step[key][idx])} (check the formula, §6.2).",
                        f"勾配が一定なら各要素は毎回 λ = {kw['lr']} だけ動くはずですが、{step} 回目の update で "
                        f"{_key_msg(key, idx)} の変化量が {fmt(g_step[key][idx])}、期待値は {fmt(e_step[key][idx])} "
                        "です(式を確認してください。§6.2)。"), mistake=mistake)
                raise Fail(_nan_note("Adam", g_step[key]) + M(
                    f"With several keys in params ({', '.join(keys)}) and a constant gradient, update call {step} "
                    f"changed {_key_msg(key, idx)} by {fmt(g_step[key][idx])}, expected {fmt(e_step[key][idx])} "
                    f"(with a constant gradient every element moves by λ = {kw['lr']} per call). The first key, "
                    f"{first!r}, is right at the first call, so look at the step count: t must advance once per "
                    "update call, not once per key.",
                    f"params に複数のキー({', '.join(keys)})があり勾配が一定のとき、{step} 回目の update で "
                    f"{_key_msg(key, idx)} の変化量が {fmt(g_step[key][idx])} ですが、期待値は {fmt(e_step[key][idx])} "
                    f"です(勾配が一定なら各要素は毎回 λ = {kw['lr']} だけ動きます)。最初の呼び出しで最初のキー {first!r} は"
                    "正しいので、更新回数を確認してください。t は update の呼び出しごとに 1 回だけ増やします"
                    "(キーごとではありません)。"), mistake=mistake)


# ---------------------------------------------------------------------------------------- in place

def _in_place_item(name: str):
    def check(ctx: ItemContext):
        kw = HYPER[name][0]
        keys = {"W": (3, 2), "b": (2,)}
        params0 = {k: ctx.randn(*s) for k, s in keys.items()}
        grads0 = {k: _grad(ctx, *s) for k, s in keys.items()}
        b = ctx.batch()
        opt = b.new(name, **kw)
        params = b.const({k: v.copy() for k, v in params0.items()})
        grads = b.const({k: v.copy() for k, v in grads0.items()})
        arrays = {k: b.item(params, k, want=False) for k in keys}
        grad_arrays = {k: b.item(grads, k, want=False) for k in keys}
        for _ in range(2):
            b.method(opt, "update", params, grads, want=False)
        same = {k: b.same(b.item(params, k, want=False), arrays[k]) for k in keys}
        values = {k: b.read(arrays[k]) for k in keys}
        grads_after = {k: b.read(grad_arrays[k]) for k in keys}
        b.run()
        for k in keys:
            if same[k].value is not True:
                raise Fail(M(
                    f"After update, params[{k!r}] is a different array object: your update replaces the dict's "
                    f"entries (`params[key] = params[key] - ...`) instead of changing the arrays in place. A "
                    "network's layers hold the very same arrays as its params, so they would never see the new "
                    "values and the network would not learn. Write `params[key] -= ...` (or `+=`).",
                    f"update の後、params[{k!r}] が別の配列オブジェクトになっています。辞書の要素を置き換えて"
                    "(`params[key] = params[key] - ...`)おり、配列をその場で(in-place)更新していません。ネットワーク"
                    "の層は params と同じ配列を持っているので、新しい値が層に届かず学習が進みません。"
                    "`params[key] -= ...`(または `+=`)と書きます。"), mistake=_MISTAKE["optimizer-rebinds-params"])
        for k in keys:
            after = as_array(values[k].value, M(f"params[{k!r}]", f"params[{k!r}]"))
            if after.shape == params0[k].shape and np.array_equal(after, params0[k]):
                raise Fail(M(f"After two update calls the array params[{k!r}] still holds its old values: "
                             "update must change the arrays of params in place.",
                             f"update を 2 回呼んでも配列 params[{k!r}] の値が変わっていません。params の配列を"
                             "その場で(in-place)更新してください。"))
        for k in keys:
            after = as_array(grads_after[k].value, M(f"grads[{k!r}]", f"grads[{k!r}]"))
            if after.shape != grads0[k].shape or not np.array_equal(after, grads0[k]):
                raise Fail(M(f"update modified grads[{k!r}]: it must not write into the gradient arrays it is "
                             "given (for example `grads[key] *= self.lr`, or keeping grads[key] itself as the "
                             "velocity and changing it later). Compute into new arrays instead.",
                             f"update が grads[{k!r}] を書き換えています。渡された勾配の配列に書き込んではいけません"
                             "(`grads[key] *= self.lr` や、grads[key] そのものを速度として保持して後で変更するなど)。"
                             "新しい配列に計算してください。"), mistake=_MISTAKE["optimizer-modifies-grads"])
    check.__name__ = f"{name.lower()}_in_place"
    return check


# ---------------------------------------------------------------------------------------- trajectory

def _trajectory_item(name: str):
    def check(ctx: ItemContext):
        kw = TRAJ[name]
        expected = ref.trajectory(reference_optimizer(name, kw), TRAJ_STEPS)
        b = ctx.batch()
        opt = b.new(name, **kw)
        params = b.const({"x": np.array([10.0]), "y": np.array([1.0])})
        b.run()
        pos = np.array([10.0, 1.0])
        path = [pos]
        for step in range(1, TRAJ_STEPS + 1):
            grads = {"x": np.array([2.0 * pos[0]]), "y": np.array([200.0 * pos[1]])}  # ∇f, computed here
            b = ctx.batch()
            b.method(opt, "update", params, grads, want=False)
            x = b.item(params, "x")
            y = b.item(params, "y")
            b.run()
            pos = np.array([_entry(x.value, "x", (1,))[0], _entry(y.value, "y", (1,))[0]])
            path.append(pos)
            e = expected[step]
            ok = close_mask(pos, e, TRAJ_RTOL, TRAJ_ATOL)
            if not ok.all():
                # named only when exactly one simulated mistake follows this path so far (at the first steps
                # several mistakes can coincide: naming one of them could be wrong)
                matching = set()
                with np.errstate(all="ignore"):
                    for bug in BUGS[name]:
                        wrong = ref.trajectory(_Sim(name, kw, bug), step)
                        if np.all(close_mask(np.array(path), wrong, TRAJ_RTOL * 10, TRAJ_ATOL * 10)):
                            matching.add(_mistake_of(bug))
                mistake = matching.pop() if len(matching) == 1 else None
                agree_en = f"; steps 0–{step - 1} agree" if step > 1 else "; the very first update already differs"
                agree_ja = f"。0〜{step - 1} ステップ目までは一致しています" if step > 1 else \
                    "。最初の 1 回目の更新で既に違います"
                coord = "x" if not ok[0] else "y"
                raise Fail(M(
                    f"The text's experiment (§6.1): minimising f(x, y) = x² + 100y² from (10, 1) with "
                    f"{name}({_hp(kw)}), your path departs at step {step}: (x, y) = ({fmt(pos[0])}, {fmt(pos[1])}), "
                    f"expected ({fmt(e[0])}, {fmt(e[1])}) — {coord} differs{agree_en}.",
                    f"テキストの実験(§6.1): {name}({_hp(kw)}) で f(x, y) = x² + 100y² を (10, 1) から最小化すると、"
                    f"{step} ステップ目で軌跡がずれます: (x, y) = ({fmt(pos[0])}, {fmt(pos[1])})、期待値 "
                    f"({fmt(e[0])}, {fmt(e[1])})({coord} が違います){agree_ja}。") + _nan_note(name, pos),
                    mistake=mistake)
    check.__name__ = f"{name.lower()}_trajectory"
    return check


# ---------------------------------------------------------------------------------------- items

HINTS = {
    "SGD": (M("θ ← θ − λg for every key: `params[key] -= self.lr * grads[key]`.",
              "各キーについて θ ← θ − λg: `params[key] -= self.lr * grads[key]`。"), "6"),
    "Momentum": (M("On the first call create v = zeros like each param; then v ← αv − λg; θ ← θ + v (§6.1).",
                   "最初の呼び出しで各パラメータと同じ形の v = 0 を作り、v ← αv − λg、θ ← θ + v(§6.1)。"), "6.1"),
    "Nesterov": (M("First θ ← θ + α²v − (1+α)λg, THEN v ← αv − λg (docs/exercises.md; v starts at 0).",
                   "先に θ ← θ + α²v − (1+α)λg、その後で v ← αv − λg(docs/exercises.md。v の初期値は 0)。"), "6"),
    "AdaGrad": (M("h ← h + g·g (h kept between calls, starting at 0); θ ← θ − λg/(√h + ε).",
                  "h ← h + g·g(h は呼び出しの間保持、初期値 0)、θ ← θ − λg/(√h + ε)。"), "6"),
    "RMSprop": (M("h ← ρh + (1−ρ)g·g with ρ = decay_rate; θ ← θ − λg/(√h + ε).",
                  "h ← ρh + (1−ρ)g·g(ρ = decay_rate)、θ ← θ − λg/(√h + ε)。"), "6"),
    "Adam": (M("t += 1 once per call; s ← β₁s + (1−β₁)g; r ← β₂r + (1−β₂)g·g; θ ← θ − λ s̃/(√r̃ + ε) with "
               "s̃ = s/(1−β₁ᵗ), r̃ = r/(1−β₂ᵗ) — or λ_t = λ√(1−β₂ᵗ)/(1−β₁ᵗ) from the base λ each step (§6.2).",
               "呼び出しごとに t += 1、s ← β₁s + (1−β₁)g、r ← β₂r + (1−β₂)g·g、θ ← θ − λ s̃/(√r̃ + ε)"
               "(s̃ = s/(1−β₁ᵗ)、r̃ = r/(1−β₂ᵗ))。または毎回元の λ から λ_t = λ√(1−β₂ᵗ)/(1−β₁ᵗ)(§6.2)。"), "6.2"),
}
H_IN_PLACE = M("Update the arrays in place (`params[key] -= ...`), never `params[key] = ...`; do not write into "
               "grads.",
               "配列をその場で更新します(`params[key] -= ...`)。`params[key] = ...` としてはいけません。grads には"
               "書き込みません。")
H_TRAJ = M("The text's experiment: f(x, y) = x² + 100y² from (10, 1); the grader computes ∇f = (2x, 200y) at your "
           "current position and calls update once per step.",
           "テキストの実験: f(x, y) = x² + 100y² を (10, 1) から。採点側が現在の位置で ∇f = (2x, 200y) を計算し、"
           "1 ステップごとに update を 1 回呼びます。")
H_STEP = M("Increase t once per update call, before looping over the keys of params.",
           "t は update の呼び出しごとに 1 回、params のキーのループの前で増やします。")

UPDATE_POINTS = {"SGD": 1, "Momentum": 2, "Nesterov": 2, "AdaGrad": 2, "RMSprop": 2, "Adam": 3}


def _items():
    out = []
    for name in NAMES:
        hint, section = HINTS[name]
        out.append(Item(f"{name}.update", UPDATE_POINTS[name], _update_item(name), hint, section, kind="class"))
        if name == "Adam":
            out.append(Item("Adam.step_count", 1, adam_step_count, H_STEP, section, kind="class"))
        out.append(Item(f"{name}.in_place", 0.5, _in_place_item(name), H_IN_PLACE, "6", kind="class"))
        out.append(Item(f"{name}.trajectory", 0.5 if name == "SGD" else 1, _trajectory_item(name),
                        hint + H_TRAJ, section, kind="class"))
    return tuple(out)


EXERCISE = Exercise(
    id="optimizers",
    title=M("Optimizers", "最適化法"),
    section="6",
    notebooks=("2-5-1_最適化法.ipynb",),
    items=_items(),
    mistakes=MISTAKES,
)
