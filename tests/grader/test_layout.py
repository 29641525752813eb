"""The project root that the student-side code computes for what the sandbox hides.

The student process (``isolate_imports``) and the filesystem view (``View``) find the project
directory from their own file's location. Moving those files must not change the answer.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _load(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _child_script() -> Path:
    from grader.runner import pool  # noqa: F401 - the module that knows where the scripts are
    from grader.sandbox import probe
    return Path(probe.CHILD_SCRIPT)


def _student_script() -> Path:
    from grader.runner import pool
    return Path(pool.STUDENT_SCRIPT)


def test_filesystem_view_hides_the_project_root():
    child = _load(_child_script(), "dlgrade_test_child")
    view = child.View()
    assert os.path.realpath(view.project) == os.path.realpath(ROOT)


def test_student_process_drops_the_project_root_from_sys_path():
    code = (
        "import importlib.util, os, sys\n"
        f"sys.path.insert(0, {str(ROOT)!r})\n"
        f"spec = importlib.util.spec_from_file_location('w', {str(_student_script())!r})\n"
        "m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)\n"
        "m.isolate_imports()\n"
        f"print(any(os.path.abspath(p) == {str(ROOT)!r} for p in sys.path))\n"
        "try:\n    import grader\n    print('importable')\nexcept ImportError:\n    print('blocked')\n"
    )
    out = subprocess.run([sys.executable, "-I", "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["False", "blocked"]
