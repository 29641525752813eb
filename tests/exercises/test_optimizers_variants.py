"""Every valid variant of EXERCISES.md §8 gets full marks on the optimizer items it concerns.

Variants: ε ∈ {0, 1e-8, 1e-7, 10e-7 (the book's), 1e-5 (PyTorch's)}, inside or outside the square
root, Adam in the original or the implementation form (λ_t).  Each generated submission is graded
by the real grader (worker and all), with a different seed each time.
"""

from __future__ import annotations

import itertools
import textwrap

import pytest

from exercises import get
from grader.engine import grade_source
from grader.options import GradeOptions
from grader.spec import Exercise

TEMPLATE = '''
import numpy as np
EPS = {eps!r}

def _den(r):
    return {den}

class AdaGrad:
    def __init__(self, lr=0.01):
        self.lr = lr
        self.h = None
    def update(self, params, grads):
        if self.h is None:
            self.h = {{k: np.zeros_like(v) for k, v in params.items()}}
        for k in params:
            self.h[k] += grads[k] * grads[k]
            params[k] -= self.lr * grads[k] / _den(self.h[k])

class RMSprop:
    def __init__(self, lr=0.01, decay_rate=0.99):
        self.lr = lr
        self.decay_rate = decay_rate
        self.h = None
    def update(self, params, grads):
        if self.h is None:
            self.h = {{k: np.zeros_like(v) for k, v in params.items()}}
        for k in params:
            self.h[k] = self.decay_rate * self.h[k] + (1 - self.decay_rate) * grads[k] ** 2
            params[k] -= self.lr * grads[k] / _den(self.h[k])

class Adam:
    def __init__(self, lr=0.001, beta1=0.9, beta2=0.999):
        self.lr, self.beta1, self.beta2 = lr, beta1, beta2
        self.t = 0
        self.s = self.r = None
    def update(self, params, grads):
        if self.s is None:
            self.s = {{k: np.zeros_like(v) for k, v in params.items()}}
            self.r = {{k: np.zeros_like(v) for k, v in params.items()}}
        self.t += 1
        b1, b2 = self.beta1, self.beta2
        for k in params:
            self.s[k] = b1 * self.s[k] + (1 - b1) * grads[k]
            self.r[k] = b2 * self.r[k] + (1 - b2) * grads[k] * grads[k]
            if {original!r}:
                params[k] -= self.lr * (self.s[k] / (1 - b1 ** self.t)) / _den(self.r[k] / (1 - b2 ** self.t))
            else:
                lr_t = self.lr * np.sqrt(1 - b2 ** self.t) / (1 - b1 ** self.t)
                params[k] -= lr_t * self.s[k] / _den(self.r[k])
'''

# ε = 0 is not valid: a gradient that is exactly 0 divides 0 by 0 (EXERCISES.md: steps see gradients of every
# size, zero included) — see test_no_epsilon_loses_only_the_update_items
EPSILONS = [1e-8, 1e-7, 10e-7, 1e-5]
CASES = [pytest.param(eps, inside, original, id=f"eps={eps:g}-{'inside' if inside else 'outside'}-"
                      f"{'original' if original else 'implementation'}")
         for eps, inside, original in itertools.product(EPSILONS, (False, True), (True, False))]


def _subset() -> Exercise:
    ex = get("optimizers")
    items = tuple(i for i in ex.items if i.name in ("AdaGrad", "RMSprop", "Adam"))
    return Exercise(id=ex.id, title=ex.title, section=ex.section, notebooks=ex.notebooks, items=items,
                    mistakes=ex.mistakes)


@pytest.mark.parametrize("eps,inside,original", CASES)
def test_valid_epsilon_variants_get_full_marks(eps, inside, original):
    den = "np.sqrt(r + EPS)" if inside else "np.sqrt(r) + EPS"
    source = textwrap.dedent(TEMPLATE.format(eps=eps, den=den, original=original))
    report = grade_source(_subset(), source.encode(), "variant.py", GradeOptions(statement_budget=0.5))
    lost = {i.id: i.feedback.en for i in report.items if i.score < i.max_score}
    assert not lost, lost


@pytest.mark.parametrize("inside", (False, True))
def test_no_epsilon_loses_only_the_update_items(inside):
    """ε = 0: the update items (gradients of every size, exact zeros included) find 0/0 = nan and name the
    missing ε; in_place, step_count and the trajectories (no zero gradient) still pass."""
    den = "np.sqrt(r + EPS)" if inside else "np.sqrt(r) + EPS"
    source = textwrap.dedent(TEMPLATE.format(eps=0.0, den=den, original=True))
    report = grade_source(_subset(), source.encode(), "variant.py", GradeOptions(statement_budget=0.5))
    lost = {i.id: i for i in report.items if i.score < i.max_score}
    assert set(lost) == {"AdaGrad.update", "RMSprop.update", "Adam.update"}, {k: v.feedback.en for k, v in lost.items()}
    assert all(i.mistake is not None and i.mistake.id == "optimizer-eps-missing" for i in lost.values())
