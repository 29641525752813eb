# 1-D vectors and np.outer; the column form W dYᵀ for dX.
import numpy as np

x = np.array([2.0, -1.0, 1.0])
W = np.array([[2.0, 0.0], [1.0, 1.0], [0.0, 4.0]])
y = x @ W
g1 = y - np.array([1.0, 2.0])
ex1_1_dX = W @ g1.reshape(2, 1)          # shape (3, 1): squeezes to (3,)
ex1_1_dW = np.outer(x, g1)
p = np.exp(y) / np.exp(y).sum()
g2 = p - np.array([1.0, 0.0])
ex1_2_dX = W.dot(g2)
ex1_2_dW = np.outer(x, g2)
ex2_dX = np.array([[1.0, 0.0], [0.0, -1.0], [1.0, 1.0]])
ex2_db = ex2_dX.sum(axis=0).reshape(1, 2)
