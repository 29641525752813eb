"""Generate a class of submissions from the corpus (tests/corpus/<exercise>/) for batch tests and benchmarks.

Every generated student records what the gradebook must say about them, from the
corpus conventions (tests/corpus_tools.py): ``correct_*`` full marks, ``bug_*``
loses exactly its ``# expect-fail`` items, ``broken_*`` cannot be graded.
"""

from __future__ import annotations

import json
import os
import random
import re
import sys
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from corpus_tools import SLOW_CELLS, corpus_files, expectations, py_to_notebook  # noqa: E402

# One cycle of categories; a class of n students repeats it.
PATTERN = (["correct_py"] * 12 + ["correct_nb"] * 5 + ["bug_py"] * 12 + ["bug_nb"] * 5 + ["broken"] * 3
           + ["folder_split"] * 4 + ["folder_single", "folder_nested", "folder_bug_split", "folder_extra"]
           + ["conflict_py_nb", "folder_empty", "conflict_py_dir", "correct_nb_slow"])


@dataclass
class Student:
    name: str
    category: str
    source: str | None                 # corpus file it was made from
    status: str                        # graded, ungradable or conflict
    lost: set[str] | None              # items that must lose points (None: every item scores 0)
    files: list[str] = field(default_factory=list)  # paths relative to the class folder
    submitted_at: datetime | None = None
    days_late: int = 0


def split_cells(source: str) -> list[str]:
    nb = json.loads(py_to_notebook(source))
    return ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]


def notebook(cells: list[str]) -> bytes:
    return json.dumps({
        "nbformat": 4, "nbformat_minor": 5,
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
        "cells": [{"cell_type": "markdown", "metadata": {}, "source": ["# 演習"]}]
                 + [{"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
                     "source": [ln + "\n" for ln in c.split("\n")]} for c in cells],
    }, ensure_ascii=False).encode()


def chunks(items: list, k: int) -> list[list]:
    k = max(1, min(k, len(items)))
    size = -(-len(items) // k)
    return [items[i:i + size] for i in range(0, len(items), size)]


def generate_class(root: Path, exercise, n: int = 200, seed: int = 0, deadline: datetime | None = None,
                   slow_notebooks: bool = True, late_share: float = 0.15) -> list[Student]:
    """Write ``n`` students' submissions for ``exercise`` into ``root``; return what to expect."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    ex_id = exercise.id
    correct = [p for p in corpus_files(ex_id, "correct_") if p.suffix == ".py"]
    correct_nb = [p for p in corpus_files(ex_id, "correct_") if p.suffix == ".ipynb"]
    bugs = [p for p in corpus_files(ex_id, "bug_") if p.suffix == ".py"]
    broken = corpus_files(ex_id, "broken_")
    if not correct:
        raise RuntimeError(f"no correct_*.py in tests/corpus/{ex_id}")
    bugs = bugs or correct
    broken = broken or []
    counters: dict[str, int] = {}
    deadline = deadline or datetime(2026, 12, 1, 23, 59, tzinfo=timezone(timedelta(hours=9)))
    names = list(exercise.notebooks) or ["part1.ipynb", "part2.ipynb", "part3.ipynb"]

    def pick(kind: str, pool: list[Path]) -> Path:
        i = counters.get(kind, 0)
        counters[kind] = i + 1
        return pool[i % len(pool)]

    def write(rel: str, data: bytes | str) -> str:
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data.encode() if isinstance(data, str) else data)
        return rel

    students: list[Student] = []
    width = max(3, len(str(n)))
    for i in range(n):
        name = f"s{i + 1:0{width}d}"
        cat = PATTERN[i % len(PATTERN)]
        if cat == "broken" and not broken:
            cat = "correct_py"
        if cat == "correct_nb_slow" and not slow_notebooks:
            cat = "correct_nb"
        st = Student(name, cat, None, "graded", set())
        if cat == "correct_py":
            src = pick(cat, correct)
            st.files = [write(f"{name}.py", src.read_bytes())]
        elif cat in ("correct_nb", "correct_nb_slow"):
            if correct_nb and cat == "correct_nb" and counters.get("nbfile", 0) % 3 == 0:
                counters["nbfile"] = counters.get("nbfile", 0) + 1
                src = pick("correct_nbfile", correct_nb)
                st.files = [write(f"{name}.ipynb", src.read_bytes())]
            else:
                counters["nbfile"] = counters.get("nbfile", 0) + 1
                src = pick(cat, correct)
                extra = SLOW_CELLS if cat == "correct_nb_slow" else None
                st.files = [write(f"{name}.ipynb", py_to_notebook(src.read_text(encoding="utf-8"), extra))]
        elif cat in ("bug_py", "bug_nb"):
            src = pick("bug", bugs)
            st.lost = expectations(src)["fail"] if src.name.startswith("bug_") else set()
            if cat == "bug_py":
                st.files = [write(f"{name}.py", src.read_bytes())]
            else:
                st.files = [write(f"{name}.ipynb", py_to_notebook(src.read_text(encoding="utf-8")))]
        elif cat == "broken":
            src = pick(cat, broken)
            st.status, st.lost = "ungradable", None
            st.files = [write(f"{name}{src.suffix}", src.read_bytes())]
        elif cat in ("folder_split", "folder_bug_split"):
            src = pick(cat, correct if cat == "folder_split" else bugs)
            if cat == "folder_bug_split" and src.name.startswith("bug_"):
                st.lost = expectations(src)["fail"]
            parts = chunks(split_cells(src.read_text(encoding="utf-8")), len(names))
            # written in reverse order: the folder's notebooks are graded in the course's order, not mtime's
            for nb_name, cells in reversed(list(zip(names, parts))):
                st.files.insert(0, write(f"{name}/{nb_name}", notebook(cells)))
        elif cat == "folder_single":
            src = pick(cat, correct)
            st.files = [write(f"{name}/answer.py", src.read_bytes())]
            write(f"{name}/notes.txt", "ignored")
        elif cat == "folder_nested":
            src = pick(cat, correct)
            st.files = [write(f"{name}/work/{src.stem}.ipynb", py_to_notebook(src.read_text(encoding="utf-8")))]
            write(f"{name}/.ipynb_checkpoints/{src.stem}-checkpoint.ipynb", b"{broken")
        elif cat == "folder_extra":
            src = pick(cat, correct)
            st.files = [write(f"{name}/main.py", src.read_bytes())]
            write(f"{name}/data.csv", "x,y\n1,2\n")
            write(f"{name}/__pycache__/main.cpython-311.pyc", b"\x00\x01")
        elif cat == "folder_empty":
            (root / name).mkdir(parents=True, exist_ok=True)
            write(f"{name}/README.md", "forgot to upload")
            st.status, st.lost = "ungradable", None
        elif cat == "conflict_py_nb":
            src = pick(cat, correct)
            write(f"{name}.py", src.read_bytes())
            write(f"{name}.ipynb", py_to_notebook(src.read_text(encoding="utf-8")))
            st.status, st.lost = "conflict", None
        elif cat == "conflict_py_dir":
            src = pick(cat, correct)
            write(f"{name}.py", src.read_bytes())
            write(f"{name}/{src.name}", src.read_bytes())
            st.status, st.lost = "conflict", None
        st.source = src.name if cat != "folder_empty" else None
        # submission time: most on time, some 1-3 days late
        if st.status != "conflict" and cat != "folder_empty":
            if rng.random() < late_share:
                st.days_late = rng.randint(1, 3)
                t = deadline + timedelta(days=st.days_late - 1, hours=rng.uniform(0.5, 23))
            else:
                t = deadline - timedelta(hours=rng.uniform(0.5, 200))
            st.submitted_at = t.astimezone(timezone.utc).replace(microsecond=0)
            ts = st.submitted_at.timestamp()
            targets = [root / f for f in st.files] or [root / name]
            for f in targets:
                os.utime(f, (ts, ts))
        students.append(st)
    # things that are not submissions
    write("README.txt", "submissions downloaded from the LMS")
    write(".DS_Store", b"\x00\x00")
    write("grades_old.csv", "student,score\n")
    return students


def parse_csv(text: str) -> tuple[list[str], list[dict]]:
    import csv
    import io

    reader = csv.reader(io.StringIO(text))
    rows = list(reader)
    header = rows[0]
    return header, [dict(zip(header, r)) for r in rows[1:]]


def slug(text: str) -> str:
    return re.sub(r"\W+", "_", text)
