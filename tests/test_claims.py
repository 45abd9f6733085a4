"""Claims: every seed claim judged; evidence recomputed here from the catalog; verdicts follow the data."""

from __future__ import annotations

import json
import string
from collections.abc import Iterator
from pathlib import Path
from typing import Any, get_args

import pytest
from rich.console import Console

from conftest import CliRun
from costlm import api
from costlm.analyses.claim_evidence import Basis, TrailCode
from costlm.analyses.claims import Bound, Verdict
from costlm.catalog.schema import Catalog
from costlm.errors import CatalogError
from costlm.i18n import LANGS, messages
from costlm.report import claims as claims_fmt
from costlm.resolve.serving import kv_bytes_per_token

SAMPLES = 2000


@pytest.fixture(scope="module")
def judged() -> dict[str, api.ClaimResult]:
    return {r.id: r for r in api.check_claims(samples=SAMPLES, seed=0)}


def test_every_seed_claim_has_a_verdict(cat: Catalog, judged: dict[str, api.ClaimResult]) -> None:
    assert set(judged) == set(cat.claims) and len(judged) >= 30
    verdicts = {r.verdict for r in judged.values()}
    assert verdicts <= {"consistent", "too_high", "too_low", "inconsistent", "unverifiable"}
    assert {"consistent", "too_low", "inconsistent", "unverifiable"} <= verdicts
    for document in ("000", "001", "002", "003", "004"):
        assert any(r.source.document.startswith(document) for r in judged.values())


def _overlaps(low: float, high: float, p05: float, p95: float) -> bool:
    return not (high < p05 or low > p95)


def test_deepseek_cost_against_official_figure(cat: Catalog, judged: dict[str, api.ClaimResult]) -> None:
    official = cat.runs["deepseek-v3-full"].cost_usd
    assert official is not None
    r = judged["s001-deepseek-v3-cost"]
    assert r.evidence is not None and r.evidence.basis == "reported"
    assert r.evidence.p50 == official.central  # 2.788M H800-hours x $2
    assert r.verdict == (
        "consistent"
        if _overlaps(5.6e6, 5.6e6, official.central / 1.1, official.central * 1.1)
        else "too_high"
    )


def test_hardware_cost_claims_use_the_training_estimate(
    cat: Catalog, judged: dict[str, api.ClaimResult]
) -> None:
    """The evidence is the training estimate's GPU count x the market's per-GPU spread: the card
    price's low end to the server-inclusive price's high end (a claim rarely says which)."""
    for claim_id, model in (
        ("s000-gpt4-hardware-cost", "gpt-4"),
        ("s000-claude-3-opus-hardware-cost", "claude-3-opus"),
    ):
        result = api.estimate_training(api.make_training_request(model=model, samples=SAMPLES, seed=0))
        est, n = result.hardware_cost_usd, result.breakdown.n_gpus
        acc = cat.accelerators[result.accelerator]
        records = [r for r in (acc.purchase_usd, acc.server_usd_per_gpu) if r is not None]
        low, high = min(r.bounds[0] for r in records), max(r.bounds[1] for r in records)
        r = judged[claim_id]
        assert est is not None and r.evidence is not None
        assert r.evidence.p50 == pytest.approx(est.p50)
        expected_range = (min(est.p05, n.p05 * low), max(est.p95, n.p95 * high))
        assert (r.evidence.p05, r.evidence.p95) == pytest.approx(expected_range)
    # GPT-4: ~25,000 A100 (SemiAnalysis) x price is third-party evidence, compared at least
    # p50 / 1.25 .. p50 x 1.25: the student's $500M (1.15x) is consistent.
    gpt4 = judged["s000-gpt4-hardware-cost"]
    assert gpt4.basis == "third-party" and gpt4.factor == pytest.approx(1.15, abs=0.02)
    assert gpt4.verdict == "consistent"
    # Claude 3 Opus: no published GPU type or count, only costlm's assumption: unverifiable.
    claude = judged["s000-claude-3-opus-hardware-cost"]
    assert claude.verdict == "unverifiable" and claude.assumed == ["hardware", "n_gpus"]


def test_student_deepseek_hardware_cost_holds_only_as_rental(judged: dict[str, api.ClaimResult]) -> None:
    r = judged["s000-deepseek-v3-hardware-cost"]
    # 2,048 H800 at $33.8k-44.8k each is ~$70-92M: the student's $5-20M is a rental figure.
    assert r.verdict == "too_low" and r.holds_as is not None and "rental" in r.holds_as.values["label_en"]
    assert r.holds_as == r.readings[0].label


def test_energy_below_the_gpus_draw_is_inconsistent(cat: Catalog, judged: dict[str, api.ClaimResult]) -> None:
    r = judged["s000-deepseek-v3-training-energy"]
    hours = cat.runs["deepseek-v3-full"].gpu_hours
    tdp = cat.accelerators["h800"].tdp_watts
    assert hours is not None and tdp is not None
    floor_mwh = hours.central * tdp.central * 0.15 / 1e6  # 2.788M h x 700 W x 15% = 293 MWh
    assert r.claimed.high < floor_mwh and r.verdict == "inconsistent"
    # read as 10,700 or 107,000 MWh; the student's own GPUs and days are a last, labelled reading
    assert [x.verdict for x in r.readings[:2]] == ["too_high", "too_high"]
    assert r.readings[-1].own_context and r.readings[-1].label.code == "reading_own_context"


def test_mla_claim_holds_with_a_6_bit_cache(cat: Catalog, judged: dict[str, api.ClaimResult]) -> None:
    v2, base = cat.models["deepseek-v2"].architecture, cat.models["deepseek-67b"].architecture
    assert v2 is not None and base is not None
    by_architecture = 100 * (1 - kv_bytes_per_token(v2, 2.0) / kv_bytes_per_token(base, 2.0))
    r = judged["s002-mla-kv-cache-reduction"]
    assert r.evidence is not None and r.evidence.p50 == pytest.approx(by_architecture)
    assert r.verdict == "too_high" and r.readings[0].verdict == "consistent"


def test_rental_price_claim_follows_the_catalog_range(
    cat: Catalog, judged: dict[str, api.ClaimResult], tmp_path: Path
) -> None:
    gpu = cat.accelerators["rtx-3090"]
    tiers = [gpu.rental_usd_per_hour, gpu.rental_reserved_usd_per_hour, gpu.rental_spot_usd_per_hour]
    lowest = min(rate.bounds[0] for rate in tiers if rate is not None)  # every tier: the claim names none
    assert gpu.rental_spot_usd_per_hour is not None and lowest == gpu.rental_spot_usd_per_hour.bounds[0]
    r = judged["s003-rtx-3090-rental"]
    assert r.verdict == ("too_low" if lowest > 0.11 else "consistent")
    # A cheaper listing in the catalog changes the verdict: nothing is typed in by hand.
    overlay = tmp_path / "cheap.toml"
    acc = gpu.model_dump(exclude_none=True)
    acc["rental_spot_usd_per_hour"] = {**acc["rental_spot_usd_per_hour"], "low": 0.10}
    overlay.write_text(_toml_accelerator(acc))
    again = api.check_claims(["s003-rtx-3090-rental"], samples=200, catalog_files=[overlay])[0]
    assert again.verdict == "consistent"


def _toml_accelerator(acc: dict[str, object]) -> str:
    def value(v: object) -> str:
        if isinstance(v, dict):
            return "{ " + ", ".join(f"{k} = {value(x)}" for k, x in v.items()) + " }"
        return json.dumps(v)

    return "[[accelerator]]\n" + "".join(f"{k} = {value(v)}\n" for k, v in acc.items())


USER_CLAIM = """
[[claim]]
id = "mine"
subject = "llama-2-70b"
quantity = "training_days"
value = 30
unit = "days"
scope = "final-run"
context = { n_gpus = 2048 }
origin = { document = "my notes", publisher = "me", date = "2026" }
paraphrase_en = "Llama 2 70B took 30 days on 2,048 GPUs."
paraphrase_es = "Llama 2 70B tardó 30 días con 2.048 GPU."
"""


def test_user_claims_file_round_trips(tmp_path: Path, cli: CliRun) -> None:
    path = tmp_path / "claims.toml"
    path.write_text(USER_CLAIM)
    code, out, err = cli(["check", "--file", str(path), "--json", "--samples", "300"])
    assert code == 0, err
    [doc] = json.loads(out)
    assert doc["id"] == "mine" and doc["verdict"] == "unverifiable"  # Llama 2's count: an assumption
    assert doc["assumed"] == ["n_gpus"]
    # the claim's own 2,048 GPUs only in the labelled reading: 1,720,320 official GPU-hours / 2,048 / 24
    [own] = doc["readings"]
    assert own["own_context"] and own["evidence"]["basis"] == "derived"
    assert own["evidence"]["p50"] == pytest.approx(1_720_320 / 2048 / 24)
    assert api.ClaimResult.model_validate(doc).model_dump(mode="json") == doc
    for key in (
        "id",
        "subject",
        "quantity",
        "claimed",
        "evidence",
        "verdict",
        "factor",
        "basis",
        "assumed",
        "window",
        "reasoning",
        "source",
    ):
        assert key in doc
    step = {"code": "days_from_hours", "values": {"hours": 1_720_320.0, "n": 2048, "days": 35.0}}
    assert own["reasoning"] == [step]
    assert doc["reasoning"][-1] == {"code": "rests_on_assumption", "values": {"facets": "n_gpus"}}


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            ('subject = "llama-2-70b"', 'subject = "llama-9"'),
            "field 'subject': unknown model or accelerator 'llama-9'",
        ),
        (('quantity = "training_days"', 'quantity = "vibes"'), "field 'quantity'"),
        (('unit = "days"\n', ""), "field 'unit': Field required"),
        (("value = 30", "low = 40\nhigh = 30"), "low 40.0 > high 30.0"),
        (('unit = "days"', 'unit = "weeks"'), "field 'unit': 'weeks' does not fit training_days"),
    ],
)
def test_bad_claims_file_is_one_line(
    tmp_path: Path, cli: CliRun, edit: tuple[str, str], message: str
) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(USER_CLAIM.replace(*edit))
    code, _, err = cli(["check", "--file", str(path)])
    assert code == 2 and message in err and "bad.toml: claim 'mine'" in err
    assert len(err.strip().splitlines()) == 1
    with pytest.raises(CatalogError):
        api.check_claims(file=path, samples=10)


def test_cli_check_table_explain_and_unknown_id(cli: CliRun) -> None:
    code, out, _ = cli(["check", "s001-s1-cost", "--samples", "300", "--lang", "es"])
    assert code == 0 and "coherente" in out
    code, out, _ = cli(["check", "--explain", "s000-deepseek-v3-training-energy", "--samples", "300"])
    assert code == 0 and "physical floor" in out and "inconsistent" in out
    assert "As stated: inconsistent" in out and "10,700 MWh, reading '10.7000' as thousands: too high" in out
    code, _, err = cli(["check", "s001-nope"])
    assert code == 2 and "unknown claim 's001-nope'" in err


def test_report_has_the_student_claims(cli: CliRun, tmp_path: Path) -> None:
    code, _, err = cli(["report", "--samples", "300", "--out", str(tmp_path)])
    assert code == 0, err
    md = (tmp_path / "report.md").read_text()
    assert "Cost claims judged against the evidence" in md and "s000-deepseek-v3-training-energy" in md
    doc = json.loads((tmp_path / "report.json").read_text())
    assert all(c["source"]["document"].startswith("000") for c in doc["table"]["claims"])


# --- Words at render time: results carry codes and values, report/claims.py chooses the words ---


def test_check_json_is_the_same_document_in_every_language(cli: CliRun) -> None:
    docs = {}
    for lang in LANGS:
        code, out, err = cli(["check", "--json", "--samples", "300", "--lang", lang])
        assert code == 0, err
        docs[lang] = json.loads(out)
    assert len(docs["en"]) >= 30 and docs["en"] == docs["es"]


def _phrases(node: Any) -> Iterator[dict[str, Any]]:
    """Every phrase (a {code, values} object) anywhere in a JSON document."""
    if isinstance(node, dict):
        if set(node) == {"code", "values"}:
            yield node
        for value in node.values():
            yield from _phrases(value)
    elif isinstance(node, list):
        for value in node:
            yield from _phrases(value)


def _fields(message: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(message) if name}


def test_every_code_has_english_and_spanish_words(judged: dict[str, api.ClaimResult]) -> None:
    codes = set(get_args(TrailCode))
    used = {p["code"] for r in judged.values() for p in _phrases(r.model_dump(mode="json"))}
    assert used and used <= codes
    for lang in LANGS:
        for code in codes:
            assert f"trail.{code}" in messages(lang), (lang, code)
            assert _fields(messages(lang)[f"trail.{code}"]) == _fields(messages("en")[f"trail.{code}"]), code
        for key in (
            *(f"verdict.{v}" for v in get_args(Verdict)),
            *(f"check.basis.{b}" for b in get_args(Basis)),
            *(f"check.bound.{b}" for b in get_args(Bound)),
        ):
            assert key in messages(lang), (lang, key)
        for r in judged.values():  # every phrase of every seed claim renders in both languages
            lines = [*claims_fmt.trail(r, lang), claims_fmt.verdict_text(r, lang)]
            lines += [claims_fmt.phrase(x.label, lang) for x in r.readings]
            lines += [line for x in r.readings for line in claims_fmt.trail(x, lang)]
            assert all(line.strip() for line in lines)


def test_no_words_in_the_result(judged: dict[str, api.ClaimResult]) -> None:
    doc = judged["s000-deepseek-v3-training-energy"].model_dump(mode="json")
    assert all(set(step) == {"code", "values"} for step in doc["reasoning"])
    floor = next(s for s in doc["reasoning"] if s["code"] == "floor")
    assert floor["values"]["fraction"] == 0.15 and isinstance(floor["values"]["mwh"], float)
    assert doc["evidence"]["what"] == {"code": "what_energy", "values": {}}
    assert doc["claimed"]["stated"] == {"value": 10.7, "low": None, "high": None, "unit": "MWh"}


def test_spanish_explanation(judged: dict[str, api.ClaimResult]) -> None:
    console = Console(width=200, record=True, color_system=None)
    claims_fmt.print_explanation(console, judged["s000-deepseek-v3-training-energy"], "es")
    text = console.export_text()
    for words in (
        "El entrenamiento de DeepSeek-V3 consumió",
        "Tal como se afirma: incoherente",
        "horas de GPU",
        "mínimo físico: 2.79e+06 horas de GPU x TDP x 0.15 = 293 MWh",
        "energía de la instalación según costlm",
        "10.700 MWh, leyendo '10.7000' como miles: demasiado alto",
        "evidencia (estimación de costlm)",
        "afirmado 10.7-10.7 MWh (puntual) -> incoherente, 0.00",
        "veces la evidencia",
    ):
        assert words in text, words
    assert "physical floor" not in text and "As stated" not in text and "(point)" not in text


def test_spanish_table_cells(judged: dict[str, api.ClaimResult]) -> None:
    r = judged["s000-deepseek-v3-training-days"]
    assert claims_fmt.claimed_text(r, "en") == "60 days" and claims_fmt.claimed_text(r, "es") == "60 días"
    assert claims_fmt.evidence_text(r, "es").endswith("días [aritmética sobre cifras oficiales]")
    assert claims_fmt.factor_text(r, "es") == claims_fmt.factor_text(r, "en").replace(".", ",")


def test_cannot_estimate_speaks_the_readers_language(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text(
        USER_CLAIM.replace('subject = "llama-2-70b"', 'subject = "deepseek-v2"')
        .replace('quantity = "training_days"', 'quantity = "training_cost_usd"')
        .replace('unit = "days"', 'unit = "USD"')
        .replace("context = { n_gpus = 2048 }\n", "")
    )
    [r] = api.check_claims(file=path, samples=100)
    [step] = r.reasoning
    assert step.code == "cannot_estimate" and step.values["error"] == "train_model_no_facts"
    assert claims_fmt.phrase(step, "en").startswith(
        "no estimate possible: model 'deepseek-v2' has no training facts in the catalog"
    )
    assert claims_fmt.phrase(step, "es").startswith(
        "no es posible estimar: el modelo 'deepseek-v2' no tiene datos de entrenamiento en el catálogo"
    )
