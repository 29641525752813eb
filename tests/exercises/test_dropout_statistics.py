"""The drop-fraction check of the dropout exercise: a rigorous bound, and a margin for the mistakes."""

from __future__ import annotations

import math

import numpy as np

from exercises.dropout import FALSE_FAIL, fraction_bound


def test_bound_is_hoeffding():
    for n in (1_000, 60_000, 150_000):
        t = fraction_bound(n)
        assert math.isclose(2 * math.exp(-2 * n * t * t), FALSE_FAIL, rel_tol=1e-9)


def test_correct_masks_stay_within_the_bound():
    # 10^6 simulated masks of the smallest size the check uses (150 × 400), p across its range
    rng = np.random.default_rng(12345)
    n = 150 * 400
    p = rng.uniform(0.15, 0.4, 1_000_000)
    dropped = rng.binomial(n, p) / n
    assert np.max(np.abs(dropped - p) / fraction_bound(n)) < 0.8  # far inside: the bound is loose


def test_keep_probability_mistake_is_always_outside():
    # p is drawn in [0.15, 0.4]: a layer dropping with probability 1 − p is ≥ 0.2 away from p,
    # more than the bound plus its own sampling spread, even for the smallest arrays
    n = 150 * 400
    assert 1 - 2 * 0.4 > 2 * fraction_bound(n)
