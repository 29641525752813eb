# Test mode returns x unchanged although training does not rescale (the (1 − p) forgotten).
# expect-fail: Dropout.test_mode
# expect-mistake: Dropout.test_mode=dropout-test-no-scaling
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
            return x

    def backward(self, dout):
        return dout * self.mask
