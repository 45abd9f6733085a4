"""Judge cost claims: compare each claimed number with the evidence and derive a verdict.

No verdict is typed in by hand: it is always the output of ``compare`` on the claim and the
evidence that the catalog and the estimators give today, so changing a catalog figure or a
prior can change it. Ambiguous claims are evaluated under each reading.

Verdicts: ``consistent`` (the claim overlaps the evidence's 90% interval, widened by the
tolerance rule below), ``too_high``, ``too_low``, ``inconsistent`` (below a physical floor, e.g.
less energy than the GPUs draw), ``unverifiable`` (no evidence, or evidence whose decisive input
rests only on costlm's own assumption: ``Finding.assumed``).

Three rules keep a verdict no more certain than its evidence (docs/claims.md has the numbers):

- **No circular evidence**: the claim's own ``context`` (the other figures its source states,
  e.g. the student's GPU count beside the student's days) is never evidence for the main verdict;
  only ``PREMISE_CONTEXT`` keys (what the question is about: a fleet, a baseline model) are. The
  rest is judged in one explicitly labelled reading, which never becomes ``holds_as``.
- **Tolerance**: the evidence interval spans at least ``EVIDENCE_TOLERANCE[basis]`` either side
  of its p50; an approximate claim ("about", "unos", "~") spans ``APPROXIMATE_TOLERANCE``.
- **Basis**: every verdict carries the basis of the evidence that decided it.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict

from costlm.analyses.claim_evidence import (
    DEEPSEEK_V2_KV_BITS,
    EVALUATORS,
    POINT_TOLERANCE,
    Ask,
    Basis,
    Evidence,
    Finding,
    Phrase,
)
from costlm.catalog.load import claims_from_file, claims_from_text
from costlm.catalog.schema import Catalog, Claim, ClaimContext, ClaimOrigin
from costlm.errors import CostlmError, UnknownIdError

Verdict = Literal["consistent", "too_high", "too_low", "inconsistent", "unverifiable"]
Bound = Literal["point", "range", "at_least", "at_most"]
_TO_CANONICAL = {"minutes": 1 / 1440, "hours": 1 / 24}

THIRD_PARTY_TOLERANCE = 1.25
"""Third-party evidence (approximate counts such as SemiAnalysis's '~25,000 A100', reconstructions)
spans at least p50 / 1.25 .. p50 x 1.25."""
EVIDENCE_TOLERANCE: dict[str, float] = {
    "reported": POINT_TOLERANCE,
    "derived": POINT_TOLERANCE,
    "exact": 1.0,
    "third-party": THIRD_PARTY_TOLERANCE,
    "costlm-estimate": POINT_TOLERANCE,
}
"""The least half-width (as a factor) of the evidence interval, by basis; a wider p05..p95 stays."""
APPROXIMATE_TOLERANCE = 1.25
"""An approximate claim ('about 200 million') covers value / 1.25 .. value x 1.25: a number rounded
to one significant figure, like 2 for 1.5-2.5, is within 25% of what it rounds."""
APPROXIMATE_WORDS = re.compile(
    r"~|\b(about|roughly|around|approximately|aprox\.?|aproximadamente|unos|unas|alrededor de|cerca de"
    r"|más o menos)(?=\W|$)",
    re.IGNORECASE,
)
"""Words that make a quoted number approximate (English and Spanish), unless ``precision`` is set."""
PREMISE_CONTEXT: dict[str, frozenset[str]] = {
    "inference_usd_per_year": frozenset({"gpu"}),
}
"""Context keys that define the question rather than state a figure: always used. ``fleet``,
``baseline_model`` and ``kv_bits`` are premises of every quantity; the rest (``gpu``, ``n_gpus``,
``days``, ``usd_per_gpu_hour``) are the claim's own figures, used only in the own-context reading."""
_ALWAYS_PREMISE = frozenset({"fleet", "baseline_model", "kv_bits"})


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
    approximate: bool
    stated: Stated


class Window(BaseModel):
    """The intervals actually compared: the evidence and the claim, each widened by its tolerance."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    evidence_low: float
    evidence_high: float
    claim_low: float
    claim_high: float


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
    basis: Basis | None
    assumed: list[str]
    window: Window | None
    own_context: bool
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
    basis: Basis | None
    assumed: list[str]
    window: Window | None
    holds_as: Phrase | None
    reasoning: list[Phrase]
    readings: list[ReadingResult]
    source: ClaimOrigin


def approximate(claim: Claim) -> bool:
    """Whether the claim states its number approximately: its ``precision``, else its quote's words."""
    if claim.precision is not None:
        return claim.precision == "approximate"
    return bool(claim.quote_es and APPROXIMATE_WORDS.search(claim.quote_es))


def _claimed(claim: Claim, scale: float) -> Claimed:
    k = _TO_CANONICAL.get(claim.unit, 1.0) * scale
    low = (claim.low if claim.low is not None else claim.value) or 0.0
    high = (claim.high if claim.high is not None else claim.value) or 0.0
    unit = "days" if claim.unit in _TO_CANONICAL else claim.unit
    stated = Stated(value=claim.value, low=claim.low, high=claim.high, unit=claim.unit)
    return Claimed(
        bound=claim.bound,
        low=low * k,
        high=high * k,
        unit=unit,
        scale=scale,
        approximate=approximate(claim),
        stated=stated,
    )


def window(c: Claimed, ev: Evidence) -> Window:
    """The evidence's 90% interval widened to its basis's tolerance, and the claim widened to
    ``APPROXIMATE_TOLERANCE`` when it is approximate."""
    f = EVIDENCE_TOLERANCE[ev.basis]
    g = APPROXIMATE_TOLERANCE if c.approximate else 1.0
    return Window(
        evidence_low=min(ev.p05, ev.p50 / f),
        evidence_high=max(ev.p95, ev.p50 * f),
        claim_low=c.low / g,
        claim_high=c.high * g,
    )


def compare(c: Claimed, finding: Finding) -> tuple[Verdict, float | None]:  # noqa: PLR0911 (one return per verdict rule)
    """The verdict of a claimed interval against the evidence's widened interval (and physical floor)."""
    ev = finding.evidence
    factor = ((c.low * c.high) ** 0.5) / ev.p50 if ev is not None and ev.p50 > 0 else None
    if finding.floor is not None and c.high < finding.floor:
        return "inconsistent", factor
    if ev is None or finding.assumed:
        return "unverifiable", None
    w = window(c, ev)
    if c.bound == "at_least":
        return ("consistent" if w.evidence_high >= w.claim_low else "too_high"), factor
    if c.bound == "at_most":
        return ("consistent" if w.evidence_low <= w.claim_high else "too_low"), factor
    if w.claim_high < w.evidence_low:
        return "too_low", factor
    if w.claim_low > w.evidence_high and not ev.at_least:  # above a floor is not too high
        return "too_high", factor
    return "consistent", factor


def premise(claim: Claim) -> Claim:
    """The claim with only the context that defines its question (``PREMISE_CONTEXT``)."""
    keep = _ALWAYS_PREMISE | PREMISE_CONTEXT.get(claim.quantity, frozenset())
    ctx = ClaimContext(**{k: getattr(claim.context, k) for k in keep})
    return claim.model_copy(update={"context": ctx})


def own_figures(claim: Claim) -> dict[str, object]:
    """The claim's own figures in its context: what only the own-context reading may use."""
    keep = _ALWAYS_PREMISE | PREMISE_CONTEXT.get(claim.quantity, frozenset())
    stated = claim.context.model_dump(exclude_defaults=True)
    return {k: v for k, v in stated.items() if k not in keep}


def _evaluate(
    claim: Claim, reading: tuple[Phrase, str, str, float, bool], ask: Ask, cat: Catalog
) -> ReadingResult:
    label, quantity, scope, scale, own = reading
    asked = claim.model_copy(update={"quantity": quantity})
    ask = Ask(
        claim=asked if own else premise(asked),
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
    ev = finding.evidence
    return ReadingResult(
        label=label,
        quantity=quantity,
        scope=scope,
        claimed=claimed,
        evidence=ev,
        verdict=verdict,
        factor=factor,
        basis=ev.basis if ev is not None else None,
        assumed=finding.assumed,
        window=window(claimed, ev) if ev is not None else None,
        own_context=own,
        reasoning=finding.reasoning,
    )


def _cannot_estimate(exc: CostlmError) -> Phrase:
    """The error's English message, plus its i18n key and values when it has them."""
    error = {"error": exc.key} if exc.key is not None else {}
    values = {f"error_{k}": v for k, v in exc.values.items() if exc.key and isinstance(v, str | int | float)}
    return Phrase(code="cannot_estimate", values={"reason": str(exc), **error, **values})


_Reading = tuple[Phrase, str, str, float, bool, Claim]


def _readings(claim: Claim) -> list[_Reading]:
    """(label, quantity, scope, scale, own-context, claim) for each reading; the stated one first."""
    stated = (Phrase(code="reading_as_stated"), claim.quantity, claim.scope, 1.0, False, claim)
    others: list[_Reading] = [
        (
            Phrase(code="reading_label", values={"label_en": r.label_en, "label_es": r.label_es}),
            r.quantity or claim.quantity,
            r.scope or claim.scope,
            r.scale,
            False,
            claim,
        )
        for r in claim.readings
    ]
    if claim.quantity == "kv_cache_reduction" and claim.context.kv_bits is None:
        label = Phrase(code="reading_kv_bits", values={"bits": DEEPSEEK_V2_KV_BITS})
        quantized = claim.model_copy(
            update={"context": claim.context.model_copy(update={"kv_bits": DEEPSEEK_V2_KV_BITS})}
        )
        others.append((label, claim.quantity, claim.scope, 1.0, False, quantized))
    figures = own_figures(claim)
    if figures:
        shown = ", ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in figures.items())
        label = Phrase(code="reading_own_context", values={"figures": shown})
        others.append((label, claim.quantity, claim.scope, 1.0, True, claim))
    return [stated, *others]


def judge(claim: Claim, cat: Catalog, *, samples: int, seed: int | None) -> ClaimResult:
    """Judge ``claim`` under every reading; the verdict is the stated reading's."""
    base = Ask(claim=claim, quantity=claim.quantity, scope=claim.scope, samples=samples, seed=seed)
    results = [_evaluate(c, (label, q, s, k, own), base, cat) for label, q, s, k, own, c in _readings(claim)]
    main = results[0]
    holds = (
        next((r.label for r in results[1:] if r.verdict == "consistent" and not r.own_context), None)
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
        basis=main.basis,
        assumed=main.assumed,
        window=main.window,
        holds_as=holds,
        reasoning=main.reasoning,
        readings=results[1:],
        source=claim.origin,
    )


def select_claims(
    cat: Catalog, ids: list[str], file: str | Path | None, text: str | None = None
) -> list[Claim]:
    """The bundled claims (or a user's claims file, or claims TOML text), optionally filtered by id."""
    if text is not None:
        pool = claims_from_text(cat, "pasted claims", text)
    elif file is not None:
        pool = claims_from_file(cat, file)
    else:
        pool = list(cat.claims.values())
    if not ids:
        return pool
    by_id = {c.id: c for c in pool}
    missing = [i for i in ids if i not in by_id]
    if missing:
        raise UnknownIdError("claim", missing[0], list(by_id))
    return [by_id[i] for i in ids]
