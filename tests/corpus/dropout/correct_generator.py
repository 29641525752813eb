# numpy.random.Generator を層ごとに持つ。np.where で出力を作る
import numpy as np


class Dropout:
    def __init__(self, dropout_ratio=0.5):
        self.dropout_ratio = dropout_ratio
        self.rng = np.random.default_rng()
        self.keep = None

    def forward(self, x, train_flg=True):
        if train_flg:
            self.keep = self.rng.random(x.shape) >= self.dropout_ratio
            return np.where(self.keep, x, 0.0)
        return x * (1.0 - self.dropout_ratio)

    def backward(self, dout):
        return np.where(self.keep, dout, 0.0)
