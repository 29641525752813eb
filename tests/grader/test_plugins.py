"""Exercises are plug-ins: the registry reads the ``dlgrade.exercises`` entry-point group."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import exercises

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "tests" / "plugins" / "dlgrade-example-exercise"


def test_the_project_registers_its_own_exercises_in_the_group():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    group = project["project"]["entry-points"][exercises.GROUP]
    assert group == exercises.BUILTIN  # the fast path of `get` mirrors pyproject.toml exactly
    assert list(exercises.catalogue())[:len(group)] == list(group)
    for ex_id, ex in exercises.catalogue().items():
        assert ex.id == ex_id


def test_an_unknown_exercise_names_the_known_ones():
    with pytest.raises(exercises.UnknownExercise, match="known: activations, losses"):
        exercises.get("no-such-exercise")


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """The example package really installed (pip builds it) into a folder of its own."""
    target = tmp_path_factory.mktemp("site")
    build = tmp_path_factory.mktemp("build")
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target),
                    str(EXAMPLE)],
                   check=True, capture_output=True, timeout=240, cwd=build)
    return target


def dlgrade(site: Path, *args, cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(site), DLGRADE_STATEMENT_BUDGET="0.5")
    return subprocess.run([sys.executable, "-m", "grader.cli", *map(str, args)], env=env, cwd=cwd,
                          capture_output=True, text=True, timeout=120)


def test_a_thirteenth_exercise_from_its_own_package(installed, tmp_path):
    listed = dlgrade(installed, "exercises", "--json", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    ids = [e["id"] for e in json.loads(listed.stdout)["exercises"]]
    assert ids[:len(exercises.BUILTIN)] == list(exercises.BUILTIN) and ids[len(exercises.BUILTIN):] == ["dot-product"]

    good = tmp_path / "good.py"
    good.write_text("import numpy as np\n\ndef dot(a, b):\n    return float(np.sum(a * b))\n")
    p = dlgrade(installed, "check", "dot-product", good, "--json", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    report = json.loads(p.stdout)
    assert report["exercise"] == "dot-product" and report["score"] == report["max_score"] == 1.5

    bad = tmp_path / "bad.py"
    bad.write_text("def dot(a, b):\n    a *= b\n    return a.sum() + 1\n")
    report = json.loads(dlgrade(installed, "check", "dot-product", bad, "--json", cwd=tmp_path).stdout)
    assert {i["id"]: i["status"] for i in report["items"]} == {"dot": "fail", "dot.no_mutation": "fail"}


def test_the_plugin_is_not_there_without_its_package(tmp_path):
    p = dlgrade(tmp_path, "check", "dot-product", tmp_path / "x.py", cwd=tmp_path)
    assert p.returncode == 2 and "unknown exercise 'dot-product'" in p.stderr
