"""Speed benchmark: prints wall times of the CLI and of an in-process estimate.

    python benchmarks/speed.py

Goals on a 2-core machine: `costlm --help` < 0.3 s, the seed table (`costlm report --format
md,csv,json`) < 2 s, the full HTML report with plots and exports < 5 s and < 2 MB, in-process
training estimate at 10,000 samples < 10 ms. Nothing here asserts: it prints.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from costlm import api

COSTLM = str(Path(sys.executable).with_name("costlm"))


def _wall(cmd: list[str], repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _in_process(repeat: int = 50) -> float:
    request = api.make_training_request(model="deepseek-v3", samples=10_000, seed=0)
    api.estimate_training(request)  # warm the catalog cache
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        api.estimate_training(request)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        rows = [
            ("costlm --help", _wall([COSTLM, "--help"]), 0.3),
            ("costlm train deepseek-v3", _wall([COSTLM, "train", "deepseek-v3"]), None),
            (
                "costlm report --format md,csv,json",
                _wall([COSTLM, "report", "--format", "md,csv,json", "--out", tmp], repeat=3),
                2.0,
            ),
            (
                "costlm report (full HTML + exports, 10k)",
                _wall([COSTLM, "report", "--out", tmp], repeat=3),
                5.0,
            ),
            ("in-process estimate_training, 10k samples", _in_process(), 0.010),
        ]
        size_mb = (Path(tmp) / "index.html").stat().st_size / 1e6
    print(f"{'what':45} {'median s':>10} {'goal s':>8}")
    for name, seconds, goal in rows:
        mark = "" if goal is None else ("ok" if seconds < goal else "MISSED")
        print(f"{name:45} {seconds:10.4f} {goal if goal else '':>8} {mark}")
    print(f"{'index.html size (MB)':45} {size_mb:10.3f} {2.0:>8} {'ok' if size_mb < 2 else 'MISSED'}")


if __name__ == "__main__":
    main()
