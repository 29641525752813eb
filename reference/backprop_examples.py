"""The worked backpropagation examples of §3.6, computed with the reference layers.

Text's answers: 1-(1) dE/dX = [4, 3, 4], dE/dW = [[4, 2], [−2, −1], [2, 1]];
1-(2) dE/dX = [−1, 0, 2], dE/dW = [[−1, 1], [½, −½], [−½, ½]];
2 dE/dX = dE/dY, dE/db = [2, 0].
"""

import numpy as np

from reference.layers import Affine, IdentityWithLoss, SoftmaxWithLoss

# Problem 1: Y = XW for a single row X.
X = np.array([[2.0, -1.0, 1.0]])
W = np.array([[2.0, 0.0], [1.0, 1.0], [0.0, 4.0]])
T1_1 = np.array([[1.0, 2.0]])  # (1): E = ½ Σ (y − t)²
T1_2 = np.array([[1.0, 0.0]])  # (2): E = softmax cross-entropy

# Problem 2: Y = X2 + b with dE/dY given.
X2 = np.array([[1.0, 3.0], [2.0, -1.0], [0.0, 1.0]])
b = np.array([2.0, 1.0])
dE_dY = np.array([[1.0, 0.0], [0.0, -1.0], [1.0, 1.0]])


def _affine_grads(x, w, bias, loss_layer, t):
    affine = Affine(w, bias)
    loss_layer.forward(affine.forward(x), t)
    dx = affine.backward(loss_layer.backward())
    return dx, affine.dW


ex1_1_dX, ex1_1_dW = _affine_grads(X, W, np.zeros(2), IdentityWithLoss(), T1_1)
ex1_2_dX, ex1_2_dW = _affine_grads(X, W, np.zeros(2), SoftmaxWithLoss(), T1_2)

# X2 + b is the affine layer with W = I.
_bias_layer = Affine(np.eye(2), b)
_bias_layer.forward(X2)
ex2_dX = _bias_layer.backward(dE_dY)
ex2_db = _bias_layer.db
