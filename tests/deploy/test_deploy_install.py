"""The image's install and start steps, run outside Docker (no engine here) in a fresh virtual environment.

The steps are read from the Dockerfile itself: its ``RUN`` lines of the build stage (deploy/install.sh),
then its ``ENTRYPOINT`` + ``CMD`` with the final stage's ``ENV``, in an empty working directory, with no
``DLGRADE_*`` variable set — as in a container started with no configuration.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shlex
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import httpx
import pytest

from deploy_testing import CORRECT, ROOT, Proc, free_port, wait_for
from dockerfile import parse

pytestmark = pytest.mark.timeout(300)

VENV_IN_IMAGE = "/opt/dlgrade"


def image_env(stage, venv: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DLGRADE_", "PIP_", "VIRTUAL_ENV", "PYTHON"))}
    for key, value in stage.env().items():
        env[key] = value.replace("$PATH", env.get("PATH", "")).replace(VENV_IN_IMAGE, venv)
    return env


def run(argv: list[str], env: dict[str, str], timeout: float) -> None:
    result = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, f"{argv}:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"


def wheelhouse(env: dict[str, str], scratch) -> Path:
    """The dependencies' wheels, as `make wheels` puts them in deploy/wheels/ for an offline build.

    Filled from the index once per machine and dependency set (a minute or two), then reused:
    installing from it takes seconds, where resolving against the index each run takes minutes here.
    """
    with open(ROOT / "pyproject.toml", "rb") as f:
        project = tomllib.load(f)
    key = json.dumps([project["project"]["dependencies"], project["build-system"]["requires"],
                      sys.version_info[:2], platform.machine()])
    folder = Path(os.environ.get("DLGRADE_TEST_WHEELHOUSE", Path.home() / ".cache" / "dlgrade-test-wheels"))
    house = folder / hashlib.sha256(key.encode()).hexdigest()[:16]
    if not house.is_dir():
        partial = folder / f"partial-{os.getpid()}"
        shutil.rmtree(partial, ignore_errors=True)
        run(["sh", str(ROOT / "deploy" / "install.sh"), "wheels", str(scratch), str(ROOT)],
            {**env, "DLGRADE_WHEELS": str(partial)}, timeout=600)
        partial.rename(house)
    return house


def test_image_install_and_start_steps_in_a_fresh_venv(tmp_path):
    build, final = parse()
    venv = str(tmp_path / "opt-dlgrade")
    build_env = image_env(build, venv)
    # COPY deploy/wheels/ /wheels/ after `make wheels`
    build_env["DLGRADE_WHEELS"] = str(wheelhouse(build_env, tmp_path / "wheel-builder"))
    runs = [shlex.split(i.args) for i in build.all("RUN")]
    assert runs, "no RUN step in the build stage"
    for argv in runs:
        # /src is the build context: this checkout
        run([a.replace(VENV_IN_IMAGE, venv).replace("/src", str(ROOT)) for a in argv], build_env, timeout=240)
    for copy in final.all("COPY"):  # the files the final stage adds next to the venv
        if not copy.args.startswith("--from"):
            source, dest = copy.args.split()
            shutil.copy(ROOT / source, dest.replace(VENV_IN_IMAGE, venv))

    # the package, not this checkout, is what runs: start from an empty directory (the image's WORKDIR)
    workdir = tmp_path / "var-lib-dlgrade"
    workdir.mkdir()
    env = image_env(final, venv)
    port = free_port()
    argv = final.last("ENTRYPOINT").exec_form() + final.last("CMD").exec_form()
    argv[argv.index("--host") + 1] = "127.0.0.1"
    argv[argv.index("--port") + 1] = str(port)
    argv[0] = os.path.join(venv, "bin", argv[0])
    server = Proc(argv, env, tmp_path / "serve.log", cwd=workdir)
    try:
        def healthy():
            assert server.alive(), server.log()
            try:
                return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5)
            except httpx.HTTPError:
                return None

        response = wait_for(healthy, 60, "dlgrade serve from the fresh venv to answer")
        assert response.status_code == 200, response.text
        assert response.json()["status"] == "ok"
        assert (workdir / "var" / "dlgrade.db").exists()  # embedded mode by default, under WORKDIR

        # the image's HEALTHCHECK command
        healthcheck = final.last("HEALTHCHECK").args.split("CMD", 1)[1]
        hc = [a.replace(VENV_IN_IMAGE, venv) for a in json.loads(healthcheck)]
        hc[0] = os.path.join(venv, "bin", hc[0])
        result = subprocess.run(hc, env={**env, "DLGRADE_PORT": str(port)}, capture_output=True, text=True,
                                timeout=30)
        assert result.returncode == 0, result.stderr
    finally:
        server.stop()

    # grading works from the installed package (worker script, exercise data)
    result = subprocess.run([os.path.join(venv, "bin", "dlgrade"), "check", "layers", str(CORRECT), "--json"],
                            cwd=workdir, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["score"] == report["max_score"] > 0, [(i["id"], i["status"], i["feedback"]) for i in report["items"]]
    assert sys.prefix not in result.stderr  # nothing of the test's own environment was used
