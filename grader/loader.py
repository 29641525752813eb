"""Turn a submitted ``.py`` file or notebook into top-level statements ("units").

Parsing happens in the grader (``ast.parse`` never runs code); execution happens in
the student process, one unit at a time, so that a statement that raises or runs too long is
dropped with a note while the rest carry on (EXERCISES.md, "General rules").
"""

from __future__ import annotations

import ast
import json
import re
import threading
from dataclasses import dataclass, field

from grader.messages import Msg

MAGIC_LINE = re.compile(r"^(\s*)(%|!)")
_PARSE_LOCK = threading.Lock()


def parse(source: str, filename: str = "<unknown>") -> ast.Module:
    """``ast.parse`` one at a time: on the CPython 3.11 here (3.11.7), parsing in several threads at once
    raised ``SystemError: AST constructor recursion depth mismatch`` (seen in `dlgrade batch`'s thread
    executor: tests/batch/test_batch_units.py; the service's grading threads parse concurrently too)."""
    with _PARSE_LOCK:
        return ast.parse(source, filename=filename)
DEFINITION_TYPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Import, ast.ImportFrom)


class UnreadableSubmission(Exception):
    """The file cannot be graded at all (not text, not a notebook, empty...)."""

    def __init__(self, msg: Msg, syntax_errors: list | None = None):
        super().__init__(msg.en)
        self.msg = msg
        self.syntax_errors = syntax_errors or []


@dataclass
class Unit:
    source: str
    filename: str  # the name tracebacks show: "s001.py" or "s001.ipynb, cell 3"
    lineno: int  # first line of the unit in its file or cell
    is_definition: bool

    def to_wire(self) -> dict:
        return {"source": self.source, "filename": self.filename, "lineno": self.lineno}


@dataclass
class SyntaxProblem:
    """One place that does not parse: what a report leads with (``Report.syntax_errors``)."""

    file: str
    line: int  # 1-based, in the file (a .py) or in the cell (a notebook)
    message: str  # Python's own message ("invalid syntax", "'(' was never closed")
    text: str  # the line itself
    cell: int | None = None  # the notebook cell (1-based), None for a .py file
    end_line: int | None = None  # the last line skipped with it (a .py file keeps what parses around it)
    note: Msg | None = field(default=None, compare=False, repr=False)  # its note, which leads the notes
    names: tuple[str, ...] = ()  # what the skipped lines look like they define (def/class/assignment)

    def to_dict(self) -> dict:
        return {"file": self.file, "cell": self.cell, "line": self.line, "end_line": self.end_line,
                "message": self.message, "text": self.text}


@dataclass
class LoadedSubmission:
    units: list[Unit] = field(default_factory=list)
    notes: list[Msg] = field(default_factory=list)
    syntax_errors: list[SyntaxProblem] = field(default_factory=list)


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
                parse(chunk)
            except SyntaxError as exc:
                error = error or (exc.msg or "invalid syntax")
                continue
            except (ValueError, RecursionError, MemoryError):
                continue
            parsed = j
            break
        if parsed is None:
            end = starts[i + 1]  # 1-based number of the line before the next start
            while end > starts[i] + 1 and not lines[end - 1].strip():
                end -= 1  # trailing blank lines (and the empty "line" after a final newline) are not code
            broken.append((starts[i] + 1, end, error))
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
        if merged and all(not line.strip() for line in lines[merged[-1][1]:b[0] - 1]):
            merged[-1] = (merged[-1][0], b[1], merged[-1][2])
        else:
            merged.append(b)
    return units, merged


_DEFINES = re.compile(r"^\s*(?:(?:async\s+)?def|class)\s+([A-Za-z_]\w*)|^([A-Za-z_]\w*)\s*=[^=]", re.M)


def _defined_names(text: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(a or b for a, b in _DEFINES.findall(text)))


def _syntax_problem(source: str, first: int, last: int) -> tuple[int, str, str]:
    """(line, message, the line's text) of the first syntax error in lines ``first``..``last`` (1-based)."""
    lines = source.split("\n")
    try:
        parse("\n".join(lines[first - 1:last]))
    except SyntaxError as exc:
        line = first - 1 + (exc.lineno or 1)
        line = min(max(line, first), last)
        return line, exc.msg or "invalid syntax", lines[line - 1].strip()[:200]
    except (ValueError, RecursionError, MemoryError) as exc:
        return first, type(exc).__name__, lines[first - 1].strip()[:200]
    return first, "invalid syntax", lines[first - 1].strip()[:200]


def split_units(source: str, filename: str, where: Msg, recover: bool = False,
                problems: list[SyntaxProblem] | None = None, cell: int | None = None,
                file: str | None = None) -> tuple[list[Unit], list[Msg]]:
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
        tree = parse(source, filename=filename)
    except SyntaxError as exc:
        line = exc.lineno or 0
        if not recover:
            text = source.split("\n")[line - 1].strip()[:200] if 0 < line <= source.count("\n") + 1 else ""
            shown = f": `{text}`" if text else ""
            note = Msg(en=f"{where.en} does not parse (SyntaxError at line {line}: {exc.msg}{shown}); skipped.",
                       ja=f"{where.ja} は構文エラーのため実行されませんでした({line} 行目: {exc.msg}{shown})。")
            if problems is not None:
                problems.append(SyntaxProblem(file or filename, line, exc.msg or "invalid syntax", text, cell,
                                              note=note, names=_defined_names(source)))
            notes.append(note)
            return [], notes
        units, broken = recover_statements(source, filename)
        for start, end, err in broken:
            at, message, text = _syntax_problem(source, start, end)
            lines_en = f"line {start}" if start == end else f"lines {start}-{end}"
            lines_ja = f"{start} 行目" if start == end else f"{start}-{end} 行目"
            shown = f": `{text}`" if text else ""
            note = Msg(en=f"{where.en}, {lines_en} {'does' if start == end else 'do'} not parse (SyntaxError at "
                          f"line {at}: {message}{shown}); {'that line was' if start == end else 'those lines were'} "
                          "skipped.",
                       ja=f"{where.ja} の {lines_ja}は構文エラーのためスキップしました({at} 行目: {message}{shown})。")
            if problems is not None:
                skipped = "\n".join(source.split("\n")[start - 1:end])
                problems.append(SyntaxProblem(file or filename, at, message, text, cell, end, note=note,
                                              names=_defined_names(skipped)))
            notes.append(note)
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
            units, notes = split_units(cell, f"{name}, cell {number}", where, problems=loaded.syntax_errors,
                                       cell=number, file=name)
            loaded.units += units
            loaded.notes += notes
    else:
        where = Msg(en=name, ja=name)
        units, notes = split_units(text, name, where, recover=True, problems=loaded.syntax_errors)
        loaded.units += units
        loaded.notes += notes
        if not units and notes:
            raise UnreadableSubmission(Msg(en=notes[-1].en, ja=notes[-1].ja), loaded.syntax_errors)
    syntax_notes = [p.note for p in loaded.syntax_errors if p.note is not None]
    loaded.notes = syntax_notes + [n for n in loaded.notes if n not in syntax_notes]  # the syntax errors first
    if not loaded.units:
        raise UnreadableSubmission(Msg(en=f"{name} contains no Python statements.",
                                       ja=f"{name} には Python の文がありません。"))
    return loaded
