"""The MFU prior that knows scale: evaluate the fitted ``[mfu_model]`` at a run's covariates.

One rule, used both by the fit (``costlm.analyses.mfu_fit``) and by every estimate:

* response: log10 of the MFU against the dense **bf16** peak. An fp8 run's MFU against its fp8
  peak is that times bf16 peak / fp8 peak (DeepSeek-V3 reached the same FLOP/s as the bf16 runs:
  34.6% of the H800 bf16 peak, 17% of its fp8 peak); a fitted ``factor_fp8`` may correct it.
* covariates, each a term only if the stored model has its factor: log10(active params / reference),
  log10(GPU count / reference), MoE (0/1), fp8 (0/1), and "generation:NAME" (0/1: a generation's
  own factor on the pooled centre). The reference point is the median of the fit
  data (stored as each covariate's ``value``).
* a covariate outside the fit data's ``low``..``high`` is clamped to it (``clamped``: the caller
  raises a caveat), and an unknown one (a run with no published GPU count, or ``--days`` solving
  for the GPU count) sits at the reference point (``assumed``).
* the 90% interval is p50 / interval_factor .. p50 x interval_factor (log-normal).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from costlm.catalog.schema import Accelerator, Dtype, MfuModel, Sourced
from costlm.resolve.rules import peak_flop_per_s

COVARIATES = ("active_params", "n_gpus", "moe", "fp8")
"""The model's possible terms (besides the intercept and the generation factors), in design order."""
GENERATION_TERM = "generation:"

MFU_FIT_SOURCE = "costlm-mfu-fit"


@dataclass(frozen=True)
class MfuCovariates:
    """What the MFU prior depends on; ``None`` means unknown (evaluated at the reference point)."""

    active_params: float | None
    n_gpus: float | None
    moe: bool
    fp8: bool
    generation: str = ""


@dataclass(frozen=True)
class MfuEstimate:
    """The prior's median and 90% interval (MFU against the request dtype's dense peak)."""

    p05: float
    p50: float
    p95: float
    clamped: tuple[str, ...]
    assumed: tuple[str, ...]

    def record(self, locator: str, note: str) -> Sourced:
        """The prior as a sourced range (no ``value``: the log-normal median is the geometric mean)."""
        return Sourced(
            low=self.p05, high=self.p95, source=MFU_FIT_SOURCE, locator=locator, basis="estimate", note=note
        )


def model_terms(model: MfuModel) -> tuple[str, ...]:
    """The covariates the stored model uses (those with a factor)."""
    names = tuple(name for name in COVARIATES if _factor(model, name) is not None)
    return names + tuple(GENERATION_TERM + g for g in sorted(model.factor_generation))


def _factor(model: MfuModel, name: str) -> Sourced | None:
    if name.startswith(GENERATION_TERM):
        return model.factor_generation.get(name.removeprefix(GENERATION_TERM))
    field = {"active_params": "factor_per_decade_active_params", "n_gpus": "factor_per_decade_n_gpus"}
    record: Sourced | None = getattr(model, field.get(name, f"factor_{name}"))
    return record


def design_row(
    terms: tuple[str, ...], reference: dict[str, Sourced], cov: MfuCovariates
) -> tuple[list[float], tuple[str, ...], tuple[str, ...]]:
    """[1, x_term...] for ``terms``, with the names of the clamped and the assumed covariates.

    ``reference`` maps "active_params" / "n_gpus" to a record with the reference value and the
    fit range (low..high)."""
    row, clamped, assumed = [1.0], [], []
    for name in terms:
        if name.startswith(GENERATION_TERM):
            row.append(1.0 if cov.generation == name.removeprefix(GENERATION_TERM) else 0.0)
            continue
        if name in ("moe", "fp8"):
            row.append(1.0 if getattr(cov, name) else 0.0)
            continue
        ref, given = reference[name], getattr(cov, name)
        assert ref.value is not None and ref.low is not None and ref.high is not None
        if given is None:
            assumed.append(name)
            given = ref.value
        elif not ref.low <= given <= ref.high:
            clamped.append(name)
            given = min(max(given, ref.low), ref.high)
        row.append(math.log10(given / ref.value))
    return row, tuple(clamped), tuple(assumed)


def covers(model: MfuModel, acc: Accelerator, dtype: Dtype) -> bool:
    """Whether the fit data include ``acc``'s generation and ``dtype`` (else the per-generation prior)."""
    return acc.generation in model.generations and dtype in model.dtypes


def bf16_peak_ratio(acc: Accelerator, dtype: Dtype) -> float:
    """bf16 dense peak / ``dtype`` dense peak: converts a bf16-equivalent MFU to the dtype's MFU."""
    return peak_flop_per_s(acc, "bf16") / peak_flop_per_s(acc, dtype)


def evaluate(model: MfuModel, acc: Accelerator, dtype: Dtype, cov: MfuCovariates) -> MfuEstimate:
    """The prior of ``model`` for a run on ``acc`` in ``dtype`` with covariates ``cov``."""
    terms = model_terms(model)
    reference = {"active_params": model.active_params, "n_gpus": model.n_gpus}
    row, clamped, assumed = design_row(terms, reference, replace(cov, generation=acc.generation))
    log10_factors = [math.log10(model.centre_mfu.central)]
    log10_factors += [math.log10(_factor(model, name).central) for name in terms]  # type: ignore[union-attr]
    p50 = 10 ** sum(x * b for x, b in zip(row, log10_factors, strict=True)) * bf16_peak_ratio(acc, dtype)
    k = model.interval_factor.central
    return MfuEstimate(p05=p50 / k, p50=p50, p95=p50 * k, clamped=clamped, assumed=assumed)
