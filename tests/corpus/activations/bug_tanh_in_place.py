# tanh writes its result into its argument (np.tanh(x, out=x)).
# expect-fail: tanh.no_mutation
# expect-mistake: tanh.no_mutation=input-modified-in-place
# Deep Learning from Scratch style: one-line NumPy functions.
import numpy as np


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def relu(x):
    return np.maximum(0, x)


def tanh(x):
    return np.tanh(x, out=x)


def leaky_relu(x):
    return np.where(x > 0, x, 0.1 * x)
