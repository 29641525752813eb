"""Benchmark (4): HTTP throughput and latency under concurrent load, on 127.0.0.1 only.

Starts `dlgrade serve` on a free port with a throw-away SQLite database, issues
student tokens from a roster, then C concurrent clients submit a correct `layers`
submission with `?wait=` (so each request returns the finished report) for a
bounded duration.  Reports graded submissions/s and request latency p50/p99.

Usage: python bench/http_load.py [--clients 8] [--seconds 20] [--workers 2]
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DLGRADE = [sys.executable, "-m", "grader.cli"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--workers", type=int, default=2, help="grading threads of the service")
    ap.add_argument("--students", type=int, default=40)
    ap.add_argument("--file", default=str(ROOT / "tests/corpus/layers/correct_book.py"))
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="dlgrade-bench-"))
    env = dict(os.environ, DLGRADE_DATABASE_URL=f"sqlite:///{tmp}/bench.db", DLGRADE_WORKERS=str(args.workers),
               DLGRADE_RATE_LIMIT="100000", DLGRADE_MAX_CONCURRENT="1000", DLGRADE_QUEUE_SIZE="10000",
               DLGRADE_MAX_WAIT_SECONDS="30")
    roster = tmp / "roster.csv"
    roster.write_text("student\n" + "".join(f"s{i:04d}\n" for i in range(args.students)))
    out = subprocess.run(DLGRADE + ["roster", "import", str(roster)], env=env, cwd=ROOT, capture_output=True,
                         text=True, timeout=120, check=True).stdout
    tokens = [row["token"] for row in csv.DictReader(io.StringIO(out))]
    port = free_port()
    server = subprocess.Popen(DLGRADE + ["serve", "--host", "127.0.0.1", "--port", str(port)], env=env, cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    source = Path(args.file).read_text()
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(base + "/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        latencies: list[float] = []
        failures: list[str] = []
        lock = threading.Lock()
        stop = time.monotonic() + args.seconds

        def client(k: int) -> None:
            with httpx.Client(base_url=base, timeout=60) as c:
                i = 0
                while time.monotonic() < stop:
                    token = tokens[(k + i * args.clients) % len(tokens)]
                    i += 1
                    t = time.perf_counter()
                    r = c.post("/api/v1/submissions?wait=30", headers={"Authorization": f"Bearer {token}"},
                               json={"exercise": "layers", "filename": "s.py", "source": source})
                    dt = time.perf_counter() - t
                    ok = r.status_code in (200, 201) and r.json().get("status") == "done" and \
                        r.json()["report"]["score"] == r.json()["report"]["max_score"]
                    with lock:
                        (latencies.append(dt) if ok else failures.append(f"{r.status_code} {r.text[:120]}"))

        t0 = time.perf_counter()
        threads = [threading.Thread(target=client, args=(k,)) for k in range(args.clients)]
        for th in threads:
            th.start()
        for th in threads:
            th.join(timeout=args.seconds + 120)
        wall = time.perf_counter() - t0
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
    lat = np.array(latencies) * 1000
    result = {"clients": args.clients, "service_workers": args.workers, "seconds": round(wall, 1),
              "graded": len(latencies), "failed": len(failures),
              "graded_per_s": round(len(latencies) / wall, 1),
              "p50_ms": round(float(np.percentile(lat, 50)), 1) if len(lat) else None,
              "p99_ms": round(float(np.percentile(lat, 99)), 1) if len(lat) else None}
    print(f"{result['graded']} graded in {wall:.1f} s = {result['graded_per_s']} submissions/s; "
          f"latency p50 {result['p50_ms']} ms, p99 {result['p99_ms']} ms; failures {len(failures)}")
    if failures:
        print("first failures:", failures[:3])
    print(json.dumps(result))


if __name__ == "__main__":
    main()
