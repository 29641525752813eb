# ニューロンごとのループで書いたバッチ正規化(ε = 1e-7)
import numpy as np


class BatchNormalization:
    def __init__(self, gamma, beta, momentum=0.9, running_mean=None, running_var=None):
        self.gamma = gamma
        self.beta = beta
        self.momentum = momentum
        self.running_mean = running_mean
        self.running_var = running_var
        self.xn = None
        self.std = None
        self.dgamma = None
        self.dbeta = None

    def forward(self, x, train_flg=True):
        N, K = x.shape
        if self.running_mean is None:
            self.running_mean = np.zeros(K)
        if self.running_var is None:
            self.running_var = np.zeros(K)
        out = np.zeros((N, K))
        self.xn = np.zeros((N, K))
        self.std = np.zeros(K)
        new_mean = np.zeros(K)
        new_var = np.zeros(K)
        for k in range(K):
            if train_flg:
                mu = 0.0
                for n in range(N):
                    mu += x[n, k]
                mu /= N
                v = 0.0
                for n in range(N):
                    v += (x[n, k] - mu) ** 2
                v /= N
                new_mean[k] = self.momentum * self.running_mean[k] + (1 - self.momentum) * mu
                new_var[k] = self.momentum * self.running_var[k] + (1 - self.momentum) * v
            else:
                mu = self.running_mean[k]
                v = self.running_var[k]
            self.std[k] = (v + 1e-7) ** 0.5
            for n in range(N):
                self.xn[n, k] = (x[n, k] - mu) / self.std[k]
                out[n, k] = self.gamma[k] * self.xn[n, k] + self.beta[k]
        if train_flg:
            self.running_mean = new_mean
            self.running_var = new_var
        return out

    def backward(self, dout):
        N, K = dout.shape
        dx = np.zeros((N, K))
        self.dgamma = np.zeros(K)
        self.dbeta = np.zeros(K)
        for k in range(K):
            c = 0.0
            d = 0.0
            for n in range(N):
                self.dbeta[k] += dout[n, k]
                self.dgamma[k] += self.xn[n, k] * dout[n, k]
                c += dout[n, k] / N
                d += self.xn[n, k] * dout[n, k] / N
            for n in range(N):
                dx[n, k] = self.gamma[k] / self.std[k] * (dout[n, k] - c - self.xn[n, k] * d)
        return dx
