# PyTorch 風: ε = 1e-5、移動平均をインプレースで更新し、別の属性名で持つ
import numpy as np


class BatchNormalization:
    def __init__(self, gamma, beta, momentum=0.9, running_mean=None, running_var=None):
        self.gamma, self.beta, self.momentum = gamma, beta, momentum
        n = np.shape(gamma)[0]
        self.moving_mean = np.zeros(n) if running_mean is None else np.array(running_mean, dtype=float)
        self.moving_var = np.zeros(n) if running_var is None else np.array(running_var, dtype=float)
        self.cache = None

    def forward(self, x, train_flg=True):
        eps = 1e-5
        if not train_flg:
            return self.gamma * (x - self.moving_mean) / np.sqrt(self.moving_var + eps) + self.beta
        mean = x.mean(0)
        var = x.var(0)
        self.moving_mean *= self.momentum
        self.moving_mean += (1 - self.momentum) * mean
        self.moving_var *= self.momentum
        self.moving_var += (1 - self.momentum) * var
        inv = 1.0 / np.sqrt(var + eps)
        xhat = (x - mean) * inv
        self.cache = (xhat, inv)
        return self.gamma * xhat + self.beta

    def backward(self, dout):
        xhat, inv = self.cache
        n = dout.shape[0]
        self.dbeta = dout.sum(0)
        self.dgamma = (dout * xhat).sum(0)
        dxhat = dout * self.gamma
        return inv / n * (n * dxhat - dxhat.sum(0) - xhat * (dxhat * xhat).sum(0))
