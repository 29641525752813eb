import json
from pathlib import Path

from typer.testing import CliRunner

from grader.cli.app import app

ROOT = Path(__file__).resolve().parents[2]
CORRECT = ROOT / "tests/corpus/layers/correct_book.py"
BUG = ROOT / "tests/corpus/layers/bug_affine_dw_transpose.py"
runner = CliRunner()


def test_exercises_lists_the_catalogue_as_json():
    result = runner.invoke(app, ["exercises", "--json"])
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    layers = next(e for e in data["exercises"] if e["id"] == "layers")
    assert {"Affine.backward", "SoftmaxWithLoss.forward"} <= {i["id"] for i in layers["items"]}
    assert layers["max_score"] == sum(i["points"] for i in layers["items"])


def test_check_json_report_follows_the_contract():
    result = runner.invoke(app, ["check", "layers", str(BUG), "--json"])
    assert result.exit_code == 0
    report = json.loads(result.stdout)
    assert set(report) >= {"exercise", "submission", "score", "max_score", "duration_ms", "items", "notes"}
    item = next(i for i in report["items"] if i["id"] == "Affine.backward")
    assert item["status"] == "fail" and item["score"] == 0
    assert set(item) >= {"id", "status", "score", "max_score", "feedback", "hint", "section", "mistake"}
    assert "self.dW" in item["feedback"] and item["section"] == "3.7"


def test_check_in_japanese():
    result = runner.invoke(app, ["check", "layers", str(BUG), "--json", "--lang", "ja"])
    item = next(i for i in json.loads(result.stdout)["items"] if i["id"] == "Affine.backward")
    assert "値が違います" in item["feedback"] or "形状" in item["feedback"]


def test_check_table_output_in_english_by_default():
    result = runner.invoke(app, ["check", "layers", str(CORRECT)])
    assert result.exit_code == 0
    assert "Affine.backward" in result.stdout and "pass" in result.stdout


def test_usage_errors_exit_2(tmp_path):
    assert runner.invoke(app, ["check", "no-such-exercise", str(CORRECT)]).exit_code == 2
    assert runner.invoke(app, ["check", "layers", str(tmp_path / "missing.py")]).exit_code == 2
    assert runner.invoke(app, ["check", "layers", str(tmp_path)]).exit_code == 2
    assert runner.invoke(app, ["check", "layers", str(CORRECT), "--lang", "fr"]).exit_code == 2


def test_ungradable_file_still_reports_and_exits_0(tmp_path):
    empty = tmp_path / "s001.py"
    empty.write_text("")
    result = runner.invoke(app, ["check", "layers", str(empty), "--json"])
    assert result.exit_code == 0
    report = json.loads(result.stdout)
    assert {i["status"] for i in report["items"]} == {"error"}
    assert all("empty" in i["feedback"] for i in report["items"])


def test_fast_entry_path_matches_the_typer_command():
    """`dlgrade check` is parsed without Typer for speed; the output must be the same report."""
    import subprocess
    import sys

    from grader.cli.entry import parse_check

    assert parse_check(["layers", "a.py", "--json", "--lang", "ja"])["lang"] == "ja"
    assert parse_check(["layers", "a.py", "--lang=fr"]) is None  # Typer reports the usage error
    assert parse_check(["layers", "a.py", "--help"]) is None
    assert parse_check(["layers"]) is None
    fast = subprocess.run([sys.executable, "-m", "grader", "check", "layers", str(BUG), "--json"],
                          capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert fast.returncode == 0, fast.stderr
    report = json.loads(fast.stdout)
    assert {i["id"]: i["status"] for i in report["items"]}["Affine.backward"] == "fail"
    missing = subprocess.run([sys.executable, "-m", "grader", "check", "layers", "nope.py"],
                             capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert missing.returncode == 2 and "no such file" in missing.stderr
