"""Which submissions of a class are similar: shared code, and the same wrong answers.

``dlgrade similarity EXERCISE DIR`` and the section of ``dlgrade batch --report`` (INTERFACES.md).
The pieces, in order:

1. **What is compared.**  Each submission (``.py``, ``.ipynb`` or a folder of them) is split into
   top-level statements with the grader's own loader (magics skipped, a cell that does not parse
   skipped, a ``.py`` with a syntax error keeps what parses).  Each statement is a *unit* with a
   weight: a definition of a name the exercise grades (``Affine``, ``ex1_1_dX = ...``) weighs 1, a
   helper definition 0.6, anything else (prints, plots, training loops, data loading) 0.05,
   imports 0.
2. **Tokens, not text.**  A unit is tokenized with Python's :mod:`tokenize`; comments, blank
   lines, docstrings and layout disappear, every identifier becomes ``V`` (so renaming variables,
   attributes, functions or classes changes nothing) except keywords, builtins, ``self`` and the
   NumPy API (``np.dot``, ``x.T``), which a student cannot rename; strings become ``S``.
3. **Fingerprints.**  Every run of ``K`` consecutive tokens inside one unit is hashed with a stable
   64-bit hash (BLAKE2b of the token text, a polynomial over the k-gram, a final mix: the same on
   every machine and in every process, unlike Python's ``hash()``), and winnowing (Schleimer et al.,
   SIGMOD 2003) keeps the smallest hash of every window of ``W`` k-grams: any shared run of at least
   ``K + W - 1`` tokens is found.  K-grams never cross unit boundaries, so reordering functions or
   cells changes nothing.
4. **What is subtracted.**  Every k-gram of the ``--boilerplate`` files (and of the exercise's
   starter code, when the catalogue has some) is removed.  Then a fingerprint held by ``df`` of the
   n submissions weighs ``log((n + 1) / df)`` (times its unit's weight): what every student typed alike
   (the textbook's ``Affine``) is what "normal" looks like for this exercise and counts almost nothing;
   what two students alone share counts most.
5. **The score.**  ``similarity(a, b)`` = the weight of the fingerprints a and b share (the geometric
   mean of the two sides' weights) divided by the smaller of their own total weights (floored at
   ``MIN_WEIGHT``, so that two submissions with almost nothing of their own do not score high on a few
   coincidences).  1.0: everything of the smaller submission is also in the other.  All pairs are
   scored at once from an inverted index (fingerprint -> submissions): fingerprints held by a few are
   expanded into their pairs, the few common ones go through one dense matrix product; files are
   never compared pairwise.
6. **Same wrong answers.**  Graded with the same inputs (a fixed seed for the class; the variant's
   numbers where exercises have per-student variants), two submissions that fail an item with the
   same feedback -- the same wrong value at the same element -- give the same wrong answer.  Only
   wrong answers that no catalogued typical mistake explains and that at most ``common_cutoff(n)``
   students share count: a typical mistake is typical.
"""

from __future__ import annotations

import builtins
import hashlib
import io
import keyword
import re
import time
import tokenize
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

import numpy as np

from grader.loader import UnreadableSubmission, _decode_text, notebook_cells, split_units
from grader.messages import Msg

K = 15            # tokens per k-gram
WINDOW = 6        # k-grams per winnowing window: a shared run of K + WINDOW - 1 = 20 tokens is always found
MIN_WEIGHT = 12.0  # denominators are at least this (about one short function of distinctive code)
DEFAULT_THRESHOLD = 0.85
DEFAULT_TOP = 20

W_GRADED, W_HELPER, W_OTHER, W_IMPORT = 1.0, 0.6, 0.05, 0.0
SUFFIXES = (".py", ".ipynb")

_KEEP = set(keyword.kwlist) | set(getattr(keyword, "softkwlist", ())) | set(dir(builtins)) | {"self", "cls",
                                                                                             "np", "numpy"}
_API = {n for n in dir(np) if not n.startswith("_")} | {n for n in dir(np.ndarray) if not n.startswith("_")} \
    | {n for n in dir(np.random) if not n.startswith("_")} | {n for n in dir(np.linalg) if not n.startswith("_")}
_M64 = np.uint64(0x100000001B3)   # FNV-64 prime: the polynomial's base
_MIX1, _MIX2 = np.uint64(0xFF51AFD7ED558CCD), np.uint64(0xC4CEB9FE1A85EC53)  # murmur3's 64-bit finaliser
_TOKEN_IDS: dict[str, int] = {}


def token_id(text: str) -> int:
    """A stable 64-bit id of a normalised token (the same in every process and on every machine)."""
    v = _TOKEN_IDS.get(text)
    if v is None:
        v = int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "little")
        _TOKEN_IDS[text] = v
    return v


def common_cutoff(n: int) -> int:
    """A fingerprint in more than this many submissions is commonplace for the class."""
    return max(3, -(-n * 5 // 100))


# --------------------------------------------------------------------------- one submission


@dataclass
class UnitInfo:
    label: str        # "class Affine", "def softmax", "cell 4", ...
    weight: float
    first: int        # first and last line in the submission's view (1-based)
    last: int


@dataclass
class Doc:
    """One submission, prepared for comparison."""

    student: str
    files: list[str]
    view: list[str]                  # the lines shown side by side (notebooks: the code cells, with headers)
    units: list[UnitInfo]
    hashes: np.ndarray               # winnowed fingerprints (uint64), unique
    weights: np.ndarray              # their weight (the heaviest unit they occur in)
    spans: np.ndarray                # (m, 2) first/last view line of each fingerprint's k-gram
    unit_of: np.ndarray              # the unit of each fingerprint
    kgrams: np.ndarray | None = None  # every k-gram hash (boilerplate documents only)
    problems: list[str] = field(default_factory=list)


_DEF = re.compile(r"^(?:async\s+)?(def|class)\s+(\w+)", re.M)
_IMPORT = re.compile(r"^(?:import|from)\s")
_ASSIGNED = re.compile(r"^([\w\s,()\[\].*]+?)\s*(?::[^=]*)?(?:[-+*/@%&|^]|//|\*\*|>>|<<)?=(?!=)")
_WORD = re.compile(r"[A-Za-z_]\w*")


def unit_weight(source: str, names: set[str]) -> tuple[str, float]:
    """A unit's label and weight from its first line (the loader already parsed it: no second parse)."""
    first = source.lstrip()
    while first.startswith("@"):  # decorators
        first = first.split("\n", 1)[1].lstrip() if "\n" in first else ""
    m = _DEF.match(first)
    if m:
        return f"{m.group(1)} {m.group(2)}", (W_GRADED if m.group(2) in names else W_HELPER)
    if _IMPORT.match(first):
        return "import", W_IMPORT
    m = _ASSIGNED.match(first)
    if m:
        hit = sorted(set(_WORD.findall(m.group(1))) & names)
        if hit:
            return hit[0], W_GRADED
    return "", W_OTHER


_SKIP = {tokenize.COMMENT, tokenize.NL, tokenize.ENCODING, tokenize.ENDMARKER}
_FSTRING = {getattr(tokenize, n) for n in ("FSTRING_MIDDLE", "FSTRING_END") if hasattr(tokenize, n)}
_FSTART = getattr(tokenize, "FSTRING_START", None)


def normalise_tokens(source: str) -> list[tuple[str, int]]:
    """``source`` as normalised tokens with their (0-based) line: see the module's docstring."""
    out: list[tuple[str, int]] = []
    prev_sig = tokenize.NEWLINE  # the type of the last significant token
    pending_string: tuple[str, int] | None = None  # a string alone on its line may be a docstring
    prev_text = prev2_text = ""
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            tt = tok.type
            if tt in _SKIP or tt in _FSTRING:
                continue
            line = tok.start[0] - 1
            if pending_string is not None:
                if tt == tokenize.NEWLINE:  # a statement that is only a string: a docstring, dropped
                    pending_string = None
                    prev_sig = tt
                    continue
                out.append(pending_string)
                pending_string = None
            if tt == tokenize.STRING or tt == _FSTART:
                if prev_sig in (tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT):
                    pending_string = ("S", line)
                else:
                    out.append(("S", line))
                prev_sig, prev2_text, prev_text = tokenize.STRING, prev_text, "S"
                continue
            if tt == tokenize.NAME:
                text = tok.string
                if prev_text == ".":  # an attribute: the API's (np.dot, x.T), else the student's own (self.W)
                    norm = text if text in _API and prev2_text not in ("self", "cls") else "V"
                elif text in _KEEP:
                    norm = text
                else:
                    norm = "V"
            elif tt == tokenize.NUMBER:
                norm = tok.string.lower().replace("_", "")
            elif tt == tokenize.NEWLINE:
                norm = ";"
            elif tt == tokenize.INDENT:
                norm = "{"
            elif tt == tokenize.DEDENT:
                norm = "}"
            else:
                norm = tok.string
            out.append((norm, line))
            prev_sig, prev2_text, prev_text = tt, prev_text, tok.string
    except (tokenize.TokenError, IndentationError, SyntaxError):
        pass
    if pending_string is not None:
        out.append(pending_string)
    return out


def kgram_hashes(ids: np.ndarray, k: int = K) -> np.ndarray:
    """Stable 64-bit hashes of every k-gram of a token-id sequence (uint64 arithmetic wraps)."""
    n = len(ids) - k + 1
    if n <= 0:
        return np.zeros(0, dtype=np.uint64)
    with np.errstate(over="ignore"):
        h = ids[:n].copy()
        for j in range(1, k):
            h = h * _M64 + ids[j:j + n]
        h ^= h >> np.uint64(33)
        h *= _MIX1
        h ^= h >> np.uint64(33)
        h *= _MIX2
        h ^= h >> np.uint64(33)
    return h


def winnow(h: np.ndarray, window: int = WINDOW) -> np.ndarray:
    """Positions chosen by winnowing one unit's k-gram hashes (the smallest of every window; a unit
    shorter than a window contributes its smallest)."""
    if len(h) == 0:
        return np.zeros(0, dtype=np.int64)
    if len(h) <= window:
        return np.array([int(np.argmin(h))], dtype=np.int64)
    view = np.lib.stride_tricks.sliding_window_view(h, window)
    # the rightmost minimum of each window (robust winnowing: ties keep the previous choice)
    rev = view[:, ::-1]
    pos = np.arange(len(view)) + (window - 1 - np.argmin(rev, axis=1))
    return np.unique(pos)


@dataclass
class _Piece:
    """A piece of source with where its line 1 sits in the view."""

    source: str
    offset: int     # view line index (0-based) of the piece's first line
    where: str      # for labels: "cell 3" or the file name


def _read_pieces(files: list[tuple[str, bytes]], problems: list[str]) -> tuple[list[str], list[_Piece]]:
    view: list[str] = []
    pieces: list[_Piece] = []
    many = len(files) > 1
    for name, data in files:
        try:
            if not data.strip():
                raise UnreadableSubmission(Msg(en=f"{name} is empty.", ja=f"{name} は空です。"))
            text = _decode_text(data, name)
            is_nb = name.lower().endswith(".ipynb") or (text.lstrip().startswith("{") and '"cells"' in text[:100000])
            if is_nb:
                for number, cell in enumerate(notebook_cells(text, name), start=1):
                    if not cell.strip():
                        continue
                    view.append(f"# ── {name + ', ' if many else ''}cell {number} ──")
                    pieces.append(_Piece(cell, len(view), f"cell {number}"))
                    view += cell.split("\n")
            else:
                if many:
                    view.append(f"# ── {name} ──")
                pieces.append(_Piece(text, len(view), name))
                view += text.split("\n")
        except UnreadableSubmission as exc:
            problems.append(exc.msg.en)
    return view, pieces


def prepare(student: str, files: list[tuple[str, bytes]], names: Iterable[str] = (), k: int = K,
            window: int = WINDOW, keep_kgrams: bool = False) -> Doc:
    """Tokenize, weigh and fingerprint one submission (``files``: display name and bytes, in order)."""
    names = set(names)
    problems: list[str] = []
    view, pieces = _read_pieces(files, problems)
    units: list[UnitInfo] = []
    all_h, all_w, all_span, all_unit, all_k = [], [], [], [], []
    for piece in pieces:
        parsed, _notes = split_units(piece.source, piece.where, Msg(en=piece.where, ja=piece.where),
                                     recover=not piece.where.startswith("cell "))
        for u in parsed:
            label, weight = unit_weight(u.source, names)
            first = piece.offset + u.lineno          # 1-based view line of the unit's first line
            last = first + u.source.count("\n")
            if not label:
                label = piece.where if piece.where.startswith("cell ") else f"line {u.lineno}"
            units.append(UnitInfo(label, weight, first, last))
            toks = normalise_tokens(u.source)
            if len(toks) < k:
                continue
            ids = np.fromiter((token_id(t) for t, _ in toks), dtype=np.uint64, count=len(toks))
            lines = np.fromiter((first + ln for _, ln in toks), dtype=np.int32, count=len(toks))
            h = kgram_hashes(ids, k)
            if keep_kgrams:
                all_k.append(h)
            pos = winnow(h, window)
            all_h.append(h[pos])
            all_w.append(np.full(len(pos), weight, dtype=np.float32))
            all_span.append(np.stack([lines[pos], lines[pos + k - 1]], axis=1))
            all_unit.append(np.full(len(pos), len(units) - 1, dtype=np.int32))
    if all_h:
        h = np.concatenate(all_h)
        w = np.concatenate(all_w)
        spans = np.concatenate(all_span)
        unit_of = np.concatenate(all_unit)
        # one entry per hash: the heaviest occurrence
        order = np.lexsort((-w, h))
        h, w, spans, unit_of = h[order], w[order], spans[order], unit_of[order]
        first = np.ones(len(h), dtype=bool)
        first[1:] = h[1:] != h[:-1]
        h, w, spans, unit_of = h[first], w[first], spans[first], unit_of[first]
    else:
        h = np.zeros(0, dtype=np.uint64)
        w = np.zeros(0, dtype=np.float32)
        spans = np.zeros((0, 2), dtype=np.int32)
        unit_of = np.zeros(0, dtype=np.int32)
    kg = np.unique(np.concatenate(all_k)) if keep_kgrams and all_k else (
        np.zeros(0, dtype=np.uint64) if keep_kgrams else None)
    return Doc(student=student, files=[n for n, _ in files], view=view, units=units, hashes=h, weights=w,
               spans=spans, unit_of=unit_of, kgrams=kg, problems=problems)


# --------------------------------------------------------------------------- inputs


def boilerplate_files(paths: Iterable[Path]) -> list[tuple[str, bytes]]:
    """The ``.py`` / ``.ipynb`` files of ``--boilerplate`` paths (files, or folders searched recursively)."""
    out: list[tuple[str, bytes]] = []
    for p in paths:
        p = Path(p)
        if p.is_dir():
            for f in sorted(p.rglob("*")):
                if f.is_file() and f.suffix.lower() in SUFFIXES and not any(
                        part.startswith(".") or part == "__pycache__" for part in f.relative_to(p).parts):
                    out.append((str(f), f.read_bytes()))
        elif p.is_file():
            out.append((str(p), p.read_bytes()))
        else:
            raise FileNotFoundError(str(p))
    return out


def starter_files(exercise) -> list[tuple[str, bytes]]:
    """The exercise's own starter code, when the catalogue has some (``Exercise.starter``: source texts)."""
    out = []
    for i, src in enumerate(getattr(exercise, "starter", ()) or ()):
        data = src.encode("utf-8") if isinstance(src, str) else bytes(src)
        out.append((f"starter {i + 1}", data))
    return out


# --------------------------------------------------------------------------- wrong answers

_FILE_REF = re.compile(r"\S+\.(?:py|ipynb)\b")


def wrong_answers(report: dict | None) -> dict[str, tuple[str, str | None]]:
    """item id -> (what the feedback says came back, the named mistake or None), for failed items.

    With everyone graded on the same inputs, equal feedback means the same wrong value at the same
    element (``got -2.0, expected 4.0 at [1, 0]``)."""
    if not report:
        return {}
    out = {}
    for it in report.get("items", []):
        if it.get("status") != "fail":
            continue
        fb = it.get("feedback") or ""
        if isinstance(fb, dict):
            fb = fb.get("en") or ""
        mistake = it.get("mistake") or None
        out[it["id"]] = (_FILE_REF.sub("‹file›", fb).strip(), mistake["id"] if mistake else None)
    return out


def variant_matches(report: dict | None) -> list[tuple[str, str]]:
    """(item id, other student) for every answer that fits another student's variant rather than the
    student's own -- the strongest evidence.  Read from the instructors' field of a report item,
    ``"variant_match": {"students": [ids], "practice": bool}`` (per-student variants, EXERCISES.md);
    an answer that fits the text's (practice) numbers names no one and is not a pair's evidence."""
    if not report:
        return []
    out = []
    for it in report.get("items", []):
        match = it.get("variant_match")
        if isinstance(match, dict):
            out += [(it["id"], s) for s in match.get("students") or [] if isinstance(s, str) and s]
    return out


# --------------------------------------------------------------------------- the class


@dataclass
class SharedWrong:
    item: str
    feedback: str
    shared_by: int   # students of the class who gave exactly this wrong answer


@dataclass
class Pair:
    a: int
    b: int
    similarity: float
    shared_weight: float
    matched_lines: int = 0
    same_wrong: list[SharedWrong] = field(default_factory=list)
    other_variant: list[tuple[str, str]] = field(default_factory=list)  # (item, whose variant was answered)

    @property
    def evidence_count(self) -> int:
        """pairs.csv's ``same_wrong_answers``: items with the same rare wrong value, plus items where one
        answered the other's variant (a wrong answer that is the other's right one)."""
        return len(self.same_wrong) + len({item for item, _ in self.other_variant})


@dataclass
class SimilarityResult:
    exercise_id: str
    docs: list[Doc]
    pairs: list[Pair]                # the reported pairs, most similar first
    threshold: float
    cutoff: int                      # fingerprints in more than this many submissions were commonplace
    boilerplate: list[str]           # the boilerplate files subtracted
    pair_count: int                  # all pairs: n (n - 1) / 2
    nonzero: np.ndarray              # the similarity of every pair that shares anything distinctive
    nearest: np.ndarray              # each student's highest similarity to anyone
    graded: bool                     # whether wrong answers were compared
    seconds: dict = field(default_factory=dict)
    _shared: dict = field(default_factory=dict, repr=False)

    @property
    def students(self) -> list[str]:
        return [d.student for d in self.docs]

    def flagged(self) -> list[Pair]:
        return [p for p in self.pairs if p.similarity >= self.threshold]


def _pair_matrix(doc_ids: np.ndarray, col: np.ndarray, vals: np.ndarray, df: np.ndarray, n: int,
                 cap: int = 32) -> np.ndarray:
    """S[a, b] = sum over the fingerprints a and b share of vals_a * vals_b (upper triangle, float64).

    ``col``: each posting's fingerprint index, ``df`` each fingerprint's document count.  Fingerprints
    held by at most ``cap`` documents are expanded into their pairs; the (few) more common ones go
    through one dense matrix product."""
    S = np.zeros(n * n, dtype=np.float64)
    if len(doc_ids) == 0:
        return S.reshape(n, n)
    pdf = df[col]
    rare = (pdf >= 2) & (pdf <= cap)
    order = np.lexsort((doc_ids[rare], col[rare]))
    c, d, v = col[rare][order], doc_ids[rare][order], vals[rare][order]
    if len(c):
        starts = np.flatnonzero(np.r_[True, c[1:] != c[:-1]])
        sizes = np.diff(np.r_[starts, len(c)])
        keys, prods = [], []
        for size in range(2, cap + 1):
            s = starts[sizes == size]
            if len(s) == 0:
                continue
            idx = s[:, None] + np.arange(size)[None, :]
            dd, vv = d[idx], v[idx]
            ii, jj = np.triu_indices(size, 1)  # doc ids are sorted within a fingerprint: a < b
            keys.append((dd[:, ii] * n + dd[:, jj]).ravel())
            prods.append((vv[:, ii] * vv[:, jj]).ravel())
        if keys:
            S += np.bincount(np.concatenate(keys), weights=np.concatenate(prods), minlength=n * n)
    common = pdf > cap
    if common.any():
        cols, local = np.unique(col[common], return_inverse=True)
        X = np.zeros((n, len(cols)), dtype=np.float32)
        X[doc_ids[common], local] = vals[common]
        G = (X @ X.T).astype(np.float64)
        S += np.triu(G, 1).reshape(-1)
    return S.reshape(n, n)


def compare(exercise_id: str, docs: list[Doc], boilerplate: list[Doc] = (), reports: dict | None = None,
            threshold: float = DEFAULT_THRESHOLD, cutoff: int | None = None,
            min_weight: float = MIN_WEIGHT) -> SimilarityResult:
    """Score every pair of ``docs``; ``reports``: student -> report dict (for wrong answers), or None."""
    t0 = time.perf_counter()
    n = len(docs)
    cutoff = common_cutoff(n) if cutoff is None else cutoff
    bp = [d.kgrams for d in boilerplate if d.kgrams is not None and len(d.kgrams)]
    bp_hashes = np.unique(np.concatenate(bp)) if bp else np.zeros(0, dtype=np.uint64)
    # one posting per (document, fingerprint) that is not boilerplate
    keep_masks = [~np.isin(d.hashes, bp_hashes, assume_unique=True) if len(bp_hashes) else
                  np.ones(len(d.hashes), dtype=bool) for d in docs]
    doc_ids = np.concatenate([np.full(int(m.sum()), i, dtype=np.int64) for i, m in enumerate(keep_masks)]) \
        if n else np.zeros(0, dtype=np.int64)
    hashes = np.concatenate([d.hashes[m] for d, m in zip(docs, keep_masks)]) if n else np.zeros(0, np.uint64)
    weights = np.concatenate([d.weights[m] for d, m in zip(docs, keep_masks)]).astype(np.float64) if n \
        else np.zeros(0)
    # rarity: a fingerprint held by df of the n submissions weighs log((n + 1) / df) -- what every
    # student writes weighs almost nothing, what two share alone weighs most
    uh, inv, df = np.unique(hashes, return_inverse=True, return_counts=True)
    idf = np.log((n + 1) / df)
    val = weights * idf[inv]
    own = np.bincount(doc_ids, weights=val, minlength=n)
    S = _pair_matrix(doc_ids, inv, np.sqrt(val), df, n)
    a, b = np.nonzero(S)
    shared = S[a, b]
    denom = np.maximum(np.minimum(own[a], own[b]), min_weight)
    sims = np.minimum(shared / denom, 1.0)
    t1 = time.perf_counter()

    # same wrong answers (and answers that fit another student's variant)
    wrong_pairs: dict[tuple[int, int], list[SharedWrong]] = {}
    variant_pairs: dict[tuple[int, int], list[tuple[str, str]]] = {}
    if reports is not None:
        index = {d.student: i for i, d in enumerate(docs)}
        by_answer: dict[tuple[str, str], list[int]] = {}
        for i, d in enumerate(docs):
            for item, (fb, mistake) in wrong_answers(reports.get(d.student)).items():
                if mistake is None and fb:
                    by_answer.setdefault((item, fb), []).append(i)
            for item, other in variant_matches(reports.get(d.student)):
                j = index.get(other)
                if j is not None and j != i:
                    variant_pairs.setdefault((min(i, j), max(i, j)), []).append((item, other))
        for (item, fb), holders in by_answer.items():
            if 2 <= len(holders) <= cutoff:
                for x in range(len(holders)):
                    for y in range(x + 1, len(holders)):
                        wrong_pairs.setdefault((holders[x], holders[y]), []).append(
                            SharedWrong(item, fb, len(holders)))
    # the reported pairs: similar enough, or with any same wrong answer / other variant's answer
    keep = sims >= threshold
    chosen = {(int(x), int(y)): (float(s), float(w)) for x, y, s, w in zip(a[keep], b[keep], sims[keep], shared[keep])}
    for key in list(wrong_pairs) + list(variant_pairs):
        if key not in chosen:
            x, y = key
            sh = float(S[x, y])
            chosen[key] = (min(sh / max(min(own[x], own[y]), min_weight), 1.0), sh)
    ubiquitous = uh[df > n / 2]
    pairs = []
    for (x, y), (sim, sh) in chosen.items():
        p = Pair(x, y, round(sim, 4), sh, same_wrong=sorted(wrong_pairs.get((x, y), []), key=lambda s: s.item),
                 other_variant=variant_pairs.get((x, y), []))
        p.matched_lines = min(len(r) for r in matched_lines(docs[x], docs[y], bp_hashes, ubiquitous))
        pairs.append(p)
    pairs.sort(key=lambda p: (-len(p.other_variant), -p.similarity, -len(p.same_wrong),
                              docs[p.a].student, docs[p.b].student))
    nearest = np.zeros(n)
    if len(sims):
        np.maximum.at(nearest, a, sims)
        np.maximum.at(nearest, b, sims)
    res = SimilarityResult(exercise_id=exercise_id, docs=list(docs), pairs=pairs, threshold=threshold, cutoff=cutoff,
                           boilerplate=[f for d in boilerplate for f in d.files], pair_count=n * (n - 1) // 2,
                           nonzero=sims, nearest=nearest, graded=reports is not None,
                           seconds={"score": t1 - t0, "evidence": time.perf_counter() - t1})
    res._shared = {"boilerplate": bp_hashes, "common": ubiquitous}
    return res


def matched_lines(da: Doc, db: Doc, boilerplate: np.ndarray, common: np.ndarray) -> tuple[set[int], set[int]]:
    """The view lines of each side covered by the fingerprints the two share (boilerplate and what
    more than half the class wrote left out)."""
    shared = np.intersect1d(da.hashes, db.hashes, assume_unique=True)
    if len(shared) and len(boilerplate):
        shared = shared[~np.isin(shared, boilerplate)]
    if len(shared) and len(common):
        shared = shared[~np.isin(shared, common)]
    out = []
    for d in (da, db):
        lines: set[int] = set()
        idx = np.flatnonzero(np.isin(d.hashes, shared, assume_unique=True))
        for s, e in d.spans[idx]:
            lines.update(range(int(s), int(e) + 1))
        out.append(lines)
    return out[0], out[1]


def pair_detail(result: SimilarityResult, pair: Pair) -> dict:
    """What the page shows for one pair: the matched lines of each side and the definitions they are in."""
    da, db = result.docs[pair.a], result.docs[pair.b]
    la, lb = matched_lines(da, db, result._shared["boilerplate"], result._shared["common"])

    def units_hit(d: Doc, lines: set[int]) -> list[str]:
        return [u.label for u in d.units if any(u.first <= ln <= u.last for ln in lines)]

    return {"lines_a": la, "lines_b": lb, "units_a": units_hit(da, la), "units_b": units_hit(db, lb)}


# --------------------------------------------------------------------------- running it on a folder


def _prepare_chunk(args) -> list[Doc]:
    items, names, k, window = args
    out = []
    for student, paths in items:
        files = []
        for name, path in paths:
            try:
                files.append((name, Path(path).read_bytes()))
            except OSError:
                continue
        out.append(prepare(student, files, names, k, window))
    return out


def prepare_all(items: list[tuple[str, list[tuple[str, str]]]], names: Iterable[str], jobs: int = 1,
                k: int = K, window: int = WINDOW) -> list[Doc]:
    """Prepare many submissions ``(student, [(display name, path)])``, in ``jobs`` processes."""
    names = tuple(names)
    if jobs <= 1 or len(items) < 200:
        return _prepare_chunk((items, names, k, window))
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    size = max(20, -(-len(items) // (jobs * 4)))
    chunks = [items[i:i + size] for i in range(0, len(items), size)]
    with ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
        parts = list(pool.map(_prepare_chunk, [(c, names, k, window) for c in chunks]))
    return [d for part in parts for d in part]


def class_seed(exercise_id: str) -> int:
    """The fixed seed a class is graded with for comparing wrong answers (the same inputs for everyone)."""
    return zlib.crc32(f"dlgrade-similarity:{exercise_id}".encode())


def similarity_for_class(exercise, directory: Path, submissions, boilerplate_paths: Iterable[Path] = (),
                         reports: dict | None = None, threshold: float = DEFAULT_THRESHOLD, jobs: int = 1) -> SimilarityResult:
    """Compare the discovered ``submissions`` (grader.classroom.batch.Submission) of ``directory``;
    conflicting entries (several submissions for one student) are left out."""
    from grader.classroom.batch import rel_name

    t0 = time.perf_counter()
    items = [(s.student, [(rel_name(f, directory), str(f)) for f in s.files]) for s in submissions
             if not s.conflict]
    docs = prepare_all(items, exercise.names, jobs)
    bp_files = boilerplate_files(boilerplate_paths) + starter_files(exercise)
    bp_docs = [prepare(name, [(name, data)], exercise.names, keep_kgrams=True) for name, data in bp_files]
    t1 = time.perf_counter()
    res = compare(exercise.id, docs, bp_docs, reports, threshold)
    res.seconds = {"prepare": t1 - t0, **res.seconds}
    return res


# --------------------------------------------------------------------------- pairs.csv

CSV_HEADER = ["student_a", "student_b", "similarity", "matched_lines", "same_wrong_answers"]


def csv_rows(result: SimilarityResult) -> list[list[str]]:
    rows = []
    for p in result.pairs:
        rows.append([result.docs[p.a].student, result.docs[p.b].student, f"{p.similarity:.3f}",
                     str(p.matched_lines), str(p.evidence_count) if result.graded else ""])
    return rows


def write_pairs_csv(result: SimilarityResult, out) -> None:
    import csv

    from grader.classroom.batch import _write_text

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_HEADER)
    w.writerows(csv_rows(result))
    _write_text(out, buf.getvalue())


__all__ = ["prepare", "compare", "similarity_for_class", "write_pairs_csv", "pair_detail", "class_seed",
           "SimilarityResult", "Pair", "Doc", "CSV_HEADER", "DEFAULT_THRESHOLD", "wrong_answers",
           "variant_matches", "normalise_tokens", "common_cutoff"]
