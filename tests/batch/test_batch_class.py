"""`dlgrade batch` over a generated class of 200 submissions: every output file's content.

The class (tests/batch/classgen.py) mixes correct, buggy and broken files from the
corpus, notebooks, folders (one file, the course's notebooks split in parts, nested,
empty), conflicts and files that are not submissions, with submission times around
a deadline.  It is graded once (2 processes); each test checks one output.
"""

from __future__ import annotations

import base64
import json
import math
import re
import statistics
from datetime import datetime, timedelta, timezone
from html.parser import HTMLParser

import pytest
from rich.console import Console

from classgen import generate_class, parse_csv
from exercises import get
from grader.classroom.batch import print_summary, run_batch, write_csv, write_feedback, write_jsonl
from grader.classroom.classreport import write_class_report
from grader.options import GradeOptions
from grader.classroom.lateness import parse_config

EXERCISE = "layers"
N = 200
DEADLINE = datetime(2026, 12, 1, 23, 59, tzinfo=timezone(timedelta(hours=9)))
RATE = 0.1
REPORT_KEYS = {"exercise", "submission", "score", "max_score", "duration_ms", "items", "notes"}
ITEM_KEYS = {"id", "status", "score", "max_score", "feedback", "hint", "section", "mistake"}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("class")
    ex = get(EXERCISE)
    students = generate_class(root / "subs", ex, N, seed=7, deadline=DEADLINE)
    lateness = parse_config({"deadlines": {EXERCISE: DEADLINE.isoformat()}, "late": {"rate": RATE}})
    result = run_batch(EXERCISE, root / "subs", jobs=2, options=GradeOptions(statement_budget=0.3),
                       lateness=lateness, executor="process")  # (the CLI tests cover the default, threads)
    assert result.executor == "process" and result.jobs == 2
    out = root / "out"
    out.mkdir()
    write_csv(result, out / "grades.csv")
    write_jsonl(result, out / "results.jsonl", "en")
    write_class_report(result, out / "report.html", "en", ex)
    write_feedback(result, out / "feedback", "html", "en", ex)
    write_feedback(result, out / "feedback_md", "md", "ja", ex)
    return {"ex": ex, "students": {s.name: s for s in students}, "result": result, "out": out}


def full(ex) -> dict[str, float]:
    return {i.id: float(i.points) for i in ex.items}


def test_class_is_diverse(graded):
    cats = {s.category for s in graded["students"].values()}
    assert {"correct_py", "correct_nb", "bug_py", "bug_nb", "broken", "folder_split", "folder_nested",
            "folder_empty", "conflict_py_nb", "conflict_py_dir", "correct_nb_slow"} <= cats
    assert len(graded["students"]) == N
    assert sum(s.days_late > 0 for s in graded["students"].values()) >= 10


def test_csv_header_and_one_row_per_student(graded):
    header, rows = parse_csv((graded["out"] / "grades.csv").read_text(encoding="utf-8"))
    ex = graded["ex"]
    assert header[:3] == ["student", "score", "max_score"]
    assert header[3:3 + len(ex.items)] == [i.id for i in ex.items]
    assert header[3 + len(ex.items):] == ["late", "days_late", "penalty", "raw_score", "submitted_at"]
    assert [r["student"] for r in rows] == sorted(graded["students"])
    assert all(float(r["max_score"]) == ex.max_score for r in rows)


def test_csv_item_scores_follow_the_corpus(graded):
    _, rows = parse_csv((graded["out"] / "grades.csv").read_text(encoding="utf-8"))
    points = full(graded["ex"])
    for row in rows:
        st = graded["students"][row["student"]]
        got = {i: float(row[i]) for i in points}
        if st.lost is None:  # conflict or ungradable: every item 0
            assert all(v == 0 for v in got.values()), (st.name, st.category)
            assert float(row["score"]) == 0 and float(row["raw_score"]) == 0
            continue
        lost = {i for i, v in got.items() if v < points[i]}
        assert lost == st.lost, (st.name, st.category, st.source, lost ^ st.lost)
        assert math.isclose(float(row["raw_score"]), sum(got.values()), abs_tol=1e-3)


def test_csv_lateness_columns(graded):
    _, rows = parse_csv((graded["out"] / "grades.csv").read_text(encoding="utf-8"))
    for row in rows:
        st = graded["students"][row["student"]]
        raw = float(row["raw_score"])
        assert int(row["days_late"]) == st.days_late, st.name
        assert row["late"] == ("1" if st.days_late else "0")
        expected = round(raw * (1 - min(1.0, RATE * st.days_late)), 4)
        assert math.isclose(float(row["score"]), expected, abs_tol=1e-3), st.name
        assert math.isclose(float(row["penalty"]), raw - expected, abs_tol=1e-3)
        if st.submitted_at is None:
            assert row["submitted_at"] == ""
        else:
            got = datetime.fromisoformat(row["submitted_at"])
            assert got == st.submitted_at and got.utcoffset() == timedelta(hours=9)  # the deadline's zone


def _jsonl(graded) -> list[dict]:
    lines = (graded["out"] / "results.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


def test_jsonl_full_reports(graded):
    records = _jsonl(graded)
    assert [r["student"] for r in records] == sorted(graded["students"])
    _, rows = parse_csv((graded["out"] / "grades.csv").read_text(encoding="utf-8"))
    by_row = {r["student"]: r for r in rows}
    for rec in records:
        st = graded["students"][rec["student"]]
        assert rec["status"] == st.status, (st.name, rec["reason"])
        assert math.isclose(rec["score"], float(by_row[st.name]["score"]), abs_tol=1e-3)
        assert rec["late"]["days_late"] == st.days_late
        assert sorted(rec["files"]) == sorted(st.files)
        if st.status == "conflict":
            assert rec["report"] is None
            assert "Several submissions" in rec["reason"] and st.name in rec["reason"]
            continue
        rep = rec["report"]
        assert REPORT_KEYS <= set(rep) and rep["exercise"] == EXERCISE and rep["lang"] == "en"
        assert math.isclose(rep["score"], rec["raw_score"], abs_tol=1e-3)
        assert [i["id"] for i in rep["items"]] == [i.id for i in graded["ex"].items]
        for item in rep["items"]:
            assert ITEM_KEYS <= set(item)
            assert item["status"] in ("pass", "fail", "error", "timeout", "missing")
            assert math.isclose(item["score"], float(by_row[st.name][item["id"]]), abs_tol=1e-3)
        if st.status == "ungradable":
            assert {i["status"] for i in rep["items"]} == {"error"}
            assert len({i["feedback"] for i in rep["items"]}) == 1
            assert rec["reason"] == rep["items"][0]["feedback"]
        if st.category == "correct_nb_slow":
            assert any("dropped" in n or "skipped" in n for n in rep["notes"])


def test_folders_are_graded_as_one_submission(graded):
    records = {r["student"]: r for r in _jsonl(graded)}
    for st in graded["students"].values():
        if st.category in ("folder_split", "folder_bug_split"):
            rec = records[st.name]
            assert len(rec["files"]) == len(graded["ex"].notebooks) > 1
            # the course's notebook order, whatever the files' dates
            assert rec["files"] == [f"{st.name}/{nb}" for nb in graded["ex"].notebooks]
            assert rec["report"]["submission"] == f"{st.name}/"
        if st.category in ("folder_nested", "folder_extra", "folder_single"):
            assert records[st.name]["files"] == st.files  # checkpoints, caches and data files are not graded


def test_summary_names_conflicts_and_figures(graded):
    result = graded["result"]
    console = Console(record=True, width=200)
    print_summary(console, result, "en")
    text = console.export_text()
    _, rows = parse_csv((graded["out"] / "grades.csv").read_text(encoding="utf-8"))
    scores = [float(r["score"]) for r in rows]
    conflicts = sorted(s.name for s in graded["students"].values() if s.status == "conflict")
    not_graded = [s for s in graded["students"].values() if s.status != "graded"]
    assert re.search(rf"graded\s+│\s+{N - len(not_graded)}\b", text)
    assert re.search(rf"could not grade\s+│\s+{len(not_graded)}\s+\({len(conflicts)} conflicts\)", text)
    assert f"{statistics.fmean(scores):.2f} / 23" in text
    assert f"{statistics.median(scores):g} / 23" in text
    for name in conflicts:
        assert re.search(rf"{name}\s+│ Several submissions for {name}", text)
    assert "Slowest submissions" in text
    slowest = result.slowest(5)
    assert slowest[0].student in text
    assert "grades_old.csv" in text and "README.txt" in text
    assert result.ignored == ["grades_old.csv", "README.txt"]


class _Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.imgs, self.external, self.text = [], [], []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "img":
            self.imgs.append(a.get("src", ""))
        for key in ("src", "href"):
            if a.get(key) and not a[key].startswith(("data:", "#")):
                self.external.append((tag, a[key]))
        if tag in ("link", "script", "iframe", "object", "embed"):
            self.external.append((tag, a))

    def handle_data(self, data):
        self.text.append(data)


def test_class_report_is_self_contained_with_charts(graded):
    html = (graded["out"] / "report.html").read_text(encoding="utf-8")
    page = _Page()
    page.feed(html)
    assert page.external == []
    assert "url(" not in html and "@import" not in html
    assert len(page.imgs) >= 3  # histogram, items, slowest (+ mistakes when present)
    for src in page.imgs:
        assert src.startswith("data:image/png;base64,")
        assert base64.b64decode(src.split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"
    for alt in ("Score distribution", "Pass rate per item", "Slowest submissions"):
        assert f'alt="{alt}" src="data:image/png;base64,' in html
    for heading in ("Overview", "Items (graded submissions)", "Named mistakes by kind", "Slowest submissions",
                    "Could not grade", "Gradebook"):
        assert f"<h2>{heading}" in html


def test_class_report_figures(graded):
    html = (graded["out"] / "report.html").read_text(encoding="utf-8")
    records = _jsonl(graded)
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
    graded_recs = [r for r in records if r["status"] == "graded"]
    not_graded = [r for r in records if r["status"] != "graded"]
    assert f"{N} students" in text and f"{len(graded_recs)} graded" in text
    assert f"{len(not_graded)} could not grade" in text
    # pass rate and the most frequent failures of each item, over the graded submissions
    for item in graded["ex"].items:
        outcomes = [next(i for i in r["report"]["items"] if i["id"] == item.id) for r in graded_recs]
        rate = sum(o["status"] == "pass" for o in outcomes) / len(outcomes)
        row = re.search(rf"<code>{re.escape(item.id)}</code>.*?</tr>", html, re.S).group(0)
        assert f"{rate * 100:.0f}%" in row, item.id
        fails = len(outcomes) - sum(o["status"] == "pass" for o in outcomes)
        counts = [int(c) for c in re.findall(r"×(\d+)</span>", row)]
        assert sum(counts) <= fails and (counts[0] >= 1 if fails else not counts), item.id
    # every student who could not be graded is listed with the reason
    section = html.split("Could not grade", 1)[1]
    for r in not_graded:
        assert f"<td>{r['student']}</td>" in section
    # the slowest submissions are the slowest in the JSON lines
    slow = sorted((r for r in records if r["status"] != "conflict"), key=lambda r: -r["duration_ms"])[:3]
    slow_table = html.split("Slowest submissions", 2)[-1]
    for r in slow:
        assert f"<td>{r['student']}</td>" in slow_table


def test_feedback_files(graded):
    fb = graded["out"] / "feedback"
    md = graded["out"] / "feedback_md"
    assert sorted(p.name for p in fb.iterdir()) == sorted(f"{s}.html" for s in graded["students"])
    assert sorted(p.name for p in md.iterdir()) == sorted(f"{s}.md" for s in graded["students"])
    records = {r["student"]: r for r in _jsonl(graded)}
    for st in graded["students"].values():
        html = (fb / f"{st.name}.html").read_text(encoding="utf-8")
        text = (md / f"{st.name}.md").read_text(encoding="utf-8")
        rec = records[st.name]
        score = format(round(rec["score"], 4), "g") if rec["score"] else "0"
        assert f"Score: {score} / 23" in html, st.name
        assert f"得点: {score} / 23" in text, st.name
        assert st.name in html and st.name in text
        assert "<script" not in html
        if st.status == "conflict":
            assert "Several submissions" in html and "提出物が複数あります" in text
        elif st.status == "ungradable":
            assert "Not graded" in html and "採点できませんでした" in text
        elif st.lost:
            for item_id in st.lost:
                assert f"<code>{item_id}</code> — <span" in html
                assert f"### `{item_id}`" in text
            assert "What to fix" in html and "直すところ" in text
        else:
            assert "Every item is correct" in html and "すべての項目が正解です" in text
        if st.days_late:
            assert "Late:" in html and "遅延提出" in text
    # students' messages are escaped, never markup
    assert not any("<listcomp>" in p.read_text(encoding="utf-8") for p in fb.iterdir())
