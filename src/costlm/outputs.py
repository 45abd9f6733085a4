"""Every output quantity, declared once: its name (a field of a breakdown and of a result), its unit
and the i18n key of its label.

The analyses summarize each declared output of a pipeline's breakdown under its unit; the report
renders the declared rows in order with the declared label; a test checks that each declaration
names a result field and has a label in every language. Adding an output is a field in the
pipeline's breakdown (one line of arithmetic), a field in the result model and a line here.
Standard library only.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Output:
    """One output: ``name`` (breakdown and result field), ``unit``, ``label`` (i18n key);
    ``at_rental`` when it is priced at the rental rate (the report shows the price tier beside it)."""

    name: str
    unit: str
    label: str
    at_rental: bool = False


def _out(
    name: str, unit: str, prefix: str = "out", label: str | None = None, *, rental: bool = False
) -> Output:
    return Output(name=name, unit=unit, label=f"{prefix}.{label or name}", at_rental=rental)


TRAINING_OUTPUTS = (
    _out("train_flop", "FLOP"),
    _out("gpu_hours", "GPU-h"),
    _out("wall_clock_days", "days"),
    _out("hardware_cost_usd", "USD"),
    _out("cluster_capex_usd", "USD"),
    _out("rental_cost_usd", "USD", rental=True),
    _out("amortized_cost_usd", "USD"),
    _out("energy_mwh", "MWh"),
    _out("avg_power_mw", "MW"),
    _out("co2_t", "tCO2e"),
)
TRAINING_BREAKDOWN = (
    _out("n_tokens", "tokens", "bd"),
    _out("n_gpus", "GPUs", "bd"),
    _out("attention_flop", "FLOP", "bd"),
    _out("hardware_flop", "FLOP", "bd"),
    _out("mfu", "fraction", "bd"),
    _out("hfu", "fraction", "bd"),
    _out("goodput", "fraction", "bd"),
    _out("peak_flop_per_s", "FLOP/s", "bd"),
    _out("watts_per_gpu", "W", "bd"),
    _out("amortized_hardware_usd", "USD", "bd"),
    _out("electricity_usd", "USD", "bd"),
)
SERVING_OUTPUTS = (
    _out("ttft_s", "s", "serve", "ttft"),
    _out("tpot_s", "s", "serve", "tpot"),
    _out("output_tokens_per_s", "tokens/s", "serve", "tps"),
    _out("output_tokens_per_s_per_gpu", "tokens/s", "serve", "tps_gpu"),
    _out("replica_power_watts", "W", "serve", "power"),
    _out("j_per_output_token", "J", "serve", "j_token"),
    _out("gpu_j_per_output_token", "J", "serve", "gpu_j_token"),
    _out("wh_per_response", "Wh", "serve", "wh_response"),
    _out("replica_hardware_cost_usd", "USD", "serve", "hw_cost"),
    _out("usd_per_million_output_tokens", "USD/1M tokens", "serve", "usd_out", rental=True),
    _out("usd_per_million_input_tokens", "USD/1M tokens", "serve", "usd_in", rental=True),
    _out("usd_per_million_output_tokens_owned", "USD/1M tokens", "serve", "usd_out_owned"),
)
SERVING_BREAKDOWN = (
    _out("decode_step_s", "s", "bd"),
    _out("prefill_s", "s", "bd"),
    _out("memory_s", "s", "bd"),
    _out("compute_s", "s", "bd"),
    _out("compute_share", "fraction", "bd"),
    _out("weight_bytes_per_step", "bytes", "bd"),
    _out("n_experts_read", "experts", "bd"),
    _out("comm_s", "s", "bd"),
    _out("comm_share", "fraction", "bd"),
)
FLEET_OUTPUTS = (
    _out("replicas", "replicas", "fleet"),
    _out("fleet_gpus", "GPUs", "fleet"),
    _out("fleet_hardware_cost_usd", "USD", "fleet"),
    _out("fleet_rental_usd_per_year", "USD/year", "fleet", rental=True),
    _out("fleet_owned_usd_per_year", "USD/year", "fleet"),
    _out("fleet_utilization", "fraction", "fleet"),
    _out("fleet_usd_per_million_output_tokens", "USD/1M tokens", "fleet", rental=True),
    _out("saturated_usd_per_million_output_tokens", "USD/1M tokens", "fleet", rental=True),
    _out("fleet_owned_usd_per_million_output_tokens", "USD/1M tokens", "fleet"),
    _out("fleet_busy_energy_mwh_per_year", "MWh/year", "fleet"),
    _out("fleet_idle_energy_mwh_per_year", "MWh/year", "fleet"),
    _out("fleet_energy_mwh_per_year", "MWh/year", "fleet"),
    _out("fleet_j_per_output_token", "J", "fleet"),
    _out("fleet_co2_t_per_year", "tCO2e/year", "fleet"),
)
