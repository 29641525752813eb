"""A generated `layers` class for similarity tests and the benchmark: independent submissions in the
textbook's style, known copies, and the book's `common/` code.

Every independent student writes each layer from the textbook's idiom with choices of their own at
each step (``np.dot`` or ``@``, storing ``out`` or returning at once, which helpers to define, where,
with which names, comments and test cells), so independent answers share the common idioms line by
line but not whole passages.  A copy takes another student's choices and changes what a copier
changes: every name (variables, attributes, helpers), comments, blank lines, the order of the
classes / cells, ``.py`` <-> ``.ipynb`` or a folder.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from pathlib import Path

# name pools: one pick per student and placeholder
NAMES = {
    "x": ["x", "X", "inp", "x_in", "xs", "a", "z", "data"],
    "out": ["out", "y", "res", "result", "output", "o", "h", "val"],
    "dx": ["dx", "dX", "grad_x", "gx", "d_in", "delta", "dxs", "g"],
    "mask": ["mask", "neg", "is_neg", "m", "keep", "pos", "flag", "sel"],
    "y": ["y", "p", "prob", "pred", "yhat", "y_pred", "q", "s"],
    "t": ["t", "target", "label", "T", "tt", "answer", "gold", "ans"],
    "n": ["batch_size", "n", "N", "bs", "num", "m_", "count", "size_"],
    "sm": ["softmax", "soft_max", "my_softmax", "_softmax", "softmax_fn", "sm"],
    "ce": ["cross_entropy_error", "cross_entropy", "ce_loss", "_cee", "cee", "xent"],
    "sig": ["sigmoid", "sigm", "_sigmoid", "logistic", "sig", "act_sigmoid"],
    "tmp": ["e", "ex", "exps", "z_exp", "num", "top", "ev", "w_"],
    "d": ["delta", "eps", "d", "small", "tiny", "EPS", "dlt", "epsilon"],
}

COMMENTS = ["# 順伝播", "# 逆伝播", "# forward pass", "# backward pass", "# 入力を保存しておく",
            "# keep the input for backward", "# 教科書 5.1 節", "# バッチ方向に和をとる", "# TODO: check shapes",
            "# see §3.7", "# 重みの勾配", "# オーバーフロー対策", "# ここは教科書通り", "# mask of x <= 0"]


def _pick(rng, options):
    return options[rng.randrange(len(options))]


class Style:
    """One student's choices: which idiom at each step, and their names."""

    def __init__(self, rng: random.Random):
        self.choice: dict[str, int] = {}
        self.rng = rng
        self.names = {k: _pick(rng, v) for k, v in NAMES.items()}
        self.comments = rng.random()

    def c(self, key: str, k: int) -> int:
        if key not in self.choice:
            self.choice[key] = self.rng.randrange(k)
        return self.choice[key]

    def renamed(self, rng: random.Random) -> "Style":
        """The same choices with every name changed (what a copier does)."""
        other = Style.__new__(Style)
        other.choice = dict(self.choice)
        other.rng = rng
        other.names = {}
        for k, pool in NAMES.items():
            rest = [p for p in pool if p != self.names[k]]
            other.names[k] = _pick(rng, rest)
        other.comments = rng.random()
        return other


def _fmt(lines: list[str], s: Style, rng: random.Random) -> str:
    out = []
    for ln in lines:
        if ln.strip() and s.comments > 0.4 and rng.random() < s.comments * 0.25:
            indent = ln[:len(ln) - len(ln.lstrip())]
            out.append(indent + _pick(rng, COMMENTS))
        out.append(ln)
        if ln.strip() and rng.random() < 0.08:
            out.append("")
    return "\n".join(out).format(**s.names)


def helpers(s: Style) -> list[tuple[str, list[str]]]:
    """softmax / cross-entropy / sigmoid helpers the student defines (name, lines)."""
    out = []
    sm = [
        ["def {sm}({x}):", "    {x} = {x} - np.max({x}, axis=-1, keepdims=True)",
         "    return np.exp({x}) / np.sum(np.exp({x}), axis=-1, keepdims=True)"],
        ["def {sm}({x}):", "    if {x}.ndim == 2:", "        {x} = {x}.T", "        {x} = {x} - np.max({x}, axis=0)",
         "        {out} = np.exp({x}) / np.sum(np.exp({x}), axis=0)", "        return {out}.T",
         "    {x} = {x} - np.max({x})", "    return np.exp({x}) / np.sum(np.exp({x}))"],
        ["def {sm}({x}):", "    {tmp} = np.exp({x} - {x}.max(axis=1, keepdims=True))",
         "    return {tmp} / {tmp}.sum(axis=1, keepdims=True)"],
    ]
    ce = [
        ["def {ce}({y}, {t}):", "    if {y}.ndim == 1:", "        {t} = {t}.reshape(1, {t}.size)",
         "        {y} = {y}.reshape(1, {y}.size)", "    {n} = {y}.shape[0]",
         "    return -np.sum({t} * np.log({y} + 1e-7)) / {n}"],
        ["def {ce}({y}, {t}):", "    {d} = 1e-7", "    return -np.sum({t} * np.log({y} + {d})) / {y}.shape[0]"],
        ["def {ce}({y}, {t}):", "    {n} = {y}.shape[0]", "    return -(({t} * np.log({y} + 1e-7)).sum()) / {n}"],
    ]
    sg = [
        ["def {sig}({x}):", "    return 1 / (1 + np.exp(-{x}))"],
        ["def {sig}({x}):", "    return 1.0 / (1.0 + np.exp(-{x}))"],
    ]
    out.append(("sm", sm[s.c("sm", 3)]))
    out.append(("ce", ce[s.c("ce", 3)]))
    if s.c("use_sig", 2):
        out.append(("sig", sg[s.c("sg", 2)]))
    return out


def affine(s: Style) -> list[str]:
    L = ["class Affine:", "    def __init__(self, W, b):", "        self.W = W", "        self.b = b"]
    L += [["        self.{x} = None", "        self.dW = None", "        self.db = None"],
          ["        self.{x} = None"], ["        self.dW, self.db = None, None"], []][s.c("aff_init", 4)]
    shaped = s.c("aff_shape", 3) == 0  # the book's version that flattens tensor input
    if shaped:
        L += ["        self.original_x_shape = None"]
    L += ["", "    def forward(self, {x}):"]
    if shaped:
        L += ["        self.original_x_shape = {x}.shape", "        {x} = {x}.reshape({x}.shape[0], -1)"]
    L += [["        self.{x} = {x}"], ["        self.{x} = {x}.copy()"]][s.c("aff_store", 2)]
    if s.c("aff_assert", 4) == 0:
        L += ["        assert {x}.ndim == 2"]
    L += [["        {out} = np.dot({x}, self.W) + self.b", "        return {out}"],
          ["        return np.dot({x}, self.W) + self.b"],
          ["        {out} = {x} @ self.W + self.b", "        return {out}"],
          ["        return self.b + {x} @ self.W"]][s.c("aff_fwd", 4)]
    L += ["", "    def backward(self, dout):"]
    dot = s.c("aff_dot", 2)
    L += [["        {dx} = np.dot(dout, self.W.T)"], ["        {dx} = dout @ self.W.T"]][dot]
    L += [["        self.dW = np.dot(self.{x}.T, dout)"], ["        self.dW = self.{x}.T @ dout"],
          ["        self.dW = np.matmul(self.{x}.T, dout)"]][s.c("aff_dw", 3)]
    L += [["        self.db = np.sum(dout, axis=0)"], ["        self.db = dout.sum(axis=0)"],
          ["        self.db = np.sum(dout, 0)"]][s.c("aff_db", 3)]
    if shaped:
        L += ["        {dx} = {dx}.reshape(*self.original_x_shape)"]
    L += ["        return {dx}"]
    return L


def sigmoid(s: Style) -> list[str]:
    f = "{sig}({x})" if s.c("use_sig", 2) else "1 / (1 + np.exp(-{x}))"
    L = ["class Sigmoid:", "    def __init__(self):", "        self.{out} = None", "", "    def forward(self, {x}):"]
    L += [[f"        {{y}} = {f}", "        self.{out} = {y}", "        return {y}"],
          [f"        self.{{out}} = {f}", "        return self.{out}"]][s.c("sig_fwd", 2)]
    L += ["", "    def backward(self, dout):"]
    L += [["        return dout * (1.0 - self.{out}) * self.{out}"],
          ["        {dx} = dout * self.{out} * (1 - self.{out})", "        return {dx}"],
          ["        return dout * self.{out} * (1.0 - self.{out})"],
          ["        {dx} = (1 - self.{out}) * self.{out}", "        return {dx} * dout"]][s.c("sig_bwd", 4)]
    return L


def relu(s: Style) -> list[str]:
    L = ["class Relu:", "    def __init__(self):", "        self.{mask} = None", "", "    def forward(self, {x}):"]
    v = s.c("relu", 3)
    L += [["        self.{mask} = ({x} <= 0)", "        {out} = {x}.copy()", "        {out}[self.{mask}] = 0",
           "        return {out}"],
          ["        self.{mask} = {x} > 0", "        return {x} * self.{mask}"],
          ["        self.{mask} = {x} <= 0", "        return np.where(self.{mask}, 0, {x})"]][v]
    L += ["", "    def backward(self, dout):"]
    L += [["        {dx} = dout.copy()", "        {dx}[self.{mask}] = 0", "        return {dx}"],
          ["        return dout * self.{mask}"],
          ["        return np.where(self.{mask}, 0, dout)"]][v]
    return L


def identity(s: Style) -> list[str]:
    L = ["class IdentityWithLoss:"]
    if s.c("id_init", 2):
        L += ["    def __init__(self):", "        self.{y} = None", "        self.{t} = None", ""]
    L += ["    def forward(self, {y}, {t}):", "        self.{y} = {y}", "        self.{t} = {t}"]
    L += [["        return np.sum(({y} - {t}) ** 2) / (2 * {y}.shape[0])"],
          ["        {n} = {y}.shape[0]", "        return 0.5 * np.sum(({y} - {t}) ** 2) / {n}"]][s.c("id_fwd", 2)]
    L += ["", "    def backward(self, dout=1):"]
    L += [["        return dout * (self.{y} - self.{t}) / self.{y}.shape[0]"],
          ["        {n} = self.{t}.shape[0]", "        return dout * (self.{y} - self.{t}) / {n}"]][s.c("id_bwd", 2)]
    return L


def sigmoid_loss(s: Style, bug: bool = False) -> list[str]:
    f = "{sig}({x})" if s.c("use_sig", 2) else "1 / (1 + np.exp(-{x}))"
    L = ["class SigmoidWithLoss:"]
    if s.c("sl_init", 2):
        L += ["    def __init__(self):", "        self.loss = None", "        self.{y} = None", "        self.{t} = None", ""]
    L += ["    def forward(self, {x}, {t}):", "        self.{t} = {t}",
         f"        self.{{y}} = {f}"]
    L += [["        {d} = 1e-7",
           "        return -np.sum({t} * np.log(self.{y} + {d}) + (1 - {t}) * np.log(1 - self.{y} + {d})) / {x}.shape[0]"],
          ["        {n} = {x}.shape[0]",
           "        {out} = {t} * np.log(self.{y} + 1e-7) + (1 - {t}) * np.log(1 - self.{y} + 1e-7)",
           "        return -np.sum({out}) / {n}"]][s.c("sl_fwd", 2)]
    L += ["", "    def backward(self, dout=1):"]
    div = "(self.{t}.shape[0] + 1)" if bug else "self.{t}.shape[0]"
    L += [[f"        return dout * (self.{{y}} - self.{{t}}) / {div}"],
          [f"        {{n}} = {div}", "        return dout * (self.{y} - self.{t}) / {n}"]][s.c("sl_bwd", 2)]
    return L


def softmax_loss(s: Style) -> list[str]:
    L = ["class SoftmaxWithLoss:"]
    if s.c("swl_init", 2):
        L += ["    def __init__(self):", "        self.loss = None", "        self.{y} = None", "        self.{t} = None", ""]
    L += ["    def forward(self, {x}, {t}):", "        self.{t} = {t}", "        self.{y} = {sm}({x})"]
    L += [["        self.loss = {ce}(self.{y}, self.{t})", "        return self.loss"],
          ["        return {ce}(self.{y}, {t})"]][s.c("swl_fwd", 2)]
    L += ["", "    def backward(self, dout=1):"]
    L += [["        {n} = self.{t}.shape[0]", "        {dx} = (self.{y} - self.{t}) / {n}", "        return dout * {dx}"],
          ["        return dout * (self.{y} - self.{t}) / self.{t}.shape[0]"],
          ["        {n} = self.{t}.shape[0]", "        if self.{t}.size == self.{y}.size:",
           "            {dx} = (self.{y} - self.{t}) / {n}", "        else:", "            {dx} = self.{y}.copy()",
           "            {dx}[np.arange({n}), self.{t}] -= 1", "            {dx} = {dx} / {n}",
           "        return dout * {dx}"]][s.c("swl_bwd", 3)]
    return L


TESTS = [
    "layer = Affine(np.random.randn(3, 2), np.zeros(2))\nprint(layer.forward(np.ones((4, 3))).shape)",
    "r = Relu()\nprint(r.forward(np.array([[-1.0, 2.0]])))\nprint(r.backward(np.ones((1, 2))))",
    "sl = SoftmaxWithLoss()\nprint(sl.forward(np.array([[1000.0, 999.0, 998.0]]), np.array([[1.0, 0.0, 0.0]])))",
    "import matplotlib.pyplot as plt\nxs = np.linspace(-5, 5, 100)\nplt.plot(xs, 1 / (1 + np.exp(-xs)))\nplt.show()",
    "for i in range(3):\n    print(i, Sigmoid().forward(np.array([float(i)])))",
]

BOOK_FUNCTIONS = '''# coding: utf-8
import numpy as np


def identity_function(x):
    return x


def step_function(x):
    return np.array(x > 0, dtype=np.int)


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def sigmoid_grad(x):
    return (1.0 - sigmoid(x)) * sigmoid(x)


def relu(x):
    return np.maximum(0, x)


def relu_grad(x):
    grad = np.zeros(x)
    grad[x>=0] = 1
    return grad


def softmax(x):
    if x.ndim == 2:
        x = x.T
        x = x - np.max(x, axis=0)
        y = np.exp(x) / np.sum(np.exp(x), axis=0)
        return y.T

    x = x - np.max(x) # オーバーフロー対策
    return np.exp(x) / np.sum(np.exp(x))


def mean_squared_error(y, t):
    return 0.5 * np.sum((y-t)**2)


def cross_entropy_error(y, t):
    if y.ndim == 1:
        t = t.reshape(1, t.size)
        y = y.reshape(1, y.size)

    # 教師データがone-hot-vectorの場合、正解ラベルのインデックスに変換
    if t.size == y.size:
        t = t.argmax(axis=1)

    batch_size = y.shape[0]
    return -np.sum(np.log(y[np.arange(batch_size), t] + 1e-7)) / batch_size


def softmax_loss(X, t):
    y = softmax(X)
    return cross_entropy_error(y, t)


def numerical_gradient(f, x):
    h = 1e-4 # 0.0001
    grad = np.zeros_like(x)

    it = np.nditer(x, flags=['multi_index'], op_flags=['readwrite'])
    while not it.finished:
        idx = it.multi_index
        tmp_val = x[idx]
        x[idx] = float(tmp_val) + h
        fxh1 = f(x) # f(x+h)

        x[idx] = tmp_val - h
        fxh2 = f(x) # f(x-h)
        grad[idx] = (fxh1 - fxh2) / (2*h)

        x[idx] = tmp_val # 値を元に戻す
        it.iternext()

    return grad
'''


def render(s: Style, rng: random.Random, bug: bool = False, book: bool = False,
           order: list[str] | None = None) -> list[str]:
    """The student's code as cells (a list of sources)."""
    parts = {"affine": affine(s), "sigmoid": sigmoid(s), "relu": relu(s), "identity": identity(s),
             "sigmoid_loss": sigmoid_loss(s, bug), "softmax_loss": softmax_loss(s)}
    keys = order or list(parts)
    cells = ["import numpy as np"]
    if book:  # the book's common/functions.py pasted in (its helpers, untouched)
        cells.append(BOOK_FUNCTIONS.split("\n", 1)[1].replace("import numpy as np\n", ""))
    for _name, lines in helpers(s):
        cells.append(_fmt(lines, s, rng))
    for k in keys:
        cells.append(_fmt(parts[k], s, rng))
    tests = [t for t in TESTS if rng.random() < 0.4]
    for t in tests:
        cells.insert(rng.randrange(2, len(cells) + 1), t)
    return cells


def as_py(cells: list[str]) -> bytes:
    return ("\n\n\n".join(cells) + "\n").encode()


def as_notebook(cells: list[str]) -> bytes:
    return json.dumps({
        "nbformat": 4, "nbformat_minor": 5,
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
        "cells": [{"cell_type": "markdown", "metadata": {}, "source": ["# 3-1 層のクラス"]}]
                 + [{"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
                     "source": [ln + "\n" for ln in c.split("\n")]} for c in cells],
    }, ensure_ascii=False).encode()


@dataclass
class Generated:
    copies: set[frozenset]                       # pairs of students that are copies
    bug_pair: frozenset | None = None            # the copy that carries the source's bug along
    book_pair: frozenset | None = None           # two independents who both pasted the book's functions
    kinds: dict[str, str] = field(default_factory=dict)


def write(root: Path, student: str, cells: list[str], fmt: str) -> None:
    if fmt == "py":
        (root / f"{student}.py").write_bytes(as_py(cells))
    elif fmt == "nb":
        (root / f"{student}.ipynb").write_bytes(as_notebook(cells))
    else:  # a folder: two notebooks
        d = root / student
        d.mkdir(parents=True, exist_ok=True)
        half = max(1, len(cells) // 2)
        (d / "part1.ipynb").write_bytes(as_notebook(cells[:half]))
        (d / "part2.ipynb").write_bytes(as_notebook(cells[half:]))


def generate(root: Path, independents: int = 30, seed: int = 1, copies: bool = True, book_pair: bool = True,
             book_share: float = 0.0) -> Generated:
    """Write the class into ``root``.  Copies (when ``copies``): c1 renamed variables (.py -> .py),
    c2 reordered classes as a notebook, c3 comments / blank lines changed in a folder, c4 the source's
    bug copied along (renamed); they are the next four names after the independents'.  ``book_pair``: two independents paste the book's functions;
    ``book_share``: that share of the other independents does too."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    gen = Generated(copies=set())
    styles: dict[str, Style] = {}
    width = max(3, len(str(independents)))
    book_students = set()
    if book_pair and independents >= 4:
        book_students = {f"s{2:0{width}d}", f"s{3:0{width}d}"}
        gen.book_pair = frozenset(book_students)
    bug_source = f"s{5:0{width}d}" if copies and independents >= 6 else None
    for i in range(independents):
        name = f"s{i + 1:0{width}d}"
        s = Style(random.Random(rng.random()))
        styles[name] = s
        book = name in book_students or (name not in book_students and rng.random() < book_share)
        cells = render(s, random.Random(rng.random()), bug=name == bug_source, book=book)
        write(root, name, cells, _pick(rng, ["py", "py", "nb", "folder"]))
        gen.kinds[name] = "independent"
    if copies and independents >= 6:
        c1, c2, c3, c4 = (f"s{independents + k:0{width}d}" for k in (1, 2, 3, 4))
        order = ["affine", "sigmoid", "relu", "identity", "sigmoid_loss", "softmax_loss"]
        srcs = [f"s{k:0{width}d}" for k in (1, 4, 6, 5)]
        # c1: every name changed
        s1 = styles[srcs[0]].renamed(random.Random(11))
        write(root, c1, render(s1, random.Random(12)), "py")
        # c2: the same names, classes and cells in another order, as a notebook
        shuffled = order[:]
        random.Random(13).shuffle(shuffled)
        write(root, c2, render(styles[srcs[1]], random.Random(14), order=shuffled), "nb")
        # c3: comments and blank lines changed (another comment habit), as a folder
        s3 = styles[srcs[2]]
        s3b = Style.__new__(Style)
        s3b.choice, s3b.rng, s3b.names, s3b.comments = dict(s3.choice), random.Random(15), dict(s3.names), 1.0
        write(root, c3, render(s3b, random.Random(16)), "folder")
        # c4: renamed, and the source's bug (SigmoidWithLoss.backward divides by N + 1) copied along
        s4 = styles[srcs[3]].renamed(random.Random(17))
        write(root, c4, render(s4, random.Random(18), bug=True), "nb")
        gen.copies = {frozenset({srcs[0], c1}), frozenset({srcs[1], c2}),
                      frozenset({srcs[2], c3}), frozenset({srcs[3], c4})}
        gen.bug_pair = frozenset({srcs[3], c4})
        for c in (c1, c2, c3, c4):
            gen.kinds[c] = "copy"
    return gen


def write_book(root: Path) -> Path:
    """The book's `common/` folder (functions.py) as boilerplate."""
    d = Path(root) / "common"
    d.mkdir(parents=True, exist_ok=True)
    (d / "functions.py").write_text(BOOK_FUNCTIONS, encoding="utf-8")
    (d / "__init__.py").write_text("", encoding="utf-8")
    return d
