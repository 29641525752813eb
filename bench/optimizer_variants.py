"""How much room do the optimizer tolerances leave?  (exercises/optimizers.py)

In-process (no worker): for many random inputs drawn exactly as the checks draw them, run every
valid variant of EXERCISES.md (ε ∈ {0, 1e-8, 1e-7, 1e-6, 1e-5}, inside/outside the root, Adam's two
forms) and every simulated mistake, and report

  * valid variants: the worst |Δ_variant − Δ_ref| / (atol + rtol·|Δ_ref|) — must stay < 1 (the
    smaller, the more margin); for the trajectories the same with the position tolerance;
  * mistakes: the smallest worst-element ratio — must stay > 1 (the larger, the clearer).

Run: .venv/bin/python bench/optimizer_variants.py [n_seeds]
"""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from exercises import optimizers as ex  # noqa: E402
from reference import optimizers as ref  # noqa: E402


class Variant:
    def __init__(self, name, kw, eps, inside, original):
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


def variants(name, kw):
    if name not in ("AdaGrad", "RMSprop", "Adam"):
        return [("exact", lambda: ref.__dict__[name](**kw))]
    forms = (True, False) if name == "Adam" else (True,)
    return [(f"eps={e:g},{'in' if i else 'out'},{'orig' if o else 'impl'}",
             (lambda e=e, i=i, o=o: Variant(name, kw, e, i, o)))
            for e, i, o in itertools.product((0.0, 1e-8, 1e-7, 1e-6, 1e-5), (False, True), forms)]


def worst_ratio(a, b, rtol, atol):
    return max(float(np.max(np.abs(x[k] - y[k]) / (atol + rtol * np.abs(y[k])))) for x, y in zip(a, b) for k in x)


def main(n_seeds: int) -> None:
    print(f"update checks ({n_seeds} random input sets per hyperparameter set)")
    for name in ex.NAMES:
        keys = {"W": (3, 4)} if name == "Adam" else {"W": (3, 4), "b": (4,)}
        rtol = ex.RTOL[name]
        valid_worst, bug_best = 0.0, {b: np.inf for b in ex.BUGS[name]}
        for seed in range(n_seeds):
            rng = np.random.default_rng(seed)
            for kw in ex.HYPER[name]:
                p0 = {k: rng.standard_normal(s) for k, s in keys.items()}
                gs = [{k: rng.uniform(3, 6, s) * rng.choice([-1.0, 1.0], s) for k, s in keys.items()}
                      for _ in range(ex.STEPS)]
                expected = ex._changes(p0, ex._simulate(lambda: ex.reference_optimizer(name, kw), p0, gs))
                for _, make in variants(name, kw):
                    got = ex._changes(p0, ex._simulate(make, p0, gs))
                    valid_worst = max(valid_worst, worst_ratio(got, expected, rtol, ex.ATOL_STEP))
                for bug in ex.BUGS[name]:
                    got = ex._changes(p0, ex._simulate(lambda: ex._Sim(name, kw, bug), p0, gs))
                    bug_best[bug] = min(bug_best[bug], worst_ratio(got, expected, rtol, ex.ATOL_STEP))
        bugs = ", ".join(f"{b} ≥ {v:.3g}" for b, v in bug_best.items()) or "-"
        print(f"  {name:9s} rtol {rtol:g}: valid variants ≤ {valid_worst:.3g} of the tolerance; mistakes: {bugs}")
    print(f"trajectories ({ex.TRAJ_STEPS} steps, |Δ| ≤ {ex.TRAJ_ATOL:g} + {ex.TRAJ_RTOL:g}·|p|)")
    for name in ex.NAMES:
        kw = ex.TRAJ[name]
        expected = ref.trajectory(ex.reference_optimizer(name, kw), ex.TRAJ_STEPS)
        worst, max_abs = 0.0, 0.0
        for _, make in variants(name, kw):
            path = ref.trajectory(make(), ex.TRAJ_STEPS)
            max_abs = max(max_abs, float(np.max(np.abs(path - expected))))
            tol = ex.TRAJ_ATOL + ex.TRAJ_RTOL * np.abs(expected)
            worst = max(worst, float(np.max(np.abs(path - expected) / tol)))
        bugs = []
        for bug in ex.BUGS[name]:
            path = ref.trajectory(ex._Sim(name, kw, bug), ex.TRAJ_STEPS)
            r = np.abs(path - expected) / (ex.TRAJ_ATOL + ex.TRAJ_RTOL * np.abs(expected))
            first = int(np.argmax(np.max(r, axis=1) > 1)) if np.any(r > 1) else None
            bugs.append(f"{bug} departs at step {first} (max {np.max(r):.3g}×)")
        print(f"  {name:9s}: valid variants max |Δ| {max_abs:.2e} = {worst:.3g} of the tolerance; "
              + ("; ".join(bugs) or "-"))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)
