"""Multi-layer networks of §5.3 and §8–§9 (softmax output, cross-entropy loss)."""

from collections import OrderedDict

import numpy as np

from reference.initialization import init_weight
from reference.layers import Affine, BatchNormalization, Dropout, Relu, Sigmoid, SoftmaxWithLoss
from reference.regularization import l2_penalty, l2_penalty_grad

_ACTIVATIONS = {"relu": Relu, "sigmoid": Sigmoid}


class MultiLayerNetExtend:
    """Affine → [BatchNorm] → activation → [Dropout] per hidden layer, then Affine (§12 of the exercises).

    The loss adds λ Σ_l sum(W_l ∗ W_l) over W1…WL (not b, γ, β).
    """

    def __init__(
        self,
        input_size,
        hidden_size_list,
        output_size,
        activation="relu",
        weight_init_std="relu",
        weight_decay_lambda=0,
        use_dropout=False,
        dropout_ratio=0.5,
        use_batchnorm=False,
        rng=None,
    ):
        if activation not in _ACTIVATIONS:
            raise ValueError(f"activation must be one of {sorted(_ACTIVATIONS)}, not {activation!r}")
        self.rng = np.random.default_rng() if rng is None else rng
        self.weight_decay_lambda = weight_decay_lambda
        self.use_batchnorm = use_batchnorm
        sizes = [input_size, *hidden_size_list, output_size]
        self.affine_num = len(sizes) - 1
        self.params = {}
        self.layers = OrderedDict()
        for i in range(1, self.affine_num + 1):
            n_in, n_out = sizes[i - 1], sizes[i]
            self.params[f"W{i}"] = init_weight(n_in, n_out, weight_init_std, self.rng)
            self.params[f"b{i}"] = np.zeros(n_out)
            self.layers[f"Affine{i}"] = Affine(self.params[f"W{i}"], self.params[f"b{i}"])
            if i == self.affine_num:
                break
            if use_batchnorm:
                self.params[f"gamma{i}"] = np.ones(n_out)
                self.params[f"beta{i}"] = np.zeros(n_out)
                self.layers[f"BatchNorm{i}"] = BatchNormalization(self.params[f"gamma{i}"], self.params[f"beta{i}"])
            self.layers[f"Activation_function{i}"] = _ACTIVATIONS[activation]()
            if use_dropout:
                self.layers[f"Dropout{i}"] = Dropout(dropout_ratio, rng=self.rng)
        self.last_layer = SoftmaxWithLoss()

    def predict(self, x, train_flg=False):
        """Scores before softmax."""
        for layer in self.layers.values():
            if isinstance(layer, (BatchNormalization, Dropout)):
                x = layer.forward(x, train_flg)
            else:
                x = layer.forward(x)
        return x

    def loss(self, x, t, train_flg=False):
        weights = [self.params[f"W{i}"] for i in range(1, self.affine_num + 1)]
        decay = l2_penalty(weights, self.weight_decay_lambda)
        return self.last_layer.forward(self.predict(x, train_flg), t) + decay

    def accuracy(self, x, t):
        y = np.argmax(self.predict(x, train_flg=False), axis=1)
        t = np.asarray(t)
        labels = np.argmax(t, axis=1) if t.ndim != 1 else t
        return float(np.mean(y == labels))

    def gradient(self, x, t):
        """Gradients of loss(x, t, train_flg=True) by backpropagation, keyed like params."""
        self.loss(x, t, train_flg=True)
        dout = self.last_layer.backward(1)
        for layer in reversed(self.layers.values()):
            dout = layer.backward(dout)
        grads = {}
        for i in range(1, self.affine_num + 1):
            affine = self.layers[f"Affine{i}"]
            grads[f"W{i}"] = affine.dW + l2_penalty_grad(self.params[f"W{i}"], self.weight_decay_lambda)
            grads[f"b{i}"] = affine.db
            if self.use_batchnorm and i < self.affine_num:
                grads[f"gamma{i}"] = self.layers[f"BatchNorm{i}"].dgamma
                grads[f"beta{i}"] = self.layers[f"BatchNorm{i}"].dbeta
        return grads


class MultiLayerNet(MultiLayerNetExtend):
    """The plain multi-layer net of §5.3: no batch normalisation, dropout or weight decay.

    weight_init_std: a float, "he"/"relu" (variance 2/n_in) or "xavier"/"sigmoid" (2/(n_in + n_out)).
    """

    def __init__(self, input_size, hidden_size_list, output_size, activation="relu", weight_init_std=0.01, rng=None):
        super().__init__(
            input_size,
            hidden_size_list,
            output_size,
            activation=activation,
            weight_init_std=weight_init_std,
            rng=rng,
        )
