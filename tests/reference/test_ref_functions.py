import numpy as np
import pytest

from reference.functions import (
    binary_cross_entropy,
    cross_entropy_error,
    identity,
    leaky_relu,
    mean_squared_error,
    relu,
    sigmoid,
    softmax,
    tanh,
)


def test_sigmoid_matches_definition():
    x = np.linspace(-20, 20, 81).reshape(9, 9)
    np.testing.assert_allclose(sigmoid(x), 1 / (1 + np.exp(-x)), rtol=1e-12)


def test_sigmoid_is_finite_and_quiet_at_extremes():
    x = np.array([-1000.0, -745.0, -1.0, 0.0, 1.0, 745.0, 1000.0])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        y = sigmoid(x)
    assert np.all(np.isfinite(y))
    np.testing.assert_allclose(y[[0, -1]], [0.0, 1.0], atol=1e-300)
    assert y[3] == 0.5


def test_elementwise_activations():
    x = np.array([[-2.0, -0.5, 0.0], [0.5, 2.0, 3.0]])
    np.testing.assert_array_equal(relu(x), [[0, 0, 0], [0.5, 2, 3]])
    np.testing.assert_allclose(tanh(x), np.tanh(x))
    np.testing.assert_allclose(leaky_relu(x), [[-0.2, -0.05, 0.0], [0.5, 2.0, 3.0]])
    np.testing.assert_array_equal(identity(x), x)


def test_mean_squared_error_divides_by_2n():
    y = np.array([[1.0, 2.0], [3.0, 4.0], [0.0, 0.0]])
    t = np.array([[0.0, 2.0], [1.0, 4.0], [0.0, 1.0]])
    assert mean_squared_error(y, t) == pytest.approx((1 + 4 + 1) / 6)
    # (N, 1) against (N,) must not broadcast to (N, N).
    assert mean_squared_error(np.array([[1.0], [3.0]]), np.array([0.0, 0.0])) == pytest.approx(10 / 4)


def test_binary_cross_entropy_value_and_edges():
    y = np.array([0.2, 0.9])
    t = np.array([0.0, 1.0])
    assert binary_cross_entropy(y, t) == pytest.approx(-(np.log(0.8) + np.log(0.9)) / 2, rel=1e-6)
    for y_edge, t_edge in [([0.0, 1.0], [0.0, 1.0]), ([0.0, 1.0], [1.0, 0.0])]:
        with np.errstate(divide="raise", invalid="raise"):
            assert np.isfinite(binary_cross_entropy(np.array(y_edge), np.array(t_edge)))


def test_softmax_rows_and_overflow():
    np.testing.assert_array_equal(softmax(np.array([1000.0, 1000.0])), [0.5, 0.5])
    x = np.array([[1.0, 2.0, 3.0], [1000.0, 999.0, 998.0], [-5.0, 0.0, 5.0]])
    with np.errstate(over="raise", invalid="raise"):
        y = softmax(x)
    np.testing.assert_allclose(y.sum(axis=1), 1.0)
    np.testing.assert_allclose(y[0], np.exp(x[0]) / np.exp(x[0]).sum())
    np.testing.assert_allclose(y[1], y[0][::-1])


def test_cross_entropy_error_one_hot_labels_and_single_sample():
    y = np.array([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6]])
    t = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    expected = -(np.log(0.7) + np.log(0.6)) / 2
    assert cross_entropy_error(y, t) == pytest.approx(expected, rel=1e-6)
    assert cross_entropy_error(y, np.array([0, 2])) == pytest.approx(expected, rel=1e-6)
    assert cross_entropy_error(y[1], t[1]) == pytest.approx(-np.log(0.6), rel=1e-6)
    assert cross_entropy_error(y[1], 2) == pytest.approx(-np.log(0.6), rel=1e-6)


def test_cross_entropy_error_is_finite_at_exact_zero():
    y = np.array([[1.0, 0.0], [0.0, 1.0]])
    with np.errstate(divide="raise", invalid="raise"):
        assert cross_entropy_error(y, np.array([[1.0, 0.0], [0.0, 1.0]])) == pytest.approx(0.0, abs=1e-6)
        assert np.isfinite(cross_entropy_error(y, np.array([[0.0, 1.0], [0.0, 1.0]])))
