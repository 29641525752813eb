# δ = 0 in SoftmaxWithLoss's cross-entropy (t · log y, no δ: valid, EXERCISES.md allows any δ up to 1e-5); the
# rest as correct_book.py. Scores like [-1000, 0, 1000] give y = 0 exactly and 0 · log 0 = nan: no check may use them.
import numpy as np

def softmax(x):
    x = x - np.max(x, axis=-1, keepdims=True)
    return np.exp(x) / np.sum(np.exp(x), axis=-1, keepdims=True)

def cross_entropy_error(y, t):
    if y.ndim == 1:
        t = t.reshape(1, t.size)
        y = y.reshape(1, y.size)
    batch_size = y.shape[0]
    return -np.sum(t * np.log(y)) / batch_size

class Affine:
    def __init__(self, W, b):
        self.W = W
        self.b = b
        self.x = None
        self.dW = None
        self.db = None

    def forward(self, x):
        self.x = x
        return np.dot(x, self.W) + self.b

    def backward(self, dout):
        dx = np.dot(dout, self.W.T)
        self.dW = np.dot(self.x.T, dout)
        self.db = np.sum(dout, axis=0)
        return dx

class Sigmoid:
    def __init__(self):
        self.out = None
    def forward(self, x):
        out = 1 / (1 + np.exp(-x))
        self.out = out
        return out
    def backward(self, dout):
        return dout * (1.0 - self.out) * self.out

class Relu:
    def __init__(self):
        self.mask = None
    def forward(self, x):
        self.mask = (x <= 0)
        out = x.copy()
        out[self.mask] = 0
        return out
    def backward(self, dout):
        dx = dout.copy()
        dx[self.mask] = 0
        return dx

class IdentityWithLoss:
    def forward(self, y, t):
        self.y, self.t = y, t
        return np.sum((y - t) ** 2) / (2 * y.shape[0])
    def backward(self, dout=1):
        return dout * (self.y - self.t) / self.y.shape[0]

class SigmoidWithLoss:
    def forward(self, x, t):
        self.t = t
        self.y = 1 / (1 + np.exp(-x))
        d = 1e-7
        return -np.sum(t * np.log(self.y + d) + (1 - t) * np.log(1 - self.y + d)) / x.shape[0]
    def backward(self, dout=1):
        return dout * (self.y - self.t) / self.t.shape[0]

class SoftmaxWithLoss:
    def __init__(self):
        self.loss = None
        self.y = None
        self.t = None
    def forward(self, x, t):
        self.t = t
        self.y = softmax(x)
        self.loss = cross_entropy_error(self.y, self.t)
        return self.loss
    def backward(self, dout=1):
        batch_size = self.t.shape[0]
        dx = dout * (self.y - self.t) / batch_size
        return dx
