# In-place edits, but on copies; sigmoid through tanh, tanh through sigmoid.
import numpy as np

LEAK = 0.1


def sigmoid(x):
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def relu(x):
    y = x.copy()
    y[y < 0] = 0
    return y


def tanh(x):
    s = 1.0 / (1.0 + np.exp(-2.0 * np.clip(x, -300, 300)))
    return 2.0 * s - 1.0


def leaky_relu(x):
    y = np.array(x, copy=True)
    y[y <= 0] *= LEAK
    return y


if __name__ == "__main__":
    print(sigmoid(np.array([0.0])))
