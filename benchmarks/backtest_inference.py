"""Back-test of the serving estimator on every measured inference run of the catalog.

Each run is predicted from its inputs only (model, hardware, GPUs per replica, precision,
batch, prompt and output lengths), never from its measured values, and compared with
what was measured: throughput (output tokens/s of the whole system), latency (time per
output token, time to first token, end-to-end latency) and energy (GPU-only J per output
token, as ML.ENERGY measures it). Prints each comparison, then per metric the median
|log10(predicted/measured)| and the share of measurements inside the 90% interval.

    python benchmarks/backtest_inference.py [--samples N] [--seed S]
"""

from __future__ import annotations

import argparse
import math
import statistics
from collections import defaultdict

from costlm import api
from costlm.catalog.schema import InferenceRun
from costlm.errors import CostlmError

METRICS = {
    "throughput": ("output_tokens_per_s", "output_tokens_per_s"),
    "latency": ("tpot_s", "tpot_s"),
    "latency (TTFT)": ("ttft_s", "ttft_s"),
    "J/token": ("j_per_output_token", "gpu_j_per_output_token"),
}


def _predict(run: InferenceRun, samples: int, seed: int) -> api.ServeResult:
    request = api.make_serve_request(
        model=run.model,
        gpu=run.hardware,
        n_gpus=run.tensor_parallel,
        dtype=run.dtype,
        batch=round(run.batch.central) if run.batch else None,
        prompt_tokens=run.prompt_tokens.central,
        output_tokens=run.output_tokens.central,
        samples=samples,
        seed=seed,
    )
    return api.estimate_serving(request)


def _pairs(run: InferenceRun, r: api.ServeResult) -> list[tuple[str, float, float, float, float]]:
    """(metric, measured, p05, p50, p95) for every metric the run measured."""
    replicas = run.n_gpus / run.tensor_parallel
    out = []
    for metric, (measured_field, predicted_field) in METRICS.items():
        measured = getattr(run, measured_field)
        s = getattr(r, predicted_field)
        if measured is None or s is None:
            continue
        scale = replicas if metric == "throughput" else 1.0
        out.append((metric, measured.central, s.p05 * scale, s.p50 * scale, s.p95 * scale))
    if run.e2e_latency_s is not None:  # a fixed batch arriving together: its prefills, then the decode steps
        prefill, step = r.breakdown["prefill_s"], r.breakdown["decode_step_s"]
        total = [
            r.batch * p + run.output_tokens.central * d
            for p, d in ((prefill.p05, step.p05), (prefill.p50, step.p50), (prefill.p95, step.p95))
        ]
        out.append(("latency (end-to-end)", run.e2e_latency_s.central, *total))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--samples", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    cat = api.load_catalog()
    scores: dict[str, list[tuple[float, bool]]] = defaultdict(list)
    print(f"{'run':44} {'metric':22} {'measured':>9} {'p05':>9} {'p50':>9} {'p95':>9} {'err':>6} in")
    for run in cat.inference_runs.values():
        try:
            result = _predict(run, args.samples, args.seed)
        except CostlmError as exc:
            print(f"{run.id[:44]:44} skipped: {exc}")
            continue
        for metric, measured, p05, p50, p95 in _pairs(run, result):
            err, inside = math.log10(p50 / measured), p05 <= measured <= p95
            family = "latency" if metric.startswith("latency") else metric
            scores[family].append((abs(err), inside))
            cells = f"{measured:9.4g} {p05:9.4g} {p50:9.4g} {p95:9.4g} {err:+6.2f}"
            print(f"{run.id[:44]:44} {metric:22} {cells} {'yes' if inside else 'NO'}")
    print()
    for family, values in scores.items():
        errors = [e for e, _ in values]
        hits = sum(i for _, i in values)
        print(
            f"{family:11} n={len(values):2d}  "
            f"median |log10 error| = {statistics.median(errors):.3f} (goal <= 0.15)  "
            f"90% coverage = {hits}/{len(values)} = {hits / len(values):.0%} (goal >= 70%)"
        )


if __name__ == "__main__":
    main()
