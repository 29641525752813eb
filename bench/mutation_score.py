"""Mutation score: do single-point bugs in correct submissions lose points? (issue 12)

Takes the correct ``.py`` submissions of ``tests/corpus/<exercise>/``, makes every first-order AST
mutant of each (one change per mutant: an operator or comparison swapped, a constant changed, an
``axis`` changed or dropped, ``.T`` / ``keepdims`` / ``.copy()`` dropped, ``max``↔``min``,
``sum``↔``mean``, a term or a statement deleted, ``x -= e`` turned into ``x = x - e`` and back, a
default value changed or removed, an argument ignored …), grades each mutant with the engine
(in-process, at most 2 at a time, each bounded by the engine's own budgets plus a wall-clock
timeout), and decides for every survivor (a mutant with full marks) whether it is *equivalent*:

    a differential test (``bench/probes/<exercise>.py``, one module per exercise) runs the mutant in a
    forked process against ``reference/`` over the whole contract — dout ≠ 1 and no argument,
    defaults, zero gradients, exact 0/1 probabilities, large scores, a batch of one — and compares
    with the spec's tolerances (relative 1e-4, absolute 1e-6).

A survivor the probe finds a difference for is a *non-equivalent survivor*: a real bug the grader
gives full marks. It is reported with its diff and the item the probe names (the check that should
have caught it). The goal is 0 of them on every exercise.

    .venv/bin/python bench/mutation_score.py --exercise layers
    .venv/bin/python bench/mutation_score.py --exercise two-layer-net --sample 300 --seed 1
    .venv/bin/python bench/mutation_score.py --exercise losses --write     # figures into bench/README.md
    .venv/bin/python bench/mutation_score.py --list --exercise losses      # the mutants only, no grading

A probe module defines ``probe(ns, rng) -> list[tuple[item, message]]`` (``ns``: the mutant's
namespace after running it; an empty list = no difference found) and optionally
``explain(mutant) -> str | None``, the one-line reason a surviving equivalent mutant is equivalent.
An exercise without a probe module reports its survivors as *undecided*.
"""

from __future__ import annotations

import argparse
import ast
import copy
import difflib
import importlib.util
import json
import multiprocessing
import os
import random
import re
import sys
import time
import traceback
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from corpus_tools import CORPUS, all_exercises  # noqa: E402

PROBES = Path(__file__).resolve().parent / "probes"
sys.path.insert(0, str(PROBES))  # the probes share bench/probes/_common.py
README = Path(__file__).resolve().parent / "README.md"
PROBE_TIMEOUT = 20.0  # seconds for one differential test (forked process)
GRADE_TIMEOUT = 60.0  # seconds of wall time for grading one mutant (the engine's own budgets come first)
STATEMENT_BUDGET = 2.0  # seconds per top-level statement when the probe loads a mutant (the grader: 0.3 s here)


# ============================================================================ mutants

@dataclass
class Mutant:
    exercise: str
    file: str
    index: int
    kind: str            # operator, comparison, constant, default, axis, keepdims, transpose, ...
    description: str     # what changed, e.g. "line 12: `-` → `+`"
    line: int
    source: str
    original: str = field(repr=False, default="")

    @property
    def key(self) -> str:
        return f"{self.file}#{self.index}"

    def diff(self) -> str:
        lines = difflib.unified_diff(self.original.splitlines(), self.source.splitlines(), lineterm="", n=0)
        return "\n".join(ln for ln in lines if not ln.startswith(("---", "+++", "@@")))

    def changed_lines(self) -> tuple[str, str]:
        old, new = [], []
        for ln in difflib.unified_diff(self.original.splitlines(), self.source.splitlines(), lineterm="", n=0):
            if ln.startswith("-") and not ln.startswith("---"):
                old.append(ln[1:].strip())
            elif ln.startswith("+") and not ln.startswith("+++"):
                new.append(ln[1:].strip())
        return " / ".join(old), " / ".join(new)


BINOP_SWAPS = {ast.Add: [ast.Sub], ast.Sub: [ast.Add], ast.Mult: [ast.Div, ast.Add], ast.Div: [ast.Mult],
               ast.Pow: [ast.Mult], ast.MatMult: [ast.Mult], ast.FloorDiv: [ast.Div], ast.Mod: [ast.FloorDiv]}
CMP_SWAPS = {ast.Gt: [ast.GtE, ast.Lt], ast.GtE: [ast.Gt, ast.LtE], ast.Lt: [ast.LtE, ast.Gt],
             ast.LtE: [ast.Lt, ast.GtE], ast.Eq: [ast.NotEq], ast.NotEq: [ast.Eq], ast.Is: [ast.IsNot],
             ast.IsNot: [ast.Is], ast.In: [ast.NotIn], ast.NotIn: [ast.In]}
FUNC_SWAPS = {"max": "min", "min": "max", "sum": "mean", "mean": "sum", "maximum": "minimum",
              "minimum": "maximum", "argmax": "argmin", "exp": "log", "log": "exp", "sqrt": "abs"}
OP_TEXT = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**", ast.MatMult: "@",
           ast.FloorDiv: "//", ast.Mod: "%", ast.Gt: ">", ast.GtE: ">=", ast.Lt: "<", ast.LtE: "<=",
           ast.Eq: "==", ast.NotEq: "!=", ast.Is: "is", ast.IsNot: "is not", ast.In: "in", ast.NotIn: "not in",
           ast.And: "and", ast.Or: "or"}


def _parents(tree: ast.AST) -> dict[int, tuple[ast.AST, str, int | None]]:
    out = {}
    for parent in ast.walk(tree):
        for name, value in ast.iter_fields(parent):
            if isinstance(value, list):
                for i, child in enumerate(value):
                    if isinstance(child, ast.AST):
                        out[id(child)] = (parent, name, i)
            elif isinstance(value, ast.AST):
                out[id(value)] = (parent, name, None)
    return out


def _replace(parents, node, new) -> None:
    """Put ``new`` where ``node`` is (``None`` deletes a list element)."""
    parent, name, i = parents[id(node)]
    if i is None:
        setattr(parent, name, new)
    elif new is None:
        getattr(parent, name).pop(i)
    else:
        getattr(parent, name)[i] = new


def _in_function(parents, node) -> bool:
    while id(node) in parents:
        node = parents[id(node)][0]
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            return True
    return False


def _num(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _const_changes(v):
    if isinstance(v, bool):
        return [not v]
    if isinstance(v, int):
        return [v + 1, v - 1] if v != 0 else [1]
    if isinstance(v, float):
        return [v * 2, 0.0] if v != 0 else [1.0]
    return []


def _needed_top_level(tree: ast.AST, required: set[str]) -> set[int]:
    """ids of the top-level assignments an answer depends on: the required names, the names the functions
    read, and (transitively) what those assignments read. The rest is demo code (x = np.linspace(...))."""
    needed = set(required)
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            local = {a.arg for a in ast.walk(node.args) if isinstance(a, ast.arg)}
            local |= {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
            needed |= {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)
                       and n.id not in local}
    assigns = [s for s in tree.body if isinstance(s, (ast.Assign, ast.AnnAssign, ast.AugAssign))]
    keep: set[int] = set()
    changed = True
    while changed:
        changed = False
        for s in assigns:
            if id(s) in keep:
                continue
            targets = {n.id for t in (s.targets if isinstance(s, ast.Assign) else [s.target])
                       for n in ast.walk(t) if isinstance(n, ast.Name)}
            if targets & needed:
                keep.add(id(s))
                needed |= {n.id for n in ast.walk(s) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
                changed = True
    return keep


def _sites(tree: ast.AST, required: set[str] = frozenset()):
    """(node index in ast.walk order, kind, label, apply(node, parents) -> None) for every mutation."""
    parents = _parents(tree)
    needed = _needed_top_level(tree, set(required))
    defaults_ids = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.arguments):
            defaults_ids |= {id(d) for d in node.defaults} | {id(d) for d in node.kw_defaults if d is not None}
    skip = set()
    for stmt in getattr(tree, "body", []):  # top-level demo code (print(...), if __name__ == ...) is no answer
        if isinstance(stmt, (ast.Expr, ast.If, ast.For, ast.While, ast.With, ast.Try)) or (
                isinstance(stmt, (ast.Assign, ast.AnnAssign, ast.AugAssign)) and id(stmt) not in needed):
            skip |= {id(n) for n in ast.walk(stmt)}
    for idx, node in enumerate(ast.walk(tree)):
        if id(node) in skip:
            continue
        if isinstance(node, ast.BinOp):
            for new_op in BINOP_SWAPS.get(type(node.op), []):
                yield idx, "operator", f"`{OP_TEXT[type(node.op)]}` → `{OP_TEXT[new_op]}`", \
                    (lambda n, p, o=new_op: setattr(n, "op", o()))
            if isinstance(node.op, (ast.Add, ast.Sub, ast.Mult, ast.Div)):
                yield idx, "term-deleted", "right operand deleted", (lambda n, p: _replace(p, n, n.left))
                yield idx, "term-deleted", "left operand deleted", (
                    lambda n, p: _replace(p, n, ast.UnaryOp(ast.USub(), n.right) if isinstance(n.op, ast.Sub)
                                          else n.right))
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.Not)):
            yield idx, "operator", "unary operator deleted", (lambda n, p: _replace(p, n, n.operand))
        elif isinstance(node, ast.BoolOp):
            new = ast.Or if isinstance(node.op, ast.And) else ast.And
            yield idx, "operator", f"`{OP_TEXT[type(node.op)]}` → `{OP_TEXT[new]}`", \
                (lambda n, p, o=new: setattr(n, "op", o()))
        elif isinstance(node, ast.Compare) and len(node.ops) == 1:
            for new_op in CMP_SWAPS.get(type(node.ops[0]), []):
                yield idx, "comparison", f"`{OP_TEXT[type(node.ops[0])]}` → `{OP_TEXT[new_op]}`", \
                    (lambda n, p, o=new_op: n.ops.__setitem__(0, o()))
        elif isinstance(node, ast.Constant) and (_num(node.value) or isinstance(node.value, bool)):
            parent = parents.get(id(node), (None,))[0]
            if isinstance(parent, ast.keyword) and parent.arg == "axis":
                continue  # handled as an axis change
            kind = "default" if id(node) in defaults_ids else "constant"
            for v in _const_changes(node.value):
                yield idx, kind, f"{node.value!r} → {v!r}", (lambda n, p, v=v: setattr(n, "value", v))
        elif isinstance(node, ast.keyword) and node.arg in ("axis", "keepdims"):
            yield idx, node.arg, f"`{node.arg}=` dropped", (lambda n, p: _replace(p, n, None))
            if node.arg == "axis" and isinstance(node.value, ast.Constant) and _num(node.value.value):
                new = 1 if node.value.value == 0 else 0
                yield idx, "axis", f"axis={node.value.value} → axis={new}", \
                    (lambda n, p, v=new: setattr(n.value, "value", v))
        elif isinstance(node, ast.Attribute) and node.attr == "T" and isinstance(node.ctx, ast.Load):
            yield idx, "transpose", "`.T` dropped", (lambda n, p: _replace(p, n, n.value))
        elif isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None
            if name in FUNC_SWAPS:
                if isinstance(func, ast.Attribute):
                    yield idx, "function", f"`{name}` → `{FUNC_SWAPS[name]}`", \
                        (lambda n, p: setattr(n.func, "attr", FUNC_SWAPS[n.func.attr]))
            if name == "copy" and isinstance(func, ast.Attribute) and not node.args:
                yield idx, "copy-dropped", "`.copy()` dropped", (lambda n, p: _replace(p, n, n.func.value))
            if len(node.args) >= 2 and name not in ("range", "isinstance", "getattr", "setattr", "super"):
                for i in range(len(node.args)):
                    yield idx, "argument", f"argument {i + 1} of {name}() deleted", \
                        (lambda n, p, i=i: n.args.pop(i))
        elif isinstance(node, ast.AugAssign):
            yield idx, "rebinding", "`x op= e` → `x = x op e`", (
                lambda n, p: _replace(p, n, ast.Assign(targets=[copy.deepcopy(n.target)], value=ast.BinOp(
                    left=_load(n.target), op=n.op, right=n.value), lineno=n.lineno)))
        elif (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
              and isinstance(node.value, ast.BinOp) and isinstance(node.value.left, ast.Name)
              and node.value.left.id == node.targets[0].id):
            yield idx, "in-place", "`x = x op e` → `x op= e`", (
                lambda n, p: _replace(p, n, ast.AugAssign(target=n.targets[0], op=n.value.op, value=n.value.right,
                                                          lineno=n.lineno)))
        if isinstance(node, ast.arguments) and node.defaults:
            yield idx, "default", "default of the first defaulted parameter removed", \
                (lambda n, p: n.defaults.pop(0))
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            params = node.args.args + node.args.kwonlyargs
            defaults = dict(zip([a.arg for a in node.args.args[len(node.args.args) - len(node.args.defaults):]],
                                node.args.defaults))
            defaults.update({a.arg: d for a, d in zip(node.args.kwonlyargs, node.args.kw_defaults) if d is not None})
            for a in params:
                if a.arg in ("self", "cls"):
                    continue
                if any(isinstance(n, ast.Name) and n.id == a.arg and isinstance(n.ctx, ast.Load)
                       for stmt in node.body for n in ast.walk(stmt)):
                    yield idx, "argument-ignored", f"parameter `{a.arg}` of {node.name}() ignored", (
                        lambda n, p, name=a.arg, d=defaults.get(a.arg): _ignore_param(n, name, d))
        if isinstance(node, ast.stmt) and _in_function(parents, node) and not isinstance(
                node, (ast.FunctionDef, ast.ClassDef, ast.Pass, ast.Import, ast.ImportFrom)):
            if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
                continue  # a docstring
            yield idx, "statement-deleted", "statement deleted", (
                lambda n, p: _replace(p, n, _pass(n) if len(getattr(p[id(n)][0], p[id(n)][1])) == 1 else None))


def _pass(n):
    return ast.Pass(lineno=n.lineno)


def _load(target):
    t = copy.deepcopy(target)
    for sub in ast.walk(t):
        if hasattr(sub, "ctx"):
            sub.ctx = ast.Load()
    return t


def _ignore_param(fn, name, default):
    """Every read of parameter ``name`` in ``fn``'s body becomes its default (or 1.0)."""
    value = copy.deepcopy(default) if default is not None else ast.Constant(1.0)

    class Sub(ast.NodeTransformer):
        def visit_Name(self, n):
            if n.id == name and isinstance(n.ctx, ast.Load):
                return copy.deepcopy(value)
            return n

        def visit_FunctionDef(self, n):  # a nested def with its own parameter of that name keeps it
            if n is not fn and any(a.arg == name for a in n.args.args):
                return n
            self.generic_visit(n)
            return n

    fn.body = [Sub().visit(s) for s in fn.body]


def _node_line(tree, idx, parents=None, nodes=None) -> int:
    parents = _parents(tree) if parents is None else parents
    node = next((n for i, n in enumerate(ast.walk(tree)) if i == idx), None) if nodes is None else nodes[idx]
    while node is not None and not hasattr(node, "lineno"):
        node = parents.get(id(node), (None,))[0]
    return getattr(node, "lineno", 0)


def _required(exercise: str) -> set[str]:
    from exercises import get
    ex = get(exercise)
    return {item.id.split(".")[0] for item in ex.items} | set(ex.signatures)


def _build(exercise: str, path: Path, text: str, tree: ast.AST, original: str, seen: set[str], site,
           index: int, parents=None, nodes=None) -> Mutant | None:
    """The mutant of one site: a fresh tree of ``text`` (the same nodes in the same walk order, 4× cheaper
    than a deepcopy) with the mutation applied; None when it makes no valid program or repeats one in ``seen``."""
    idx, kind, label, apply = site
    t = ast.parse(text)
    node = next(n for i, n in enumerate(ast.walk(t)) if i == idx)
    try:
        apply(node, _parents(t))
        src = ast.unparse(ast.fix_missing_locations(t))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(src, path.name, "exec")
    except Exception:  # noqa: BLE001 - a mutation that makes no valid program is not a mutant
        return None
    if src in seen:
        return None
    seen.add(src)
    line = _node_line(tree, idx, parents, nodes)
    return Mutant(exercise, path.name, index, kind, f"line {line}: {label}", line, src, original)


def mutants_of(exercise: str, path: Path) -> list[Mutant]:
    text = path.read_text(encoding="utf-8")
    tree = ast.parse(text)
    original = ast.unparse(tree)
    seen = {original}
    out = []
    parents, nodes = _parents(tree), list(ast.walk(tree))
    for site in list(_sites(tree, _required(exercise))):
        m = _build(exercise, path, text, tree, original, seen, site, len(out), parents, nodes)
        if m is not None:
            out.append(m)
    return out


def sample_mutants(exercise: str, n: int, seed: int) -> list[Mutant]:
    """n mutants drawn at random from the mutation sites of every correct file, building only those
    (all_mutants builds every one: ~40 s for regularization). For the make-test sample."""
    rng = random.Random(seed)
    required = _required(exercise)
    sites, files = [], {}
    for path in sorted((CORPUS / exercise).glob("correct_*.py")):
        text = path.read_text(encoding="utf-8")
        tree = ast.parse(text)
        original = ast.unparse(tree)
        files[path] = (text, tree, original, {original})
        sites += [(path, site) for site in _sites(tree, required)]
    rng.shuffle(sites)
    out = []
    for path, site in sites:
        if len(out) >= n:
            break
        m = _build(exercise, path, *files[path], site, len(out))
        if m is not None:
            out.append(m)
    return out


def all_mutants(exercise: str) -> list[Mutant]:
    files = sorted(p for p in (CORPUS / exercise).glob("correct_*.py"))
    return [m for p in files for m in mutants_of(exercise, p)]


# ============================================================================ grading

def grade(m: Mutant) -> dict:
    from exercises import get
    from grader.engine import grade_source
    from grader.options import GradeOptions

    options = GradeOptions(statement_budget=0.3, submission_timeout=GRADE_TIMEOUT, stop_at_first_loss=True)
    t0 = time.monotonic()
    report = grade_source(get(m.exercise), m.source.encode(), m.file, options)
    lost = {i.id: (i.mistake.id if i.mistake else None) for i in report.items if i.score < i.max_score}
    return {"killed": bool(lost), "lost": lost, "seconds": time.monotonic() - t0}


def grade_all(mutants: list[Mutant], jobs: int = 2, progress=None) -> list[dict]:
    results: list[dict | None] = [None] * len(mutants)
    with ThreadPoolExecutor(max_workers=max(1, min(jobs, 2))) as pool:
        futures = [pool.submit(grade, m) for m in mutants]
        for i, fut in enumerate(futures):
            try:
                results[i] = fut.result(timeout=GRADE_TIMEOUT + 30)
            except Exception as exc:  # noqa: BLE001 - a grader error on a mutant is reported, not fatal
                results[i] = {"killed": False, "lost": {}, "error": f"{type(exc).__name__}: {exc}", "seconds": 0}
            if progress:
                progress(i + 1, len(mutants))
    return results  # type: ignore[return-value]


# ============================================================================ differential probes

def load_probe(exercise: str):
    path = PROBES / (exercise.replace("-", "_") + ".py")
    if not path.is_file():
        return None
    spec = importlib.util.spec_from_file_location(f"mutation_probe_{exercise.replace('-', '_')}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _exec_like_the_grader(source: str, ns: dict) -> None:
    """Run the submission's top-level statements one by one, as the grader's loader does: a statement that
    raises (a demo loop calling a mutated helper, a plot) is skipped and the next one runs, so the probe
    compares the same namespace the grader graded, not "the module crashed"."""
    import ast as _ast
    import signal

    class _Budget(Exception):
        pass

    def on_alarm(signum, frame):
        raise _Budget

    previous = signal.signal(signal.SIGALRM, on_alarm)
    try:
        for stmt in _ast.parse(source).body:
            code = compile(_ast.Module(body=[stmt], type_ignores=[]), "<mutant>", "exec")
            signal.setitimer(signal.ITIMER_REAL, STATEMENT_BUDGET)
            try:
                exec(code, ns)
            except Exception:  # noqa: BLE001 - the grader goes on after a failing statement too
                pass
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
    finally:
        signal.signal(signal.SIGALRM, previous)


def _probe_child(conn, exercise: str, source: str, seed: int) -> None:
    import warnings

    import numpy as np
    warnings.simplefilter("ignore")
    try:
        np.seterr(all="ignore")
        probe = load_probe(exercise)
        if hasattr(probe, "prepare"):  # e.g. import torch before the statement budget runs (the grader's zygote has it)
            probe.prepare()
        ns: dict = {"__name__": "__submission__"}
        with open(os.devnull, "w") as devnull:
            old = sys.stdout
            sys.stdout = devnull
            try:
                _exec_like_the_grader(source, ns)
                diffs = probe.probe(ns, np.random.default_rng(seed))
            finally:
                sys.stdout = old
        conn.send([(str(a), str(b)) for a, b in diffs])
    except BaseException as exc:  # noqa: BLE001 - the mutant crashed the probe: that is a difference
        tb = traceback.extract_tb(exc.__traceback__)
        where = next((f"line {f.lineno}" for f in reversed(tb) if f.filename == "<mutant>"), "")
        conn.send([("(probe)", f"raised {type(exc).__name__}: {exc} {where}".strip())])
    finally:
        conn.close()


_PREPARED: set[str] = set()


def differential(exercise: str, source: str, seed: int = 0, timeout: float = PROBE_TIMEOUT) -> list[tuple[str, str]]:
    """Differences between a submission and reference/ found by the exercise's probe ([] = none)."""
    if exercise not in _PREPARED:  # once per process: every forked probe inherits it (torch: ~10 s a cold import)
        probe = load_probe(exercise)
        if probe is not None and hasattr(probe, "prepare"):
            probe.prepare()
        _PREPARED.add(exercise)
    ctx = multiprocessing.get_context("fork")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_probe_child, args=(child, exercise, source, seed), daemon=True)
    proc.start()
    child.close()
    result = None
    if parent.poll(timeout):
        try:
            result = parent.recv()
        except EOFError:
            result = [("(probe)", "the probe process died")]
    proc.join(2)
    if proc.is_alive():
        proc.kill()
        proc.join()
    return result if result is not None else [("(probe)", f"no answer within {timeout:.0f} s (a loop that never ends?)")]


def _small_constants(code: str | None) -> list[float]:
    """The small positive float literals of a line (the δ/ε candidates): 1e-07, 2e-05, 0.0001 …"""
    out = []
    for lit in re.findall(r"(?<![\w.])(\d+(?:\.\d*)?(?:e-?\d+)?)", code or ""):
        try:
            v = float(lit)
        except ValueError:
            continue
        if 0 < v < 1e-3:
            out.append(v)
    return out


GENERIC_REASONS = [
    (lambda m, o, n: m.kind == "statement-deleted" and re.fullmatch(r"self\.\w+ = None", o or ""),
     "an attribute initialised to None that forward sets before any use"),
    (lambda m, o, n: m.kind == "statement-deleted" and re.fullmatch(r"(self\.)?\w+ = (None|\{\}|\[\])", o or ""),
     "an initialisation that is overwritten before use"),
    (lambda m, o, n: m.kind in ("constant", "default") and re.search(r"1e-0?[5-9]|1e-1\d|10e-", o or "")
     and _small_constants(n) and max(_small_constants(n)) <= 1e-5,
     "δ/ε changed but still a valid small value (≤ 1e-5) for the contract"),
    (lambda m, o, n: m.kind in ("constant", "default") and re.search(r"1e-0?[5-9]|1e-1\d|10e-", o or "")
     and _small_constants(n) and max(_small_constants(n)) < 1e-4,
     "δ/ε changed to just above 1e-5: the answers stay within the spec's tolerance (1e-4 relative) of the δ = 1e-5 ones"),
    (lambda m, o, n: m.kind in ("constant", "default") and _small_constants(o) and re.search(r"\b0\.0\b", n or "")
     and len(_small_constants(n)) < len(_small_constants(o)),
     "δ/ε set to 0: also valid (δ ≤ 1e-5) where no log 0 or division by zero is reached on the contract's inputs"),
    (lambda m, o, n: m.kind == "axis" and "axis=-1" in (o or "") and "axis=1" not in (o or ""),
     "axis=-1 and the other axis coincide on the arrays of the contract"),
    (lambda m, o, n: m.kind == "comparison" and re.search(r"[<>]=? ?0(\.0)?\b", o or "")
     and ("`>` → `>=`" in m.description or "`>=` → `>`" in m.description or "`<` → `<=`" in m.description
          or "`<=` → `<`" in m.description), "both branches give the same value at the boundary x = 0"),
    (lambda m, o, n: m.kind == "copy-dropped", "the copy is never written into, or only rebound afterwards"),
    (lambda m, o, n: m.kind == "keepdims", "the reduced array broadcasts the same way without keepdims here"),
    (lambda m, o, n: m.kind == "rebinding", "the name is local, so rebinding it changes nothing outside"),
    (lambda m, o, n: m.kind == "statement-deleted" and re.match(r"(import|from) ", o or ""),
     "an import the code does not need"),
]


def _outside_contract(m: Mutant) -> bool:
    """The mutated line is in top-level code that nothing the contract names can reach: a demo loop, a plot,
    a helper only the demo calls (``df`` of the book's f(x, y) = x² + 100y² minimisation)."""
    tree = ast.parse((CORPUS / m.exercise / m.file).read_text(encoding="utf-8"))  # m.line is in the file
    defined: dict[str, ast.stmt] = {}
    for stmt in tree.body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            defined[stmt.name] = stmt
        elif isinstance(stmt, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            for t in (stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]):
                for n in ast.walk(t):
                    if isinstance(n, ast.Name):
                        defined.setdefault(n.id, stmt)
        elif isinstance(stmt, (ast.Import, ast.ImportFrom)):
            for a in stmt.names:
                defined.setdefault((a.asname or a.name).split(".")[0], stmt)
    reach, todo = set(), [n for n in _required(m.exercise) if n in defined]
    while todo:
        name = todo.pop()
        if name in reach:
            continue
        reach.add(name)
        todo += [n.id for n in ast.walk(defined[name]) if isinstance(n, ast.Name) and n.id in defined]
    reached = {id(defined[n]) for n in reach}
    for stmt in tree.body:
        if stmt.lineno <= m.line <= (stmt.end_lineno or stmt.lineno):
            return id(stmt) not in reached
    return False


def explain(probe, m: Mutant) -> str:
    old, new = m.changed_lines()
    if probe is not None and hasattr(probe, "explain"):
        reason = probe.explain(m, old, new)
        if reason:
            return reason
    try:
        if _outside_contract(m):
            return "demo code outside the contract: nothing the exercise's names reach runs it"
    except (SyntaxError, ValueError):
        pass
    for test, reason in GENERIC_REASONS:
        try:
            if test(m, old, new):
                return reason
        except Exception:  # noqa: BLE001
            continue
    return f"{m.kind}: no difference from reference/ on the whole contract"


# ============================================================================ the run

def run(exercise: str, sample: int | None, seed: int, jobs: int, verbose: bool = False,
        progress: bool = False) -> dict:
    mutants = all_mutants(exercise)
    total = len(mutants)
    if sample is not None and sample < total:
        mutants = sorted(random.Random(seed).sample(mutants, sample), key=lambda m: (m.file, m.index))
    t0 = time.monotonic()

    def tick(i, n):
        if progress and (i % 25 == 0 or i == n):
            print(f"  {exercise}: graded {i}/{n} ({time.monotonic() - t0:.0f} s)", file=sys.stderr, flush=True)

    results = grade_all(mutants, jobs, tick)
    probe = load_probe(exercise)
    killed, equivalent, survivors, undecided, errors = [], [], [], [], []
    for m, r in zip(mutants, results):
        if r.get("error"):
            errors.append((m, r["error"]))
        if r["killed"]:
            killed.append(m)
            continue
        if probe is None:
            undecided.append(m)
            continue
        diffs = differential(exercise, m.source, seed)
        if diffs:
            survivors.append((m, diffs))
        else:
            equivalent.append((m, explain(probe, m)))
    return {"exercise": exercise, "total": total, "graded": len(mutants), "killed": len(killed),
            "equivalent": equivalent, "survivors": survivors, "undecided": undecided, "errors": errors,
            "seconds": time.monotonic() - t0, "sample": sample, "seed": seed}


def text_report(res: dict, verbose: bool) -> str:
    out = [f"{res['exercise']}: {res['graded']} mutants graded (of {res['total']}), {res['killed']} killed, "
           f"{len(res['equivalent'])} equivalent, {len(res['survivors'])} non-equivalent survivors"
           + (f", {len(res['undecided'])} undecided (no probe)" if res["undecided"] else "")
           + f" — {res['seconds']:.0f} s"]
    for m, diffs in res["survivors"]:
        out.append(f"  SURVIVOR {m.file} {m.description} [{m.kind}]")
        out.extend("    " + ln for ln in m.diff().splitlines())
        for item, msg in diffs[:3]:
            out.append(f"    should be caught by {item}: {msg}")
    for m, err in res["errors"]:
        out.append(f"  grader error on {m.file} {m.description}: {err}")
    if verbose:
        for m, reason in res["equivalent"]:
            old, new = m.changed_lines()
            out.append(f"  equivalent {m.file} {m.description}: `{old}` → `{new}` — {reason}")
        for m in res["undecided"]:
            out.append(f"  undecided {m.file} {m.description}")
    return "\n".join(out)


def readme_section(res: dict, command: str) -> str:
    ex = res["exercise"]
    lines = [f"<!-- mutation:{ex} -->", f"#### mutation score: `{ex}`", "",
             f"`{command}` ({time.strftime('%Y-%m-%d', time.gmtime())}, {res['seconds']:.0f} s on 2 cores)", "",
             "| mutants | graded | killed | equivalent | non-equivalent survivors |",
             "|---|---|---|---|---|",
             f"| {res['total']} | {res['graded']} | {res['killed']} | {len(res['equivalent'])} | "
             f"{len(res['survivors'])} |", ""]
    if res["survivors"]:
        lines.append("Non-equivalent survivors:")
        lines.append("")
        for m, diffs in res["survivors"]:
            old, new = m.changed_lines()
            lines.append(f"- `{m.file}` {m.description}: `{old}` → `{new}` — should be caught by "
                         f"{diffs[0][0]}: {diffs[0][1]}")
        lines.append("")
    if res["equivalent"]:
        groups: dict[str, list[Mutant]] = {}
        for m, reason in res["equivalent"]:
            groups.setdefault(reason, []).append(m)
        lines.append("Equivalent mutants (no difference from `reference/` on the whole contract), by reason:")
        lines.append("")
        for reason, ms in sorted(groups.items(), key=lambda kv: -len(kv[1])):
            old, new = ms[0].changed_lines()
            lines.append(f"- {len(ms)} × {reason} (e.g. `{ms[0].file}` `{old}` → `{new}`)")
        lines.append("")
        lines.append(f"<details><summary>every equivalent mutant of <code>{ex}</code>, with its reason</summary>")
        lines.append("")
        for m, reason in sorted(res["equivalent"], key=lambda mr: (mr[0].file, mr[0].line, mr[0].index)):
            old, new = m.changed_lines()
            lines.append(f"- `{m.file}` {m.description}: `{_cell(old)}` → `{_cell(new)}` — {reason}")
        lines.append("")
        lines.append("</details>")
        lines.append("")
    lines.append(f"<!-- /mutation:{ex} -->")
    return "\n".join(lines)


MUTATION_HEADER = "## Mutation score (issue 12)"


def _cell(code: str | None, width: int = 110) -> str:
    code = (code or "").replace("`", "'")
    return code if len(code) <= width else code[: width - 1] + "…"


SUMMARY = re.compile(r"<!-- mutation:summary -->.*?<!-- /mutation:summary -->", re.S)
ROW = re.compile(r"<!-- mutation:(?P<ex>[\w-]+) -->\n#### mutation score: `[\w-]+`\n\n`(?P<cmd>[^`]*)` \((?P<when>[^)]*)\)"
                 r"\n\n\| mutants.*?\n\|---.*?\n\| (?P<row>[^\n]*) \|\n", re.S)


def summary_table(text: str) -> str:
    """One row per exercise, read back from the sections below it (the last --write of each)."""
    found = {m["ex"]: m for m in ROW.finditer(text)}
    lines = ["<!-- mutation:summary -->", "| exercise | mutants | graded | killed | equivalent | "
             "non-equivalent survivors | run |", "|---|---|---|---|---|---|---|"]
    for ex in all_exercises():
        if ex in found:
            cells = [c.strip() for c in found[ex]["row"].split("|")]
            lines.append(f"| `{ex}` | " + " | ".join(cells) + f" | {found[ex]['when']} |")
        else:
            lines.append(f"| `{ex}` | – | – | – | – | not measured yet | |")
    lines.append("<!-- /mutation:summary -->")
    return "\n".join(lines)


def write_readme(res: dict, command: str) -> None:
    text = README.read_text(encoding="utf-8") if README.exists() else "# Benchmarks\n"
    section = readme_section(res, command)
    ex = res["exercise"]
    pattern = re.compile(rf"<!-- mutation:{re.escape(ex)} -->.*?<!-- /mutation:{re.escape(ex)} -->", re.S)
    if pattern.search(text):
        text = pattern.sub(lambda _: section, text)
    else:
        if MUTATION_HEADER not in text:
            text = text.rstrip("\n") + f"\n\n{MUTATION_HEADER}\n\nSee `bench/mutation_score.py` and the README.\n"
        # sections in exercise order after the header: append at the end of the mutation part
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    summary = summary_table(text)
    if SUMMARY.search(text):
        text = SUMMARY.sub(lambda _: summary, text)
    else:
        head = text.index(MUTATION_HEADER) + len(MUTATION_HEADER)
        text = text[:head] + "\n\n" + summary + text[head:]
    README.write_text(text, encoding="utf-8")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--exercise", action="append", help="only this exercise (repeatable); default: all")
    ap.add_argument("--sample", type=int, help="grade a random sample of N mutants per exercise")
    ap.add_argument("--seed", type=int, default=0, help="sample and probe seed (grading seeds stay random)")
    ap.add_argument("--jobs", type=int, default=2, help="mutants graded at a time (at most 2)")
    ap.add_argument("--write", action="store_true", help="write each exercise's figures into bench/README.md")
    ap.add_argument("--list", action="store_true", help="list the mutants, grade nothing")
    ap.add_argument("--json", help="write the results to this JSON file")
    ap.add_argument("--verbose", "-v", action="store_true", help="also list every equivalent mutant")
    args = ap.parse_args(argv)
    exercises = args.exercise or all_exercises()
    if args.list:
        for ex in exercises:
            ms = all_mutants(ex)
            print(f"{ex}: {len(ms)} mutants")
            if args.verbose:
                for m in ms:
                    print(f"  {m.file} {m.description} [{m.kind}]")
        return 0
    bad = 0
    dump = []
    for ex in exercises:
        res = run(ex, args.sample, args.seed, args.jobs, args.verbose, progress=True)
        print(text_report(res, args.verbose), flush=True)
        bad += len(res["survivors"])
        if args.write:
            cmd = "bench/mutation_score.py --exercise " + ex + (
                f" --sample {args.sample} --seed {args.seed}" if args.sample else "")
            write_readme(res, cmd)
        dump.append({"exercise": ex, "total": res["total"], "graded": res["graded"], "killed": res["killed"],
                     "equivalent": [{"file": m.file, "change": m.description, "reason": r} for m, r in res["equivalent"]],
                     "survivors": [{"file": m.file, "change": m.description, "diff": m.diff(), "caught_by": d}
                                   for m, d in res["survivors"]]})
    if args.json:
        Path(args.json).write_text(json.dumps(dump, indent=1, ensure_ascii=False), encoding="utf-8")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
