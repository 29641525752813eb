# マスクを二項分布から作る(1 を確率 1 − p で取る)
import numpy as np


class Dropout:
    def __init__(self, dropout_ratio=0.5):
        self.p = dropout_ratio
        self.M = None

    def forward(self, x, train_flg=True):
        if not train_flg:
            return (1 - self.p) * x
        self.M = np.random.binomial(1, 1 - self.p, size=x.shape).astype(np.float64)
        return x * self.M

    def backward(self, dout):
        return dout * self.M
