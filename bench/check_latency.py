"""Benchmark (1): `dlgrade check EXERCISE FILE` end to end vs a bare `python -c "import numpy"`.

Both are timed in the same run, interleaved, so the ratio is meaningful on a noisy
machine.  Usage: python bench/check_latency.py [--runs 15] [--exercise layers ...] [--against DIR]

``--against DIR`` also times the same command in another checkout of dlgrade (e.g. a
``git worktree`` of an earlier commit, same interpreter), interleaved with this one: a change's
effect on start-up as a ratio measured in one run.
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


def timed(cmd: list[str], cwd: Path = ROOT) -> float:
    t = time.perf_counter()
    # wait() without a timeout blocks in waitpid; with one, Python polls with sleeps of up to 50 ms.
    # `python -m grader` imports the `grader` of its working directory (sys.path[0]) first.
    subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).wait()
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--exercise", nargs="*")
    ap.add_argument("--against", type=Path, help="another dlgrade checkout to time in the same run")
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
        bare, check, other = [], [], []
        for _ in range(args.runs):  # interleaved: all see the same machine load
            bare.append(timed(bare_cmd))
            check.append(timed(DLGRADE + ["check", ex, str(f), "--json"]))
            if args.against:
                other.append(timed(DLGRADE + ["check", ex, str(f), "--json"], cwd=args.against))
        b, c = statistics.median(bare), statistics.median(check)
        results[ex] = {"file": f.name, "bare_numpy_ms": round(b * 1000, 1), "check_ms": round(c * 1000, 1),
                       "ratio": round(c / b, 2)}
        line = (f"{ex:18s} {f.name:32s} check {c * 1000:7.1f} ms   python+numpy {b * 1000:6.1f} ms   "
                f"ratio {c / b:5.2f}")
        if other:
            o = statistics.median(other)
            results[ex].update(against_ms=round(o * 1000, 1), this_over_against=round(c / o, 3))
            line += f"   against {o * 1000:7.1f} ms   this/against {c / o:5.3f}"
        print(line, flush=True)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
