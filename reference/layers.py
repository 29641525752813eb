"""Layer classes of §5.1, §8.2 and §9.2.

Each `backward(dout)` returns dE/d(input) from what `forward` stored and never
writes into `dout` or into the arrays it was given. Parameter arrays are held by
reference, so an optimizer updating them in place updates the layer.
"""

import numpy as np

from reference.functions import (
    _batch_size,
    _log_softmax,
    _match_shape,
    _softplus,
    _to_one_hot,
    mean_squared_error,
    sigmoid,
)


class Affine:
    """Y = XW + b (§3.7). x may be (N, D), a single sample (D,), or (N, ...) flattened to (N, D)."""

    def __init__(self, W, b):
        self.W = W
        self.b = b
        self.x = None
        self.x_shape = None
        self.dW = None
        self.db = None

    def forward(self, x):
        self.x_shape = x.shape
        self.x = x.reshape(-1, self.W.shape[0])
        out = self.x @ self.W + self.b
        return out[0] if x.ndim == 1 else out

    def backward(self, dout):
        dout = dout.reshape(-1, self.W.shape[1])
        self.dW = self.x.T @ dout
        self.db = dout.sum(axis=0)
        return (dout @ self.W.T).reshape(self.x_shape)


class Sigmoid:
    def __init__(self):
        self.out = None

    def forward(self, x):
        self.out = sigmoid(x)
        return self.out

    def backward(self, dout):
        return dout * self.out * (1.0 - self.out)


class Relu:
    def __init__(self):
        self.mask = None

    def forward(self, x):
        self.mask = x > 0
        return x * self.mask

    def backward(self, dout):
        return dout * self.mask


class IdentityWithLoss:
    """回帰誤差の層: E = Σ (y − t)² / (2N)."""

    def __init__(self):
        self.y = None
        self.t = None
        self.loss = None

    def forward(self, y, t):
        self.y = y
        self.t = _match_shape(t, y)
        self.loss = mean_squared_error(y, self.t)
        return self.loss

    def backward(self, dout=1):
        return dout * (self.y - self.t) / _batch_size(self.y)


class SigmoidWithLoss:
    """Sigmoid then binary cross-entropy summed over elements / N; x and t of shape (N, 1) or (N,)."""

    def __init__(self):
        self.y = None
        self.t = None
        self.loss = None

    def forward(self, x, t):
        self.y = sigmoid(x)
        self.t = _match_shape(t, x)
        # −t log σ(x) − (1−t) log σ(−x): exact and finite for any x, so no delta.
        total = np.sum(self.t * _softplus(-x) + (1 - self.t) * _softplus(x))
        self.loss = float(total / _batch_size(self.y))
        return self.loss

    def backward(self, dout=1):
        return dout * (self.y - self.t) / _batch_size(self.y)


class SoftmaxWithLoss:
    """Softmax then cross-entropy; t one-hot or label indices; a 1-D x is one sample."""

    def __init__(self):
        self.y = None
        self.t = None
        self.loss = None

    def forward(self, x, t):
        # Cross-entropy from log softmax: exact and finite for any scores, so no delta.
        log_y = _log_softmax(x)
        self.y = np.exp(log_y)
        y2 = self.y.reshape(1, -1) if self.y.ndim == 1 else self.y
        self.t = _to_one_hot(t, y2).reshape(self.y.shape)
        self.loss = float(-np.sum(self.t * log_y) / y2.shape[0])
        return self.loss

    def backward(self, dout=1):
        n = 1 if self.y.ndim == 1 else self.y.shape[0]
        return dout * (self.y - self.t) / n


class BatchNormalization:
    """Batch normalisation of §8.2 for x of shape (N, D)."""

    def __init__(self, gamma, beta, momentum=0.9, running_mean=None, running_var=None, eps=1e-7):
        self.gamma = gamma
        self.beta = beta
        self.momentum = momentum
        self.eps = eps
        self.running_mean = np.zeros(np.shape(gamma)) if running_mean is None else running_mean
        self.running_var = np.zeros(np.shape(gamma)) if running_var is None else running_var
        self.train_flg = None
        self.xn = None
        self.std = None
        self.dgamma = None
        self.dbeta = None

    def forward(self, x, train_flg=True):
        self.train_flg = train_flg
        if train_flg:
            mu = x.mean(axis=0)
            var = np.mean((x - mu) ** 2, axis=0)
            # Rebound, not updated in place: the caller's running arrays stay untouched.
            self.running_mean = self.momentum * self.running_mean + (1 - self.momentum) * mu
            self.running_var = self.momentum * self.running_var + (1 - self.momentum) * var
        else:
            mu, var = self.running_mean, self.running_var
        self.std = np.sqrt(var + self.eps)
        self.xn = (x - mu) / self.std
        return self.gamma * self.xn + self.beta

    def backward(self, dout):
        self.dbeta = dout.sum(axis=0)
        self.dgamma = np.sum(self.xn * dout, axis=0)
        if not self.train_flg:
            # Running statistics are constants, so y is affine in x.
            return self.gamma / self.std * dout
        c = dout.mean(axis=0)
        d = np.mean(self.xn * dout, axis=0)
        return self.gamma / self.std * (dout - c - self.xn * d)


class Dropout:
    """Non-inverted dropout of §9.2: train y = x·M, test y = x·(1 − p)."""

    def __init__(self, dropout_ratio=0.5, rng=None):
        self.dropout_ratio = dropout_ratio
        self.rng = np.random.default_rng() if rng is None else rng
        self.mask = None

    def forward(self, x, train_flg=True):
        if train_flg:
            self.mask = self.rng.random(x.shape) > self.dropout_ratio
            return x * self.mask
        self.mask = None
        return x * (1.0 - self.dropout_ratio)

    def backward(self, dout):
        if self.mask is None:
            return dout * (1.0 - self.dropout_ratio)
        return dout * self.mask
