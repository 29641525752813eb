import numpy as np
import pytest

from reference.gradient_check import numerical_gradient
from reference.multilayer_net import MultiLayerNet, MultiLayerNetExtend
from reference.optimizers import SGD
from reference.two_layer_net import TwoLayerNet, two_layer_forward_loss


def assert_gradient_matches_loss(net, loss, x, t):
    grads = net.gradient(x, t)
    assert grads.keys() == net.params.keys()
    for key, param in net.params.items():
        numeric = numerical_gradient(loss, param)
        assert grads[key].shape == param.shape, key
        np.testing.assert_allclose(grads[key], numeric, rtol=1e-5, atol=1e-8, err_msg=key)


def task_data(task, rng, n=8, d=4, k=3):
    x = rng.standard_normal((n, d))
    if task == "regression":
        return x, rng.standard_normal((n, 2)), 2
    if task == "binary":
        return x, rng.integers(0, 2, (n, 1)).astype(float), 1
    return x, np.eye(k)[rng.integers(0, k, n)], k


@pytest.mark.parametrize("task", ["regression", "binary", "multiclass"])
def test_two_layer_net_gradient(task):
    rng = np.random.default_rng(0)
    x, t, out = task_data(task, rng)
    net = TwoLayerNet(4, 5, out, task=task, weight_init_std=0.8, rng=rng)
    assert_gradient_matches_loss(net, lambda: net.loss(x, t), x, t)
    assert net.loss(x, t) == pytest.approx(two_layer_forward_loss(net.params, x, t, task))


def test_two_layer_net_predict_outputs():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((6, 4))
    probs = TwoLayerNet(4, 5, 3, task="multiclass", weight_init_std=1.0, rng=rng).predict(x)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0)
    p = TwoLayerNet(4, 5, 1, task="binary", weight_init_std=1.0, rng=rng).predict(x)
    assert p.shape == (6, 1) and np.all((p > 0) & (p < 1))
    net = TwoLayerNet(4, 5, 2, task="regression", weight_init_std=1.0, rng=rng)
    relu_hidden = np.maximum(0, x @ net.params["W1"] + net.params["b1"])
    np.testing.assert_allclose(net.predict(x), relu_hidden @ net.params["W2"] + net.params["b2"])


def test_two_layer_net_layers_share_params():
    rng = np.random.default_rng(2)
    net = TwoLayerNet(3, 4, 2, task="regression", rng=rng)
    x = rng.standard_normal((5, 3))
    for key in net.params:
        net.params[key][...] = rng.standard_normal(net.params[key].shape)
    assert net.layers["Affine1"].W is net.params["W1"]
    assert net.layers["Affine2"].b is net.params["b2"]
    t = np.zeros((5, 2))
    assert net.loss(x, t) == pytest.approx(two_layer_forward_loss(net.params, x, t, "regression"))


@pytest.mark.parametrize("task", ["regression", "binary", "multiclass"])
def test_two_layer_net_sgd_reduces_loss(task):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((60, 2))
    if task == "regression":
        t = np.sin(x[:, :1]) + 0.5 * x[:, 1:]
    elif task == "binary":
        t = (x[:, :1] * x[:, 1:] > 0).astype(float)
    else:
        t = np.eye(3)[(x[:, 0] > 0).astype(int) + (x[:, 1] > 0).astype(int)]
    net = TwoLayerNet(2, 16, t.shape[1], task=task, weight_init_std=0.5, rng=rng)
    optimizer = SGD(lr=0.2)
    before = net.loss(x, t)
    for _ in range(300):
        optimizer.update(net.params, net.gradient(x, t))
    assert net.loss(x, t) < 0.7 * before


@pytest.mark.parametrize("activation,init", [("relu", "he"), ("sigmoid", "xavier"), ("relu", 0.5)])
@pytest.mark.parametrize("hidden", [[5], [5, 4], [4, 5, 3]])
def test_multilayer_net_gradient(activation, init, hidden):
    rng = np.random.default_rng(4)
    x, t, _ = task_data("multiclass", rng, n=6)
    net = MultiLayerNet(4, hidden, 3, activation=activation, weight_init_std=init, rng=rng)
    assert list(net.params) == [f"{p}{i}" for i in range(1, len(hidden) + 2) for p in ("W", "b")]
    assert list(net.layers)[:2] == ["Affine1", "Activation_function1"]
    assert_gradient_matches_loss(net, lambda: net.loss(x, t), x, t)


def test_multilayer_net_accuracy_takes_labels_or_one_hot():
    rng = np.random.default_rng(5)
    x = rng.standard_normal((20, 4))
    net = MultiLayerNet(4, [6], 3, weight_init_std=1.0, rng=rng)
    labels = np.argmax(net.predict(x), axis=1)
    labels[:5] = (labels[:5] + 1) % 3
    assert net.accuracy(x, labels) == pytest.approx(0.75)
    assert net.accuracy(x, np.eye(3)[labels]) == pytest.approx(0.75)


@pytest.mark.parametrize("activation", ["relu", "sigmoid"])
def test_multilayer_net_extend_gradient_with_batchnorm_and_decay(activation):
    rng = np.random.default_rng(6)
    x, t, _ = task_data("multiclass", rng, n=7)
    net = MultiLayerNetExtend(
        4, [5, 4], 3, activation=activation, weight_init_std=activation, weight_decay_lambda=0.1,
        use_batchnorm=True, rng=rng,
    )
    for key in ("gamma1", "beta1", "gamma2", "beta2"):
        net.params[key][...] = rng.uniform(0.5, 1.5, net.params[key].shape)
    assert_gradient_matches_loss(net, lambda: net.loss(x, t, train_flg=True), x, t)


def test_multilayer_net_extend_structure_and_penalty():
    rng = np.random.default_rng(7)
    net = MultiLayerNetExtend(4, [5, 5], 3, weight_decay_lambda=0.3, use_dropout=True, use_batchnorm=True, rng=rng)
    assert list(net.layers) == [
        "Affine1", "BatchNorm1", "Activation_function1", "Dropout1",
        "Affine2", "BatchNorm2", "Activation_function2", "Dropout2",
        "Affine3",
    ]
    np.testing.assert_array_equal(net.params["gamma1"], 1.0)
    np.testing.assert_array_equal(net.params["beta2"], 0.0)
    x, t, _ = task_data("multiclass", rng, n=5)
    penalty = 0.3 * sum(np.sum(net.params[f"W{i}"] ** 2) for i in (1, 2, 3))
    bare = net.last_layer.forward(net.predict(x), t)
    assert net.loss(x, t) == pytest.approx(bare + penalty)
    # Test mode is deterministic: dropout scales, batch norm uses running statistics.
    np.testing.assert_array_equal(net.predict(x), net.predict(x))
