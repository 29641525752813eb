# backward multiplies dout by the mask in place.
# expect-fail: Dropout.no_mutation
# expect-mistake: Dropout.no_mutation=input-modified-in-place
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
            self.mask = np.random.rand(*x.shape) > self.dropout_ratio
            return x * self.mask
        else:
            return x * (1.0 - self.dropout_ratio)

    def backward(self, dout):
        dout *= self.mask
        return dout
