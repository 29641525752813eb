# ε = 1e-3 is far above the valid range (ε ≤ 1e-5): every normalised value is off by ~0.05 %.
# expect-fail: BatchNormalization.forward, BatchNormalization.backward, BatchNormalization.dgamma_dbeta, BatchNormalization.test_mode
# expect-mistake: BatchNormalization.forward=eps-too-large, BatchNormalization.backward=eps-too-large, BatchNormalization.dgamma_dbeta=eps-too-large
# テキスト §8.2 の式そのまま(c, d を使う逆伝播)、ε = 1e-8
import numpy as np


class BatchNormalization:
    def __init__(self, gamma, beta, momentum=0.9, running_mean=None, running_var=None):
        self.gamma = gamma
        self.beta = beta
        self.momentum = momentum
        self.running_mean = np.zeros_like(gamma) if running_mean is None else running_mean
        self.running_var = np.zeros_like(gamma) if running_var is None else running_var
        self.eps = 1e-3
        self.x_tilde = None
        self.sigma = None
        self.dgamma = None
        self.dbeta = None

    def forward(self, x, train_flg=True):
        if train_flg:
            mu = np.mean(x, axis=0)
            v = np.mean((x - mu) ** 2, axis=0)
            self.running_mean = self.momentum * self.running_mean + (1 - self.momentum) * mu
            self.running_var = self.momentum * self.running_var + (1 - self.momentum) * v
        else:
            mu = self.running_mean
            v = self.running_var
        self.sigma = np.sqrt(v + self.eps)
        self.x_tilde = (x - mu) / self.sigma
        return self.gamma * self.x_tilde + self.beta

    def backward(self, dout):
        self.dbeta = np.sum(dout, axis=0)
        self.dgamma = np.sum(self.x_tilde * dout, axis=0)
        c = np.mean(dout, axis=0)
        d = np.mean(self.x_tilde * dout, axis=0)
        return self.gamma / self.sigma * (dout - c - self.x_tilde * d)
