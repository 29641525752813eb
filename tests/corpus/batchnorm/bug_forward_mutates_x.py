# forward centres x in place (x -= mu), changing the caller's array.
# expect-fail: BatchNormalization.no_mutation
# expect-mistake: BatchNormalization.no_mutation=input-modified-in-place
import numpy as np


class BatchNormalization:
    def __init__(self, gamma, beta, momentum=0.9, running_mean=None, running_var=None):
        self.gamma = gamma
        self.beta = beta
        self.momentum = momentum
        self.running_mean = np.zeros_like(gamma) if running_mean is None else running_mean
        self.running_var = np.zeros_like(gamma) if running_var is None else running_var
        self.x_tilde = None
        self.sigma = None

    def forward(self, x, train_flg=True):
        if train_flg:
            mu = np.mean(x, axis=0)
            x -= mu
            v = np.mean(x ** 2, axis=0)
            self.running_mean = self.momentum * self.running_mean + (1 - self.momentum) * mu
            self.running_var = self.momentum * self.running_var + (1 - self.momentum) * v
        else:
            x = x - self.running_mean
            v = self.running_var
        self.sigma = np.sqrt(v + 1e-7)
        self.x_tilde = x / self.sigma
        return self.gamma * self.x_tilde + self.beta

    def backward(self, dout):
        self.dbeta = np.sum(dout, axis=0)
        self.dgamma = np.sum(self.x_tilde * dout, axis=0)
        c = np.mean(dout, axis=0)
        d = np.mean(self.x_tilde * dout, axis=0)
        return self.gamma / self.sigma * (dout - c - self.x_tilde * d)
