# A scalar built from dY: (Y * dY).sum().backward(); from_numpy (shares memory, used out of place only).
import numpy as np
import torch
import torch.nn.functional as F


def _leaf(a):
    return torch.from_numpy(a).clone().requires_grad_(True)


def matmul_grads(X, W, dY):
    X_t, W_t = _leaf(X), _leaf(W)
    E = (X_t @ W_t * torch.from_numpy(dY)).sum()
    E.backward()
    return X_t.grad.detach().numpy(), W_t.grad.detach().numpy()


def affine_grads(X, W, b, dY):
    X_t, W_t, b_t = _leaf(X), _leaf(W), _leaf(b)
    E = ((X_t @ W_t + b_t) * torch.from_numpy(dY)).sum()
    E.backward()
    return X_t.grad.numpy(), W_t.grad.numpy(), b_t.grad.numpy()


def sigmoid_grad(x):
    x_t = _leaf(x)
    torch.sigmoid(x_t).sum().backward()
    return x_t.grad.numpy()


def softmax_with_loss_grads(x, t):
    x_t = torch.from_numpy(x).requires_grad_()
    labels = torch.from_numpy(t).argmax(dim=1)
    E = F.cross_entropy(x_t, labels)  # the mean over the batch, from log_softmax: stable for large scores
    E.backward()
    return float(E), x_t.grad.numpy()
