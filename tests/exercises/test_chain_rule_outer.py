"""The chain-rule grader's own arithmetic: for every outer function family and many random
coefficients, the closed forms it compares with are the central-difference derivatives of the
composites (the grader raises AssertionError otherwise), and a correct answer passes."""

from __future__ import annotations

import numpy as np
import pytest

from exercises import chain_rule as C


class FakeCtx:
    """Just the parts of ItemContext the check functions use, with the reference as the student."""

    def __init__(self, seed):
        self.rng = np.random.default_rng(seed)

    def randn(self, *shape, scale=1.0, away=0.0):
        return self.rng.standard_normal(shape) * scale

    def call(self, name, *args):
        return getattr(C.ref, name)(*args)


@pytest.mark.parametrize("check", [C.q1_check, C.q2_check, C.q3_check, C.q4_check, C.q5_check, C.q6_check])
def test_reference_answers_pass_and_agree_with_central_differences(check):
    for seed in range(60):
        check(FakeCtx(seed))


def test_sign_formatting():
    assert C._lin([(1.0, "sin(2u)"), (-0.5, "u²")]) == "sin(2u) − 0.5·u²"
    assert C._lin([(-1.0, "u³"), (2.0, "v")]) == "−u³ + 2·v"
