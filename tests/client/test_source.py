"""The program rebuilt from a kernel's cells (dlgrade_client._source), without a kernel."""

from __future__ import annotations

import ast
from pathlib import Path

from dlgrade_client._source import Cell, notebook_cells, rebuild, strip_magics

CLIENT = Path(__file__).resolve().parents[2] / "client" / "dlgrade_client"


def cells(*sources: str) -> list[Cell]:
    return [Cell(n, s) for n, s in enumerate(sources, start=1)]


def body(program) -> str:
    return "\n".join(line for line in program.source.splitlines() if not line.startswith("#"))


def test_the_last_definition_wins_and_keeps_its_place_in_execution_order():
    p = rebuild(cells("import numpy as np", "def relu(x):\n    return x", "relu(np.ones(2))",
                      "def relu(x):\n    return np.maximum(0, x)"), ["relu"])
    assert body(p) == "import numpy as np\ndef relu(x):\n    return np.maximum(0, x)"
    assert p.cells == [1, 4]
    assert "# In[1]" in p.source and "# In[4]" in p.source


def test_a_class_redefined_after_a_fix_replaces_the_first_one_entirely():
    first = "class Affine:\n    def forward(self, x):\n        return x @ self.W.T\n    def extra(self):\n        pass"
    fixed = "class Affine:\n    def forward(self, x):\n        return x @ self.W"
    p = rebuild(cells(first, "a = Affine()", fixed), ["Affine"])
    assert body(p) == fixed and p.cells == [3]


def test_magics_shell_and_help_lines_are_skipped_and_blocks_stay_valid():
    assert strip_magics("%matplotlib inline\nx = 1\n!pip install foo\nfiles = !ls\nt = %timeit f()\nnp.dot?") == \
        "pass\nx = 1\npass\npass\npass\npass"
    assert strip_magics("for i in range(2):\n    %time f(i)") == "for i in range(2):\n    pass"
    assert strip_magics("%%bash\nls") is None
    assert strip_magics("%%time\ndef f():\n    return 1") == "pass\ndef f():\n    return 1"
    p = rebuild(cells("%load_ext autoreload\nimport numpy as np", "%%writefile x.py\ndef g(): pass",
                      "%%time\ndef f():\n    return np.zeros(1)"), ["f"])
    assert body(p) == "import numpy as np\ndef f():\n    return np.zeros(1)" and p.cells == [1, 3]
    assert "!=" in body(rebuild(cells("def ne(a, b):\n    return a != b"), ["ne"]))  # not a shell line


def test_assignments_are_kept_only_when_the_exercise_or_the_kept_code_uses_them():
    p = rebuild(cells("import numpy as np\nEPS = 1e-7\nDELTA = EPS * 10\nx = np.random.randn(100, 3)\n"
                      "network = None\nlr: float = 0.1",
                      "def cross_entropy_error(y, t):\n    x = np.log(y + DELTA)\n    return -np.sum(t * x)",
                      "sigmoid = lambda a: 1 / (1 + np.exp(-a))"),
                ["cross_entropy_error", "sigmoid"])
    # DELTA is used, EPS through DELTA; `x` is the function's own local; lr and network are unused
    assert body(p) == ("import numpy as np\nEPS = 1e-7\nDELTA = EPS * 10\n"
                       "def cross_entropy_error(y, t):\n    x = np.log(y + DELTA)\n    return -np.sum(t * x)\n"
                       "sigmoid = lambda a: 1 / (1 + np.exp(-a))")


def test_training_loops_prints_and_tests_are_dropped_but_a_cell_that_raised_is_kept():
    p = rebuild(cells("import numpy as np",
                      "class Relu:\n    def forward(self, x):\n        return np.maximum(0, x)\n"
                      "Relu().forward(None) + 1  # raised in the kernel",
                      "net = Relu()\nfor i in range(10000):\n    net.forward(np.ones(3))\nprint('done')\n"
                      "assert net is not None\nloss_list = []\nloss_list.append(1)"), ["Relu"])
    assert body(p) == "import numpy as np\nclass Relu:\n    def forward(self, x):\n        return np.maximum(0, x)"
    assert p.cells == [1, 2]


def test_imports_compound_blocks_and_updates_follow_the_same_rules():
    p = rebuild(cells("import numpy as np\nimport dlgrade_client as dlg\nfrom dlgrade_client import check",
                      "try:\n    import cupy as xp\nexcept ImportError:\n    import numpy as xp",
                      "from common.layers import *", "SCALE = 2\nSCALE *= 3\nunused = 1\nunused += 1",
                      "def f(a):\n    return xp.asarray(a) * SCALE"), ["f"])
    assert body(p) == ("import numpy as np\ntry:\n    import cupy as xp\nexcept ImportError:\n    import numpy as xp\n"
                       "from common.layers import *\nSCALE = 2\nSCALE *= 3\ndef f(a):\n    return xp.asarray(a) * SCALE")
    # an import later replaced by the student's own class is dropped
    p = rebuild(cells("from common.layers import Affine", "class Affine:\n    pass"), ["Affine"])
    assert body(p) == "class Affine:\n    pass"


def test_statements_sharing_a_line_decorators_and_unparsable_cells():
    p = rebuild(cells("import functools; x = 1; print(x)",
                      "@functools.lru_cache()\ndef table(n):\n    return n", "def broken(:\n    pass"), ["table"])
    assert body(p) == "import functools\n@functools.lru_cache()\ndef table(n):\n    return n"
    assert p.unparsable == [3] and p.cells == [1, 2]
    ast.parse(p.source)


def test_a_saved_notebook_and_the_kernel_history_compare_by_what_they_define():
    nb = ('{"cells": [{"cell_type": "markdown", "source": ["# 3-1-2"]}, {"cell_type": "code", "source": '
          '["import numpy as np\\n", "%matplotlib inline"]}, {"cell_type": "code", "source": "def f(x):\\n'
          '    return np.tanh(x)  # comment"}], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}')
    saved = rebuild(notebook_cells(nb), ["f"])
    ran = rebuild(cells("import numpy as np", "print(1)", "def f(x):\n    return np.tanh(x)"), ["f"])
    assert saved.key() == ran.key()  # comments, cell numbers and extra test cells do not matter
    edited = rebuild(cells("import numpy as np", "def f(x):\n    return np.tanh(2 * x)"), ["f"])
    assert edited.key() != saved.key()


def test_the_client_is_python_3_9_syntax():
    """Colab's and older lab machines' interpreters: no match, no `X | Y` evaluated at run time."""
    for path in CLIENT.glob("*.py"):
        source = path.read_text(encoding="utf-8")
        ast.parse(source, filename=str(path), feature_version=(3, 9))
        assert "from __future__ import annotations" in source, path
