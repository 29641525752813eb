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


def solve(X, W, t_reg, t_cls, X2, b, dY) -> dict[str, np.ndarray]:
    """The six answers of §3.6 for any numbers of the same shapes (a student's variant, or the text's)."""
    x = np.asarray(X, dtype=float).reshape(1, -1)
    w = np.asarray(W, dtype=float)
    out = {}
    out["ex1_1_dX"], out["ex1_1_dW"] = _affine_grads(x, w, np.zeros(w.shape[1]), IdentityWithLoss(),
                                                     np.asarray(t_reg, dtype=float).reshape(1, -1))
    out["ex1_2_dX"], out["ex1_2_dW"] = _affine_grads(x, w, np.zeros(w.shape[1]), SoftmaxWithLoss(),
                                                     np.asarray(t_cls, dtype=float).reshape(1, -1))
    # X2 + b is the affine layer with W = I.
    bias_layer = Affine(np.eye(len(b)), np.asarray(b, dtype=float))
    bias_layer.forward(np.asarray(X2, dtype=float))
    out["ex2_dX"] = bias_layer.backward(np.asarray(dY, dtype=float))
    out["ex2_db"] = bias_layer.db
    return out


_TEXT = solve(X, W, T1_1, T1_2, X2, b, dE_dY)
ex1_1_dX, ex1_1_dW = _TEXT["ex1_1_dX"], _TEXT["ex1_1_dW"]
ex1_2_dX, ex1_2_dW = _TEXT["ex1_2_dX"], _TEXT["ex1_2_dW"]
ex2_dX, ex2_db = _TEXT["ex2_dX"], _TEXT["ex2_db"]
