"""Check and submit dlgrade exercises from a notebook (Jupyter, JupyterLab, VS Code, Colab).

    import dlgrade_client as dlg
    dlg.connect("http://127.0.0.1:8000", token="...")   # or DLGRADE_URL / DLGRADE_TOKEN; lang="ja" default
    r = dlg.check("layers")     # practice check of what this kernel has run; report shown inline, returned
    dlg.submit("layers")        # the graded submission: the saved notebook if found, else what the kernel ran
    v = dlg.variant("backprop-examples")   # this student's numbers, as a dict of NumPy arrays

Standard library only (IPython's display is used when present).  Grading happens on the server (hidden
checks, sandbox): nothing here can change a score.  On a server or network problem every function prints
one sentence and returns ``None``; it never raises.
"""

from __future__ import annotations

import getpass
import os
import sys
import time
import urllib.parse
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from dlgrade_client._http import Problem, request
from dlgrade_client._render import report_html, report_text
from dlgrade_client._source import Cell, Program, notebook_cells, rebuild
from dlgrade_client._text import say

__version__ = "0.1.0"
__all__ = ["connect", "check", "submit", "variant", "__version__"]

LANGS = ("ja", "en")
SERVER_WAIT = 10.0   # ?wait= on the POST: the server caps it at its max_wait_seconds
GRADING_TIMEOUT = 120.0  # then poll until the report is there, this long at most
ATTEMPTS = 3  # a lost answer or a short 503 is retried with the same Idempotency-Key


@dataclass
class Connection:
    url: str
    token: str = field(repr=False)  # never shown
    lang: str = "ja"
    timeout: float = 30.0
    _names: Dict[str, List[str]] = field(default_factory=dict, repr=False)

    def call(self, method: str, path: str, body: Optional[dict] = None, headers: Optional[dict] = None,
             timeout: Optional[float] = None) -> Tuple[int, Dict[str, str], Any]:
        return request(method, self.url + path, self.token, self.lang, body, headers, timeout or self.timeout)

    def names(self, exercise: str) -> Optional[List[str]]:
        """The function and class names the exercise grades (from its item ids), ``None`` if unknown."""
        if not self._names:
            _, _, catalogue = self.call("GET", "/api/v1/exercises")
            for ex in (catalogue or {}).get("exercises", []):
                self._names[ex["id"]] = sorted({i["id"].split(".")[0] for i in ex.get("items", [])})
        return self._names.get(exercise)


_connection: Optional[Connection] = None


def _say(key: str, lang: str, **values: Any) -> None:
    print(say(key, lang, **values))


def _lang(lang: Optional[str]) -> str:
    if lang in LANGS:
        return lang  # type: ignore[return-value]
    return _connection.lang if _connection is not None else "ja"


def connect(url: Optional[str] = None, token: Optional[str] = None, lang: str = "ja",
            timeout: float = 30.0) -> Optional[Connection]:
    """Remember the server and the token (arguments, else ``DLGRADE_URL`` / ``DLGRADE_TOKEN``, else a prompt)
    and say who the server knows you as.  The token is never printed."""
    global _connection
    lang = lang if lang in LANGS else "ja"
    url = url or os.environ.get("DLGRADE_URL") or _prompt("prompt_url", lang, secret=False)
    if not url:
        _say("no_url", lang)
        return None
    url = url.strip().rstrip("/")
    if "://" not in url:
        url = "http://" + url
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        _say("bad_url", lang, url=url)
        return None
    token = token or os.environ.get("DLGRADE_TOKEN") or _prompt("prompt_token", lang, secret=True)
    if not token:
        _say("no_token", lang)
        return None
    _connection = Connection(url, token.strip(), lang, timeout)
    try:
        _, _, me = _connection.call("GET", "/api/v1/me")
    except Problem as problem:
        print(problem.text(lang))
        return None
    _say("connected", lang, url=url, name=(me or {}).get("name", "?"))
    return _connection


def _prompt(key: str, lang: str, secret: bool) -> Optional[str]:
    try:
        answer = getpass.getpass(say(key, lang)) if secret else input(say(key, lang))
    except (EOFError, KeyboardInterrupt, Exception):  # no stdin (nbclient, a batch job)
        return None
    return answer.strip() or None


def _current(lang: Optional[str]) -> Optional[Connection]:
    if _connection is None:
        connect(lang=lang or "ja")
    return _connection


# ---------------------------------------------------------------------------------------------- the code sent


def _shell():
    try:
        from IPython import get_ipython  # type: ignore[import-not-found]
    except ImportError:
        return None
    return get_ipython()


def kernel_cells() -> List[Cell]:
    """The cells this kernel ran, in order (IPython); in a plain shell, the readline history as one cell, or
    the running script."""
    shell = _shell()
    if shell is not None:
        history = list(shell.history_manager.input_hist_raw)
        return [Cell(n, src) for n, src in enumerate(history) if n > 0 and src.strip()]
    main = sys.modules.get("__main__")
    if main is not None and getattr(main, "__file__", None):
        try:
            return [Cell(1, Path(main.__file__).read_text(encoding="utf-8"))]
        except OSError:
            return []
    try:
        import readline
    except ImportError:
        return []
    lines = [readline.get_history_item(i) for i in range(1, readline.get_current_history_length() + 1)]
    return [Cell(1, "\n".join(line for line in lines if line is not None))]


def saved_notebook() -> Optional[Path]:
    """The notebook file this kernel belongs to, if it can be found (VS Code, Jupyter Server); Colab: none."""
    shell = _shell()
    candidates = []
    if shell is not None:
        vsc = shell.user_ns.get("__vsc_ipynb_file__")
        if vsc:
            candidates.append(Path(vsc))
    session = os.environ.get("JPY_SESSION_NAME")  # Jupyter Server: the notebook's path under its root
    if session:
        candidates += [Path(session), Path.cwd() / Path(session).name]
    for path in candidates:
        if path.suffix == ".ipynb" and path.is_file():
            return path
    return None


# ---------------------------------------------------------------------------------------------- sending


def _post(conn: Connection, kind: str, body: dict, lang: str) -> Optional[dict]:
    """POST with one Idempotency-Key (retried on a lost answer), then wait for the final report."""
    headers = {"Idempotency-Key": uuid.uuid4().hex}
    path = f"/api/v1/{kind}s?wait={SERVER_WAIT:g}"
    for attempt in range(ATTEMPTS):
        try:
            _, response_headers, sub = conn.call("POST", path, body, headers, timeout=SERVER_WAIT + conn.timeout)
            break
        except Problem as problem:
            if not problem.retry or attempt == ATTEMPTS - 1:
                print(problem.text(lang))
                return None
            time.sleep(min(problem.wait or 0.5 * 2 ** attempt, 5.0))
    deadline = time.monotonic() + GRADING_TIMEOUT
    try:
        while sub.get("status") in ("queued", "running") and time.monotonic() < deadline:
            time.sleep(0.2)
            _, _, sub = conn.call("GET", f"/api/v1/{kind}s/{sub['id']}")
    except Problem as problem:
        print(problem.text(lang))
        return None
    if sub.get("status") in ("queued", "running"):
        _say("still_grading", lang, seconds=f"{GRADING_TIMEOUT:g}", id=sub.get("id"))
        return None
    if sub.get("status") != "done" or not sub.get("report"):
        _say("grading_failed", lang, error=sub.get("error") or sub.get("status"))
        return None
    report = dict(sub["report"])
    report["id"] = sub.get("id")
    report["replayed"] = response_headers.get("idempotent-replayed") == "true"
    return report


def _display(report: dict, lang: str, lines: List[str]) -> None:
    shell = _shell()
    text = report_text(report, lang, lines)
    if shell is not None and type(shell).__name__ != "TerminalInteractiveShell":
        from IPython.display import display  # type: ignore[import-not-found]

        display({"text/html": report_html(report, lang, lines), "text/plain": text}, raw=True)
    else:
        print(text)


def _kernel_program(conn: Connection, exercise: str, lang: str) -> Optional[Program]:
    cells = kernel_cells()
    program = rebuild(cells, conn.names(exercise))
    if not program.cells:
        _say("no_code", lang)
        return None
    return program


def _cell_lines(program: Program, lang: str) -> List[str]:
    lines = [say("cells_taken", lang, cells=", ".join(f"In[{n}]" for n in program.cells))]
    if program.unparsable:
        lines.append(say("cells_unparsable", lang, cells=", ".join(f"In[{n}]" for n in program.unparsable)))
    return lines


def check(exercise: str, lang: Optional[str] = None, path: Optional[str] = None) -> Optional[dict]:
    """A practice check (never in the gradebook) of what this kernel ran — or of ``path`` — shown inline;
    returns the report (with ``cells``: the cells sent), or ``None`` after printing what went wrong."""
    lang = _lang(lang)
    conn = _current(lang)
    if conn is None:
        return None
    try:
        if path is not None:
            body, lines, cells = _file_body(exercise, Path(path), lang), [], []
            if body is None:
                return None
        else:
            program = _kernel_program(conn, exercise, lang)
            if program is None:
                return None
            body = {"exercise": exercise, "filename": f"{exercise}-kernel.py", "source": program.source}
            lines, cells = _cell_lines(program, lang), program.cells
    except Problem as problem:
        print(problem.text(lang))
        return None
    report = _post(conn, "check", body, lang)
    if report is None:
        return None
    report["cells"] = cells
    _display(report, lang, lines + [say("checked", lang, id=report["id"])])
    return report


def _file_body(exercise: str, path: Path, lang: str) -> Optional[dict]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        _say("unreadable_file", lang, path=str(path), reason=getattr(exc, "strerror", None) or exc)
        return None
    return {"exercise": exercise, "filename": path.name, "source": text}


def submit(exercise: str, path: Optional[str] = None, lang: Optional[str] = None) -> Optional[dict]:
    """The graded submission: ``path``, else the saved notebook if it is what this kernel ran, else what the
    kernel ran (with a note that the saved file differs).  Sent with an Idempotency-Key: a retry after a
    network error never makes two submissions."""
    lang = _lang(lang)
    conn = _current(lang)
    if conn is None:
        return None
    lines: List[str] = []
    try:
        names = conn.names(exercise)
        ran = rebuild(kernel_cells(), names) if _shell() is not None else None
        chosen = Path(path) if path is not None else saved_notebook()
        body = None
        if chosen is not None:
            body = _file_body(exercise, chosen, lang)
            if body is None:
                return None
            if ran is not None and ran.cells and _file_program(chosen, body["source"], names).key() != ran.key():
                if path is None:
                    lines.append(say("saved_differs", lang, name=chosen.name))
                    body = None
                else:
                    lines.append(say("path_differs", lang, name=chosen.name))
        if body is None:
            program = ran if ran is not None else _kernel_program(conn, exercise, lang)
            if program is None or not program.cells:
                _say("no_code", lang)
                return None
            body = {"exercise": exercise, "filename": f"{exercise}-kernel.py", "source": program.source}
            lines += _cell_lines(program, lang)
    except Problem as problem:
        print(problem.text(lang))
        return None
    report = _post(conn, "submission", body, lang)
    if report is None:
        return None
    lines.append(say("submitted", lang, id=report["id"], filename=body["filename"]))
    if report["replayed"]:
        lines.append(say("replayed", lang))
    _display(report, lang, lines)
    return report


def _file_program(path: Path, text: str, names) -> Program:
    if path.suffix == ".ipynb":
        try:
            return rebuild(notebook_cells(text), names)
        except (ValueError, AttributeError):
            return Program(text, [])
    return rebuild([Cell(1, text)], names)


def variant(exercise: str, lang: Optional[str] = None) -> Optional[Dict[str, Any]]:
    """This student's numbers for ``exercise`` as ``{name: NumPy array}`` (lists if NumPy is missing), or
    ``None`` after saying that the exercise has no variants."""
    lang = _lang(lang)
    conn = _current(lang)
    if conn is None:
        return None
    try:
        if conn.names(exercise) is None:
            _say("unknown_exercise", lang, exercise=exercise, known=", ".join(sorted(conn._names)))
            return None
        _, _, body = conn.call("GET", f"/api/v1/exercises/{urllib.parse.quote(exercise, safe='')}/variant")
    except Problem as problem:
        if problem.status == 404:  # FastAPI's own "Not Found": a server without the endpoint
            no_route = problem.values.get("no_route", problem.values.get("detail") == "Not Found")
            _say("no_variant_endpoint" if no_route else "no_variant", lang, exercise=exercise)
        else:
            print(problem.text(lang))
        return None
    values = (body or {}).get("variant") or {}
    if not values:
        _say("no_variant", lang, exercise=exercise)
        return None
    try:
        import numpy as np
    except ImportError:
        return dict(values)
    return {name: np.asarray(value) for name, value in values.items()}
