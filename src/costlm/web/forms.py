"""The fields each form page shows (a subset of the request model's: the JSON API takes them all).

A field is a request-model field name, an input kind and, for a choice, its options; its label is
the i18n key ``web.field.<name>`` and its example the key ``web.hint.<name>`` when one exists.
"""

from __future__ import annotations

from dataclasses import dataclass

TRAIN_DTYPES = ("bf16", "fp16", "fp8", "tf32", "fp32")
SERVE_DTYPES = ("bf16", "fp16", "fp8", "int8", "int4")
TIERS = ("auto", "on-demand", "reserved", "spot")


@dataclass(frozen=True)
class Field:
    """One input: ``kind`` is text, number or select (``choices``; an empty first option for
    'default' unless ``required``)."""

    name: str
    kind: str = "text"
    choices: tuple[str, ...] = ()
    datalist: str | None = None


TRAIN_FIELDS = (
    Field("model", datalist="models"),
    Field("params"),
    Field("active_params"),
    Field("tokens"),
    Field("gpu", datalist="accelerators"),
    Field("n_gpus", "number"),
    Field("days"),
    Field("dtype", "select", TRAIN_DTYPES),
    Field("mfu"),
    Field("gpu_hours"),
    Field("usd_per_gpu_hour"),
    Field("grid"),
    Field("price_tier", "select", TIERS),
    Field("method", "select", ("full", "lora", "qlora")),
    Field("levers"),
    Field("samples", "number"),
    Field("seed", "number"),
)
SERVE_FIELDS = (
    Field("model", datalist="models"),
    Field("gpu", datalist="accelerators"),
    Field("n_gpus", "number"),
    Field("dtype", "select", SERVE_DTYPES),
    Field("kv_dtype", "select", SERVE_DTYPES),
    Field("batch", "number"),
    Field("max_tpot_ms"),
    Field("max_ttft_ms"),
    Field("prompt_tokens"),
    Field("output_tokens"),
    Field("tokens_per_day"),
    Field("usd_per_gpu_hour"),
    Field("engine", "select", ("generic", "vllm", "sglang", "trt-llm", "tgi")),
    Field("price_tier", "select", TIERS),
    Field("levers"),
    Field("samples", "number"),
    Field("seed", "number"),
)
PLAN_FIELDS = (
    Field("model", datalist="models"),
    Field("params"),
    Field("tokens"),
    Field("base", datalist="models"),
    Field("examples"),
    Field("deadline_days"),
    Field("budget_usd"),
    Field("max_co2_t"),
    Field("gpus"),
    Field("max_gpus", "number"),
    Field("acquisition", "select", ("rent", "buy", "both")),
    Field("objective", "select", ("cost", "time", "co2")),
    Field("levers"),
    Field("samples", "number"),
    Field("seed", "number"),
)
PLAN_SERVE_FIELDS = (
    Field("model", datalist="models"),
    Field("tokens_per_day"),
    Field("requests_per_s"),
    Field("prompt_tokens"),
    Field("output_tokens"),
    Field("p90_ttft_ms"),
    Field("p99_tpot_ms"),
    Field("gpus"),
    Field("price_tier", "select", TIERS),
    Field("levers"),
    Field("samples", "number"),
    Field("seed", "number"),
)
CATALOG_FILTERS = (Field("search"), Field("vendor"), Field("year"), Field("family"))
PLAN_COMPARE_FIELDS = (
    Field("base", datalist="models"),
    Field("tokens_per_day"),
    Field("months", "number"),
    Field("api"),
    Field("teacher"),
    Field("pretrain", datalist="models"),
    Field("examples"),
    Field("tokens_per_example"),
    Field("epochs"),
    Field("gpu", datalist="accelerators"),
    Field("levers"),
    Field("samples", "number"),
    Field("seed", "number"),
)
