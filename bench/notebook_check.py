"""Benchmark (issue 14): ``dlgrade_client.check("layers")`` from a live kernel to a warm local service,
against otter-grader's in-kernel ``grader.check`` and ``otter run`` on the same notebook.

A real ``dlgrade serve`` on 127.0.0.1 (SQLite, free port) and a real ipykernel driven by jupyter_client;
each call is timed twice: in the kernel (``check()`` itself: rebuild the source, POST, grade, render) and
from the front end (execute request to idle: what a student waits for).  Otter is optional: give the
Python of an environment with otter-grader and ipykernel (``--otter-python``); its kernel then runs in the
same loop, interleaved call by call, so both see the same machine load.

    python bench/notebook_check.py [--calls 50] [--otter-python /tmp/otter-venv/bin/python] [--otter-runs 5]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "api")]
BOOK = (ROOT / "tests" / "corpus" / "layers" / "correct_book.py").read_text(encoding="utf-8")

# otter's version of the layers checks (OK format): the same layers, public tests only, run in the kernel
OTTER_TEST = r'''
OK_FORMAT = True
test = {"name": "layers", "points": 10, "suites": [{"type": "doctest", "scored": True, "setup": "", "teardown": "",
  "cases": [
   {"hidden": False, "locked": False, "points": 1, "code": """>>> import numpy as np
>>> r = Relu(); x = np.array([[1.0, -2.0], [-0.5, 3.0]])
>>> bool(np.allclose(r.forward(x), [[1, 0], [0, 3]]) and np.allclose(r.backward(np.ones_like(x)), [[1, 0], [0, 1]]))
True"""},
   {"hidden": False, "locked": False, "points": 1, "code": """>>> import numpy as np
>>> s = Sigmoid(); x = np.linspace(-2, 2, 6).reshape(2, 3); y = s.forward(x)
>>> bool(np.allclose(y, 1 / (1 + np.exp(-x))) and np.allclose(s.backward(np.ones_like(x)), y * (1 - y)))
True"""},
   {"hidden": False, "locked": False, "points": 4, "code": """>>> import numpy as np
>>> rng = np.random.default_rng(0); W, b = rng.normal(size=(4, 3)), rng.normal(size=3)
>>> x, dout = rng.normal(size=(5, 4)), rng.normal(size=(5, 3)); a = Affine(W, b); y = a.forward(x); dx = a.backward(dout)
>>> bool(np.allclose(y, x @ W + b) and np.allclose(dx, dout @ W.T) and np.allclose(a.dW, x.T @ dout) and np.allclose(a.db, dout.sum(0)))
True"""},
   {"hidden": False, "locked": False, "points": 4, "code": """>>> import numpy as np
>>> rng = np.random.default_rng(1); x = rng.normal(size=(4, 3)); t = np.eye(3)[[0, 2, 1, 1]]
>>> l = SoftmaxWithLoss(); loss = l.forward(x, t); p = np.exp(x - x.max(1, keepdims=True)); p /= p.sum(1, keepdims=True)
>>> bool(np.isclose(loss, -np.mean(np.log((p * t).sum(1) + 1e-7))) and np.allclose(l.backward(), (p - t) / 4))
True"""},
  ]}]}
'''


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def summary(values: list[float]) -> dict:
    ms = [v * 1000 for v in values]
    return {"n": len(ms), "p50_ms": round(statistics.median(ms), 1), "p99_ms": round(percentile(ms, 0.99), 1),
            "min_ms": round(min(ms), 1), "max_ms": round(max(ms), 1)}


class Kernel:
    """A real ipykernel (this environment's, or another Python's) driven like a notebook front end."""

    def __init__(self, python: str, env: dict, cwd: Path, spec_dir: Path, name: str):
        from jupyter_client import KernelManager
        from jupyter_client.kernelspec import KernelSpecManager

        folder = spec_dir / name
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "kernel.json").write_text(json.dumps({
            "argv": [python, "-m", "ipykernel_launcher", "-f", "{connection_file}"], "display_name": name,
            "language": "python"}))
        ksm = KernelSpecManager(kernel_dirs=[str(spec_dir)])
        self.km = KernelManager(kernel_name=name, kernel_spec_manager=ksm)
        self.km.start_kernel(env=env, cwd=str(cwd))
        self.kc = self.km.client()
        self.kc.start_channels()
        self.kc.wait_for_ready(timeout=120)

    def run(self, code: str, expression: str | None = None) -> tuple[float, str | None]:
        """Front-end wall time of one execute request, and the value of ``expression`` after it."""
        outputs: list[str] = []

        def keep(msg):
            if msg["msg_type"] == "error":
                outputs.append("\n".join(msg["content"]["traceback"]))

        t = time.perf_counter()
        reply = self.kc.execute_interactive(code, timeout=300, output_hook=keep,
                                            user_expressions={"x": expression} if expression else {})
        wall = time.perf_counter() - t
        if reply["content"]["status"] != "ok" or outputs:
            raise RuntimeError(f"cell failed: {code!r}\n{''.join(outputs)}")
        value = None
        if expression:
            value = reply["content"]["user_expressions"]["x"]["data"]["text/plain"]
        return wall, value

    def close(self) -> None:
        self.kc.stop_channels()
        self.km.shutdown_kernel(now=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--calls", type=int, default=50)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--otter-python", help="a Python with otter-grader and ipykernel installed")
    ap.add_argument("--otter-runs", type=int, default=5)
    args = ap.parse_args()

    from api.accounts import create_token
    from api.db import open_database
    from api_testing import make_settings
    from live_server import LiveServer

    work = Path(tempfile.mkdtemp(prefix="dlgrade-bench-nb-"))
    database = {"database_url": f"sqlite:///{work / 'dlgrade.db'}"}
    config = make_settings(database)
    engine, sessions = open_database(config)
    with sessions.begin() as db:
        token = create_token(db, "student", "bench")
    engine.dispose()
    server_env = {"DLGRADE_DATABASE_URL": database["database_url"], "DLGRADE_CHECK_RATE_LIMIT": "100000",
                  "DLGRADE_ALLOW_UNSANDBOXED": "1" if config.allow_unsandboxed else "0"}
    base_env = {k: v for k, v in os.environ.items() if not k.startswith(("DLGRADE_", "JPY_"))}
    base_env.update(OPENBLAS_NUM_THREADS="1", PYDEVD_DISABLE_FILE_VALIDATION="1")
    kernels: list[Kernel] = []
    result: dict = {"calls": args.calls, "load_before": os.getloadavg()}
    with LiveServer(server_env, work / "server.log") as server:
        dlg = Kernel(sys.executable, {**base_env, "PYTHONPATH": str(ROOT / "client"), "DLGRADE_URL": server.url,
                                      "DLGRADE_TOKEN": token}, work, work / "kernels", "dlgrade-bench")
        kernels.append(dlg)
        otter = None
        try:
            dlg.run("import time\nimport dlgrade_client as dlg\ndlg.connect()")
            dlg.run(BOOK)
            check = "_t = time.perf_counter(); _r = dlg.check('layers'); _dt = time.perf_counter() - _t"
            if args.otter_python:
                otter_dir = work / "otter"
                (otter_dir / "tests").mkdir(parents=True)
                (otter_dir / "tests" / "layers.py").write_text(OTTER_TEST)
                otter = Kernel(args.otter_python, base_env, otter_dir, work / "kernels", "otter-bench")
                kernels.append(otter)
                otter.run("import time, otter\ngrader = otter.Notebook(tests_dir='tests')")
                otter.run(BOOK)
            otter_check = "_t = time.perf_counter(); _r = grader.check('layers'); _dt = time.perf_counter() - _t"
            for _ in range(args.warmup):
                dlg.run(check)
                if otter:
                    otter.run(otter_check)
            score = dlg.run("pass", "(_r['score'], _r['max_score'], _r['cells'])")[1]
            source = dlg.run("from dlgrade_client._source import rebuild\nfrom dlgrade_client import kernel_cells",
                             "rebuild(kernel_cells(), dlg._connection.names('layers')).source")[1]
            times = {"dlgrade_frontend": [], "dlgrade_in_kernel": [], "server_grading": [], "http_post_only": [],
                     "otter_frontend": [], "otter_in_kernel": []}
            for _ in range(args.calls):  # interleaved call by call
                wall, inside = dlg.run(check, "(_dt, _r['duration_ms'])")
                inside, graded_ms = eval(inside)  # the kernel's repr of a tuple of two numbers
                times["dlgrade_frontend"].append(wall)
                times["dlgrade_in_kernel"].append(inside)
                times["server_grading"].append(graded_ms / 1000)
                times["http_post_only"].append(http_post(server.url, token, eval(source)))
                if otter:
                    wall, inside = otter.run(otter_check, "_dt")
                    times["otter_frontend"].append(wall)
                    times["otter_in_kernel"].append(float(inside))
            result["dlgrade_score"] = score
            if otter:
                result["otter_result"] = otter.run("pass", "str(_r)[:200]")[1]
            result.update({k: summary(v) for k, v in times.items() if v})
            result["server_duration_ms_last"] = dlg.run("pass", "_r['duration_ms']")[1]
        finally:
            for k in kernels:
                k.close()
    if args.otter_python:
        result["otter_run"] = otter_run(args.otter_python, work, args.otter_runs)
    result["load_after"] = os.getloadavg()
    if "otter_frontend" in result:
        result["ratio_p50_dlgrade_vs_otter_check"] = round(
            result["dlgrade_frontend"]["p50_ms"] / result["otter_frontend"]["p50_ms"], 2)
    if isinstance(result.get("otter_run"), dict) and "p50_ms" in result["otter_run"]:
        result["ratio_p50_dlgrade_vs_otter_run"] = round(
            result["dlgrade_frontend"]["p50_ms"] / result["otter_run"]["p50_ms"], 3)
    print(json.dumps(result, indent=2))


def http_post(url: str, token: str, source: str) -> float:
    """The same check as a bare HTTP POST from this process (no kernel, no client): the service's share."""
    import urllib.request

    body = json.dumps({"exercise": "layers", "filename": "layers-kernel.py", "source": source}).encode()
    req = urllib.request.Request(f"{url}/api/v1/checks?wait=10", data=body, method="POST", headers={
        "Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    t = time.perf_counter()
    with urllib.request.urlopen(req, timeout=60) as r:
        status = json.loads(r.read())["status"]
    wall = time.perf_counter() - t
    assert status == "done", status
    return wall


def otter_run(python: str, work: Path, runs: int) -> dict:
    """``otter run`` on the same notebook: the autograder zip from the same test (``otter generate``)."""
    import nbformat

    otter_dir = work / "otter"
    otter = str(Path(python).parent / "otter")
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1"}
    gen = subprocess.run([otter, "generate", "-t", "tests"], cwd=otter_dir, capture_output=True, text=True,
                         timeout=600, env=env)
    if gen.returncode != 0:
        return {"error": f"otter generate failed: {gen.stderr[-600:]}"}
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(BOOK)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    (otter_dir / "layers.ipynb").write_text(nbformat.writes(nb))
    times, last = [], None
    for i in range(runs):
        out = otter_dir / f"run{i}"
        out.mkdir()
        t = time.perf_counter()
        last = subprocess.run([otter, "run", "-a", "autograder.zip", "-o", str(out), "layers.ipynb"],
                              cwd=otter_dir, capture_output=True, text=True, timeout=600, env=env)
        times.append(time.perf_counter() - t)
        if last.returncode != 0:
            return {"error": f"otter run failed: {last.stderr[-600:]}"}
    results = next((otter_dir / "run0").glob("*.json"), None)
    return {**summary(times), "results": results.read_text()[:300] if results else last.stdout[-300:]}


if __name__ == "__main__":
    main()
