"""Judge cost claims: compare each claimed number with the evidence and derive a verdict.

No verdict is typed in by hand: it is always the output of ``compare`` on the claim and the
evidence that the catalog and the estimators give today, so changing a catalog figure or a
prior can change it. Ambiguous claims are evaluated under each reading.

Verdicts: ``consistent`` (the claim overlaps the evidence's 90% interval), ``too_high``,
``too_low``, ``inconsistent`` (below a physical floor, e.g. less energy than the GPUs draw),
``unverifiable`` (no official figure and no estimate possible).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict

from costlm.analyses.claim_evidence import DEEPSEEK_V2_KV_BITS, EVALUATORS, Ask, Evidence, Finding
from costlm.catalog.load import claims_from_file
from costlm.catalog.schema import Catalog, Claim, ClaimOrigin
from costlm.errors import CostlmError, UnknownIdError
from costlm.i18n import t
from costlm.units import format_si

Verdict = Literal["consistent", "too_high", "too_low", "inconsistent", "unverifiable"]
_TO_CANONICAL = {"minutes": 1 / 1440, "hours": 1 / 24}


class Claimed(BaseModel):
    """The claimed number as stated, and as a low..high interval in the evidence's unit."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    bound: str
    value: float | None
    low: float
    high: float
    unit: str
    stated: str


class ReadingResult(BaseModel):
    """One reading of a claim: what it was compared with, the verdict and the trail."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    label: str
    quantity: str
    scope: str
    claimed: Claimed
    evidence: Evidence | None
    verdict: Verdict
    factor: float | None
    reasoning: list[str]


class ClaimResult(BaseModel):
    """A judged claim: the verdict of its stated reading, and of every other reading."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    subject: str
    quantity: str
    scope: str
    paraphrase: str
    claimed: Claimed
    evidence: Evidence | None
    verdict: Verdict
    factor: float | None
    holds_as: str | None
    reasoning: list[str]
    readings: list[ReadingResult]
    source: ClaimOrigin


def _claimed(claim: Claim, scale: float) -> Claimed:
    k = _TO_CANONICAL.get(claim.unit, 1.0) * scale
    low = (claim.low if claim.low is not None else claim.value) or 0.0
    high = (claim.high if claim.high is not None else claim.value) or 0.0
    unit = "days" if claim.unit in _TO_CANONICAL else claim.unit
    number = (
        format_si(claim.value)
        if claim.value is not None
        else f"{format_si(claim.low or 0)}-{format_si(claim.high or 0)}"
    )
    prefix = {"at_least": ">= ", "at_most": "<= "}.get(claim.bound, "")
    stated = f"{prefix}{number} {claim.unit}" + (f" (read x{scale:g})" if scale != 1 else "")
    return Claimed(bound=claim.bound, value=claim.value, low=low * k, high=high * k, unit=unit, stated=stated)


def compare(c: Claimed, finding: Finding) -> tuple[Verdict, float | None]:  # noqa: PLR0911 (one return per verdict rule)
    """The verdict of a claimed interval against the evidence's 90% interval (and physical floor)."""
    ev = finding.evidence
    factor = ((c.low * c.high) ** 0.5) / ev.p50 if ev is not None and ev.p50 > 0 else None
    if finding.floor is not None and c.high < finding.floor:
        return "inconsistent", factor
    if ev is None:
        return "unverifiable", None
    if c.bound == "at_least":
        return ("consistent" if ev.p95 >= c.low else "too_high"), factor
    if c.bound == "at_most":
        return ("consistent" if ev.p05 <= c.high else "too_low"), factor
    if c.high < ev.p05:
        return "too_low", factor
    if c.low > ev.p95:
        return "too_high", factor
    return "consistent", factor


def _evaluate(claim: Claim, reading: tuple[str, str, str, float], ask: Ask, cat: Catalog) -> ReadingResult:
    label, quantity, scope, scale = reading
    ask = Ask(
        claim=claim.model_copy(update={"quantity": quantity}),
        quantity=quantity,
        scope=scope,
        samples=ask.samples,
        seed=ask.seed,
        lang=ask.lang,
    )
    try:
        finding = EVALUATORS[quantity](cat, ask)
    except CostlmError as exc:  # e.g. a claim about a model with no training facts: nothing to compare
        finding = Finding(None, [t("trail.cannot_estimate", ask.lang, reason=str(exc))])
    claimed = _claimed(claim, scale)
    verdict, factor = compare(claimed, finding)
    trail = [line for line in finding.reasoning if line]
    if finding.evidence is not None:
        ev = finding.evidence
        trail.append(
            t(
                "trail.evidence",
                ask.lang,
                basis=ev.basis,
                what=ev.what,
                low=f"{ev.p05:.4g}",
                high=f"{ev.p95:.4g}",
                unit=ev.unit,
                p50=f"{ev.p50:.4g}",
            )
        )
    line = t(
        "trail.claimed",
        ask.lang,
        low=f"{claimed.low:.4g}",
        high=f"{claimed.high:.4g}",
        unit=claimed.unit,
        bound=claimed.bound,
        verdict=t("verdict." + verdict, ask.lang),
    )
    trail.append(line + (t("trail.factor", ask.lang, factor=f"{factor:.3g}") if factor else ""))
    return ReadingResult(
        label=label,
        quantity=quantity,
        scope=scope,
        claimed=claimed,
        evidence=finding.evidence,
        verdict=verdict,
        factor=factor,
        reasoning=trail,
    )


def _readings(claim: Claim, lang: str) -> list[tuple[str, str, str, float, Claim]]:
    """(label, quantity, scope, scale, claim) for each reading; the stated one first."""
    stated = ("as stated" if lang == "en" else "tal como se afirma", claim.quantity, claim.scope, 1.0, claim)
    others = [
        (
            r.label_en if lang == "en" else r.label_es,
            r.quantity or claim.quantity,
            r.scope or claim.scope,
            r.scale,
            claim,
        )
        for r in claim.readings
    ]
    if claim.quantity == "kv_cache_reduction" and claim.context.kv_bits is None:
        label = (
            f"KV cache at {DEEPSEEK_V2_KV_BITS:g} bits vs the baseline in bf16"
            if lang == "en"
            else f"caché KV a {DEEPSEEK_V2_KV_BITS:g} bits frente a la base en bf16"
        )
        quantized = claim.model_copy(
            update={"context": claim.context.model_copy(update={"kv_bits": DEEPSEEK_V2_KV_BITS})}
        )
        others.append((label, claim.quantity, claim.scope, 1.0, quantized))
    return [stated, *others]


def judge(claim: Claim, cat: Catalog, *, samples: int, seed: int | None, lang: str = "en") -> ClaimResult:
    """Judge ``claim`` under every reading; the verdict is the stated reading's."""
    base = Ask(claim=claim, quantity=claim.quantity, scope=claim.scope, samples=samples, seed=seed, lang=lang)
    results = [_evaluate(c, (label, q, s, k), base, cat) for label, q, s, k, c in _readings(claim, lang)]
    main = results[0]
    holds = (
        next((r.label for r in results[1:] if r.verdict == "consistent"), None)
        if main.verdict != "consistent"
        else None
    )
    return ClaimResult(
        id=claim.id,
        subject=claim.subject,
        quantity=claim.quantity,
        scope=claim.scope,
        paraphrase=claim.paraphrase_en if lang == "en" else claim.paraphrase_es,
        claimed=main.claimed,
        evidence=main.evidence,
        verdict=main.verdict,
        factor=main.factor,
        holds_as=holds,
        reasoning=main.reasoning,
        readings=results[1:],
        source=claim.origin,
    )


def select_claims(cat: Catalog, ids: list[str], file: str | Path | None) -> list[Claim]:
    """The bundled claims (or a user's claims file), optionally filtered by id."""
    pool = claims_from_file(cat, file) if file is not None else list(cat.claims.values())
    if not ids:
        return pool
    by_id = {c.id: c for c in pool}
    missing = [i for i in ids if i not in by_id]
    if missing:
        raise UnknownIdError("claim", missing[0], list(by_id))
    return [by_id[i] for i in ids]
