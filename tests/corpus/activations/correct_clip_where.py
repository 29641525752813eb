import numpy as np


def sigmoid(x):
    x = np.clip(x, -500, 500)  # a new array: the argument is not modified
    return 1.0 / (1.0 + np.exp(-x))


def relu(x):
    return np.where(x > 0, x, 0.0)


def tanh(x):
    return np.sinh(x) / np.cosh(x)


def leaky_relu(x, alpha=0.1):
    return np.where(x >= 0, x, x * alpha)   # x == 0 gives 0 on either side


x = np.linspace(-5, 5, 11)
print(sigmoid(x), relu(x), tanh(x), leaky_relu(x))
