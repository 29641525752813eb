# Y = XW is a matrix: Y.backward() without the gradient raises (the point of §3.8).
# expect-fail: matmul_grads, matmul_grads.no_mutation
# expect-mistake: matmul_grads=autograd-backward-non-scalar, matmul_grads.no_mutation=autograd-backward-non-scalar
import torch


def matmul_grads(X, W, dY):
    X = torch.tensor(X, requires_grad=True)
    W = torch.tensor(W, requires_grad=True)
    Y = X @ W
    Y.backward()  # RuntimeError: grad can be implicitly created only for scalar outputs
    return X.grad.numpy(), W.grad.numpy()


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
    E = -(torch.tensor(t) * torch.log_softmax(x, dim=1)).sum() / x.shape[0]
    E.backward()
    return E.item(), x.grad.numpy()
