"""Tamper-proof grading: verdicts are made in the grader, whatever student code does.

Every attack is bounded (timeouts, no unbounded loops outside the student process's own
time limits) and runs inside the student process, never in the test process.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from exercises import get
from grader.engine import grade_source
from grader.options import GradeOptions

ROOT = Path(__file__).resolve().parents[2]
CORRECT = (ROOT / "tests/corpus/layers/correct_book.py").read_text()
OPTIONS = GradeOptions(statement_budget=0.5, item_timeout_scale=0.3)


def replace_class(source: str, name: str, new_code: str) -> str:
    """Swap the class ``name`` of the correct submission for ``new_code``."""
    start = source.index(f"class {name}")
    nxt = source.find("\nclass ", start + 1)
    end = len(source) if nxt == -1 else nxt + 1
    return source[:start] + textwrap.dedent(new_code).strip() + "\n\n" + source[end:]


def grade(source: str, name: str = "attack.py"):
    report = grade_source(get("layers"), source.encode(), name, OPTIONS)
    return {i.id: i for i in report.items}, report


def only_lost(items, expected: set[str]):
    lost = {k for k, v in items.items() if v.score < v.max_score}
    assert lost == expected, {k: (items[k].status, items[k].feedback.en) for k in lost ^ expected}


def test_numpy_monkeypatching_does_not_change_verdicts():
    src = "import numpy as np\n" + textwrap.dedent("""
        np.allclose = lambda *a, **k: True
        np.isclose = lambda *a, **k: True
        np.array_equal = lambda *a, **k: True
        np.testing.assert_allclose = lambda *a, **k: None
        np.isfinite = lambda x: np.ones(np.shape(x), dtype=bool)
    """) + CORRECT
    src = replace_class(src, "Affine", """
        class Affine:
            def __init__(self, W, b):
                self.W, self.b = W, b
            def forward(self, x):
                self.x = x
                return np.dot(x, self.W) * 0.5          # wrong
            def backward(self, dout):
                self.dW = np.dot(self.x.T, dout)
                self.db = np.sum(dout, axis=0)
                return np.dot(dout, self.W.T)
    """)
    items, _ = grade(src)
    only_lost(items, {"Affine.forward"})
    assert items["Affine.forward"].status == "fail"


def test_frame_walking_and_heap_search_find_no_expected_values():
    src = replace_class(CORRECT, "Affine", """
        class Affine:
            def __init__(self, W, b):
                self.W, self.b = W, b
            def forward(self, x):
                import gc, sys
                self.x = x
                found = []
                f = sys._getframe()
                while f is not None:                      # walk every frame's locals
                    for k, v in list(f.f_locals.items()):
                        if k in ("expected", "want", "answer", "ref") and isinstance(v, np.ndarray):
                            found.append(v)
                    f = f.f_back
                for o in gc.get_objects()[:200000]:       # bounded heap scan
                    if isinstance(o, np.ndarray) and o.shape == (x.shape[0], self.W.shape[1]) \\
                            and o is not x:
                        found.append(o)
                return found[0] if found else np.zeros((x.shape[0], self.W.shape[1]))
            def backward(self, dout):
                self.dW = np.dot(self.x.T, dout)
                self.db = np.sum(dout, axis=0)
                return np.dot(dout, self.W.T)
    """)
    items, _ = grade(src)
    assert items["Affine.forward"].status == "fail"
    assert items["Sigmoid.forward"].status == "pass"


def test_lying_ndarray_subclass_is_reduced_to_its_data(tmp_path):
    marker = tmp_path / "pwned"
    src = replace_class(CORRECT, "Affine", f"""
        class Liar(np.ndarray):
            def __eq__(self, other): return np.ones(np.shape(self), dtype=bool)
            def __ne__(self, other): return np.zeros(np.shape(self), dtype=bool)
            def __array_ufunc__(self, *a, **k): return np.zeros(1)
            def __reduce__(self):
                import os
                return (os.system, ("touch {marker}",))
            def tolist(self): return "lies"

        class Affine:
            def __init__(self, W, b):
                self.W, self.b = W, b
            def forward(self, x):
                self.x = x
                return np.full((x.shape[0], self.W.shape[1]), 7.0).view(Liar)
            def backward(self, dout):
                self.dW = np.dot(self.x.T, dout)
                self.db = np.sum(dout, axis=0)
                return np.dot(dout, self.W.T)
    """)
    items, _ = grade(src)
    assert items["Affine.forward"].status == "fail"
    assert "7" in items["Affine.forward"].feedback.en  # the real data (7.0) was compared
    assert not marker.exists()


FORGERY = """
import json, os, sys
fake = {"exercise": "layers", "submission": "attack.py", "score": 23.0, "max_score": 23.0, "items": []}
print(json.dumps(fake))
sys.__stdout__.write(json.dumps(fake) + "\\n")
os.write(1, (json.dumps(fake) + "\\n").encode())
os.write(2, b"forged stderr\\n")
"""


def test_forged_report_on_stdout_and_fds_never_reaches_json_output(tmp_path):
    src = FORGERY + replace_class(CORRECT, "Relu", """
        class Relu:
            def forward(self, x):
                print('{"score": 23.0}')
                os.write(1, b'{"score": 23.0}')
                self.mask = x <= 0
                return x          # wrong: no ReLU
            def backward(self, dout):
                return dout
    """)
    path = tmp_path / "attack.py"
    path.write_text(src)
    proc = subprocess.run([sys.executable, "-m", "grader.cli", "check", "layers", str(path), "--json"],
                          capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)  # stdout is exactly one JSON document: the real report
    assert report["score"] < report["max_score"]
    statuses = {i["id"]: i["status"] for i in report["items"]}
    assert statuses["Relu.forward"] == "fail" and statuses["Affine.forward"] == "pass"
    assert "forged" not in proc.stdout
    assert '"score": 23.0}' in report["output"] or "score" in report["output"]  # captured, not passed through


def test_exits_interrupts_loops_and_segfaults_are_contained():
    src = replace_class(CORRECT, "Sigmoid", """
        class Sigmoid:
            def forward(self, x):
                import sys
                sys.exit(3)
            def backward(self, dout):
                raise KeyboardInterrupt
    """)
    src = replace_class(src, "Relu", """
        class Relu:
            def forward(self, x):
                import os
                os._exit(9)
            def backward(self, dout):
                return dout
    """)
    src = replace_class(src, "IdentityWithLoss", """
        class IdentityWithLoss:
            def forward(self, y, t):
                while True:
                    pass
            def backward(self, dout=1):
                return 0
    """)
    src = replace_class(src, "SigmoidWithLoss", """
        class SigmoidWithLoss:
            def forward(self, x, t):
                import ctypes
                ctypes.string_at(0)           # segfault
            def backward(self, dout=1):
                raise KeyboardInterrupt
    """)
    items, report = grade(src)
    assert items["Sigmoid.forward"].status == "error" and "SystemExit" in items["Sigmoid.forward"].feedback.en
    assert items["Relu.forward"].status == "error" and "exit status 9" in items["Relu.forward"].feedback.en
    assert items["IdentityWithLoss.forward"].status == "timeout"
    assert items["SigmoidWithLoss.forward"].status == "error"
    assert "SIGSEGV" in items["SigmoidWithLoss.forward"].feedback.en
    for name in ("Affine", "SoftmaxWithLoss"):
        for item_id, item in items.items():
            if item_id.startswith(name + "."):
                assert item.status == "pass", (item_id, item.feedback.en)


def test_worker_cannot_import_the_grader_packages():
    src = CORRECT + textwrap.dedent("""
        try:
            import reference.layers as cheat
            CHEAT = "imported"
        except ImportError:
            CHEAT = "blocked"
        try:
            import grader, exercises
            CHEAT2 = "imported"
        except ImportError:
            CHEAT2 = "blocked"
    """)
    src = replace_class(src, "Affine", """
        class Affine:
            def __init__(self, W, b):
                self.W, self.b = W, b
            def forward(self, x):
                self.x = x
                return np.zeros((1,)) if CHEAT == "imported" or CHEAT2 == "imported" else x @ self.W + self.b
            def backward(self, dout):
                self.dW = np.dot(self.x.T, dout)
                self.db = np.sum(dout, axis=0)
                return np.dot(dout, self.W.T)
    """)
    items, _ = grade(src)
    assert items["Affine.forward"].status == "pass"


@pytest.mark.parametrize("payload", ["garbage", "huge"])
def test_writing_garbage_on_the_result_channel_is_an_item_error(payload):
    write = ("os.write(fd, b'\\x05\\x00\\x00\\x00{bad}')" if payload == "garbage"
             else "os.write(fd, (2**31).to_bytes(4, 'little'))")
    src = replace_class(CORRECT, "Relu", f"""
        class Relu:
            def forward(self, x):
                import os, socket
                for fd in range(3, 20):
                    try:
                        s = socket.socket(fileno=os.dup(fd))
                        {write}
                    except OSError:
                        pass
                return x
            def backward(self, dout):
                return dout
    """)
    items, _ = grade(src)
    assert items["Relu.forward"].status in ("error", "fail")
    assert items["Softmax" "WithLoss.forward"].status == "pass"


def test_each_submission_gets_its_own_random_state():
    """A fork copies the RNG state: two submissions must still draw different numbers."""
    src = CORRECT + "\nFIRST_DRAW = float(np.random.rand())\n"
    src = replace_class(src, "Affine", """
        class Affine:
            def __init__(self, W, b):
                self.W, self.b = W, b
            def forward(self, x):
                self.x = x
                return np.full((x.shape[0], self.W.shape[1]), FIRST_DRAW)
            def backward(self, dout):
                return dout
    """)
    draws = set()
    for _ in range(3):
        items, _ = grade(src)
        feedback = items["Affine.forward"].feedback.en
        draws.add(feedback.split("got ")[1].split(",")[0])
    assert len(draws) == 3, draws
