# テキストの式で書いた版: 層はリスト、Adam はオリジナル形(ε を平方根の中に)、バッチ正規化は c, d の式、
# ε = 1e-5、ドロップアウトは Generator、ラベル(整数)の t も受け付ける
import numpy as np


def l2_penalty(weights, alpha):
    total = 0.0
    for W in weights:
        total += np.sum(W ** 2)
    return alpha * total


def l2_penalty_grad(W, alpha):
    return 2.0 * alpha * W


def l1_penalty(weights, alpha):
    return alpha * np.sum([np.abs(W).sum() for W in weights])


def l1_penalty_grad(W, alpha):
    return alpha * np.sign(W)


class Affine:
    def __init__(self, W, b):
        self.W, self.b = W, b

    def forward(self, x):
        self.x = x
        return x @ self.W + self.b

    def backward(self, dout):
        self.dW = self.x.T @ dout
        self.db = dout.sum(axis=0)
        return dout @ self.W.T


class Relu:
    def forward(self, x):
        self.mask = x > 0
        return np.where(self.mask, x, 0.0)

    def backward(self, dout):
        return np.where(self.mask, dout, 0.0)


class Sigmoid:
    def forward(self, x):
        self.y = 1.0 / (1.0 + np.exp(-x))
        return self.y

    def backward(self, dout):
        return dout * self.y * (1.0 - self.y)


class SoftmaxWithLoss:
    def forward(self, x, t):
        n = x.shape[0]
        if t.ndim == 1:
            t = np.eye(x.shape[1])[t]
        self.t = t
        z = x - x.max(axis=1, keepdims=True)
        self.y = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
        return -np.sum(t * np.log(self.y + 1e-8)) / n

    def backward(self, dout=1):
        return dout * (self.y - self.t) / self.y.shape[0]


class BatchNormalization:
    def __init__(self, gamma, beta, momentum=0.9, running_mean=None, running_var=None):
        self.gamma, self.beta, self.momentum = gamma, beta, momentum
        self.running_mean = np.zeros_like(gamma) if running_mean is None else running_mean
        self.running_var = np.zeros_like(gamma) if running_var is None else running_var
        self.eps = 1e-5

    def forward(self, x, train_flg=True):
        if train_flg:
            mu = x.mean(axis=0)
            v = ((x - mu) ** 2).mean(axis=0)
            self.running_mean = self.momentum * self.running_mean + (1 - self.momentum) * mu
            self.running_var = self.momentum * self.running_var + (1 - self.momentum) * v
        else:
            mu, v = self.running_mean, self.running_var
        self.sigma = np.sqrt(v + self.eps)
        self.xt = (x - mu) / self.sigma
        return self.gamma * self.xt + self.beta

    def backward(self, dout):
        self.dbeta = dout.sum(axis=0)
        self.dgamma = (self.xt * dout).sum(axis=0)
        c = dout.mean(axis=0)
        d = (self.xt * dout).mean(axis=0)
        return self.gamma / self.sigma * (dout - c - self.xt * d)


class Dropout:
    def __init__(self, dropout_ratio=0.5):
        self.p = dropout_ratio
        self.rng = np.random.default_rng()

    def forward(self, x, train_flg=True):
        if train_flg:
            self.M = (self.rng.random(x.shape) >= self.p).astype(float)
            return x * self.M
        return x * (1 - self.p)

    def backward(self, dout):
        return dout * self.M


class Adam:
    """テキスト §6.2 のオリジナル形: θ ← θ − α s̃ / √(r̃ + ε)"""

    def __init__(self, lr=0.001, beta1=0.9, beta2=0.999):
        self.lr, self.beta1, self.beta2 = lr, beta1, beta2
        self.t = 0
        self.s = None
        self.r = None

    def update(self, params, grads):
        if self.s is None:
            self.s = {k: np.zeros_like(v) for k, v in params.items()}
            self.r = {k: np.zeros_like(v) for k, v in params.items()}
        self.t += 1
        for k in params:
            g = grads[k]
            self.s[k] = self.beta1 * self.s[k] + (1 - self.beta1) * g
            self.r[k] = self.beta2 * self.r[k] + (1 - self.beta2) * g * g
            s_hat = self.s[k] / (1 - self.beta1 ** self.t)
            r_hat = self.r[k] / (1 - self.beta2 ** self.t)
            params[k] -= self.lr * s_hat / np.sqrt(r_hat + 1e-8)


class MultiLayerNetExtend:
    def __init__(self, input_size, hidden_size_list, output_size, activation="relu", weight_init_std="relu",
                 weight_decay_lambda=0, use_dropout=False, dropout_ratio=0.5, use_batchnorm=False):
        sizes = [input_size] + list(hidden_size_list) + [output_size]
        self.L = len(sizes) - 1
        self.lam = weight_decay_lambda
        self.use_batchnorm = use_batchnorm
        self.params = {}
        self.layers = []
        for l in range(1, self.L + 1):
            n_in, n_out = sizes[l - 1], sizes[l]
            if weight_init_std in ("relu", "he"):
                std = np.sqrt(2 / n_in)
            elif weight_init_std in ("sigmoid", "xavier"):
                std = np.sqrt(2 / (n_in + n_out))
            else:
                std = float(weight_init_std)
            self.params[f"W{l}"] = np.random.normal(0.0, std, (n_in, n_out))
            self.params[f"b{l}"] = np.zeros(n_out)
            self.layers.append(Affine(self.params[f"W{l}"], self.params[f"b{l}"]))
            if l == self.L:
                break
            if use_batchnorm:
                self.params[f"gamma{l}"] = np.ones(n_out)
                self.params[f"beta{l}"] = np.zeros(n_out)
                self.layers.append(BatchNormalization(self.params[f"gamma{l}"], self.params[f"beta{l}"]))
            self.layers.append(Relu() if activation == "relu" else Sigmoid())
            if use_dropout:
                self.layers.append(Dropout(dropout_ratio))
        self.last_layer = SoftmaxWithLoss()

    def predict(self, x, train_flg=False):
        for layer in self.layers:
            if isinstance(layer, (BatchNormalization, Dropout)):
                x = layer.forward(x, train_flg)
            else:
                x = layer.forward(x)
        return x

    def loss(self, x, t, train_flg=False):
        weights = [self.params[f"W{l}"] for l in range(1, self.L + 1)]
        return self.last_layer.forward(self.predict(x, train_flg), t) + l2_penalty(weights, self.lam)

    def accuracy(self, x, t):
        y = self.predict(x).argmax(axis=1)
        labels = t.argmax(axis=1) if t.ndim == 2 else t
        return np.mean(y == labels)

    def gradient(self, x, t):
        self.loss(x, t, train_flg=True)
        dout = self.last_layer.backward(1)
        for layer in reversed(self.layers):
            dout = layer.backward(dout)
        grads = {}
        affines = [layer for layer in self.layers if isinstance(layer, Affine)]
        norms = [layer for layer in self.layers if isinstance(layer, BatchNormalization)]
        for l, layer in enumerate(affines, start=1):
            grads[f"W{l}"] = layer.dW + l2_penalty_grad(self.params[f"W{l}"], self.lam)
            grads[f"b{l}"] = layer.db
        for l, layer in enumerate(norms, start=1):
            grads[f"gamma{l}"] = layer.dgamma
            grads[f"beta{l}"] = layer.dbeta
        return grads
