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

from costlm.analyses.claim_evidence import DEEPSEEK_V2_KV_BITS, EVALUATORS, Ask, Evidence, Finding, Phrase
from costlm.catalog.load import claims_from_file
from costlm.catalog.schema import Catalog, Claim, ClaimOrigin
from costlm.errors import CostlmError, UnknownIdError

Verdict = Literal["consistent", "too_high", "too_low", "inconsistent", "unverifiable"]
Bound = Literal["point", "range", "at_least", "at_most"]
_TO_CANONICAL = {"minutes": 1 / 1440, "hours": 1 / 24}


class Stated(BaseModel):
    """The claimed number exactly as the claim states it, in its own unit (minutes, days...)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    value: float | None
    low: float | None
    high: float | None
    unit: str


class Claimed(BaseModel):
    """The claimed number as a low..high interval in the evidence's unit, and as stated.

    ``scale`` is the reading's factor (a reading may scale the number, e.g. x1000).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    bound: Bound
    low: float
    high: float
    unit: str
    scale: float
    stated: Stated


class ReadingResult(BaseModel):
    """One reading of a claim: what it was compared with, the verdict and the reasoning steps."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    label: Phrase
    quantity: str
    scope: str
    claimed: Claimed
    evidence: Evidence | None
    verdict: Verdict
    factor: float | None
    reasoning: list[Phrase]


class ClaimResult(BaseModel):
    """A judged claim: the verdict of its stated reading, and of every other reading.

    Codes and values only, the same in every language: ``reasoning`` and the labels are
    ``Phrase`` records; the catalog's paraphrases come in both languages.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    subject: str
    quantity: str
    scope: str
    paraphrase_en: str
    paraphrase_es: str
    claimed: Claimed
    evidence: Evidence | None
    verdict: Verdict
    factor: float | None
    holds_as: Phrase | None
    reasoning: list[Phrase]
    readings: list[ReadingResult]
    source: ClaimOrigin


def _claimed(claim: Claim, scale: float) -> Claimed:
    k = _TO_CANONICAL.get(claim.unit, 1.0) * scale
    low = (claim.low if claim.low is not None else claim.value) or 0.0
    high = (claim.high if claim.high is not None else claim.value) or 0.0
    unit = "days" if claim.unit in _TO_CANONICAL else claim.unit
    stated = Stated(value=claim.value, low=claim.low, high=claim.high, unit=claim.unit)
    return Claimed(bound=claim.bound, low=low * k, high=high * k, unit=unit, scale=scale, stated=stated)


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


def _evaluate(claim: Claim, reading: tuple[Phrase, str, str, float], ask: Ask, cat: Catalog) -> ReadingResult:
    label, quantity, scope, scale = reading
    ask = Ask(
        claim=claim.model_copy(update={"quantity": quantity}),
        quantity=quantity,
        scope=scope,
        samples=ask.samples,
        seed=ask.seed,
    )
    try:
        finding = EVALUATORS[quantity](cat, ask)
    except CostlmError as exc:  # e.g. a claim about a model with no training facts: nothing to compare
        finding = Finding(None, [_cannot_estimate(exc)])
    claimed = _claimed(claim, scale)
    verdict, factor = compare(claimed, finding)
    return ReadingResult(
        label=label,
        quantity=quantity,
        scope=scope,
        claimed=claimed,
        evidence=finding.evidence,
        verdict=verdict,
        factor=factor,
        reasoning=finding.reasoning,
    )


def _cannot_estimate(exc: CostlmError) -> Phrase:
    """The error's English message, plus its i18n key and values when it has them."""
    error = {"error": exc.key} if exc.key is not None else {}
    values = {f"error_{k}": v for k, v in exc.values.items() if exc.key and isinstance(v, str | int | float)}
    return Phrase(code="cannot_estimate", values={"reason": str(exc), **error, **values})


def _readings(claim: Claim) -> list[tuple[Phrase, str, str, float, Claim]]:
    """(label, quantity, scope, scale, claim) for each reading; the stated one first."""
    stated = (Phrase(code="reading_as_stated"), claim.quantity, claim.scope, 1.0, claim)
    others = [
        (
            Phrase(code="reading_label", values={"label_en": r.label_en, "label_es": r.label_es}),
            r.quantity or claim.quantity,
            r.scope or claim.scope,
            r.scale,
            claim,
        )
        for r in claim.readings
    ]
    if claim.quantity == "kv_cache_reduction" and claim.context.kv_bits is None:
        label = Phrase(code="reading_kv_bits", values={"bits": DEEPSEEK_V2_KV_BITS})
        quantized = claim.model_copy(
            update={"context": claim.context.model_copy(update={"kv_bits": DEEPSEEK_V2_KV_BITS})}
        )
        others.append((label, claim.quantity, claim.scope, 1.0, quantized))
    return [stated, *others]


def judge(claim: Claim, cat: Catalog, *, samples: int, seed: int | None) -> ClaimResult:
    """Judge ``claim`` under every reading; the verdict is the stated reading's."""
    base = Ask(claim=claim, quantity=claim.quantity, scope=claim.scope, samples=samples, seed=seed)
    results = [_evaluate(c, (label, q, s, k), base, cat) for label, q, s, k, c in _readings(claim)]
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
        paraphrase_en=claim.paraphrase_en,
        paraphrase_es=claim.paraphrase_es,
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
