# With a small Affine class of one's own; values as float lists.
import numpy as np


class Affine:
    def __init__(self, W, b):
        self.W, self.b = W, b

    def forward(self, x):
        self.x = x
        return x @ self.W + self.b

    def backward(self, dout):
        self.dW = self.x.T @ dout
        self.db = dout.sum(axis=0)
        return dout @ self.W.T


X = np.array([[2.0, -1.0, 1.0]])
W = np.array([[2.0, 0.0], [1.0, 1.0], [0.0, 4.0]])
layer = Affine(W, np.zeros(2))
Y = layer.forward(X)
ex1_1_dX = layer.backward(Y - np.array([[1.0, 2.0]])).tolist()
ex1_1_dW = layer.dW.tolist()
layer.forward(X)
soft = np.exp(Y) / np.exp(Y).sum()
ex1_2_dX = layer.backward(soft - np.array([[1.0, 0.0]])).tolist()
ex1_2_dW = layer.dW.tolist()
bias = Affine(np.eye(2), np.array([2.0, 1.0]))
bias.forward(np.array([[1.0, 3.0], [2.0, -1.0], [0.0, 1.0]]))
ex2_dX = bias.backward(np.array([[1.0, 0.0], [0.0, -1.0], [1.0, 1.0]]))
ex2_db = bias.db
