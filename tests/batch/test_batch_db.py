"""`dlgrade export` and `dlgrade regrade` against the service's database (api.models, SQLite)."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import select

from api.accounts import get_or_create_account
from api.models import DONE, ERROR, QUEUED, STUDENT, Submission
from classgen import parse_csv
from corpus_tools import CORPUS
from exercises import get
from grader.classroom.batch import FAILED, GRADED, NO_SUBMISSION, UNGRADABLE
from grader.engine import grade_source
from grader.options import GradeOptions
from grader.classroom.lateness import parse_config
from api.regrade import export_class, open_db, regrade

ROOT = Path(__file__).resolve().parents[2]
EX = get("layers")
CORRECT = (CORPUS / "layers" / "correct_book.py").read_bytes()
BUG = (CORPUS / "layers" / "bug_affine_dw_transpose.py").read_bytes()
BROKEN = (CORPUS / "layers" / "broken_syntax_everywhere.py").read_bytes()
DEADLINE = datetime(2026, 12, 1, 23, 59, tzinfo=timezone(timedelta(hours=9)))
OPTIONS = GradeOptions(statement_budget=0.3)


def _stale(report: dict, item_id: str) -> dict:
    """The report an older grader with a bug in ``item_id``'s check would have stored."""
    report = json.loads(json.dumps(report))
    for it in report["items"]:
        if it["id"] == item_id:
            it["status"], it["score"] = "fail", 0.0
            it["feedback"] = {"en": "(old grader) wrong", "ja": "(旧採点)不正解"}
    report["score"] = sum(i["score"] for i in report["items"])
    return report


@pytest.fixture()
def db(tmp_path):
    url = f"sqlite:///{tmp_path / 'dlgrade.db'}"
    engine, sessions = open_db(url)
    reports = {name: grade_source(EX, data, filename, OPTIONS).to_bilingual()
               for name, data, filename in (("correct", CORRECT, "answer.py"), ("bug", BUG, "answer.py"),
                                            ("broken", BROKEN, "b.py"))}
    ids = {}
    with sessions.begin() as s:
        def add(student, data, status, report=None, when=DEADLINE - timedelta(days=1), filename="answer.py", **kw):
            acc = get_or_create_account(s, STUDENT, student)
            sub = Submission(account_id=acc.id, exercise="layers", filename=filename, source=data, size=len(data),
                             sha256=hashlib.sha256(data).hexdigest(), status=status, created_at=when,
                             report=report, score=None if report is None else report["score"],
                             max_score=None if report is None else report["max_score"], **kw)
            s.add(sub)
            s.flush()
            ids.setdefault(student, []).append(sub.id)

        add("alice", CORRECT, DONE, _stale(reports["correct"], "Affine.backward"))   # 21: old grader's bug
        add("bob", BUG, DONE, reports["bug"])                                        # 20, on time
        add("bob", CORRECT, DONE, reports["correct"], when=DEADLINE + timedelta(days=2, hours=1))  # 23, 3 days late
        add("carol", BROKEN, DONE, reports["broken"], filename="b.py")              # cannot be graded
        add("dave", CORRECT, ERROR, error="grader failure: KeyError: 'W'")            # the grader crashed
        add("frank", CORRECT, QUEUED)                                                 # not finished: not touched
        get_or_create_account(s, STUDENT, "erin")                                     # on the roster only
        add("erin", CORRECT, DONE, reports["correct"], kind="check")                  # practised, never submitted
        add("bob", CORRECT, DONE, reports["correct"], kind="check")
    yield url, sessions, ids
    engine.dispose()


def test_export_one_row_per_student_with_policy_and_lateness(db):
    url, sessions, ids = db
    lateness = parse_config({"deadlines": {"layers": DEADLINE.isoformat()}, "late": {"rate": 0.2}})
    best = {r.student: r for r in export_class(sessions, EX, "best", lateness).results}
    assert list(best) == ["alice", "bob", "carol", "dave", "erin", "frank"]
    assert best["alice"].status == GRADED and best["alice"].score == 21
    # bob: 20 on time beats 23 three days late (23 × 0.4 = 9.2)
    assert best["bob"].raw_score == 20 and not best["bob"].late.late and best["bob"].extra["submissions"] == 2
    assert best["carol"].status == UNGRADABLE and best["carol"].score == 0 and "b.py" in best["carol"].reason.en
    assert best["dave"].status == FAILED and "KeyError" in best["dave"].reason.en
    assert best["erin"].status == NO_SUBMISSION and best["frank"].status == NO_SUBMISSION  # a check never counts
    assert best["erin"].extra["checks"] == 1 and best["bob"].extra["checks"] == 1 and best["alice"].extra["checks"] == 0
    latest = {r.student: r for r in export_class(sessions, EX, "latest", lateness).results}
    assert latest["bob"].raw_score == 23 and latest["bob"].late.days_late == 3
    assert latest["bob"].score == pytest.approx(23 * 0.4)
    assert latest["bob"].extra["submission_id"] == ids["bob"][1]


def test_regrade_lists_changes_and_stores_them(db):
    url, sessions, ids = db
    dry = regrade(sessions, EX, jobs=2, options=OPTIONS, dry_run=True)
    assert dry.total == 5  # done and error submissions; the queued one is the service's
    changed = {c.student: c for c in dry.changes}
    assert set(changed) == {"alice", "dave"}
    assert changed["alice"].old_score == 21 and changed["alice"].new_score == 23 and changed["alice"].delta == 2
    assert changed["alice"].items == {"Affine.backward": (0.0, 2.0)}
    assert changed["dave"].old_status == ERROR and changed["dave"].new_score == 23
    assert dry.students == {"alice": (21, 23), "dave": (0, 23)}
    assert not any(c.stored for c in dry.changes)
    with sessions() as s:
        assert s.get(Submission, ids["alice"][0]).score == 21

    real = regrade(sessions, EX, jobs=1, options=OPTIONS)
    assert {c.student for c in real.changes} == {"alice", "dave"} and all(c.stored for c in real.changes)
    with sessions() as s:
        alice = s.get(Submission, ids["alice"][0])
        dave = s.get(Submission, ids["dave"][0])
        assert alice.score == 23 and alice.report["score"] == 23
        assert dave.status == DONE and dave.error is None and dave.score == 23
        assert s.scalar(select(Submission.status).where(Submission.id == ids["frank"][0])) == QUEUED
    again = regrade(sessions, EX, jobs=2, options=OPTIONS)
    assert again.changes == [] and again.students == {}


def dlgrade(*args) -> subprocess.CompletedProcess:
    env = dict(os.environ, DLGRADE_STATEMENT_BUDGET="0.3", COLUMNS="200")
    return subprocess.run([sys.executable, "-m", "grader.cli", *map(str, args)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=240)


def test_cli_regrade_and_export(db, tmp_path):
    url, sessions, ids = db
    p = dlgrade("regrade", "layers", "--database", url, "--dry-run", "--no-progress", "--changes", tmp_path / "c.csv")
    assert p.returncode == 0, p.stderr
    assert "alice" in p.stdout and "dave" in p.stdout and "bob" not in p.stdout
    assert "Affine.backward 0→2" in p.stdout and "dry run" in p.stderr
    header, rows = parse_csv((tmp_path / "c.csv").read_text())
    assert [(r["student"], r["old_score"], r["new_score"], r["stored"]) for r in rows] == \
        [("alice", "21", "23", "0"), ("dave", "", "23", "0")]
    deadlines = tmp_path / "d.toml"
    deadlines.write_text('[deadlines]\nlayers = "2026-12-01T23:59:00+09:00"\n[late]\nrate = 0.2\n')
    p = dlgrade("export", "layers", "--database", url, "--out", "-", "--policy", "latest", "--deadlines", deadlines,
                "--json", tmp_path / "r.jsonl", "--report", tmp_path / "r.html")
    assert p.returncode == 0, p.stderr
    header, rows = parse_csv(p.stdout)
    assert header[:3] == ["student", "score", "max_score"] and header[-5:] == \
        ["late", "days_late", "penalty", "raw_score", "submitted_at"]
    by = {r["student"]: r for r in rows}
    assert by["bob"]["late"] == "1" and by["bob"]["days_late"] == "3" and by["bob"]["score"] == "9.2"
    assert by["erin"]["score"] == "0"
    recs = [json.loads(line) for line in (tmp_path / "r.jsonl").read_text().splitlines()]
    assert [r["status"] for r in recs] == ["graded", "graded", "ungradable", "failed", "no_submission",
                                           "no_submission"]
    assert recs[1]["submission_id"] == ids["bob"][1]
    assert "data:image/png;base64," in (tmp_path / "r.html").read_text()
    assert dlgrade("export", "nosuch", "--database", url, "--out", "-").returncode == 2
    bad = dlgrade("regrade", "layers", "--database", "nosuchdriver://x")
    assert bad.returncode == 2 and "cannot open the database" in bad.stderr
