"""`dlgrade batch` and `dlgrade gradescope` from the command line: outputs, stdout/stderr, exit status."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from classgen import parse_csv
from corpus_tools import CORPUS, py_to_notebook
from exercises import get

ROOT = Path(__file__).resolve().parents[2]
LAYERS = CORPUS / "layers"
CORRECT = (LAYERS / "correct_book.py").read_bytes()
BUG = LAYERS / "bug_affine_dw_transpose.py"


def dlgrade(*args, cwd=None) -> subprocess.CompletedProcess:
    env = dict(os.environ, DLGRADE_STATEMENT_BUDGET="0.3", COLUMNS="200")
    return subprocess.run([sys.executable, "-m", "grader.cli", *map(str, args)], cwd=cwd or ROOT, env=env,
                          capture_output=True, text=True, timeout=240)


@pytest.fixture(scope="module")
def subs(tmp_path_factory):
    root = tmp_path_factory.mktemp("subs")
    (root / "alice.py").write_bytes(CORRECT)
    (root / "bob.ipynb").write_bytes(py_to_notebook(BUG.read_text(encoding="utf-8")))
    (root / "carol").mkdir()
    (root / "carol" / "answer.py").write_bytes(CORRECT)
    (root / "dave.py").write_bytes(b"\x00\x01binary")
    (root / "erin.py").write_bytes(CORRECT)
    (root / "erin.ipynb").write_bytes(py_to_notebook(CORRECT.decode()))
    (root / "田中.py").write_bytes(CORRECT)
    # Every time is pinned, never today's: a file's modification time is its submission time.
    on_time = 1796054400  # 2026-11-30T16:00:00Z = 2026-12-01T01:00+09:00: on time for a 23:59 JST deadline
    for f in root.rglob("*"):
        os.utime(f, (on_time, on_time))
    t = 1796140800  # 2026-12-01T16:00:00Z = 2026-12-02T01:00+09:00: 1 day late for a 23:59 JST deadline
    os.utime(root / "bob.ipynb", (t, t))
    (root / "deadlines.toml").write_text('[deadlines]\nlayers = "2026-12-01T23:59:00+09:00"\n[late]\nrate = 0.25\n')
    return root


def test_batch_writes_every_output_and_keeps_stdout_clean(subs, tmp_path):
    out = tmp_path / "o"
    p = dlgrade("batch", "layers", subs, "--out", out / "grades.csv", "--json", out / "r.jsonl",
                "--report", out / "report.html", "--feedback", out / "fb", "--feedback-format", "md",
                "--deadlines", subs / "deadlines.toml", "--jobs", "2", "--lang", "ja")
    assert p.returncode == 0, p.stderr
    assert p.stdout == ""
    assert "採点結果の概要" in p.stderr and "erin" in p.stderr  # summary names the conflict
    header, rows = parse_csv((out / "grades.csv").read_text(encoding="utf-8"))
    assert header[:3] == ["student", "score", "max_score"]
    assert header[-5:] == ["late", "days_late", "penalty", "raw_score", "submitted_at"]
    by = {r["student"]: r for r in rows}
    assert list(by) == ["alice", "bob", "carol", "dave", "erin", "田中"]
    assert by["alice"]["score"] == "23" and by["carol"]["score"] == "23" and by["田中"]["score"] == "23"
    assert by["bob"]["raw_score"] == "20" and by["bob"]["late"] == "1" and by["bob"]["score"] == "15"
    assert by["bob"]["Affine.backward"] == "0" and by["bob"]["Affine.forward"] == "1"
    assert by["dave"]["score"] == "0" and by["erin"]["score"] == "0"
    recs = [json.loads(line) for line in (out / "r.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [r["status"] for r in recs] == ["graded", "graded", "graded", "ungradable", "conflict", "graded"]
    assert recs[0]["report"]["lang"] == "ja"
    assert sorted(p.name for p in (out / "fb").iterdir()) == sorted(f"{s}.md" for s in by)
    assert "遅延提出" in (out / "fb" / "bob.md").read_text(encoding="utf-8")
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "クラスレポート" in html and "data:image/png;base64," in html


def test_batch_csv_on_stdout(subs):
    p = dlgrade("batch", "layers", subs, "--out", "-", "--jobs", "1", "--no-progress")
    assert p.returncode == 0, p.stderr
    header, rows = parse_csv(p.stdout)
    assert header == ["student", "score", "max_score", *[i.id for i in get("layers").items]]
    assert len(rows) == 6
    assert "Batch summary" in p.stderr


@pytest.mark.parametrize("args,message", [
    (["batch", "nosuch", "{subs}", "--out", "{tmp}/g.csv"], "unknown exercise"),
    (["batch", "layers", "{tmp}/missing", "--out", "{tmp}/g.csv"], "no such directory"),
    (["batch", "layers", "{subs}/alice.py", "--out", "{tmp}/g.csv"], "not a directory"),
    (["batch", "layers", "{subs}", "--out", "{subs}/alice.py/g.csv"], "--out"),
    (["batch", "layers", "{subs}", "--out", "{tmp}/g.csv", "--deadlines", "{tmp}/bad.toml"], "deadlines"),
    (["batch", "layers", "{subs}", "--out", "{tmp}/g.csv", "--deadlines", "{tmp}/nope.toml"], "deadlines"),
    (["batch", "layers", "{subs}", "--out", "{tmp}/g.csv", "--jobs", "0"], ""),
    (["batch", "layers", "{subs}"], "--out"),
    (["batch", "layers", "{subs}", "--out", "{tmp}/g.csv", "--feedback-format", "pdf"], "feedback-format"),
    (["gradescope", "nosuch", "--submission", "{subs}/carol", "--results", "{tmp}/r.json"], "unknown exercise"),
    (["gradescope", "layers", "--submission", "{tmp}/none", "--results", "{tmp}/r.json"], "no such directory"),
])
def test_usage_errors_exit_2(subs, tmp_path, args, message):
    (tmp_path / "bad.toml").write_text("[late]\nrate = 3\n")
    p = dlgrade(*[a.format(subs=subs, tmp=tmp_path) for a in args])
    assert p.returncode == 2, (p.stdout, p.stderr)
    assert message in p.stderr
    assert not (tmp_path / "g.csv").exists() and not (tmp_path / "r.json").exists()


def test_empty_directory_is_not_an_error(tmp_path):
    (tmp_path / "subs").mkdir()
    p = dlgrade("batch", "layers", tmp_path / "subs", "--out", tmp_path / "g.csv")
    assert p.returncode == 0, p.stderr
    assert (tmp_path / "g.csv").read_text().startswith("student,score,max_score,Affine.forward")
    assert len((tmp_path / "g.csv").read_text().splitlines()) == 1


# --------------------------------------------------------------------------- Gradescope


def _gradescope(tmp_path, files: dict[str, bytes], *extra):
    sub = tmp_path / "autograder" / "submission"
    sub.mkdir(parents=True)
    for name, data in files.items():
        (sub / name).parent.mkdir(parents=True, exist_ok=True)
        (sub / name).write_bytes(data)
    results = tmp_path / "autograder" / "results" / "results.json"
    p = dlgrade("gradescope", "layers", "--submission", sub, "--results", results, *extra)
    assert p.returncode == 0, p.stderr
    return json.loads(results.read_text(encoding="utf-8"))


def test_gradescope_results_for_a_buggy_notebook(tmp_path):
    data = _gradescope(tmp_path, {"3-1-1_アファイン層.ipynb": py_to_notebook(BUG.read_text(encoding="utf-8"))})
    ex = get("layers")
    assert data["score"] == 20
    assert len(data["tests"]) == len(ex.items)
    for t, item in zip(data["tests"], ex.items):
        assert {"name", "score", "max_score", "output", "visibility", "status"} <= set(t)
        assert t["name"].startswith(item.id) and t["max_score"] == item.points
        assert t["visibility"] == "visible"
    failed = {t["extra_data"]["id"]: t for t in data["tests"] if t["status"] == "failed"}
    assert set(failed) == {"Affine.backward", "Affine.worked_examples"}
    assert "Hint:" in failed["Affine.backward"]["output"] and "§" in failed["Affine.backward"]["output"]
    assert data["stdout_visibility"] == "hidden"
    assert "3-1-1_アファイン層.ipynb" in data["output"]


def test_gradescope_several_files_in_japanese(tmp_path):
    src = CORRECT.decode()
    cut = src.index("class Sigmoid")
    data = _gradescope(tmp_path, {"part2.py": src[cut:].encode(), "part1.py": src[:cut].encode()},
                       "--lang", "ja", "--visibility", "after_due_date")
    assert data["score"] == 23 and all(t["status"] == "passed" for t in data["tests"])
    assert data["extra_data"]["files"] == ["part1.py", "part2.py"]
    assert all(t["visibility"] == "after_due_date" for t in data["tests"])
    assert "正解" in data["tests"][0]["name"]


def test_gradescope_without_a_python_file(tmp_path):
    data = _gradescope(tmp_path, {"answer.pdf": b"%PDF-1.4"})
    assert data["score"] == 0
    assert all(t["score"] == 0 and "No .py or .ipynb" in t["output"] for t in data["tests"])
