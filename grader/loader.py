"""Turn a submitted ``.py`` file or notebook into top-level statements ("units").

Parsing happens in the grader (``ast.parse`` never runs code); execution happens in
the student process, one unit at a time, so that a statement that raises or runs too long is
dropped with a note while the rest carry on (EXERCISES.md, "General rules").
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass, field

from grader.messages import Msg

MAGIC_LINE = re.compile(r"^(\s*)(%|!)")
DEFINITION_TYPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Import, ast.ImportFrom)


class UnreadableSubmission(Exception):
    """The file cannot be graded at all (not text, not a notebook, empty...)."""

    def __init__(self, msg: Msg):
        super().__init__(msg.en)
        self.msg = msg


@dataclass
class Unit:
    source: str
    filename: str  # the name tracebacks show: "s001.py" or "s001.ipynb, cell 3"
    lineno: int  # first line of the unit in its file or cell
    is_definition: bool

    def to_wire(self) -> dict:
        return {"source": self.source, "filename": self.filename, "lineno": self.lineno}


@dataclass
class LoadedSubmission:
    units: list[Unit] = field(default_factory=list)
    notes: list[Msg] = field(default_factory=list)


def strip_magics(source: str) -> tuple[str, int]:
    """Replace IPython ``%magic`` / ``!shell`` lines by ``pass`` (line numbers kept)."""
    lines = source.split("\n")
    count = 0
    out = []
    in_continuation = False
    for line in lines:
        if not in_continuation and MAGIC_LINE.match(line):
            indent = MAGIC_LINE.match(line).group(1)
            out.append(f"{indent}pass")
            count += 1
            in_continuation = line.rstrip().endswith("\\")
        elif in_continuation:
            out.append("")
            in_continuation = line.rstrip().endswith("\\")
        else:
            out.append(line)
    return "\n".join(out), count


def _top_level_starts(lines: list[str]) -> list[int]:
    """Indices of lines that may begin a top-level statement (column 0, not a continuation)."""
    starts = []
    for i, line in enumerate(lines):
        if not line or line[0] in " \t#)]}" or line.startswith(("else", "elif", "except", "finally")):
            continue
        starts.append(i)
    return starts


def recover_statements(source: str, filename: str, span: int = 30):
    """Parse a file with a syntax error chunk by chunk: keep what parses, report the rest."""
    lines = source.split("\n")
    starts = _top_level_starts(lines) + [len(lines)]
    units: list[Unit] = []
    broken: list[tuple[int, int, str]] = []
    i = 0
    while i < len(starts) - 1:
        parsed = None
        error = ""
        for j in range(i + 1, min(i + 1 + span, len(starts))):
            chunk = "\n".join(lines[starts[i]:starts[j]])
            try:
                ast.parse(chunk)
            except SyntaxError as exc:
                error = error or (exc.msg or "invalid syntax")
                continue
            except (ValueError, RecursionError, MemoryError):
                continue
            parsed = j
            break
        if parsed is None:
            broken.append((starts[i] + 1, starts[i + 1], error))
            i += 1
            continue
        chunk_units, _ = split_units("\n".join(lines[starts[i]:starts[parsed]]), filename,
                                     Msg(en="", ja=""), recover=False)
        for u in chunk_units:
            u.lineno += starts[i]
        units += chunk_units
        i = parsed
    # merge consecutive broken chunks into one note
    merged: list[tuple[int, int, str]] = []
    for b in broken:
        if merged and merged[-1][1] + 1 >= b[0]:
            merged[-1] = (merged[-1][0], b[1], merged[-1][2])
        else:
            merged.append(b)
    return units, merged


def split_units(source: str, filename: str, where: Msg, recover: bool = False) -> tuple[list[Unit], list[Msg]]:
    """Split one cell (or a whole .py file) into top-level statements.

    With ``recover`` (a ``.py`` file), a syntax error drops only the statements around
    it; a notebook cell that does not parse is skipped whole, as EXERCISES.md says.
    """
    source, magics = strip_magics(source)
    notes: list[Msg] = []
    if magics:
        notes.append(Msg(en=f"{where.en}: {magics} IPython magic/shell line(s) skipped.",
                         ja=f"{where.ja}: IPython のマジック/シェル行 {magics} 行をスキップしました。"))
    try:
        tree = ast.parse(source, filename=filename)
    except SyntaxError as exc:
        line = exc.lineno or 0
        if not recover:
            notes.append(Msg(en=f"{where.en} does not parse (SyntaxError at line {line}: {exc.msg}); skipped.",
                             ja=f"{where.ja} は構文エラーのため実行されませんでした(行 {line}: {exc.msg})。"))
            return [], notes
        units, broken = recover_statements(source, filename)
        for start, end, err in broken:
            notes.append(Msg(
                en=f"{where.en}, lines {start}-{end} do not parse (SyntaxError: {err}); those lines were skipped.",
                ja=f"{where.ja} の {start}-{end} 行目は構文エラー({err})のためスキップしました。"))
        return units, notes
    except (ValueError, RecursionError, MemoryError) as exc:
        notes.append(Msg(en=f"{where.en} cannot be parsed ({type(exc).__name__}); skipped.",
                         ja=f"{where.ja} は解析できないためスキップしました({type(exc).__name__})。"))
        return [], notes
    lines = source.split("\n")
    units: list[Unit] = []
    groups: list[list[ast.stmt]] = []
    last_end = 0
    for stmt in tree.body:
        start = min([stmt.lineno] + [d.lineno for d in getattr(stmt, "decorator_list", [])])
        if groups and start <= last_end:  # `a = 1; b = 2` on one line: keep together
            groups[-1].append(stmt)
        else:
            groups.append([stmt])
        last_end = max(last_end, stmt.end_lineno or stmt.lineno)
    for group in groups:
        start = min([group[0].lineno] + [d.lineno for d in getattr(group[0], "decorator_list", [])])
        end = max(s.end_lineno or s.lineno for s in group)
        text = "\n".join(lines[start - 1:end])
        units.append(Unit(source=text, filename=filename, lineno=start,
                          is_definition=all(isinstance(s, DEFINITION_TYPES) for s in group)))
    return units, notes


def _decode_text(data: bytes, name: str) -> str:
    if b"\x00" in data[:8192]:
        raise UnreadableSubmission(Msg(en=f"{name} is a binary file, not Python source or a notebook.",
                                       ja=f"{name} はバイナリファイルです。Python のソースかノートブックを提出してください。"))
    for enc in ("utf-8-sig", "cp932"):
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    raise UnreadableSubmission(Msg(en=f"{name} is not UTF-8 text.",
                                   ja=f"{name} は UTF-8 のテキストではありません。"))


def notebook_cells(text: str, name: str) -> list[str]:
    """Code cells of a notebook (nbformat 4, and the worksheets of nbformat 3)."""
    try:
        nb = json.loads(text)
    except ValueError as exc:
        raise UnreadableSubmission(Msg(
            en=f"{name} is not a valid notebook: the file is not JSON ({exc.msg} at line {exc.lineno}).",
            ja=f"{name} は正しいノートブックではありません: JSON として読めません({exc.lineno} 行目)。")) from None
    if not isinstance(nb, dict):
        raise UnreadableSubmission(Msg(en=f"{name} is not a valid notebook (no top-level object).",
                                       ja=f"{name} は正しいノートブックではありません。"))
    cells = nb.get("cells")
    if cells is None and isinstance(nb.get("worksheets"), list):
        cells = [c for ws in nb["worksheets"] if isinstance(ws, dict) for c in ws.get("cells", [])]
    if not isinstance(cells, list):
        raise UnreadableSubmission(Msg(en=f"{name} is not a valid notebook (it has no cells).",
                                       ja=f"{name} は正しいノートブックではありません(セルがありません)。"))
    out = []
    for cell in cells:
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        src = cell.get("source", cell.get("input", ""))
        if isinstance(src, list):
            src = "".join(s for s in src if isinstance(s, str))
        out.append(src if isinstance(src, str) else "")
    return out


def load_submission(data: bytes, filename: str) -> LoadedSubmission:
    """Parse a submission into units; raise UnreadableSubmission when nothing can be graded."""
    name = filename or "submission.py"
    if not data.strip():
        raise UnreadableSubmission(Msg(en=f"{name} is empty.", ja=f"{name} は空のファイルです。"))
    text = _decode_text(data, name)
    loaded = LoadedSubmission()
    is_notebook = name.lower().endswith(".ipynb") or (text.lstrip().startswith("{") and '"cells"' in text[:100000])
    if is_notebook:
        cells = notebook_cells(text, name)
        if not any(c.strip() for c in cells):
            raise UnreadableSubmission(Msg(en=f"{name} has no code cells.",
                                           ja=f"{name} にはコードセルがありません。"))
        for number, cell in enumerate(cells, start=1):
            where = Msg(en=f"cell {number}", ja=f"セル {number}")
            units, notes = split_units(cell, f"{name}, cell {number}", where)
            loaded.units += units
            loaded.notes += notes
    else:
        where = Msg(en=name, ja=name)
        units, notes = split_units(text, name, where, recover=True)
        loaded.units += units
        loaded.notes += notes
        if not units and notes:
            raise UnreadableSubmission(Msg(en=notes[-1].en, ja=notes[-1].ja))
    if not loaded.units:
        raise UnreadableSubmission(Msg(en=f"{name} contains no Python statements.",
                                       ja=f"{name} には Python の文がありません。"))
    return loaded
