"""Each answer against numerical differentiation of the composite with a random smooth outer z."""

import numpy as np
import pytest

from reference.chain_rule import q1, q2, q3, q4, q5, q6
from reference.gradient_check import numerical_gradient

SEEDS = [0, 1, 2]


def outer(rng):
    """A random smooth z(u, v) = sin(a u + b v) + c u v + d u² and its partial derivatives."""
    a, b, c, d = rng.uniform(-2, 2, 4)

    def z(u, v):
        return np.sin(a * u + b * v) + c * u * v + d * u * u

    def z_u(u, v):
        return a * np.cos(a * u + b * v) + c * v + 2 * d * u

    def z_v(u, v):
        return b * np.cos(a * u + b * v) + c * u

    return z, z_u, z_v


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def elementwise_derivative(f, x):
    """d f(x)_i / d x_i for an element-wise f."""
    return numerical_gradient(lambda: np.sum(f(x)), x)


def assert_close(actual, expected):
    np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize("seed", SEEDS)
def test_q1(seed):
    rng = np.random.default_rng(seed)
    z, z_u, _ = outer(rng)
    x = rng.uniform(-3, 3, 6)
    expected = elementwise_derivative(lambda x: z(sigmoid(x), 0.0), x)
    assert_close(q1(x, z_u(sigmoid(x), 0.0)), expected)


@pytest.mark.parametrize("seed", SEEDS)
def test_q2(seed):
    rng = np.random.default_rng(seed)
    x, t = rng.uniform(-3, 3, 6), rng.uniform(0, 1, 6)
    expected = elementwise_derivative(lambda x: -t * np.log(sigmoid(x)) - (1 - t) * np.log(1 - sigmoid(x)), x)
    assert_close(q2(x, t), expected)


@pytest.mark.parametrize("seed", SEEDS)
def test_q3(seed):
    rng = np.random.default_rng(seed)
    z, z_u, z_v = outer(rng)
    x = rng.uniform(-1.5, 1.5, 6)
    u, v = 1 + np.exp(x), 1 + np.exp(-x)
    expected = elementwise_derivative(lambda x: z(1 + np.exp(x), 1 + np.exp(-x)), x)
    assert_close(q3(x, z_u(u, v), z_v(u, v)), expected)


def softmax2(x, y):
    return np.exp(x) / (np.exp(x) + np.exp(y)), np.exp(y) / (np.exp(x) + np.exp(y))


@pytest.mark.parametrize("seed", SEEDS)
def test_q4(seed):
    rng = np.random.default_rng(seed)
    z, z_u, z_v = outer(rng)
    x, y = rng.uniform(-3, 3, 6), rng.uniform(-3, 3, 6)
    u, v = softmax2(x, y)
    dz_dx, dz_dy = q4(x, y, z_u(u, v), z_v(u, v))
    assert_close(dz_dx, numerical_gradient(lambda: np.sum(z(*softmax2(x, y))), x))
    assert_close(dz_dy, numerical_gradient(lambda: np.sum(z(*softmax2(x, y))), y))


@pytest.mark.parametrize("seed", SEEDS)
def test_q5(seed):
    rng = np.random.default_rng(seed)
    x, y = rng.uniform(-3, 3, 6), rng.uniform(-3, 3, 6)
    s = rng.uniform(0, 1, 6)
    t = 1 - s

    def z():
        u, v = softmax2(x, y)
        return np.sum(-s * np.log(u) - t * np.log(v))

    dz_dx, dz_dy = q5(x, y, s, t)
    assert_close(dz_dx, numerical_gradient(z, x))
    assert_close(dz_dy, numerical_gradient(z, y))


@pytest.mark.parametrize("seed", SEEDS)
def test_q6(seed):
    rng = np.random.default_rng(seed)
    z, z_u, z_v = outer(rng)
    W, b, x = rng.standard_normal((2, 2)), rng.standard_normal(2), rng.standard_normal(2)
    y0, y1 = x @ W + b
    answer = q6(W, np.array([z_u(y0, y1), z_v(y0, y1)]))
    assert answer.shape == (2,)
    assert_close(answer, numerical_gradient(lambda: z(*(x @ W + b)), x))


def test_q4_q5_stay_finite_for_large_scores():
    x, y = np.array([1000.0, -1000.0]), np.array([999.0, 0.0])
    with np.errstate(over="raise", invalid="raise"):
        dz_dx, dz_dy = q4(x, y, np.ones(2), np.zeros(2))
        u_minus_s, v_minus_t = q5(x, y, np.ones(2), np.zeros(2))
    assert np.all(np.isfinite(dz_dx)) and np.all(np.isfinite(dz_dy))
    assert np.all(np.isfinite(u_minus_s)) and np.all(np.isfinite(v_minus_t))
