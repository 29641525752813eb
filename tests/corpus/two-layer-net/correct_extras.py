# A class with extra helpers (accuracy, numerical gradient, fit); layer objects rebuilt from params each call.
import numpy as np


class Affine:
    def __init__(self, params, w, b):
        self.params, self.w, self.b = params, w, b

    def forward(self, x):
        self.x = x
        return x.dot(self.params[self.w]) + self.params[self.b]

    def backward(self, dout):
        self.dW = self.x.T.dot(dout)
        self.db = dout.sum(axis=0)
        return dout.dot(self.params[self.w].T)


class ReLU:
    def forward(self, x):
        self.mask = x > 0
        return x * self.mask

    def backward(self, dout):
        return dout * self.mask


class Output:
    def __init__(self, task):
        self.task = task

    def activate(self, a):
        if self.task == "regression":
            return a.copy()
        if self.task == "binary":
            return np.exp(-np.logaddexp(0, -a))
        e = np.exp(a - a.max(axis=-1, keepdims=True))
        return e / e.sum(axis=-1, keepdims=True)

    def forward(self, a, t):
        self.y, self.t = self.activate(a), t
        n = a.shape[0]
        if self.task == "regression":
            return 0.5 * np.sum((self.y - t) ** 2) / n
        eps = 1e-7
        if self.task == "binary":
            return float(-np.mean(np.sum(t * np.log(self.y + eps) + (1 - t) * np.log(1 - self.y + eps), axis=1)))
        return float(-np.mean(np.sum(t * np.log(self.y + eps), axis=1)))

    def backward(self):
        return (self.y - self.t) / self.t.shape[0]


class TwoLayerNet:
    def __init__(self, input_size, hidden_size, output_size, task="multiclass", weight_init_std=0.01):
        self.params = {"W1": np.random.randn(input_size, hidden_size) * weight_init_std,
                       "b1": np.zeros(hidden_size),
                       "W2": np.random.randn(hidden_size, output_size) * weight_init_std,
                       "b2": np.zeros(output_size)}
        self.affine1 = Affine(self.params, "W1", "b1")
        self.relu = ReLU()
        self.affine2 = Affine(self.params, "W2", "b2")
        self.output = Output(task)

    def _scores(self, x):
        return self.affine2.forward(self.relu.forward(self.affine1.forward(x)))

    def predict(self, x):
        return self.output.activate(self._scores(x))

    def loss(self, x, t):
        return self.output.forward(self._scores(x), t)

    def accuracy(self, x, t):
        y = self.predict(x)
        if y.shape[1] == 1:
            return float(np.mean((y > 0.5) == (t > 0.5)))
        return float(np.mean(y.argmax(axis=1) == t.argmax(axis=1)))

    def numerical_gradient(self, x, t, h=1e-4):
        grads = {}
        for key, p in self.params.items():
            g = np.zeros_like(p)
            for idx in np.ndindex(p.shape):
                old = p[idx]
                p[idx] = old + h
                fp = self.loss(x, t)
                p[idx] = old - h
                fm = self.loss(x, t)
                p[idx] = old
                g[idx] = (fp - fm) / (2 * h)
            grads[key] = g
        return grads

    def gradient(self, x, t):
        self.loss(x, t)
        dout = self.output.backward()
        dout = self.affine2.backward(dout)
        dout = self.relu.backward(dout)
        self.affine1.backward(dout)
        return {"W1": self.affine1.dW, "b1": self.affine1.db, "W2": self.affine2.dW, "b2": self.affine2.db}

    def fit(self, x, t, lr=0.1, epochs=100, batch_size=16):
        for _ in range(epochs):
            idx = np.random.choice(len(x), batch_size)
            grads = self.gradient(x[idx], t[idx])
            for key in self.params:
                self.params[key] -= lr * grads[key]


# a quick self-test, as a student would leave it in the file
x_demo = np.random.randn(32, 2)
t_demo = (x_demo[:, :1] > 0).astype(float)
demo = TwoLayerNet(2, 8, 1, task="binary", weight_init_std=0.5)
demo.fit(x_demo, t_demo, epochs=20)
print("accuracy", demo.accuracy(x_demo, t_demo))
