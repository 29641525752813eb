# mask = rand > 1 − p keeps each unit with probability p (test time is right).
# expect-fail: Dropout.forward
# expect-mistake: Dropout.forward=dropout-keep-p
# 「ゼロから作る Deep Learning」common/layers.py の Dropout
import numpy as np


class Dropout:
    """
    http://arxiv.org/abs/1207.0580
    """
    def __init__(self, dropout_ratio=0.5):
        self.dropout_ratio = dropout_ratio
        self.mask = None

    def forward(self, x, train_flg=True):
        if train_flg:
            self.mask = np.random.rand(*x.shape) > 1.0 - self.dropout_ratio
            return x * self.mask
        else:
            return x * (1.0 - self.dropout_ratio)

    def backward(self, dout):
        return dout * self.mask
