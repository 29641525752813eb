# .float() after requires_grad=True makes a new tensor that is not a leaf: its .grad stays None.
# expect-fail: sigmoid_grad
# expect-mistake: sigmoid_grad=autograd-grad-of-non-leaf
import numpy as np
import torch


def matmul_grads(X, W, dY):
    X = torch.tensor(X, requires_grad=True)
    W = torch.tensor(W, requires_grad=True)
    (X @ W).backward(torch.tensor(dY))
    return X.grad.numpy(), W.grad.numpy()


def affine_grads(X, W, b, dY):
    X, W, b = (torch.tensor(a, requires_grad=True) for a in (X, W, b))
    (X @ W + b).backward(torch.tensor(dY))
    return X.grad.numpy(), W.grad.numpy(), b.grad.numpy()


def sigmoid_grad(x):
    x = torch.tensor(x, requires_grad=True).float()  # not a leaf any more
    y = torch.sigmoid(x)
    y.backward(torch.ones_like(y))
    return x.grad  # None


def softmax_with_loss_grads(x, t):
    x = torch.tensor(x, requires_grad=True)
    E = -(torch.tensor(t) * torch.log_softmax(x, dim=1)).sum() / x.shape[0]
    E.backward()
    return E.item(), x.grad.numpy()
