import numpy as np
import pytest

from reference.regularization import l1_penalty, l1_penalty_grad, l2_penalty, l2_penalty_grad

WEIGHTS = [np.array([[1.0, -2.0], [0.0, 3.0]]), np.array([-1.0, 0.5])]


def test_l2():
    assert l2_penalty(WEIGHTS, 0.1) == pytest.approx(0.1 * (1 + 4 + 9 + 1 + 0.25))
    np.testing.assert_allclose(l2_penalty_grad(WEIGHTS[0], 0.1), 0.2 * WEIGHTS[0])


def test_l1():
    assert l1_penalty(WEIGHTS, 0.1) == pytest.approx(0.1 * (1 + 2 + 3 + 1 + 0.5))
    np.testing.assert_allclose(l1_penalty_grad(WEIGHTS[0], 0.1), [[0.1, -0.1], [0.0, 0.1]])
