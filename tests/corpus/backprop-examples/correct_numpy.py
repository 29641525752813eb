# Computed with NumPy following §3.7, with row vectors of shape (1, n).
import numpy as np

X = np.array([[2, -1, 1]])
W = np.array([[2, 0], [1, 1], [0, 4]])
Y = X @ W

t1 = np.array([[1, 2]])
dY = Y - t1
ex1_1_dX = dY @ W.T
ex1_1_dW = X.T @ dY


def softmax(a):
    e = np.exp(a - a.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


t2 = np.array([[1, 0]])
dY2 = softmax(Y) - t2
ex1_2_dX = np.dot(dY2, W.T)
ex1_2_dW = np.dot(X.T, dY2)

X2 = np.array([[1, 3], [2, -1], [0, 1]])
b = np.array([2, 1])
dEdY = np.array([[1, 0], [0, -1], [1, 1]])
ex2_dX = dEdY.copy()
ex2_db = np.sum(dEdY, axis=0)
print(ex1_1_dX, ex1_1_dW, ex1_2_dX, ex1_2_dW, ex2_dX, ex2_db, sep="\n")
