"""`make bench`: the speed benchmarks of issue 7, one after the other (figures: bench/README.md)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
RUNS = [
    ["check_latency.py", "--runs", "9"],
    ["pool_latency.py", "--n", "200"],
    ["batch_throughput.py", "--n", "1000", "--rounds", "1"],
    ["http_load.py", "--clients", "8", "--seconds", "20"],
    ["isolation_cost.py", "--n", "100"],
]


def main() -> int:
    failed = 0
    for script, *args in RUNS:
        print(f"\n=== {script} {' '.join(args)}", flush=True)
        failed += subprocess.run([sys.executable, str(HERE / script), *args], cwd=HERE.parent).returncode != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
