"""Speed benchmark: prints wall and CPU times of the CLI and of an in-process estimate.

    python benchmarks/speed.py              # children cache their bytecode (as an installed costlm does)
    python benchmarks/speed.py --keep-env   # children get this environment unchanged

Absolute times drift on a shared machine; ratios to a bare ``python -c "import numpy"``, started
the same way (same interpreter, same environment) in the same run, drift less, and CPU time
(user + system) less still when other jobs share the cores. Every command is timed as the median
of ``RUNS`` runs, interleaved round-robin with the baseline.
Children use a private catalog cache (warmed by one run first) and, unless ``--keep-env``, a
private bytecode cache: with ``PYTHONDONTWRITEBYTECODE`` set, costlm's own modules (an
editable install has no precompiled bytecode) would be recompiled on every run.

Goals on a 2-core machine: `costlm train MODEL --json` <= 1.6x the numpy baseline, `costlm --help`
< 0.3 s, the seed table (`costlm report --format md,csv,json`) < 2 s, the full HTML report with
plots and exports < 5 s and < 2 MB, in-process training estimate at 10,000 samples < 10 ms,
`costlm plan train --params 7B --tokens 2T --json` over the whole catalog < 2 s, the planner's
core (GPU counts x Monte Carlo samples of one accelerator and dtype) >= 1,000,000
configuration-samples/s, and `costlm plan serve llama-3-70b --tokens-per-day 1e9 --json` < 2 s.
Nothing here asserts: it prints.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from costlm import api

COSTLM = str(Path(sys.executable).with_name("costlm"))
RUNS = 7
REPORT_RUNS = 3
IN_PROCESS_RUNS = 50
IN_PROCESS_SAMPLES = 10_000
TRAIN_MODEL = "deepseek-v3"
SERVE_MODEL = "llama-3-70b"
BASELINE = [sys.executable, "-c", "import numpy"]
GOAL_TRAIN_JSON_RATIO = 1.6
GOAL_HELP_S = 0.3
GOAL_SEED_TABLE_S = 2.0
GOAL_FULL_REPORT_S = 5.0
GOAL_IN_PROCESS_S = 0.010
GOAL_HTML_MB = 2.0
GOAL_PLAN_SERVE_S = 2.0
PLAN_SERVE = [COSTLM, "plan", "serve", SERVE_MODEL, "--tokens-per-day", "1e9", "--json"]
PLAN_ARGS = ["plan", "train", "--params", "7B", "--tokens", "2T", "--json"]
GOAL_PLAN_S = 2.0
GOAL_PLAN_CORE_PER_S = 1_000_000
PLAN_CORE_RUNS = 200
PLAN_CORE_SAMPLES = 2_000
PLAN_CORE_MAX_GPUS = 16_384


@dataclass(frozen=True)
class Timing:
    """Median wall time and median CPU time (user + system) of one measurement, in seconds."""

    wall_s: float
    cpu_s: float


@dataclass(frozen=True)
class Row:
    name: str
    timing: Timing
    goal_s: float | None = None
    goal_ratio: float | None = None


def _once(cmd: list[str], env: Mapping[str, str]) -> tuple[float, float]:
    """(wall, CPU) seconds of one child run; CPU time hardly depends on what else the machine runs."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True, env=env)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _median_of(samples: list[tuple[float, float]]) -> Timing:
    return Timing(statistics.median(w for w, _ in samples), statistics.median(c for _, c in samples))


def _round_robin(cmds: dict[str, tuple[list[str], Mapping[str, str]]], runs: int) -> dict[str, Timing]:
    """Medians of each (command, environment); every round runs each one once, the baseline first."""
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in cmds}
    for cmd, env in cmds.values():  # warm the OS page cache, the bytecode and the catalog cache
        _once(cmd, env)
    for _ in range(runs):
        for name, (cmd, env) in cmds.items():
            samples[name].append(_once(cmd, env))
    return {name: _median_of(values) for name, values in samples.items()}


def _median(cmd: list[str], env: Mapping[str, str], runs: int) -> Timing:
    return _median_of([_once(cmd, env) for _ in range(runs)])


def _in_process(runs: int = IN_PROCESS_RUNS) -> Timing:
    request = api.make_training_request(model=TRAIN_MODEL, samples=IN_PROCESS_SAMPLES, seed=0)
    api.estimate_training(request)  # warm the catalog cache
    samples = []
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        api.estimate_training(request)
        samples.append((time.perf_counter() - wall, time.process_time() - cpu))
    return _median_of(samples)


def plan_core_rate(runs: int = PLAN_CORE_RUNS) -> tuple[float, int]:
    """(configuration-samples per second, configurations x samples per call) of the planner's core:
    ``evaluate_counts`` of one (accelerator, dtype) over every power-of-two count, renting at ``auto``."""
    from costlm.analyses.plan_frontier import power_of_two_counts
    from costlm.analyses.plan_train_eval import count_free, evaluate_counts
    from costlm.analyses.training import run_training
    from costlm.resolve.training import training_spec

    cat = api.load_catalog()
    counts = power_of_two_counts(PLAN_CORE_MAX_GPUS)
    rental = {}
    for tier in ("on-demand", "reserved"):
        req = api.make_training_request(
            params="7B", tokens="2T", gpu="h100-sxm", n_gpus=1, price_tier=tier, samples=PLAN_CORE_SAMPLES
        )
        breakdown, drawn = run_training(training_spec(req, cat), samples=PLAN_CORE_SAMPLES, seed=0)
        assert breakdown.rental_cost_usd is not None
        rental[tier] = breakdown.rental_cost_usd
    base = count_free(breakdown, drawn.values, rental)
    start = time.perf_counter()
    for _ in range(runs):
        evaluate_counts(base, counts, acquisition="rent", tier="auto")
    per_call = len(counts) * PLAN_CORE_SAMPLES
    return runs * per_call / (time.perf_counter() - start), per_call


def plan_in_process() -> tuple[float, int]:
    """(seconds, configurations evaluated) of ``api.plan_training`` over the whole catalog."""
    request = api.make_plan_train_request(params="7B", tokens="2T")
    api.plan_training(request)  # warm the catalog cache
    start = time.perf_counter()
    result = api.plan_training(request)
    return time.perf_counter() - start, result.n_evaluated


def _child_env(tmp: Path, keep_env: bool) -> dict[str, str]:
    env = dict(os.environ)
    env["COSTLM_CACHE_DIR"] = str(tmp / "catalog-cache")
    if not keep_env:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(tmp / "pycache")
    return env


def _measure(tmp: Path, env: dict[str, str]) -> tuple[Timing, list[Row]]:
    out = str(tmp / "report")
    train_json = [COSTLM, "train", TRAIN_MODEL, "--json"]
    no_cache = {**env, "COSTLM_CACHE_DIR": ""}  # cache off: parse and validate the TOML every run
    quick = {
        "baseline": (BASELINE, env),
        "costlm --help": ([COSTLM, "--help"], env),
        f"costlm train {TRAIN_MODEL} --json": (train_json, env),
        "cache off": (train_json, no_cache),
        f"costlm serve {SERVE_MODEL} --json": ([COSTLM, "serve", SERVE_MODEL, "--json"], env),
        f"costlm train {TRAIN_MODEL} (table)": ([COSTLM, "train", TRAIN_MODEL], env),
        "plan serve": (PLAN_SERVE, env),
        "plan": ([COSTLM, *PLAN_ARGS], env),
    }
    medians = _round_robin(quick, RUNS)
    rows = [
        Row("costlm --help", medians["costlm --help"], goal_s=GOAL_HELP_S),
        Row(
            f"costlm train {TRAIN_MODEL} --json",
            medians[f"costlm train {TRAIN_MODEL} --json"],
            goal_ratio=GOAL_TRAIN_JSON_RATIO,
        ),
        Row("  same, catalog cache off (validate TOML)", medians["cache off"]),
        Row(f"costlm serve {SERVE_MODEL} --json", medians[f"costlm serve {SERVE_MODEL} --json"]),
        Row(f"costlm train {TRAIN_MODEL} (table)", medians[f"costlm train {TRAIN_MODEL} (table)"]),
        Row("costlm plan train 7B x 2T tokens --json", medians["plan"], goal_s=GOAL_PLAN_S),
        Row(
            f"costlm plan serve {SERVE_MODEL} --tokens-per-day 1e9 --json",
            medians["plan serve"],
            goal_s=GOAL_PLAN_SERVE_S,
        ),
        Row(
            "costlm report --format md,csv,json",
            _median([COSTLM, "report", "--format", "md,csv,json", "--out", out], env, REPORT_RUNS),
            goal_s=GOAL_SEED_TABLE_S,
        ),
        Row(
            "costlm report (full HTML + exports, 10k)",
            _median([COSTLM, "report", "--out", out], env, REPORT_RUNS),
            goal_s=GOAL_FULL_REPORT_S,
        ),
        Row(
            f"in-process estimate_training, {IN_PROCESS_SAMPLES // 1000}k samples",
            _in_process(),
            goal_s=GOAL_IN_PROCESS_S,
        ),
    ]
    return medians["baseline"], rows


def _mark(row: Row, wall_ratio: float) -> str:
    if row.goal_ratio is not None:
        return f"<= {row.goal_ratio}x " + ("ok" if wall_ratio <= row.goal_ratio else "MISSED")
    if row.goal_s is not None:
        return f"< {row.goal_s} s " + ("ok" if row.timing.wall_s < row.goal_s else "MISSED")
    return ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep-env", action="store_true", help="run children in this environment as is")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        env = _child_env(tmp, args.keep_env)
        os.environ["COSTLM_CACHE_DIR"] = env["COSTLM_CACHE_DIR"]  # the in-process row too
        base, rows = _measure(tmp, env)
        size_mb = (tmp / "report" / "index.html").stat().st_size / 1e6
    bytecode = "as the environment says" if args.keep_env else "cached (private PYTHONPYCACHEPREFIX)"
    python = sys.version.split()[0]
    print(f"{os.cpu_count()} CPUs, Python {python}, median of {RUNS} runs, bytecode {bytecode}")
    print(f'baseline `python -c "import numpy"`: wall {base.wall_s:.4f} s, CPU {base.cpu_s:.4f} s')
    print(f"{'what':46} {'wall s':>8} {'x numpy':>8} {'CPU s':>8} {'x numpy':>8}  goal (on wall)")
    for row in rows:
        wall, cpu = row.timing.wall_s, row.timing.cpu_s
        ratio = wall / base.wall_s
        print(
            f"{row.name:46} {wall:8.4f} {ratio:8.2f} {cpu:8.4f} {cpu / base.cpu_s:8.2f}  {_mark(row, ratio)}"
        )
    mark = "ok" if size_mb < GOAL_HTML_MB else "MISSED"
    print(f"{'index.html size (MB)':46} {size_mb:8.3f} {'':>8} {'':>8} {'':>8}  < {GOAL_HTML_MB} MB {mark}")
    _print_plan()


def _print_plan() -> None:
    rate, per_call = plan_core_rate()
    mark = "ok" if rate >= GOAL_PLAN_CORE_PER_S else "MISSED"
    print(
        f"planner core: {rate:,.0f} configuration-samples/s ({per_call:,} per call)"
        f"  >= {GOAL_PLAN_CORE_PER_S:,} {mark}"
    )
    seconds, n_configs = plan_in_process()
    print(f"in-process plan_training, whole catalog: {seconds:.3f} s for {n_configs:,} configurations")


if __name__ == "__main__":
    main()
