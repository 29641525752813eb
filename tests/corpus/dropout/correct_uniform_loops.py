# 一様乱数 < 1 − p で残す。要素ごとのループ版
import numpy as np


class Dropout:
    def __init__(self, dropout_ratio=0.5):
        self.dropout_ratio = dropout_ratio
        self.mask = None

    def forward(self, x, train_flg=True):
        y = np.empty_like(x)
        if train_flg:
            self.mask = np.random.uniform(0.0, 1.0, size=x.shape) < 1.0 - self.dropout_ratio
            for i in range(x.shape[0]):
                for j in range(x.shape[1]):
                    y[i, j] = x[i, j] if self.mask[i, j] else 0.0
        else:
            for i in range(x.shape[0]):
                for j in range(x.shape[1]):
                    y[i, j] = x[i, j] * (1.0 - self.dropout_ratio)
        return y

    def backward(self, dout):
        dx = np.zeros_like(dout)
        dx[self.mask] = dout[self.mask]
        return dx
