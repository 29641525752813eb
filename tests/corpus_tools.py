"""Helpers for the submission corpus in tests/corpus/<exercise>/.

Conventions for a corpus file (``.py`` or ``.ipynb``):

- ``correct_*``: a correct submission; must get full marks.
- ``bug_*``: a typical mistake.  Header comment lines say what it must lose::

      # expect-fail: Affine.backward, Affine.worked_examples
      # expect-mistake: Affine.backward=affine-dw-transpose   (optional, issue 9)
      # expect-status: Affine.backward=error                  (optional; default: anything but pass)

  Every item not listed must get full marks.
- ``broken_*``: cannot be graded at all; every item ``error``.

Every correct ``.py`` file is also graded as a notebook with slow extra cells
(MNIST loading, a training loop, plotting) to show those cells cost at most
their budget and change nothing.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

CORPUS = Path(__file__).parent / "corpus"

SLOW_CELLS = [
    "%matplotlib inline\nimport matplotlib.pyplot as plt",
    "from dataset.mnist import load_mnist\n(x_train, t_train), (x_test, t_test) = load_mnist(one_hot_label=True)",
    "!pip install numpy\nimport time\nstart = time.time()\nwhile True:\n    pass  # a training loop that never ends",
    "train_loss_list = []\nfor i in range(10**9):\n    train_loss_list.append(i)",
    "plt.plot(train_loss_list)\nplt.show()",
]


def _clean(value: str) -> str:
    """An id from a header line; in a notebook the line ends with the JSON string's `\\n",`."""
    value = value.strip()
    if value.endswith('",'):
        value = value[:-2]
    if value.endswith("\\n"):
        value = value[:-2]
    return value.strip().strip('"').strip()


def expectations(path: Path) -> dict:
    text = path.read_text(encoding="utf-8")
    fails: set[str] = set()
    mistakes: dict[str, str] = {}
    statuses: dict[str, str] = {}
    for m in re.finditer(r"#\s*expect-fail:\s*(.+)", text):
        fails |= {_clean(s) for s in m.group(1).split(",") if _clean(s)}
    for m in re.finditer(r"#\s*expect-mistake:\s*(.+)", text):
        for part in m.group(1).split(","):
            if "=" in part:
                k, v = part.split("=", 1)
                mistakes[k.strip()] = _clean(v)
    for m in re.finditer(r"#\s*expect-status:\s*(.+)", text):
        for part in m.group(1).split(","):
            if "=" in part:
                k, v = part.split("=", 1)
                statuses[k.strip()] = _clean(v)
    return {"fail": fails, "mistake": mistakes, "status": statuses}


def py_to_notebook(source: str, extra_cells: list[str] | None = None) -> bytes:
    """Split a .py file into cells at top-level definitions; append ``extra_cells``."""
    cells: list[str] = []
    current: list[str] = []
    for line in source.split("\n"):
        if re.match(r"^(def |class |@)", line) and current and not current[-1].startswith("@"):
            cells.append("\n".join(current))
            current = []
        current.append(line)
    if current:
        cells.append("\n".join(current))
    cells = [c for c in cells if c.strip()]
    all_cells = cells[:1] + list(extra_cells or [])[:2] + cells[1:] + list(extra_cells or [])[2:]
    nb = {
        "nbformat": 4, "nbformat_minor": 5,
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
        "cells": [{"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
                   "source": [ln + "\n" for ln in c.split("\n")]} for c in all_cells]
                 + [{"cell_type": "markdown", "metadata": {}, "source": ["## 演習の説明"]}],
    }
    return json.dumps(nb, ensure_ascii=False).encode()


def corpus_files(exercise: str, prefix: str) -> list[Path]:
    folder = CORPUS / exercise
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.name.startswith(prefix) and p.suffix in (".py", ".ipynb"))


def all_exercises() -> list[str]:
    return sorted(p.name for p in CORPUS.iterdir() if p.is_dir()) if CORPUS.is_dir() else []
