"""Two-layer network of §4: Affine → ReLU → Affine → output layer chosen by task."""

from collections import OrderedDict

import numpy as np

from reference.functions import identity, relu, sigmoid, softmax
from reference.layers import Affine, IdentityWithLoss, Relu, SigmoidWithLoss, SoftmaxWithLoss

# task → (output activation, loss layer class)
_TASKS = {
    "regression": (identity, IdentityWithLoss),
    "binary": (sigmoid, SigmoidWithLoss),
    "multiclass": (softmax, SoftmaxWithLoss),
}


def _task(task):
    if task not in _TASKS:
        raise ValueError(f"task must be one of {sorted(_TASKS)}, not {task!r}")
    return _TASKS[task]


class TwoLayerNet:
    def __init__(self, input_size, hidden_size, output_size, task="multiclass", weight_init_std=0.01, rng=None):
        self.output_activation, loss_layer_class = _task(task)
        self.task = task
        rng = np.random.default_rng() if rng is None else rng
        self.params = {
            "W1": weight_init_std * rng.standard_normal((input_size, hidden_size)),
            "b1": np.zeros(hidden_size),
            "W2": weight_init_std * rng.standard_normal((hidden_size, output_size)),
            "b2": np.zeros(output_size),
        }
        self.layers = OrderedDict()
        self.layers["Affine1"] = Affine(self.params["W1"], self.params["b1"])
        self.layers["Relu1"] = Relu()
        self.layers["Affine2"] = Affine(self.params["W2"], self.params["b2"])
        self.last_layer = loss_layer_class()

    def _scores(self, x):
        for layer in self.layers.values():
            x = layer.forward(x)
        return x

    def predict(self, x):
        """ŷ after the output activation (values, or probabilities)."""
        return self.output_activation(self._scores(x))

    def loss(self, x, t):
        return self.last_layer.forward(self._scores(x), t)

    def gradient(self, x, t):
        self.loss(x, t)
        dout = self.last_layer.backward(1)
        for layer in reversed(self.layers.values()):
            dout = layer.backward(dout)
        return {
            "W1": self.layers["Affine1"].dW,
            "b1": self.layers["Affine1"].db,
            "W2": self.layers["Affine2"].dW,
            "b2": self.layers["Affine2"].db,
        }


def two_layer_forward_loss(params, x, t, task):
    """Mean loss of the two-layer net with weights `params` (W1, b1, W2, b2) on (x, t)."""
    _, loss_layer_class = _task(task)
    hidden = relu(x @ params["W1"] + params["b1"])
    scores = hidden @ params["W2"] + params["b2"]
    return loss_layer_class().forward(scores, t)
