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


# ------------------------------------------------------------------ the import rules (docs/DEVELOPING.md)

PACKAGES = ("grader", "api", "exercises", "reference")


def _module_imports() -> dict[str, set[str]]:
    """Every project module and the project modules it imports (at the top or inside a function)."""
    import ast

    mods: dict[str, Path] = {}
    for pkg in PACKAGES:
        for path in (ROOT / pkg).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            mods[name.removesuffix(".__init__")] = path
    edges: dict[str, set[str]] = {}
    for name, path in mods.items():
        deps: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                deps |= {a.name for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                deps.add(node.module)
                deps |= {f"{node.module}.{a.name}" for a in node.names}
        edges[name] = {d for d in deps if d in mods and d != name}
    return edges


def test_no_import_cycle_among_the_project_modules():
    edges = _module_imports()
    state: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(v: str) -> None:
        state[v] = 1
        stack.append(v)
        for w in sorted(edges[v]):
            if state.get(w) == 1:
                cycles.append(stack[stack.index(w):] + [w])
            elif w not in state:
                visit(w)
        stack.pop()
        state[v] = 2

    for v in sorted(edges):
        if v not in state:
            visit(v)
    assert cycles == []


def test_the_engine_depends_on_nothing_above_it():
    """`grader/` outside `cli/` and `classroom/` imports neither `api` nor `exercises`;
    `reference/` is pure math (imports no other project package)."""
    edges = _module_imports()
    upward = {(m, d) for m, ds in edges.items() for d in ds
              if m.startswith("grader") and not m.startswith(("grader.cli", "grader.classroom"))
              and d.split(".")[0] in ("api", "exercises")}
    assert upward == set()
    impure = {(m, d) for m, ds in edges.items() for d in ds
              if m.startswith("reference") and d.split(".")[0] != "reference"}
    assert impure == set()
