"""Central-difference derivatives for checking `backward` (cs231n style).

Both functions perturb `x` in place, call `f()` with no arguments (f reads x,
e.g. `lambda: net.loss(X, T)`), and restore every element afterwards.
"""

import numpy as np


def numerical_gradient(f, x, h=1e-5):
    """Gradient of the scalar f() with respect to the float array x, same shape as x."""
    return numerical_vjp(f, x, 1.0, h)


def numerical_vjp(f, x, dout, h=1e-5):
    """Vector–Jacobian product: element i is sum((f(x + h e_i) − f(x − h e_i)) · dout) / 2h."""
    if not np.issubdtype(x.dtype, np.floating):
        raise TypeError(f"x must be a float array to be perturbed, not {x.dtype}")
    grad = np.zeros(x.shape)
    for idx in np.ndindex(x.shape):
        original = x[idx]
        try:
            x[idx] = original + h
            f_plus = np.array(f(), dtype=np.float64)
            x[idx] = original - h
            f_minus = np.array(f(), dtype=np.float64)
        finally:
            x[idx] = original
        grad[idx] = np.sum((f_plus - f_minus) * dout) / (2 * h)
    return grad
