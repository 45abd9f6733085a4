"""Judged claims as a Rich table, an explanation trail, and a Markdown section."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from costlm.api import ClaimResult
from costlm.i18n import t
from costlm.report.fmt import number, unit_label

_VERDICT_STYLE = {
    "consistent": "green",
    "too_high": "red",
    "too_low": "red",
    "inconsistent": "bold red",
    "unverifiable": "yellow",
}


def claimed_text(r: ClaimResult, lang: str) -> str:
    """The claim as stated (its own unit), e.g. '<= 30 minutes'."""
    text = r.claimed.stated
    return text.replace(",", "\u2009").replace(".", ",") if lang == "es" else text


def evidence_text(r: ClaimResult, lang: str) -> str:
    ev = r.evidence
    if ev is None:
        return t("cell.na", lang)
    unit = "" if ev.unit == "USD" else f" {unit_label(ev.unit, lang)}"
    return f"{number(ev.p05, ev.unit, lang)}–{number(ev.p95, ev.unit, lang)}{unit} [{ev.basis}]"


def verdict_text(r: ClaimResult, lang: str) -> str:
    text = t("verdict." + r.verdict, lang)
    if r.holds_as:
        text += " · " + t("verdict.holds_as", lang, reading=r.holds_as)
    return text


def print_claims(console: Console, results: list[ClaimResult], lang: str) -> None:
    table = Table(title=t("check.title", lang), show_lines=True)
    for key in ("check.claim", "check.claimed", "check.evidence", "check.verdict", "check.factor"):
        table.add_column(t(key, lang), overflow="fold")
    for r in results:
        style = _VERDICT_STYLE[r.verdict]
        factor = f"{r.factor:.2g}×" if r.factor else ""
        table.add_row(
            f"{r.id}\n{r.paraphrase}",
            claimed_text(r, lang),
            evidence_text(r, lang),
            f"[{style}]{verdict_text(r, lang)}[/{style}]",
            factor,
        )
    console.print(table)
    console.print(t("check.explain_hint", lang))


def print_explanation(console: Console, r: ClaimResult, lang: str) -> None:
    console.print(f"[bold]{r.id}[/bold] — {r.paraphrase}", soft_wrap=True)
    console.print(f"{r.source.document} · {r.source.publisher} · {r.source.date}", soft_wrap=True)
    for reading in [None, *r.readings]:
        label = t("check.as_stated", lang) if reading is None else reading.label
        verdict = r.verdict if reading is None else reading.verdict
        trail = r.reasoning if reading is None else reading.reasoning
        console.print(f"\n[bold]{label}[/bold]: {t('verdict.' + verdict, lang)}", soft_wrap=True)
        for line in trail:
            console.print(f"  - {line}", soft_wrap=True, markup=False)


def markdown(results: list[ClaimResult], lang: str) -> str:
    head = [
        t(k, lang)
        for k in ("check.claim", "check.claimed", "check.evidence", "check.verdict", "check.factor")
    ]
    lines = [f"## {t('check.title', lang)}", "", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in results:
        cells = [
            f"{r.paraphrase} (`{r.id}`)",
            claimed_text(r, lang),
            evidence_text(r, lang),
            verdict_text(r, lang),
            f"{r.factor:.2g}×" if r.factor else "",
        ]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines) + "\n"
