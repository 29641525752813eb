"""`dlgrade variant`, `dlgrade check --student`, `dlgrade batch` with per-student variants (issue 15),
on a real SQLite database holding the course secret, with real student processes."""

from __future__ import annotations

import csv
import io
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
EX = "backprop-examples"

SOLUTION = """
def softmax(a):
    e = np.exp(a - a.max())
    return e / e.sum()

Y = X @ W
ex1_1_dX = (Y - t_reg) @ W.T
ex1_1_dW = np.outer(X, Y - t_reg)
ex1_2_dX = (softmax(Y) - t_cls) @ W.T
ex1_2_dW = np.outer(X, softmax(Y) - t_cls)
ex2_dX = dY
ex2_db = dY.sum(axis=0)
"""


def dlgrade(*args, cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, DLGRADE_DATABASE_URL=f"sqlite:///{cwd / 'course.db'}", COLUMNS="200",
               DLGRADE_STATEMENT_BUDGET="0.5")
    return subprocess.run([sys.executable, "-m", "grader.cli", *map(str, args)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=240)


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("course")
    for s in ("s001", "s002"):  # known students: the service's accounts
        assert dlgrade("token", "create", "--student", s, cwd=folder).returncode == 0
    return folder


def secret_hex(folder: Path) -> str:
    with sqlite3.connect(folder / "course.db") as db:
        (value,) = db.execute("SELECT value FROM course_settings WHERE key = 'variant_secret'").fetchone()
    return value


def variant(folder: Path, *args) -> subprocess.CompletedProcess:
    r = dlgrade("variant", EX, *args, cwd=folder)
    assert r.returncode == 0, r.stderr
    return r


def test_variant_prints_each_students_numbers_as_json_and_as_code(course):
    one = json.loads(variant(course, "--student", "s001", "--json").stdout)
    assert set(one) == {"exercise", "student", "variant"} and one["exercise"] == EX and one["student"] == "s001"
    assert set(one["variant"]) == {"X", "W", "t_reg", "t_cls", "X2", "b", "dY"}
    assert len(one["variant"]["W"]) == 3 and len(one["variant"]["W"][0]) == 2
    two = json.loads(variant(course, "--student", "s002", "--json").stdout)
    assert two["variant"] != one["variant"]
    text = json.loads(variant(course, "--json").stdout)
    assert text["student"] is None and text["variant"]["X"] == [2, -1, 1]
    code = variant(course, "--student", "s001").stdout
    assert "import numpy as np" in code and "t_reg" in code and "student s001" in code
    assert "あなたの問題" in variant(course, "--student", "s001", "--lang", "ja").stdout
    bad = dlgrade("variant", "layers", "--student", "s001", cwd=course)
    assert bad.returncode == 2 and "same numbers for every student" in bad.stderr


def test_check_student_grades_with_their_numbers_and_says_whose(course, tmp_path):
    mine = tmp_path / "mine.py"
    mine.write_text(variant(course, "--student", "s001").stdout + SOLUTION, encoding="utf-8")
    own = json.loads(dlgrade("check", EX, mine, "--student", "s001", "--json", cwd=course).stdout)
    assert own["score"] == own["max_score"] == 6
    other = json.loads(dlgrade("check", EX, mine, "--student", "s002", "--json", cwd=course).stdout)
    assert other["score"] == 0
    assert all(i["variant_match"]["students"] == ["s001"] or "s001" in i["variant_match"]["students"]
               for i in other["items"])
    table = dlgrade("check", EX, mine, "--student", "s002", cwd=course).stdout
    assert "fits the numbers of" in table and "s001" in table
    practice = json.loads(dlgrade("check", EX, mine, "--json", cwd=course).stdout)  # no id: the text's numbers
    assert practice["score"] < 6 and all("variant_match" not in i for i in practice["items"])


SNOOP = r'''
import os
found, scanned = [], 0
needle = NEEDLE
def look(where, data):
    global scanned
    scanned += 1
    if needle in data:
        found.append(where)
for k, v in os.environ.items():
    look("environ " + k, (k + "=" + v).encode())
for path in ["/proc/self/environ", "/proc/self/cmdline", "/proc/1/environ", "/proc/1/cmdline",
             "/proc/%d/environ" % os.getppid(), "/proc/%d/cmdline" % os.getppid()]:
    try:
        look(path, open(path, "rb").read())
    except OSError:
        pass
for top in [os.getcwd(), "/tmp", os.path.expanduser("~"), COURSE]:
    for dirpath, dirs, files in os.walk(top):
        for f in files:
            try:
                with open(os.path.join(dirpath, f), "rb") as fh:
                    look(os.path.join(dirpath, f), fh.read(1 << 20))
            except OSError:
                pass
print("SCANNED", scanned, "FOUND", found)
ex1_1_dX = found
'''


def test_the_secret_never_reaches_the_student_process(course, tmp_path):
    secret = secret_hex(course)
    snoop = tmp_path / "snoop.py"
    snoop.write_text(SNOOP.replace("NEEDLE", repr(secret.encode())).replace("COURSE", repr(str(course))),
                     encoding="utf-8")
    r = dlgrade("check", EX, snoop, "--student", "s001", "--json", cwd=course)
    report = json.loads(r.stdout)
    assert "SCANNED" in report["output"], report["output"]
    scanned = int(report["output"].split("SCANNED")[1].split()[0])
    assert scanned > 5  # it did look: the environment, /proc, its folders
    assert "FOUND []" in report["output"], report["output"]
    assert secret not in r.stdout and secret not in r.stderr


def test_batch_uses_each_files_student_and_the_class_report_says_whose(course, tmp_path):
    subs = tmp_path / "subs"
    subs.mkdir()
    mine = variant(course, "--student", "s001").stdout + SOLUTION
    (subs / "s001.py").write_text(mine, encoding="utf-8")
    (subs / "s003.py").write_text(mine, encoding="utf-8")  # s003 hands in s001's answers
    (subs / "s004").mkdir()  # a folder per student: its name is the id
    (subs / "s004" / "a.py").write_text(variant(course, "--student", "s004").stdout + SOLUTION, encoding="utf-8")
    for f in [subs / "s001.py", subs / "s003.py", subs / "s004" / "a.py"]:
        os.utime(f, (1_700_000_000, 1_700_000_000))
    out = tmp_path / "out"
    r = dlgrade("batch", EX, subs, "--out", out / "grades.csv", "--json", out / "reports.jsonl",
                "--report", out / "report.html", "--feedback", out / "feedback", "--no-progress", cwd=course)
    assert r.returncode == 0, r.stderr
    rows = {row["student"]: row for row in csv.DictReader(io.StringIO((out / "grades.csv").read_text()))}
    assert rows["s001"]["score"] == "6" and rows["s004"]["score"] == "6" and rows["s003"]["score"] == "0"
    records = {json.loads(line)["student"]: json.loads(line) for line in (out / "reports.jsonl").read_text().splitlines()}
    assert all("s001" in i["variant_match"]["students"] for i in records["s003"]["report"]["items"])
    html = (out / "report.html").read_text()
    assert "(per-student variants)" in html and "s001 (6/6)" in html
    feedback = (out / "feedback" / "s003.html").read_text()
    assert "not the answer for your numbers" in feedback and "s001" not in feedback

    practice = dlgrade("batch", EX, subs, "--out", out / "practice.csv", "--practice", "--no-progress", cwd=course)
    assert practice.returncode == 0, practice.stderr
    rows = {row["student"]: row for row in csv.DictReader(io.StringIO((out / "practice.csv").read_text()))}
    assert float(rows["s001"]["score"]) < 6  # the text's numbers, not s001's


def test_rotating_the_secret_changes_every_students_numbers(tmp_path):
    before = variant(tmp_path, "--student", "s001", "--json").stdout
    refused = dlgrade("course-secret", "rotate", cwd=tmp_path)
    assert refused.returncode == 2 and "--yes" in refused.stderr
    assert dlgrade("course-secret", "rotate", "--yes", cwd=tmp_path).returncode == 0
    after = variant(tmp_path, "--student", "s001", "--json").stdout
    assert json.loads(after)["variant"] != json.loads(before)["variant"]


def test_similarity_pairs_an_answer_fitting_another_students_numbers_first(course, tmp_path):
    # s001 and s004 type the same solution code for their own numbers; s003's code looks like neither, but its
    # answers are s001's: that pair comes first, by its evidence, although s001/s004 share more code
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "s001.py").write_text(variant(course, "--student", "s001").stdout + SOLUTION, encoding="utf-8")
    ns: dict = {}
    exec((subs / "s001.py").read_text(encoding="utf-8"), ns)  # s001's answers, typed in as numbers by s003
    (subs / "s003.py").write_text("import numpy as np\n" + "".join(
        f"{name} = np.array({np.asarray(ns[name]).tolist()!r})\n" for name in
        ("ex1_1_dX", "ex1_1_dW", "ex1_2_dX", "ex1_2_dW", "ex2_dX", "ex2_db")), encoding="utf-8")
    (subs / "s004.py").write_text(variant(course, "--student", "s004").stdout + SOLUTION, encoding="utf-8")
    out = tmp_path / "pairs.csv"
    r = dlgrade("similarity", EX, subs, "--out", out, "--threshold", "0", cwd=course)
    assert r.returncode == 0, r.stderr
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert {rows[0]["student_a"], rows[0]["student_b"]} == {"s001", "s003"}, rows
    assert int(rows[0]["same_wrong_answers"]) >= 1
    s001_s004 = next(row for row in rows if {row["student_a"], row["student_b"]} == {"s001", "s004"})
    assert float(s001_s004["similarity"]) > float(rows[0]["similarity"])  # the code alone would rank them first
    assert all(int(row["same_wrong_answers"]) == 0 for row in rows if "s004" in (row["student_a"], row["student_b"]))
