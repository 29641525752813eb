"""``dlgrade token create`` and ``dlgrade roster import``, through the CLI runner, used against the app."""

from __future__ import annotations

import csv
import io
import stat

import pytest
from typer.testing import CliRunner

from grader.cli.app import app


@pytest.fixture
def cli_env(database, monkeypatch):
    monkeypatch.setenv("DLGRADE_DATABASE_URL", database["database_url"])
    if "database_schema" in database:
        monkeypatch.setenv("DLGRADE_DATABASE_SCHEMA", database["database_schema"])
    return database


def run(*args):
    return CliRunner().invoke(app, list(args))


def test_token_create_prints_a_token_that_the_service_accepts(cli_env, make_service):
    student = run("token", "create", "--student", "s001")
    instructor = run("token", "create", "--instructor", "--name", "sensei")
    assert student.exit_code == 0 and instructor.exit_code == 0, student.output
    student_token = student.stdout.strip().splitlines()[-1]
    instructor_token = instructor.stdout.strip().splitlines()[-1]
    assert student_token.startswith("dlg_") and len(student_token) > 40
    svc = make_service()
    me = svc.client.get("/api/v1/me", headers={"Authorization": f"Bearer {student_token}"}).json()
    assert me == {"name": "s001", "role": "student"}
    me = svc.client.get("/api/v1/me", headers={"Authorization": f"Bearer {instructor_token}"}).json()
    assert me == {"name": "sensei", "role": "instructor"}


def test_tokens_are_stored_hashed(cli_env, make_service):
    token = run("token", "create", "--student", "s001").stdout.strip().splitlines()[-1]
    svc = make_service()
    with svc.app.state.session_factory() as db:
        stored = db.connection().exec_driver_sql("SELECT token_hash FROM tokens").scalars().all()
    assert stored and token not in stored and all(len(h) == 64 for h in stored)


def test_token_create_usage_errors_exit_2(cli_env):
    assert run("token", "create").exit_code == 2
    assert run("token", "create", "--student", "s1", "--instructor").exit_code == 2
    bad = run("token", "create", "--student", "=cmd()")
    assert bad.exit_code == 2 and "not a valid ID" in bad.output


def test_roster_import_issues_one_token_per_new_student(cli_env, make_service, tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("student_id,name\ns001,山田\ns002,佐藤\ns002,佐藤\n\ns003,鈴木\n", encoding="utf-8")
    out = tmp_path / "tokens.csv"
    result = run("roster", "import", str(roster), "--out", str(out))
    assert result.exit_code == 0, result.output
    pairs = list(csv.DictReader(io.StringIO(out.read_text())))
    assert [p["student"] for p in pairs] == ["s001", "s002", "s003"]
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    # importing again skips students who have a token; --reissue gives them new ones
    again = run("roster", "import", str(roster))
    assert again.exit_code == 0 and again.stdout.strip() == "student,token"
    reissued = run("roster", "import", str(roster), "--reissue")
    assert len(list(csv.DictReader(io.StringIO(reissued.stdout)))) == 3
    svc = make_service()
    for p in pairs:
        me = svc.client.get("/api/v1/me", headers={"Authorization": f"Bearer {p['token']}"}).json()
        assert me["name"] == p["student"]


def test_roster_without_header_and_bad_rosters(cli_env, tmp_path):
    plain = tmp_path / "plain.csv"
    plain.write_text("s010\ns011\n")
    result = run("roster", "import", str(plain))
    assert result.exit_code == 0 and "s010," in result.stdout and "s011," in result.stdout
    bad = tmp_path / "bad.csv"
    bad.write_text("student\ns1\n+SUM(A1)\n")
    assert run("roster", "import", str(bad)).exit_code == 2
    assert run("roster", "import", str(tmp_path / "missing.csv")).exit_code == 2
    empty = tmp_path / "empty.csv"
    empty.write_text("student\n")
    assert run("roster", "import", str(empty)).exit_code == 2
