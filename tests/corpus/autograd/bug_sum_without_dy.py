# Made Y a scalar with Y.sum(): the gradient for dE/dY = 1 everywhere, not for the given dY.
# expect-fail: matmul_grads, affine_grads
# expect-mistake: matmul_grads=autograd-sum-without-dy, affine_grads=autograd-sum-without-dy
import torch


def matmul_grads(X, W, dY):
    X = torch.tensor(X, requires_grad=True)
    W = torch.tensor(W, requires_grad=True)
    (X @ W).sum().backward()
    return X.grad.numpy(), W.grad.numpy()


def affine_grads(X, W, b, dY):
    X, W, b = (torch.tensor(a, requires_grad=True) for a in (X, W, b))
    (X @ W + b).sum().backward()
    return X.grad.numpy(), W.grad.numpy(), b.grad.numpy()


def sigmoid_grad(x):
    x = torch.tensor(x, requires_grad=True)
    torch.sigmoid(x).sum().backward()  # right here: element-wise, so dE/dy = 1 is what is asked
    return x.grad.numpy()


def softmax_with_loss_grads(x, t):
    x = torch.tensor(x, requires_grad=True)
    E = -(torch.tensor(t) * torch.log_softmax(x, dim=1)).sum() / x.shape[0]
    E.backward()
    return E.item(), x.grad.numpy()
