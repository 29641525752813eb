# Leaves kept between calls (as a training loop keeps its parameters) but never zeroed: backward adds
# each call's gradient to the last one's.
# expect-fail: matmul_grads
# expect-mistake: matmul_grads=autograd-grad-accumulates
import torch

_leaves = {}


def _leaf(name, value):
    t = _leaves.get(name)
    if t is None or tuple(t.shape) != value.shape:
        t = _leaves[name] = torch.zeros(value.shape, dtype=torch.float64, requires_grad=True)
    with torch.no_grad():
        t.copy_(torch.from_numpy(value))
    return t  # forgot: t.grad = None


def matmul_grads(X, W, dY):
    X_t, W_t = _leaf("X", X), _leaf("W", W)
    Y = X_t @ W_t
    Y.backward(torch.from_numpy(dY))
    return X_t.grad.numpy().copy(), W_t.grad.numpy().copy()


def affine_grads(X, W, b, dY):
    X, W, b = (torch.tensor(a, requires_grad=True) for a in (X, W, b))
    Y = X @ W + b
    Y.backward(torch.tensor(dY))
    return X.grad.numpy(), W.grad.numpy(), b.grad.numpy()


def sigmoid_grad(x):
    x = torch.tensor(x, requires_grad=True)
    y = torch.sigmoid(x)
    y.backward(torch.ones_like(y))
    return x.grad.numpy()


def softmax_with_loss_grads(x, t):
    x = torch.tensor(x, requires_grad=True)
    E = torch.nn.functional.cross_entropy(x, torch.tensor(t).argmax(dim=1))
    E.backward()
    return E.item(), x.grad.numpy()
