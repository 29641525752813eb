"""The program a kernel ran, rebuilt from its executed cells (IPython's input history) with ``ast``.

Kept, in execution order: imports, function and class definitions, and the assignments that the
exercise's names or the kept definitions use; the last definition of a name wins.  Dropped: magics and
shell lines, bare expressions (prints, tests), loops (training) and everything whose result is
overwritten later.  A cell that raised is kept like any other: the server drops a failing statement
and says so in the report's notes.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Optional, Sequence, Set, Tuple

# %magic, !shell, `x = !ls`, `t = %timeit f()`, help lines (`f?`, `??f`)
_MAGIC_LINE = re.compile(r"^\s*([%!]|[\w.]+(\s*,\s*[\w.]+)*\s*=\s*[%!])")
_HELP_LINE = re.compile(r"^\s*(\?\??[\w.]+|[\w.]+\?\??)\s*$")
# cell magics whose body is ordinary Python that ran
_PYTHON_CELL_MAGICS = ("time", "timeit", "capture", "prun")
# the client itself is not part of the answer (and not installed where the server runs it)
_OWN_PACKAGE = "dlgrade_client"

IMPORT, DEFINITION, ASSIGNMENT, UPDATE, COMPOUND = "import", "definition", "assignment", "update", "compound"


@dataclass(frozen=True)
class Cell:
    number: int  # the execution count, In[number]
    source: str


@dataclass
class Program:
    source: str
    cells: List[int]  # the cells at least one statement was taken from
    unparsable: List[int] = field(default_factory=list)  # cells that are not Python (skipped)

    def key(self) -> str:
        """What the program does, without cell numbers, comments or layout (to compare two rebuilds)."""
        try:
            return ast.dump(ast.parse(self.source))
        except SyntaxError:
            return self.source


@dataclass
class _Statement:
    cell: int
    index: int  # position in execution order
    kind: str
    text: str
    binds: Set[str]
    uses: Set[str]


def strip_magics(text: str) -> Optional[str]:
    """The cell's Python: magic, shell and help lines become ``pass`` (keeping blocks valid); ``None`` for a
    cell that is not Python at all (``%%bash``, ``%%writefile`` ...)."""
    lines = text.split("\n")
    first = lines[0].strip() if lines else ""
    if first.startswith("%%"):
        if first[2:].split(None, 1)[:1] not in [[m] for m in _PYTHON_CELL_MAGICS]:
            return None
        lines = ["pass"] + lines[1:]
    out = []
    for line in lines:
        if _MAGIC_LINE.match(line) or _HELP_LINE.match(line):
            indent = line[:len(line) - len(line.lstrip())]
            out.append(indent + "pass")
        else:
            out.append(line)
    return "\n".join(out)


def _targets(node: ast.AST) -> Set[str]:
    """Names bound by an assignment target (``a``, ``a, b``, ``[a, *b]``); attributes and items bind none."""
    if isinstance(node, ast.Name):
        return {node.id}
    if isinstance(node, (ast.Tuple, ast.List)):
        return set().union(*(_targets(e) for e in node.elts)) if node.elts else set()
    if isinstance(node, ast.Starred):
        return _targets(node.value)
    return set()


def _loads(node: ast.AST) -> Set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def _stores(nodes: Iterable[ast.AST]) -> Set[str]:
    out: Set[str] = set()
    for node in nodes:
        for n in ast.walk(node):
            if isinstance(n, ast.Name) and isinstance(n.ctx, (ast.Store, ast.Del)):
                out.add(n.id)
            elif isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                out.add(n.name)
            elif isinstance(n, (ast.Import, ast.ImportFrom)):
                out |= _import_names(n)
    return out


def _free_names(node: ast.AST) -> Set[str]:
    """Global names a definition uses: loads that are not its own arguments or locals (approximately)."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        args = node.args
        params = {a.arg for a in args.posonlyargs + args.args + args.kwonlyargs}
        params |= {a.arg for a in (args.vararg, args.kwarg) if a is not None}
        declared_global = {n for g in ast.walk(node) if isinstance(g, ast.Global) for n in g.names}
        local = (params | _stores(node.body)) - declared_global
        outside = set()
        for part in [*node.decorator_list, *args.defaults, *args.kw_defaults, node.returns]:
            if part is not None:
                outside |= _loads(part)
        inside: Set[str] = set()
        for stmt in node.body:
            inside |= _free_names(stmt) if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef,
                                                              ast.ClassDef)) else _loads(stmt)
        return outside | (inside - local)
    if isinstance(node, ast.ClassDef):
        outside = set()
        for part in [*node.decorator_list, *node.bases, *(k.value for k in node.keywords)]:
            outside |= _loads(part)
        inside = set()
        for stmt in node.body:  # methods do not see the class body's names: each is analysed on its own
            inside |= _free_names(stmt) if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef,
                                                              ast.ClassDef)) else _loads(stmt)
        return outside | inside
    return _loads(node)


def _import_names(node: ast.AST) -> Set[str]:
    names = set()
    for alias in node.names:  # type: ignore[attr-defined]
        if alias.name == "*":
            continue
        names.add(alias.asname or alias.name.split(".")[0])
    return names


def _is_own_import(node: ast.AST) -> bool:
    if isinstance(node, ast.Import):
        return all(a.name.split(".")[0] == _OWN_PACKAGE for a in node.names)
    if isinstance(node, ast.ImportFrom):
        return (node.module or "").split(".")[0] == _OWN_PACKAGE
    return False


def _classify(node: ast.stmt) -> Optional[Tuple[str, Set[str], Set[str]]]:
    """``(kind, names bound, names used)`` of a top-level statement, or ``None`` if it is not kept."""
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return None if _is_own_import(node) else (IMPORT, _import_names(node), set())
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return DEFINITION, {node.name}, _free_names(node)
    if isinstance(node, ast.Assign):
        binds = set().union(*(_targets(t) for t in node.targets))
        return (ASSIGNMENT, binds, _loads(node)) if binds else None
    if isinstance(node, ast.AnnAssign):
        if node.value is None:
            return None
        binds = _targets(node.target)
        return (ASSIGNMENT, binds, _loads(node.value)) if binds else None
    if isinstance(node, ast.AugAssign):
        binds = _targets(node.target)
        return (UPDATE, binds, _loads(node) | binds) if binds else None
    if isinstance(node, (ast.If, ast.Try, ast.With)) or type(node).__name__ == "TryStar":
        binds = _stores([node])
        if not binds:
            return None
        return COMPOUND, binds, _free_names_of_block(node)
    return None  # expressions, loops, del, assert ...: tests and training, not definitions


def _free_names_of_block(node: ast.AST) -> Set[str]:
    uses: Set[str] = set()
    for child in ast.iter_child_nodes(node):
        if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            uses |= _free_names(child)
        elif isinstance(child, ast.AST):
            uses |= _free_names_of_block(child) if isinstance(child, (ast.stmt, ast.excepthandler)) \
                else _loads(child)
    return uses


def _segment(lines: List[str], node: ast.stmt, shares_line: bool) -> str:
    if shares_line:
        return ast.unparse(node)
    start = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
    return "\n".join(lines[start - 1:node.end_lineno])


def _statements(cells: Sequence[Cell]) -> Tuple[List[_Statement], List[int]]:
    out: List[_Statement] = []
    unparsable: List[int] = []
    for cell in cells:
        text = strip_magics(cell.source)
        if text is None or not text.strip():
            continue
        try:
            tree = ast.parse(text)
        except SyntaxError:
            unparsable.append(cell.number)
            continue
        lines = text.split("\n")
        starts: Dict[int, int] = {}
        for node in tree.body:
            for line in range(node.lineno, (node.end_lineno or node.lineno) + 1):
                starts[line] = starts.get(line, 0) + 1
        for node in tree.body:
            kind = _classify(node)
            if kind is None:
                continue
            shares = any(starts[line] > 1 for line in range(node.lineno, (node.end_lineno or node.lineno) + 1))
            out.append(_Statement(cell.number, len(out), kind[0], _segment(lines, node, shares), kind[1], kind[2]))
    return out, unparsable


def rebuild(cells: Sequence[Cell], names: Optional[Iterable[str]] = None) -> Program:
    """The program of ``cells`` (execution order) that defines what an exercise needs (``names``: the
    exercise's function and class names; without them, what the definitions use)."""
    statements, unparsable = _statements(cells)
    last: Dict[str, int] = {}  # name -> the last statement that binds it anew (updates do not)
    for st in statements:
        if st.kind != UPDATE:
            for name in st.binds:
                last[name] = st.index

    def live(st: _Statement) -> bool:
        if st.kind == IMPORT and not st.binds:  # `from x import *`
            return True
        if st.kind == UPDATE:
            return all(last.get(n, -1) < st.index for n in st.binds)
        return any(last.get(n) == st.index for n in st.binds)

    candidates = [st for st in statements if live(st)]
    chosen = {st.index for st in candidates if st.kind in (IMPORT, DEFINITION)}
    needed: Set[str] = set(names or ())
    for st in candidates:
        if st.index in chosen:
            needed |= st.uses
    changed = True
    while changed:  # assignments the exercise's names or the chosen code use, and what those use in turn
        changed = False
        for st in candidates:
            if st.index not in chosen and st.binds & needed:
                chosen.add(st.index)
                needed |= st.uses
                changed = True
    parts: List[str] = []
    taken: List[int] = []
    for st in statements:
        if st.index not in chosen:
            continue
        if not taken or taken[-1] != st.cell:
            taken.append(st.cell)
            parts.append(f"# In[{st.cell}]")
        parts.append(st.text)
    cells_taken = sorted(set(taken), key=taken.index)
    header = "# rebuilt by dlgrade_client from the cells this kernel ran\n"
    return Program(header + "\n".join(parts) + "\n", cells_taken, unparsable)


def notebook_cells(notebook_text: str) -> List[Cell]:
    """The code cells of a saved ``.ipynb`` as cells in document order (numbered from 1)."""
    nb = json.loads(notebook_text)
    cells = []
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        cells.append(Cell(len(cells) + 1, "".join(source) if isinstance(source, list) else str(source)))
    return cells
