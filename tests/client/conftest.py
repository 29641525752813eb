"""A live ``dlgrade serve`` on 127.0.0.1, the client installed from the wheel it serves, and real kernels."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "api"))

from api.accounts import create_token  # noqa: E402
from api.db import open_database  # noqa: E402
from api_testing import make_settings  # noqa: E402
from live_server import LiveServer  # noqa: E402

STUDENTS = ("s001", "s002", "s003", "s004", "s005", "s006")
KERNEL_TIMEOUT = 120


class Live:
    def __init__(self, server: LiveServer, tokens: dict, client_path: Path, folder: Path):
        self.server, self.tokens, self.client_path, self.folder = server, tokens, client_path, folder
        self.url = server.url

    def headers(self, who: str) -> dict:
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    def kernel_env(self, who: str, url: str | None = None) -> dict:
        """The kernel's environment: the wheel-installed client first on the path, the student's token."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DLGRADE_", "JPY_"))}
        env.update(PYTHONPATH=str(self.client_path), DLGRADE_URL=url or self.url, DLGRADE_TOKEN=self.tokens[who],
                   OPENBLAS_NUM_THREADS="1", PYDEVD_DISABLE_FILE_VALIDATION="1")
        return env

    def listed(self, kind: str, who: str) -> list[dict]:
        r = httpx.get(f"{self.url}/api/v1/{kind}", headers=self.headers("sensei"), params={"student": who},
                      timeout=10)
        assert r.status_code == 200, r.text
        return r.json()["items"]


@pytest.fixture(scope="module")
def live(tmp_path_factory) -> Live:
    folder = tmp_path_factory.mktemp("client")
    database = {"database_url": f"sqlite:///{folder / 'dlgrade.db'}"}
    config = make_settings(database)
    engine, sessions = open_database(config)
    with sessions.begin() as db:
        tokens = {name: create_token(db, "student", name) for name in STUDENTS}
        tokens["sensei"] = create_token(db, "instructor", "sensei")
    engine.dispose()
    env = {"DLGRADE_DATABASE_URL": database["database_url"], "DLGRADE_WORKERS": "2",
           "DLGRADE_CHECK_RATE_LIMIT": "6", "DLGRADE_RATE_WINDOW_SECONDS": "600",
           "DLGRADE_ALLOW_UNSANDBOXED": "1" if config.allow_unsandboxed else "0"}
    with LiveServer(env, folder / "server.log") as server:
        # what a student does: %pip install the wheel the server serves (here into a folder of its own)
        page = httpx.get(server.url + "/client/", timeout=30).text
        wheel_url = page.split("%pip install ", 1)[1].split("<", 1)[0].strip()
        target = folder / "site"
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index",
                        "--target", str(target), wheel_url], check=True, timeout=120)
        yield Live(server, tokens, target, folder)


def run_notebook(cells: list[str], env: dict, cwd: Path, timeout: float = KERNEL_TIMEOUT):
    """Execute ``cells`` in a fresh ipykernel (the kernel of this environment); return the executed notebook.
    Cells may raise: the notebook goes on, like a student's."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(src) for src in cells]
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": str(cwd)}})
    client.execute(env=env)
    return nb


def outputs(cell, mime: str = "text/plain") -> str:
    """Everything a cell showed: its streams and the given representation of its displays."""
    text = []
    for out in cell.get("outputs", []):
        if out["output_type"] == "stream":
            text.append(out["text"])
        elif out["output_type"] in ("display_data", "execute_result"):
            text.append(out["data"].get(mime, ""))
        elif out["output_type"] == "error":
            text.append(f"{out['ename']}: {out['evalue']}")
    return "".join(text)


def errors(cell) -> list[str]:
    return [f"{o['ename']}: {o['evalue']}" for o in cell.get("outputs", []) if o["output_type"] == "error"]
