import numpy as np
import pytest

from reference.gradient_check import numerical_gradient, numerical_vjp


def test_numerical_gradient_of_known_function_restores_x():
    x = np.array([[1.0, -2.0, 0.5], [3.0, 0.0, -1.0]])
    before = x.copy()
    grad = numerical_gradient(lambda: np.sum(x**3), x)
    np.testing.assert_allclose(grad, 3 * before**2, rtol=1e-8, atol=1e-9)
    np.testing.assert_array_equal(x, before)


def test_numerical_vjp_matches_jacobian_transpose():
    rng = np.random.default_rng(0)
    A = rng.standard_normal((4, 3))
    x = rng.standard_normal((2, 4))
    dout = rng.standard_normal((2, 3))
    vjp = numerical_vjp(lambda: np.sin(x) @ A, x, dout)
    np.testing.assert_allclose(vjp, np.cos(x) * (dout @ A.T), rtol=1e-7, atol=1e-9)


def test_integer_input_is_rejected():
    with pytest.raises(TypeError):
        numerical_gradient(lambda: 0.0, np.array([1, 2]))
