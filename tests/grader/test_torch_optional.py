"""PyTorch is optional (`dlgrade[torch]`): where it cannot be imported, the `autograd` exercise is marked
unavailable and its items are `error` with one sentence; every other exercise grades as before.

"Without PyTorch" is a real interpreter in which ``import torch`` fails (``sys.modules["torch"] = None``,
Python's own way of making a module unimportable), running the real `dlgrade` command line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests" / "corpus"


def dlgrade_without_torch(*args: str) -> subprocess.CompletedProcess:
    code = ("import sys; sys.modules['torch'] = None\n"
            "from grader.cli.entry import main\n"
            f"sys.argv = ['dlgrade', *{list(args)!r}]\n"
            "main()\n")
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=180, cwd=ROOT,
                          env={"PATH": "/usr/bin:/bin", "DLGRADE_STATEMENT_BUDGET": "0.5"})


def test_without_torch_every_autograd_item_is_an_error_with_one_clear_sentence():
    p = dlgrade_without_torch("check", "autograd", str(CORPUS / "autograd" / "correct_backward_dy.py"), "--json")
    assert p.returncode == 0, p.stderr
    report = json.loads(p.stdout)
    assert len(report["items"]) == 13 and report["score"] == 0
    assert {i["status"] for i in report["items"]} == {"error"}
    assert len({i["feedback"] for i in report["items"]}) == 1
    sentence = report["items"][0]["feedback"]
    assert "needs PyTorch, which is not installed" in sentence and "pip install 'dlgrade[torch]'" in sentence
    assert all(i.get("grader_error") for i in report["items"])  # not the student's fault: regradable


def test_without_torch_the_catalogue_marks_autograd_unavailable_and_doctor_says_so():
    listed = dlgrade_without_torch("exercises", "--json")
    assert listed.returncode == 0, listed.stderr
    by_id = {e["id"]: e for e in json.loads(listed.stdout)["exercises"]}
    assert by_id["autograd"]["available"] is False and "pip install" in by_id["autograd"]["unavailable_reason"]
    assert all(e["available"] for k, e in by_id.items() if k != "autograd")
    table = dlgrade_without_torch("exercises")
    assert "unavailable here" in table.stdout
    doctor = dlgrade_without_torch("doctor", "--json")
    assert doctor.returncode == 0, doctor.stderr
    torch = json.loads(doctor.stdout)["optional_packages"]["torch"]
    assert torch["installed"] is False and torch["exercises"] == ["autograd"]


def test_without_torch_the_numpy_exercises_grade_as_before():
    p = dlgrade_without_torch("check", "layers", str(CORPUS / "layers" / "correct_book.py"), "--json")
    assert p.returncode == 0, p.stderr
    report = json.loads(p.stdout)
    assert report["score"] == report["max_score"] > 0


def test_with_torch_the_catalogue_and_doctor_name_the_installed_version():
    from importlib.metadata import version

    from exercises import catalogue
    from grader.cli.render import catalogue_dict
    from grader.extras import report

    entry = {e["id"]: e for e in catalogue_dict(catalogue(), "en")["exercises"]}["autograd"]
    assert entry["available"] is True and entry["requires"] == ["torch"] and entry["unavailable_reason"] is None
    assert report(catalogue().values())["torch"]["version"] == version("torch") == "2.13.0+cpu"
