"""Benchmark (1): `dlgrade check EXERCISE FILE` end to end vs a bare `python -c "import numpy"`.

Both are timed in the same run, interleaved, so the ratio is meaningful on a noisy
machine.  Usage: python bench/check_latency.py [--runs 15] [--exercise layers ...]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "corpus"
DLGRADE = [sys.executable, "-m", "grader"]  # the `dlgrade` entry point


def correct_file(exercise: str) -> Path | None:
    folder = CORPUS / exercise
    # a plain .py: the corpus notebooks carry deliberately slow cells (each costs its 1 s budget)
    files = sorted(folder.glob("correct_*.py")) + sorted(folder.glob("correct_*.ipynb")) if folder.is_dir() else []
    return files[0] if files else None


def timed(cmd: list[str]) -> float:
    t = time.perf_counter()
    # wait() without a timeout blocks in waitpid; with one, Python polls with sleeps of up to 50 ms
    subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).wait()
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--exercise", nargs="*")
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT))
    from exercises import catalogue

    exercises = args.exercise or list(catalogue())
    bare_cmd = [sys.executable, "-c", "import numpy"]
    results = {}
    for ex in exercises:
        f = correct_file(ex)
        if f is None:
            continue
        bare, check = [], []
        for _ in range(args.runs):  # interleaved: both see the same machine load
            bare.append(timed(bare_cmd))
            check.append(timed(DLGRADE + ["check", ex, str(f), "--json"]))
        b, c = statistics.median(bare), statistics.median(check)
        results[ex] = {"file": f.name, "bare_numpy_ms": round(b * 1000, 1), "check_ms": round(c * 1000, 1),
                       "ratio": round(c / b, 2)}
        print(f"{ex:18s} {f.name:32s} check {c * 1000:7.1f} ms   python+numpy {b * 1000:6.1f} ms   "
              f"ratio {c / b:5.2f}", flush=True)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
