"""The cost levers of a result in words: what each lever is, the effect drawn beside what its
authors claimed and what was reproduced, and what the levers save against the same run without them."""

from __future__ import annotations

from collections.abc import Sequence

from costlm.api import LeverSaving, LeverUse
from costlm.catalog.schema import Sourced
from costlm.i18n import t
from costlm.report.fmt import localized, summary_range, unit_label

PERCENT = 100.0


def _sourced(record: Sourced, lang: str) -> str:
    low, high = record.bounds
    text = summary_range(record.central, low, high, lang=lang)
    return f"{text} ({record.source})"


def lever_lines(levers: Sequence[LeverUse], lang: str) -> list[str]:
    """One line per lever: its id, what it is, the drawn effect, the claim and the reproduction."""
    lines = []
    for lever in levers:
        parts = [f"{lever.id}: {t('lever.' + lever.id, lang)}"]
        for key, record in (
            ("factor", lever.factor),
            ("claimed", lever.claimed),
            ("reproduced", lever.reproduced),
        ):
            if record is not None:
                parts.append(f"{t('lever.' + key, lang)} {_sourced(record, lang)}")
        lines.append("; ".join(parts))
    return lines


def saving_lines(savings: Sequence[LeverSaving], lang: str) -> list[str]:
    """One line per output: the value without the levers and the share saved (p50, p05-p95)."""
    lines = []
    for s in savings:
        base = summary_range(s.baseline.p50, s.baseline.p05, s.baseline.p95, s.baseline.unit, lang)
        share = s.saving_share
        saved = localized(
            f"{share.p50 * PERCENT:.0f}% ({share.p05 * PERCENT:.0f}-{share.p95 * PERCENT:.0f}%)", lang
        )
        unit = "" if s.baseline.unit.startswith("USD") else " " + unit_label(s.baseline.unit, lang)
        without = f"{t('lever.without', lang)} {base}{unit}"
        lines.append(f"{t('out.' + s.output, lang)}: {without}; {t('lever.saving', lang)} {saved}")
    return lines
