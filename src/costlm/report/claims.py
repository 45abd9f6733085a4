"""Judged claims in words: a Rich table, an explanation trail, and a Markdown section.

A ``ClaimResult`` carries codes and values only; every word is chosen here, at render time:
a phrase's code ``c`` is the i18n key ``trail.c``, formatted with its values, where catalog text
given in both languages (``label_en``/``label_es``) is read as ``label`` in the reader's language.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from costlm.api import ClaimResult
from costlm.i18n import messages, t
from costlm.report.fmt import number, unit_label
from costlm.units import format_si

_VERDICT_STYLE = {
    "consistent": "green",
    "too_high": "red",
    "too_low": "red",
    "inconsistent": "bold red",
    "unverifiable": "yellow",
}
_BOUND_PREFIX = {"at_least": ">= ", "at_most": "<= "}


class _Phrase(Protocol):
    @property
    def code(self) -> str: ...
    @property
    def values(self) -> Mapping[str, object]: ...


class _Claimed(Protocol):
    @property
    def bound(self) -> str: ...
    @property
    def low(self) -> float: ...
    @property
    def high(self) -> float: ...
    @property
    def unit(self) -> str: ...


class _Evidence(Protocol):
    @property
    def p05(self) -> float: ...
    @property
    def p50(self) -> float: ...
    @property
    def p95(self) -> float: ...
    @property
    def unit(self) -> str: ...
    @property
    def basis(self) -> str: ...
    @property
    def what(self) -> _Phrase: ...


class _Judged(Protocol):
    """A claim's stated reading (the ``ClaimResult`` itself) or one of its other readings."""

    @property
    def claimed(self) -> _Claimed: ...
    @property
    def evidence(self) -> _Evidence | None: ...
    @property
    def verdict(self) -> str: ...
    @property
    def factor(self) -> float | None: ...
    @property
    def reasoning(self) -> Sequence[_Phrase]: ...


def phrase(p: _Phrase, lang: str) -> str:
    """A phrase in ``lang``: the message ``trail.<code>`` formatted with the phrase's values."""
    values = dict(p.values)
    suffix = f"_{lang}"
    values.update({k.removesuffix(suffix): v for k, v in p.values.items() if k.endswith(suffix)})
    fleet = values.get("fleet")
    if isinstance(fleet, list):
        values["fleet"] = " + ".join(f"{part.n_gpus:,} x {part.gpu}" for part in fleet)
    if p.code == "cannot_estimate":
        values["reason"] = _error(values, lang)
    facets = values.get("facets")
    if isinstance(facets, str):
        values["facets"] = facets_text(facets.split(", "), lang)
    return t("trail." + p.code, lang, **values)


def facets_text(facets: Sequence[str], lang: str) -> str:
    """Decisive facets ('hardware', 'n_gpus', 'compute') in words: 'GPU type, GPU count'."""
    return ", ".join(t("facet." + f, lang) for f in facets)


def _error(values: Mapping[str, object], lang: str) -> object:
    """An error's message in ``lang`` when the catalog has its key (``err.<key>``), else its English."""
    key = f"err.{values.get('error')}"
    if lang == "en" or key not in messages(lang):
        return values["reason"]
    error_values = {k.removeprefix("error_"): v for k, v in values.items() if k.startswith("error_")}
    try:
        return t(key, lang, **error_values)
    except (KeyError, IndexError, ValueError):
        return values["reason"]


def paraphrase(r: ClaimResult, lang: str) -> str:
    """The catalog's neutral paraphrase of the claim in ``lang``."""
    return r.paraphrase_es if lang == "es" else r.paraphrase_en


def trail(r: _Judged, lang: str) -> list[str]:
    """The reasoning of one reading in ``lang``: its steps, the evidence, the claim and the verdict."""
    lines = [phrase(step, lang) for step in r.reasoning]
    ev, c = r.evidence, r.claimed
    if ev is not None:
        what, unit = phrase(ev.what, lang), unit_label(ev.unit, lang)
        lines.append(
            t(
                "trail.evidence",
                lang,
                basis=basis_text(ev.basis, lang),
                what=what,
                low=ev.p05,
                high=ev.p95,
                unit=unit,
                p50=ev.p50,
            )
        )
    verdict, bound = t("verdict." + r.verdict, lang), t("check.bound." + c.bound, lang)
    unit = unit_label(c.unit, lang)
    line = t("trail.claimed", lang, low=c.low, high=c.high, unit=unit, bound=bound, verdict=verdict)
    return [*lines, line + (t("trail.factor", lang, factor=r.factor) if r.factor else "")]


def basis_text(basis: str, lang: str) -> str:
    """Where the evidence comes from, in ``lang`` (reported, derived, exact, costlm-estimate)."""
    return t("check.basis." + basis, lang)


def claimed_text(r: ClaimResult, lang: str) -> str:
    """The claim as stated (its own unit), e.g. '<= 30 minutes'."""
    s = r.claimed.stated
    number_text = (
        format_si(s.value) if s.value is not None else f"{format_si(s.low or 0)}-{format_si(s.high or 0)}"
    )
    text = f"{_BOUND_PREFIX.get(r.claimed.bound, '')}{number_text}"
    text = text.replace(",", "\u2009").replace(".", ",") if lang == "es" else text
    return f"{text} {unit_label(s.unit, lang)}"


def factor_text(r: ClaimResult, lang: str) -> str:
    """Claimed / evidence p50, e.g. '0.13×' ('0,13×' in Spanish); empty when there is none."""
    if not r.factor:
        return ""
    text = f"{r.factor:.2g}×"
    return text.replace(".", ",") if lang == "es" else text


def evidence_text(r: ClaimResult, lang: str) -> str:
    """The evidence's 90% interval and basis, and the wider interval compared when its tolerance
    widened it (``costlm.analyses.claims.window``)."""
    ev = r.evidence
    if ev is None:
        return t("cell.na", lang)
    unit = "" if ev.unit == "USD" else f" {unit_label(ev.unit, lang)}"
    basis = basis_text(ev.basis, lang)
    text = f"{number(ev.p05, ev.unit, lang)}–{number(ev.p95, ev.unit, lang)}{unit} [{basis}]"
    if ev.at_least:
        text = f"≥ {number(ev.p50, ev.unit, lang)}{unit} [{basis}]"
    w = r.window
    if w is not None and (w.evidence_low < ev.p05 or w.evidence_high > ev.p95):
        low, high = number(w.evidence_low, ev.unit, lang), number(w.evidence_high, ev.unit, lang)
        text += "; " + t("check.window", lang, low=low, high=high)
    return text


def verdict_text(r: ClaimResult, lang: str) -> str:
    """The verdict, its basis (or the costlm assumption it rests on) and a reading that holds."""
    text = t("verdict." + r.verdict, lang)
    if r.assumed:
        text += " · " + t("verdict.assumed", lang, facets=facets_text(r.assumed, lang))
    elif r.basis is not None:
        text += " · " + t("verdict.basis", lang, basis=basis_text(r.basis, lang))
    if r.holds_as:
        text += " · " + t("verdict.holds_as", lang, reading=phrase(r.holds_as, lang))
    return text


WIDE_CHECK_TABLE = 110
"""From this terminal width the claims table has five columns; below, claimed and evidence share a
column, and so do verdict and factor, so that claim ids stay whole at 80 columns."""


def print_claims(console: Console, results: list[ClaimResult], lang: str) -> None:
    """The judged claims as a table: ids never wrapped, the paraphrase under the id."""
    wide = console.width >= WIDE_CHECK_TABLE
    table = Table(title=t("check.title", lang), show_lines=True)
    id_width = max([len(t("check.claim", lang)), *(len(r.id) for r in results)])
    if wide:  # ids fit whole: the claim column is at least as wide as the longest id
        table.add_column(t("check.claim", lang), min_width=id_width, ratio=2, overflow="fold")
    else:
        table.add_column(t("check.claim", lang), width=id_width, overflow="fold")
    if wide:
        for key in ("check.claimed", "check.evidence", "check.verdict", "check.factor"):
            table.add_column(t(key, lang), overflow="fold")
    else:
        table.add_column(f"{t('check.claimed', lang)} / {t('check.evidence', lang)}", overflow="fold")
        table.add_column(t("check.verdict", lang), overflow="fold")
    for r in results:
        style = _VERDICT_STYLE[r.verdict]
        claim = f"{escape(r.id)}\n{escape(paraphrase(r, lang))}"
        verdict = f"[{style}]{escape(verdict_text(r, lang))}[/{style}]"
        claimed, evidence, factor = (escape(f(r, lang)) for f in (claimed_text, evidence_text, factor_text))
        if wide:
            table.add_row(claim, claimed, evidence, verdict, factor)
        else:
            table.add_row(claim, f"{claimed}\n{evidence}", f"{verdict}\n{factor}")
    console.print(table)
    console.print(t("check.explain_hint", lang))


def print_explanation(console: Console, r: ClaimResult, lang: str) -> None:
    console.print(f"[bold]{r.id}[/bold] — {paraphrase(r, lang)}", soft_wrap=True)
    console.print(f"{r.source.document} · {r.source.publisher} · {r.source.date}", soft_wrap=True)
    stated = (t("trail.reading_as_stated", lang), r.verdict, trail(r, lang))
    others = [(phrase(x.label, lang), x.verdict, trail(x, lang)) for x in r.readings]
    for label, verdict, lines in [stated, *others]:
        console.print(f"\n[bold]{label}[/bold]: {t('verdict.' + verdict, lang)}", soft_wrap=True)
        for line in lines:
            console.print(f"  - {line}", soft_wrap=True, markup=False)


def markdown(results: list[ClaimResult], lang: str) -> str:
    head = [
        t(k, lang)
        for k in ("check.claim", "check.claimed", "check.evidence", "check.verdict", "check.factor")
    ]
    lines = [f"## {t('check.title', lang)}", "", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in results:
        cells = [
            f"{paraphrase(r, lang)} (`{r.id}`)",
            claimed_text(r, lang),
            evidence_text(r, lang),
            verdict_text(r, lang),
            factor_text(r, lang),
        ]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines) + "\n"
