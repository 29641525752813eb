"""Activation and loss functions of §1.2, §2 and §5.2 (float64, no I/O)."""

import numpy as np


def sigmoid(x):
    # exp(-|x|) lies in (0, 1], so neither branch can overflow for any x.
    x = np.asarray(x, dtype=np.float64)
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def relu(x):
    return np.maximum(0.0, np.asarray(x, dtype=np.float64))


def tanh(x):
    return np.tanh(np.asarray(x, dtype=np.float64))


def leaky_relu(x, slope=0.1):
    x = np.asarray(x, dtype=np.float64)
    return np.where(x > 0, x, slope * x)


def identity(x):
    return np.array(x, dtype=np.float64)


def mean_squared_error(y, t):
    """Σ (y − t)² / (2N), N = y.shape[0] (§2.1)."""
    y = np.asarray(y, dtype=np.float64)
    t = _match_shape(t, y)
    return float(np.sum((y - t) ** 2) / (2 * _batch_size(y)))


def binary_cross_entropy(y, t, delta=1e-7):
    """−(1/N) Σ [t log y + (1−t) log(1−y)] (§2.2); delta keeps y ∈ {0, 1} finite."""
    y = np.asarray(y, dtype=np.float64)
    t = _match_shape(t, y)
    total = np.sum(t * np.log(y + delta) + (1 - t) * np.log(1 - y + delta))
    return float(-total / _batch_size(y))


def softmax(x):
    """Row-wise softmax of (N, K) or (K,), shifted by the row max (§5.2)."""
    x = np.asarray(x, dtype=np.float64)
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def cross_entropy_error(y, t, delta=1e-7):
    """−(1/N) Σ t log y (§2.3); t one-hot like y or label indices (N,).

    A 1-D y is a single sample (N = 1).
    """
    y = np.asarray(y, dtype=np.float64)
    y2 = y.reshape(1, -1) if y.ndim == 1 else y
    t2 = _to_one_hot(t, y2)
    return float(-np.sum(t2 * np.log(y2 + delta)) / y2.shape[0])


def _log_softmax(x):
    """log softmax(x) row-wise, from the max-shifted scores."""
    x = np.asarray(x, dtype=np.float64)
    shifted = x - x.max(axis=-1, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True))


def _softplus(z):
    """log(1 + e^z) without overflow."""
    return np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z)))


def _batch_size(y):
    return y.shape[0] if np.ndim(y) > 0 else 1


def _match_shape(t, y):
    """t as float64 in y's shape, so that (N, 1) against (N,) cannot broadcast to (N, N)."""
    t = np.asarray(t, dtype=np.float64)
    if t.shape != np.shape(y) and t.size == np.size(y):
        t = t.reshape(np.shape(y))
    return t


def _to_one_hot(t, y):
    """t for the (N, K) array y: one-hot of y's size, or N label indices."""
    t = np.asarray(t)
    if t.size == y.size:
        return t.reshape(y.shape).astype(np.float64)
    if t.size == y.shape[0]:
        one_hot = np.zeros(y.shape)
        one_hot[np.arange(y.shape[0]), t.reshape(-1).astype(np.intp)] = 1.0
        return one_hot
    raise ValueError(f"t of shape {t.shape} fits neither one-hot nor labels for y of shape {y.shape}")
