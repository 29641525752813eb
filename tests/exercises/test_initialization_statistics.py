"""The statistical tests of `initialization` (and `multilayer-net`'s init items) in-process.

Correct draws never fail (the bounds are set at 1e-11 per test); the mistakes they are meant to
catch always do, at the sample sizes the checks use.  The end-to-end count of false failures over
many real gradings is `bench/flaky_statistical.py`.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from exercises.initialization import (BIG, P_TEST, check_mean_var, chi2_interval, ks_threshold,
                                      normality_distance, z_two_sided)
from grader.compare import Fail
from grader.messages import Msg

WHAT = Msg(en="W", ja="W")
FORMULA = Msg(en="σ", ja="σ")


def test_bounds_are_conservative():
    assert math.erfc(z_two_sided() / math.sqrt(2)) == pytest.approx(P_TEST, rel=1e-6)
    for n in (2_000, 9_000, 120_000):
        lo, hi = chi2_interval(n)
        # Chernoff is looser than the normal approximation of χ²_n/n (sd √(2/n)) at 6.8 sd
        assert hi - 1 > 6.8 * math.sqrt(2 / n) and 1 - lo > 6.8 * math.sqrt(2 / n) * 0.9
    assert 0.015 < ks_threshold(60_000, 60_000) < 0.025


@pytest.mark.parametrize("shape", BIG)
def test_correct_draws_pass(shape):
    rng = np.random.default_rng(12345)
    for sigma in (0.01, 0.3, 2.0):
        for _ in range(30):
            x = rng.standard_normal(shape) * sigma
            check_mean_var(x, sigma, WHAT, FORMULA)
            d, thr = normality_distance(x)
            assert d <= thr / 1.5, (d, thr)  # far from the bound in practice


def test_mistakes_fail_every_time():
    rng = np.random.default_rng(7)
    n_in, n_out = BIG[0]
    sigma = math.sqrt(2 / (n_in + n_out))
    for _ in range(20):
        # Glorot with 1/n_in: variance off by (n_in + n_out)/(2 n_in) = 0.875
        with pytest.raises(Fail):
            check_mean_var(rng.standard_normal((n_in, n_out)) * math.sqrt(1 / n_in), sigma, WHAT, FORMULA)
        # uniform with the right variance: fine for mean/variance, not normal
        u = rng.uniform(-math.sqrt(3) * sigma, math.sqrt(3) * sigma, (n_in, n_out))
        check_mean_var(u, sigma, WHAT, FORMULA)
        d, thr = normality_distance(u)
        assert d > 1.5 * thr
        # a uniform on [0, σ) has a mean
        with pytest.raises(Fail):
            check_mean_var(rng.random((n_in, n_out)) * sigma, sigma, WHAT, FORMULA)
