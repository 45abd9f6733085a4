"""The loader on small synthetic catalogs: every malformed input names its file, entry and field."""

from __future__ import annotations

import pytest

from costlm.catalog.load import assemble
from costlm.errors import CatalogError

SOURCES = """
[[source]]
id = "s1"
title = "A datasheet"
publisher = "Vendor"
kind = "datasheet"
date = "2024"
url = "https://example.org/ds.pdf"
"""
ACC = """
[[accelerator]]
id = "x1"
name = "X1"
vendor = "Vendor"
year = 2024
generation = "gen1"
kind = "gpu"
aliases = ["XONE"]
memory_gb = { value = 80, source = "s1", locator = "table 1" }
hbm_tb_per_s = { value = 3.35, source = "s1", locator = "table 1" }
peak_bf16_dense_tflop_per_s = { value = 989, source = "s1", locator = "table 1" }
"""
PRIORS = """
[defaults]
pue = { value = 1.1, source = "s1", locator = "p" }
server_overhead = { value = 1.4, source = "s1", locator = "p" }
power_fraction_training_gpu = { value = 0.75, source = "s1", locator = "p" }
power_fraction_training_tpu = { value = 0.85, source = "s1", locator = "p" }
electricity_usd_per_kwh = { value = 0.08, source = "s1", locator = "p" }
hardware_lifetime_years = { value = 4, source = "s1", locator = "p" }
cluster_capex_multiple = { value = 2.0, source = "s1", locator = "p" }
goodput = { low = 0.85, high = 0.97, source = "s1", locator = "p" }
power_fraction_inference = { value = 0.75, source = "s1", locator = "p" }
gpu_memory_utilization = { value = 0.9, source = "s1", locator = "p" }
engine_reserve_gib_per_gpu = { value = 4.89, source = "s1", locator = "p" }
kv_block_tokens = { value = 16, source = "s1", locator = "p" }
decode_bandwidth_efficiency = { value = 0.7, source = "s1", locator = "p" }
decode_compute_efficiency = { value = 0.4, source = "s1", locator = "p" }
prefill_compute_efficiency = { value = 0.5, source = "s1", locator = "p" }
serving_power_low_fraction = { value = 0.6, source = "s1", locator = "p" }
serving_power_high_fraction = { value = 0.95, source = "s1", locator = "p" }
serving_idle_power_fraction = { value = 0.1, source = "s1", locator = "p" }
allreduce_latency_s = { value = 1e-5, source = "s1", locator = "p" }
serving_utilization = { value = 0.6, source = "s1", locator = "p" }
server_capex_multiple = { value = 1.4, source = "s1", locator = "p" }
network_capex_multiple = { value = 1.235, source = "s1", locator = "p" }
global_batch_tokens_pretrain = { value = 4000000, source = "s1", locator = "p" }
global_batch_sequences_finetune = { value = 16, source = "s1", locator = "p" }

[[mfu_prior]]
generation = "gen1"
dtype = "bf16"
mfu = { low = 0.3, high = 0.5, source = "s1", locator = "p" }
"""
GRID = "id,name,value,low,high,source,locator,basis,as_of\nusa,USA,369.5,,,s1,row usa,reported,2023\n"


def build(*extra: str, grid: str = GRID, overlay: bool = False) -> object:
    docs = [("sources.toml", SOURCES), ("accelerators.toml", ACC), ("priors.toml", PRIORS)]
    docs += [(f"extra{i}.toml", text) for i, text in enumerate(extra)]
    return assemble(docs, grid, n_bundled=len(docs) if not overlay else 3)


def test_minimal_catalog_loads() -> None:
    cat = build()
    assert list(cat.accelerators) == ["x1"]  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            ACC.replace(
                'memory_gb = { value = 80, source = "s1"', 'memory_gb = { value = 80, source = "nope"'
            ),
            "accelerator 'x1': unknown source 'nope'",
        ),
        (ACC.replace("memory_gb", "memory_gbb"), "accelerator 'x1': field 'memory_gbb': unknown field"),
        (
            ACC.replace("value = 80", "value = -80"),
            "accelerator 'x1': field 'memory_gb': Value error, -80.0 is not a positive",
        ),
        (ACC.replace("value = 80", 'value = "eighty"'), "field 'memory_gb.value'"),
        (ACC.replace("value = 80", "low = 90, high = 80"), "low 90.0 > high 80.0"),
        (ACC.replace("value = 80", "value = nan"), "is not a positive finite number"),
        ("[[accelerator]\nid=", "not valid TOML"),
        ("[[gpu]]\nid = 'a'", "unknown table 'gpu'"),
    ],
)
def test_bad_entries_name_file_entry_and_field(extra: str, message: str) -> None:
    with pytest.raises(CatalogError, match=message.replace("(", r"\(").replace(")", r"\)")):
        build(extra, overlay=True)


def test_duplicate_id_in_bundled_files_is_an_error() -> None:
    with pytest.raises(CatalogError, match="accelerator 'x1': duplicate id"):
        build(ACC)


def test_overlay_overrides_by_id() -> None:
    cat = build(ACC.replace("value = 989", "value = 1000"), overlay=True)
    assert cat.accelerators["x1"].peak_bf16_dense_tflop_per_s.central == 1000  # type: ignore[attr-defined]


def test_unused_source_is_an_error() -> None:
    extra = SOURCES.replace('id = "s1"', 'id = "s2"')
    with pytest.raises(CatalogError, match="source 's2' is cited by no entry"):
        build(extra)


def test_alias_clash_is_an_error() -> None:
    other = ACC.replace('id = "x1"', 'id = "x2"')
    with pytest.raises(CatalogError, match="alias 'XONE' also names 'x1'"):
        build(other)


def test_bad_grid_row_names_row() -> None:
    with pytest.raises(CatalogError, match=r"grid\.csv: row 2 'usa'"):
        build(grid=GRID.replace("369.5", "-1"))
