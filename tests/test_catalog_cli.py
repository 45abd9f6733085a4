"""`costlm catalog`: 80-column listings with whole ids, filters, show --toml, partial overlays,
stats counted from the catalog, import-config."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

from conftest import CliRun
from costlm import api
from costlm.catalog.browse import in_family, model_family

DATA = Path(__file__).parent / "data"
NARROW = "80"


def test_list_at_80_columns_keeps_every_id_whole(cli: CliRun, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", NARROW)
    for kind in ("models", "accelerators", "runs", "sources", "grid"):
        code, out, err = cli(["catalog", "list", kind])
        assert code == 0, err
        lines = out.splitlines()
        assert max(len(line) for line in lines) <= int(NARROW)
        first_cells = [line.split("│")[1].strip() for line in lines if line.startswith("│")]
        for entry in api.catalog_entries(kind):  # type: ignore[arg-type]
            assert entry["id"] in first_cells, (kind, entry["id"])


def test_a_long_id_stays_whole_at_80_columns(
    cli: CliRun, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    long_id = "an-unusually-long-model-identifier-of-a-user-1.5b"
    overlay = tmp_path / "long.toml"
    overlay.write_text(
        f'[[model]]\nid = "{long_id}"\nname = "A model with a rather long name that must wrap"\n'
        'organization = "Me"\nyear = 2026\n'
    )
    monkeypatch.setenv("COLUMNS", NARROW)
    code, out, err = cli(["catalog", "list", "models", "--catalog", str(overlay)])
    assert code == 0, err
    assert long_id in out and max(len(line) for line in out.splitlines()) <= int(NARROW)


def test_family_is_the_id_before_its_size() -> None:
    cat = api.load_catalog()
    assert model_family(cat.models["llama-3.1-8b"]) == "llama-3.1"
    assert model_family(cat.models["mixtral-8x7b"]) == "mixtral"
    assert model_family(cat.models["gpt-2-124m-llmc"]) == "gpt-2"
    assert model_family(cat.models["deepseek-v3"]) == "deepseek-v3"
    assert in_family("llama-3.1", "llama") and in_family("qwen2.5", "qwen")
    assert not in_family("llama-3.1", "llam") and not in_family("gpt-35", "gpt-3")


def test_filters(cli: CliRun) -> None:
    code, out, _ = cli(["catalog", "list", "models", "--family", "llama-3.1", "--json"])
    assert code == 0
    assert [m["id"] for m in json.loads(out)] == ["llama-3.1-8b", "llama-3.1-70b", "llama-3.1-405b"]
    amd = api.catalog_entries("accelerators", vendor="amd")
    assert amd and all(a["vendor"] == "AMD" for a in amd)
    all_years = {m["year"] for m in api.catalog_entries("models")}
    assert {m["year"] for m in api.catalog_entries("models", year="2019")} == {2019} < all_years
    hits = api.catalog_entries("models", search="Meta-Llama-3.1")  # an alias
    assert {m["id"] for m in hits} == {"llama-3.1-8b", "llama-3.1-70b", "llama-3.1-405b"}
    code, _, err = cli(["catalog", "list", "grid", "--family", "llama"])
    assert code == 2 and "--family: does not apply to grid (it filters models)" in err
    code, _, err = cli(["catalog", "list", "models", "--year", "twenty"])
    assert code == 2 and "--year: 'twenty' is not a year" in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "ident", ["llama-2-7b", "deepseek-v3", "h100-sxm", "llama-2-7b-card", "llama2-model-card"]
)
def test_show_toml_round_trips(ident: str, cli: CliRun, tmp_path: Path) -> None:
    code, out, err = cli(["catalog", "show", ident, "--toml"])
    assert code == 0, err
    overlay = tmp_path / "same.toml"
    overlay.write_text(out)
    kind, before = api.catalog_entry(ident)
    assert api.catalog_entry(ident, catalog_files=[overlay]) == (kind, before)
    code, _, err = cli(["catalog", "check", str(overlay)])
    assert code == 0, err


def test_show_toml_of_a_grid_region_is_refused(cli: CliRun) -> None:
    code, _, err = cli(["catalog", "show", "usa", "--toml"])
    assert code == 2 and "--toml: grid entries cannot go in an overlay" in err


def test_partial_overlay_changes_only_the_fields_it_names(tmp_path: Path, cli: CliRun) -> None:
    overlay = tmp_path / "partial.toml"
    overlay.write_text(
        '[[model]]\nid = "llama-2-7b"\nyear = 2022\n\n[model.architecture]\ncontext_tokens = 8192\n'
    )
    before = api.load_catalog().models["llama-2-7b"].model_dump()
    after = api.load_catalog([overlay]).models["llama-2-7b"].model_dump()
    assert (after["year"], after["architecture"]["context_tokens"]) == (2022, 8192)
    changed = {k for k in before if before[k] != after[k]}
    assert changed == {"year", "architecture"}
    arch_changed = {
        k for k in before["architecture"] if before["architecture"][k] != after["architecture"][k]
    }
    assert arch_changed == {"context_tokens"}
    bad = tmp_path / "bad.toml"
    bad.write_text('[[model]]\nid = "llama-2-7b"\nyear = "soon"\n')
    code, _, err = cli(["catalog", "check", str(bad)])
    assert code == 2 and "bad.toml: model 'llama-2-7b': field 'year'" in err
    new = tmp_path / "new.toml"
    new.write_text('[[model]]\nid = "brand-new"\nname = "Brand new"\n')
    code, _, err = cli(["catalog", "check", str(new)])
    assert code == 2 and "new.toml: model 'brand-new': field 'organization': Field required" in err
    assert "a new id must be complete" in err and len(err.strip().splitlines()) == 1


def test_a_sourced_figure_in_an_overlay_is_replaced_whole(tmp_path: Path) -> None:
    overlay = tmp_path / "fig.toml"
    overlay.write_text(
        '[[accelerator]]\nid = "h100-sxm"\n'
        'purchase_usd = { value = 20000, source = "costlm-assumption", locator = "test", '
        'basis = "estimate" }\n'
    )
    price = api.load_catalog([overlay]).accelerators["h100-sxm"].purchase_usd
    assert price is not None and (price.value, price.low, price.high, price.as_of) == (
        20000,
        None,
        None,
        None,
    )


def test_stats_are_counted_from_the_catalog(tmp_path: Path, cli: CliRun) -> None:
    cat = api.load_catalog()
    stats = api.catalog_stats()
    assert stats.counts["models"] == len(cat.models) and stats.counts["api_prices"] == len(cat.api_prices)
    assert stats.n_figures == sum(stats.figures_by_basis.values()) > 0
    overlay = tmp_path / "more.toml"
    overlay.write_text(
        '[[model]]\nid = "stats-probe"\nname = "Probe"\norganization = "Me"\nyear = 2026\n'
        'n_params = { value = 1e9, source = "costlm-assumption", locator = "t", basis = "estimate" }\n'
        'n_train_tokens = { value = 1e12, source = "costlm-assumption", locator = "t", '
        'basis = "third-party" }\n\n'
        '[[accelerator]]\nid = "h100-sxm"\n'
        'purchase_usd = { value = 9000, source = "costlm-assumption", locator = "t", as_of = "2015-01" }\n'
    )
    more = api.catalog_stats(catalog_files=[overlay])
    assert more.counts["models"] == stats.counts["models"] + 1
    assert more.figures_by_basis["estimate"] == stats.figures_by_basis["estimate"] + 1
    assert more.figures_by_basis["third-party"] == stats.figures_by_basis["third-party"] + 1
    oldest = {o.table: o for o in more.oldest_prices}["accelerators"]
    assert (oldest.entry, oldest.field, oldest.as_of) == ("h100-sxm", "purchase_usd", "2015-01")
    code, out, _ = cli(["catalog", "stats", "--json", "--catalog", str(overlay)])
    assert code == 0 and json.loads(out) == more.model_dump()
    code, out, _ = cli(["catalog", "stats", "--lang", "es"])
    assert code == 0 and "Precio más antiguo" in out and str(stats.n_figures) in out


def test_import_config_then_serve(tmp_path: Path, cli: CliRun, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "config.json").write_text((DATA / "llama-3-8b.json").read_text())
    code, out, err = cli(["catalog", "import-config", "config.json", "--id", "my-llama"])
    assert code == 0, err
    assert "costlm serve my-llama --catalog my-llama.toml" in out
    assert "8.03B parameters" in out
    doc = tomllib.loads((tmp_path / "my-llama.toml").read_text())
    model = doc["model"][0]
    assert model["n_params"]["basis"] == "derived" and doc["source"][0]["kind"] == "assumption"
    # counted from the config: within 0.5% of the Llama 3 model card's (rounded) 8B in the catalog
    reported = api.load_catalog().models["llama-3-8b"].n_params
    assert reported is not None and model["n_params"]["value"] == pytest.approx(reported.central, rel=5e-3)
    assert model["architecture"]["n_kv_heads"] == 8
    code, out, err = cli(["serve", "my-llama", "--catalog", "my-llama.toml", "--samples", "200", "--json"])
    assert code == 0, err
    code, _, err = cli(["catalog", "import-config", "config.json", "--id", "my-llama"])
    assert code == 2 and "my-llama.toml exists; add --force to replace it" in err
    code, out, err = cli(
        ["catalog", "import-config", "config.json", "--id", "my-llama", "--force", "--lang", "es"]
    )
    assert code == 0 and "úselo con: costlm serve my-llama" in out, err
    code, _, err = cli(["catalog", "import-config", "config.json", "--id", "Llama-3-8B"])
    assert code == 2 and "--id: 'llama-3-8b' is already in the catalog" in err
    code, _, err = cli(["catalog", "import-config", "config.json", "--id", "bad id"])
    assert code == 2 and "is not a catalog id" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.json", "my-llama.toml"]


def test_api_prices_and_measured_runs_can_be_listed_and_searched(
    cli: CliRun, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    code, out, _ = cli(["catalog", "list", "api_prices", "--search", "gpt-oss"])
    assert code == 0 and "deepinfra-gpt-oss-120b" in out and "api_prices (" in out
    assert max(len(line) for line in out.splitlines()) <= 80
    code, out, _ = cli(["catalog", "list", "inference_runs", "--vendor", "h200"])
    assert code == 0 and "inference_runs (" in out
    code, _, err = cli(["catalog", "list", "api_prices", "--year", "2024"])
    assert code == 2 and len(err.strip().splitlines()) == 1 and "--year" in err
