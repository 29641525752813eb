"""Reporting which layers are active, degraded platforms, and failing closed."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest
from typer.testing import CliRunner

import grader.sandbox.probe as sandbox
from conftest import ROOT, config, is_root, run
from exercises import get
from grader.cli.app import app
from grader.engine import grade_source
from grader.options import GradeOptions
from grader.runner.pool import JobConfig
from grader.runner.session import GraderFault
from grader.options import grader_settings, protection_warning

pytestmark = pytest.mark.timeout(60)
CORRECT = ROOT / "tests/corpus/layers/correct_book.py"
runner = CliRunner()


@pytest.fixture
def degraded(monkeypatch):
    """Pretend this machine has no PID namespace and no seccomp (e.g. a laptop without libseccomp)."""
    details = {k: dict(v) for k, v in sandbox._probe_cached().items()}
    for name in ("pid_namespace", "seccomp"):
        details[name] = dict(details[name], active=False, why="simulated: not available on this machine")
    monkeypatch.setattr(sandbox, "_details", details)
    yield details


def test_every_layer_is_available_on_this_machine_as_root():
    details = sandbox.protection_details(grader_settings().sandbox_options())
    assert set(details) == set(sandbox.LAYERS)
    if not is_root():
        pytest.skip("not root: the optional layers (dedicated uid, cgroups) are expected to be missing")
    assert all(d["available"] for d in details.values()), {k: v["why"] for k, v in details.items()
                                                           if not v["available"]}
    assert all(d["active"] for d in details.values() if d["required"])
    assert sandbox.full_isolation(grader_settings().sandbox_options()) and protection_warning() is None
    # the per-job cgroups: for jobs that may fork, or for every job when the settings say so
    assert "cgroup_memory" not in sandbox.job_sandbox({})["layers"]
    assert {"cgroup_memory", "cgroup_pids"} <= set(sandbox.job_sandbox({"allow_fork": True})["layers"])
    assert {"cgroup_memory", "cgroup_pids"} <= set(sandbox.job_sandbox({"cgroups": True})["layers"])


def test_a_degraded_platform_still_grades_and_says_what_is_missing(zygote, degraded):
    assert not sandbox.full_isolation(grader_settings().sandbox_options())
    assert sandbox.missing_required(grader_settings().sandbox_options()) == ["pid_namespace", "seccomp"]
    warning = protection_warning()
    assert "pid_namespace" in warning and "seccomp" in warning
    with pytest.raises(sandbox.SandboxUnavailable, match="pid_namespace, seccomp"):
        sandbox.require_full_isolation(grader_settings().sandbox_options())
    job = sandbox.job_sandbox({})
    assert "pid_namespace" not in job["layers"] and "seccomp" not in job["layers"]
    assert "filesystem_view" in job["require"]
    # the job really runs with the remaining layers only (not PID 1, fork allowed), and grades
    src = """
    import os
    def probe():
        return [os.getpid() == 1, os.path.exists("/etc/shadow")]
    """
    assert run(zygote, src) == [False, False]
    report = grade_source(get("layers"), CORRECT.read_bytes(), "c.py", GradeOptions(), starter=zygote)
    assert report.score == report.max_score


def test_doctor_json_lists_every_layer_with_its_state():
    result = runner.invoke(app, ["doctor", "--json"])
    assert result.exit_code == 0, result.output
    info = json.loads(result.stdout)
    assert set(info["layers"]) == set(sandbox.LAYERS)
    for layer in info["layers"].values():
        assert set(layer) >= {"active", "why", "required", "what"}
    assert info["full_isolation"] == sandbox.full_isolation(grader_settings().sandbox_options())


def test_doctor_and_check_warn_on_a_degraded_platform(degraded, monkeypatch):
    monkeypatch.setattr(sandbox, "protection_details", lambda settings, refresh=False: {k: dict(v) for k, v in degraded.items()})
    result = runner.invoke(app, ["doctor"])
    assert result.exit_code == 0
    assert "missing" in result.output and "pid_namespace" in result.output and "degraded" in result.output
    result = runner.invoke(app, ["check", "layers", str(CORRECT), "--json"])
    assert result.exit_code == 0
    assert "warning" in result.output and "seccomp" in result.output


def test_disabling_the_sandbox_is_reported(monkeypatch):
    monkeypatch.setenv("DLGRADE_SANDBOX", "0")
    grader_settings.cache_clear()
    try:
        assert not sandbox.full_isolation(grader_settings().sandbox_options())
        assert "disabled" in protection_warning()
        assert grader_settings().grade_options().job_config().sandbox == {"enabled": False}
        assert sandbox.job_sandbox({"enabled": False}) == {"enabled": False}
    finally:
        monkeypatch.delenv("DLGRADE_SANDBOX")
        grader_settings.cache_clear()


@pytest.mark.skipif(not is_root(), reason="cgroups are writable only as root")
def test_a_layer_failing_in_the_monitor_stops_the_job(zygote):
    bad = {"cgroups": True, "cgroup_memory_bytes": "not-a-number"}
    with pytest.raises(GraderFault, match="sandbox could not be set up: cgroup_memory"):
        run(zygote, "def probe():\n    return 1\n", cfg=config(bad))
    assert run(zygote, "def probe():\n    return 1\n", cfg=config(dict(bad, best_effort=True))) == 1


def test_a_layer_failing_in_the_student_process_stops_the_job(zygote):
    bad = {"hide": [5]}  # not a path: building the filesystem view fails in the student process
    with pytest.raises(GraderFault, match="sandbox could not be set up: filesystem_view"):
        run(zygote, "def probe():\n    return 1\n", cfg=config(bad))
    options = GradeOptions(sandbox=bad)
    report = grade_source(get("layers"), CORRECT.read_bytes(), "c.py", options, starter=zygote)
    assert report.score == 0 and all(i.status == "error" and i.grader_error for i in report.items)


def test_unsandboxed_mode_is_explicit(zygote):
    src = "import os\ndef probe():\n    return os.getpid() == 1\n"
    assert run(zygote, src, cfg=GradeOptions(limits={}, sandbox={"enabled": False}).job_config()) is False
    assert run(zygote, src, cfg=GradeOptions(limits={}, sandbox={}).job_config()) is True  # the default is isolated


@pytest.mark.skipif(not (is_root() and shutil.which("setpriv") and os.path.exists("/usr/bin/python3")),
                    reason="needs root, setpriv and a system python3 to play an ordinary user")
def test_probe_as_an_ordinary_user_reports_each_layer_and_why():
    """Not root (a laptop): user namespaces replace root; the dedicated uid and cgroups are missing."""
    proc = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "/usr/bin/python3",
                           "-I", "-S", sandbox.CHILD_SCRIPT, "probe"], capture_output=True, timeout=30, cwd="/")
    layers = json.loads(proc.stdout)
    assert not layers["dedicated_uid"]["active"] and "not root" in layers["dedicated_uid"]["why"]
    assert not layers["cgroup_memory"]["active"] and layers["cgroup_memory"]["why"]
    userns = int(open("/proc/sys/user/max_user_namespaces").read()) > 0
    for name in ("unprivileged_user", "pid_namespace", "network_namespace", "filesystem_view"):
        assert layers[name]["active"] == userns, (name, layers[name])


NON_ROOT_SMOKE = r'''
import json, os, sys
sys.path[:0] = [sys.argv[1], sys.argv[2]]
from exercises import get
from grader.sandbox import probe as sandbox
from grader.options import grader_settings
from grader.engine import grade_source
from grader.options import GradeOptions
from grader.loader import load_submission
from grader.runner.pool import JobConfig, Zygote
from grader.runner.session import Session

z = Zygote(python=sys.executable)
report = grade_source(get("layers"), open(sys.argv[3], "rb").read(), "c.py", GradeOptions(), starter=z)
probe = b"""
import os, socket
def probe():
    out = {"pid": os.getpid(), "uid": os.getuid(), "shadow": os.path.exists("/etc/shadow"),
           "project": os.path.exists(%r), "cwd": os.getcwd()}
    for name, fn in (("inet", lambda: socket.socket(socket.AF_INET)), ("fork", os.fork)):
        try:
            fn()
            out[name] = "ALLOWED"
        except OSError as exc:
            out[name] = type(exc).__name__
    return out
""" % sandbox.CHILD_SCRIPT
with Session(load_submission(probe, "p.py").units, z, GradeOptions(sandbox={}).job_config()) as s:
    inside = s.call("probe")
z.close()
print(json.dumps({"full": sandbox.full_isolation(grader_settings().sandbox_options()), "score": [report.score, report.max_score], "inside": inside,
                  "missing": [k for k, v in sandbox.protection_report(grader_settings().sandbox_options()).items() if not v]}))
'''


def _same_python_for_nobody() -> str | None:
    """A system interpreter of the venv's Python version that an ordinary user can run, if any."""
    import sys

    exe = f"/usr/bin/python{sys.version_info.major}.{sys.version_info.minor}"
    from grader.runner.pool import NUMPY_SITE as site

    ok = (is_root() and shutil.which("setpriv") and os.path.exists(exe)
          and all(os.stat(p).st_mode & 0o005 == 0o005 for p in (site, str(ROOT), str(ROOT / "grader"))))
    return exe if ok else None


@pytest.mark.skipif(_same_python_for_nobody() is None, reason="needs root, setpriv and a system python of the "
                    "venv's version that an ordinary user can run (to play a laptop user)")
def test_grading_as_an_ordinary_user_is_isolated_by_user_namespaces():
    """End to end as uid 65534 (no root, no cgroups): namespaces come from a user namespace."""
    from grader.runner.pool import NUMPY_SITE

    proc = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                           _same_python_for_nobody(), "-c", NON_ROOT_SMOKE, str(ROOT), NUMPY_SITE, str(CORRECT)],
                          capture_output=True, timeout=60, cwd="/tmp", env={"PATH": "/usr/bin:/bin", "HOME": "/tmp"})
    assert proc.returncode == 0, proc.stderr.decode()[-2000:]
    got = json.loads(proc.stdout.decode().strip().splitlines()[-1])
    assert got["score"][0] == got["score"][1]
    assert got["full"] is True and set(got["missing"]) == {"dedicated_uid", "cgroup_memory", "cgroup_pids"}
    inside = got["inside"]
    assert inside["pid"] == 1 and inside["uid"] == 65534 and inside["cwd"] == "/tmp"
    assert not inside["shadow"] and not inside["project"]
    assert inside["inet"] == "PermissionError" and inside["fork"] == "PermissionError"
