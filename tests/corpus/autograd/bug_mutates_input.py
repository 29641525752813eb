# torch.from_numpy shares memory with the grader's array: the in-place max shift writes into x.
# expect-fail: softmax_with_loss_grads.no_mutation
# expect-mistake: softmax_with_loss_grads.no_mutation=input-modified-in-place
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
    x = torch.tensor(x, requires_grad=True)
    y = torch.sigmoid(x)
    y.backward(torch.ones_like(y))
    return x.grad.numpy()


def softmax_with_loss_grads(x, t):
    x = torch.from_numpy(x)
    x -= x.max(dim=1, keepdim=True).values  # in place: x is the caller's array
    x.requires_grad_(True)
    E = -(torch.from_numpy(t) * torch.log_softmax(x, dim=1)).sum() / x.shape[0]
    E.backward()
    return E.item(), x.grad.numpy()
