import numpy as np
import pytest

from reference.gradient_check import numerical_gradient, numerical_vjp
from reference.layers import (
    Affine,
    BatchNormalization,
    Dropout,
    IdentityWithLoss,
    Relu,
    Sigmoid,
    SigmoidWithLoss,
    SoftmaxWithLoss,
)

RTOL, ATOL = 1e-5, 1e-8


def assert_grad_close(actual, expected):
    assert actual.shape == expected.shape
    np.testing.assert_allclose(actual, expected, rtol=RTOL, atol=ATOL)


def away_from_zero(rng, shape):
    """Values with |x| ≥ 0.1 so a finite difference never straddles the ReLU kink."""
    x = rng.uniform(0.1, 2.0, size=shape)
    return x * rng.choice([-1.0, 1.0], size=shape)


@pytest.mark.parametrize("x_shape", [(5, 3), (3,), (2, 3, 1)])
def test_affine_backward(x_shape):
    rng = np.random.default_rng(1)
    x = rng.standard_normal(x_shape)
    W = rng.standard_normal((3, 4))
    b = rng.standard_normal(4)
    layer = Affine(W, b)
    out = layer.forward(x)
    dout = rng.standard_normal(out.shape)
    copies = [a.copy() for a in (x, W, b, dout)]
    dx = layer.backward(dout)
    for original, copy in zip((x, W, b, dout), copies):
        np.testing.assert_array_equal(original, copy)

    def f():
        return Affine(W, b).forward(x)

    assert_grad_close(dx, numerical_vjp(f, x, dout))
    assert_grad_close(layer.dW, numerical_vjp(f, W, dout))
    assert_grad_close(layer.db, numerical_vjp(f, b, dout))


def test_affine_holds_parameter_arrays_by_reference():
    W, b = np.ones((2, 2)), np.zeros(2)
    layer = Affine(W, b)
    W *= 2
    np.testing.assert_array_equal(layer.forward(np.array([[1.0, 1.0]])), [[4.0, 4.0]])


@pytest.mark.parametrize("layer_class", [Sigmoid, Relu])
def test_activation_backward(layer_class):
    rng = np.random.default_rng(2)
    x = away_from_zero(rng, (4, 5))
    dout = rng.standard_normal((4, 5))
    copies = x.copy(), dout.copy()
    layer = layer_class()
    layer.forward(x)
    dx = layer.backward(dout)
    np.testing.assert_array_equal(x, copies[0])
    np.testing.assert_array_equal(dout, copies[1])
    assert_grad_close(dx, numerical_vjp(lambda: layer_class().forward(x), x, dout))


def test_relu_backward_is_zero_at_zero():
    layer = Relu()
    layer.forward(np.array([[-1.0, 0.0, 2.0]]))
    np.testing.assert_array_equal(layer.backward(np.ones((1, 3))), [[0.0, 0.0, 1.0]])


def test_batchnorm_training_backward():
    rng = np.random.default_rng(3)
    x = 3.0 * rng.standard_normal((6, 4)) + 1.0
    gamma = rng.uniform(0.5, 2.0, 4)
    beta = rng.standard_normal(4)
    dout = rng.standard_normal((6, 4))
    copies = [a.copy() for a in (x, gamma, beta, dout)]
    layer = BatchNormalization(gamma, beta)
    layer.forward(x, train_flg=True)
    dx = layer.backward(dout)
    for original, copy in zip((x, gamma, beta, dout), copies):
        np.testing.assert_array_equal(original, copy)

    def f():
        return BatchNormalization(gamma, beta).forward(x, train_flg=True)

    assert_grad_close(dx, numerical_vjp(f, x, dout))
    assert_grad_close(layer.dgamma, numerical_vjp(f, gamma, dout))
    assert_grad_close(layer.dbeta, numerical_vjp(f, beta, dout))


def test_batchnorm_forward_normalises_with_biased_variance():
    rng = np.random.default_rng(4)
    x = 2.0 * rng.standard_normal((8, 3)) + 5.0
    layer = BatchNormalization(np.ones(3), np.zeros(3), eps=1e-7)
    y = layer.forward(x)
    np.testing.assert_allclose(y.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(y.var(axis=0), 1.0, rtol=1e-6)
    np.testing.assert_allclose(layer.running_mean, 0.1 * x.mean(axis=0))
    np.testing.assert_allclose(layer.running_var, 0.1 * x.var(axis=0))


def test_batchnorm_running_stats_and_test_mode():
    rng = np.random.default_rng(5)
    gamma, beta = rng.uniform(0.5, 2.0, 3), rng.standard_normal(3)
    running_mean, running_var = rng.standard_normal(3), rng.uniform(0.5, 2.0, 3)
    saved = running_mean.copy(), running_var.copy()
    layer = BatchNormalization(gamma, beta, momentum=0.8, running_mean=running_mean, running_var=running_var)
    x = rng.standard_normal((5, 3))
    layer.forward(x, train_flg=True)
    np.testing.assert_array_equal(running_mean, saved[0])
    np.testing.assert_array_equal(running_var, saved[1])
    np.testing.assert_allclose(layer.running_mean, 0.8 * saved[0] + 0.2 * x.mean(axis=0))
    np.testing.assert_allclose(layer.running_var, 0.8 * saved[1] + 0.2 * x.var(axis=0))

    one = rng.standard_normal((1, 3))
    y = layer.forward(one, train_flg=False)
    expected = gamma * (one - layer.running_mean) / np.sqrt(layer.running_var + 1e-7) + beta
    np.testing.assert_allclose(y, expected)

    dout = rng.standard_normal((1, 3))
    dx = layer.backward(dout)
    frozen = dict(running_mean=layer.running_mean.copy(), running_var=layer.running_var.copy())

    def f():
        return BatchNormalization(gamma, beta, **frozen).forward(one, train_flg=False)

    assert_grad_close(dx, numerical_vjp(f, one, dout))


def test_dropout_backward_with_fixed_mask():
    rng = np.random.default_rng(6)
    x = rng.standard_normal((5, 4))
    dout = rng.standard_normal((5, 4))
    copies = x.copy(), dout.copy()
    layer = Dropout(0.3, rng=np.random.default_rng(42))
    y = layer.forward(x)
    dx = layer.backward(dout)
    np.testing.assert_array_equal(x, copies[0])
    np.testing.assert_array_equal(dout, copies[1])
    np.testing.assert_array_equal(y, x * layer.mask)

    def f():
        # A fresh generator with the same seed draws the same mask.
        return Dropout(0.3, rng=np.random.default_rng(42)).forward(x)

    assert_grad_close(dx, numerical_vjp(f, x, dout))


def test_dropout_mask_statistics_and_test_mode():
    layer = Dropout(0.3, rng=np.random.default_rng(7))
    x = np.ones((1000, 1000))
    first = layer.forward(x)
    assert abs(first.mean() - 0.7) < 0.005  # std of the mean ≈ 4.6e-4
    assert not np.array_equal(first, layer.forward(x))
    np.testing.assert_allclose(layer.forward(x[:2], train_flg=False), 0.7 * x[:2])
    np.testing.assert_allclose(layer.backward(np.ones((2, 1000))), 0.7)


def loss_gradient_check(layer_class, x, t):
    layer = layer_class()
    copies = x.copy(), t.copy()
    loss = layer.forward(x, t)
    assert np.ndim(loss) == 0 and np.isfinite(loss)
    dx = layer.backward()
    np.testing.assert_allclose(layer.backward(2.5), 2.5 * dx)
    np.testing.assert_array_equal(x, copies[0])
    np.testing.assert_array_equal(t, copies[1])
    assert_grad_close(dx, numerical_gradient(lambda: layer_class().forward(x, t), x))
    return loss, dx


def test_identity_with_loss():
    rng = np.random.default_rng(8)
    y, t = rng.standard_normal((5, 2)), rng.standard_normal((5, 2))
    loss, dy = loss_gradient_check(IdentityWithLoss, y, t)
    assert loss == pytest.approx(np.sum((y - t) ** 2) / 10)
    np.testing.assert_allclose(dy, (y - t) / 5)


@pytest.mark.parametrize("x_shape,t_shape", [((6, 1), (6, 1)), ((6,), (6,)), ((6, 1), (6,))])
def test_sigmoid_with_loss(x_shape, t_shape):
    rng = np.random.default_rng(9)
    x = rng.uniform(-3, 3, x_shape)
    t = rng.integers(0, 2, t_shape).astype(float)
    loss, dx = loss_gradient_check(SigmoidWithLoss, x, t)
    y, tt = 1 / (1 + np.exp(-x.ravel())), t.ravel()
    assert loss == pytest.approx(-np.sum(tt * np.log(y) + (1 - tt) * np.log(1 - y)) / 6, rel=1e-5)
    assert dx.shape == x_shape


def test_softmax_with_loss_one_hot_and_labels():
    rng = np.random.default_rng(10)
    x = rng.standard_normal((4, 3))
    labels = np.array([0, 2, 1, 2])
    t = np.eye(3)[labels]
    loss, dx = loss_gradient_check(SoftmaxWithLoss, x, t)
    layer = SoftmaxWithLoss()
    assert layer.forward(x, labels) == pytest.approx(loss)
    np.testing.assert_allclose(layer.backward(), dx)


def test_softmax_with_loss_large_scores():
    x = np.array([[1000.0, 999.0, 998.0]])
    t = np.array([[0.0, 0.0, 1.0]])
    layer = SoftmaxWithLoss()
    with np.errstate(over="raise", invalid="raise"):
        loss = layer.forward(x, t)
        dx = layer.backward()
    y = np.exp([0.0, -1.0, -2.0]) / np.exp([0.0, -1.0, -2.0]).sum()
    assert loss == pytest.approx(-np.log(y[2]), rel=1e-6)
    np.testing.assert_allclose(dx, [y - t[0]])
