"""Cost levers: what-ifs from the catalog's ``[[lever]]`` table, applied while a request resolves.

One function per effect (``Lever.effect``), each with one rule for where it applies:

- ``compute_scale`` (Sophia): the training compute to reach the same loss x the lever's factor
  (an input ``compute_scale`` drawn from its sourced range; the pipeline multiplies model FLOP and
  given GPU-hours by it);
- ``active_share`` (MoE): the active parameters per token = total x the factor (input
  ``active_share``); memory keeps every expert. Dense work only;
- ``finetune_recipe`` (SFT on a small curated set, s1): pre-training becomes a fine-tune of the
  same model with the recipe model's examples, tokens per example and epochs (their sourced ranges);
- ``fp8_training``: FP8 matmuls on an accelerator with an FP8 peak: the run keeps its BF16 MFU
  prior and its GPU time x the factor (input ``time_scale``: measured FP8/BF16 time ratios);
- ``mla_cache`` (serving): the model's KV cache as multi-head latent attention with DeepSeek-V2's
  ranks (d_c = 4 d_h, d_h^R = d_h / 2: ``factor`` = 4.5 cached elements per layer per head dim);
- ``quantize`` (serving): FP8 weights and KV cache (int8 on accelerators without FP8).

A lever that does not apply to the work (MLA on a model that has it, MoE on an MoE, a fine-tune
recipe for a fine-tune) is a ``LeverError`` naming the lever, never a silent no-op.
"""

from __future__ import annotations

from collections.abc import Sequence

from costlm.catalog import load
from costlm.catalog.schema import Accelerator, Architecture, Catalog, Dtype, Lever, LeverWork, Training
from costlm.errors import LeverError
from costlm.resolve.inputs import Inputs, dist_of

FP8: Dtype = "fp8"
INT8 = "int8"
MLA_ROPE_PER_HEAD_DIM = 0.5
"""DeepSeek-V2 Sec. 2.1.3: the decoupled RoPE key d_h^R = d_h / 2 (the rest of the lever's factor
is the compressed latent, d_c = 4 d_h)."""


def resolve_levers(cat: Catalog, names: Sequence[str], work: LeverWork) -> tuple[Lever, ...]:
    """The catalog levers named (ids or aliases, each once, in the order given) for ``work``."""
    levers: list[Lever] = []
    for name in names:
        lever = load.lever(cat, name)
        if lever.work != work:
            raise LeverError(
                f"--lever {name}: applies to {lever.work}, not to {work}",
                key="lever_wrong_work",
                lever=lever.id,
                work=lever.work,
                asked=work,
            )
        if lever not in levers:
            levers.append(lever)
    return tuple(levers)


def levers_by_work(cat: Catalog, names: Sequence[str]) -> dict[LeverWork, tuple[str, ...]]:
    """The levers named, resolved to ids and split by the work they apply to."""
    ids = [load.lever(cat, name) for name in names]
    return {work: tuple(dict.fromkeys(lv.id for lv in ids if lv.work == work)) for work in ("train", "serve")}


def _not_applicable(lever: Lever, reason: str, what: str, **values: str) -> LeverError:
    return LeverError(
        f"--lever {lever.id} does not apply: {what}",
        key=f"lever_not_applicable.{reason}",
        lever=lever.id,
        **values,
    )


def _of(levers: Sequence[Lever], effect: str) -> Lever | None:
    return next((lever for lever in levers if lever.effect == effect), None)


def recipe_training(cat: Catalog, levers: Sequence[Lever], kind: str) -> Training | None:
    """The fine-tune recipe (the recipe model's training record) of a ``finetune_recipe`` lever."""
    lever = _of(levers, "finetune_recipe")
    if lever is None or lever.recipe_model is None:
        return None
    if kind != "pretrain":
        what = f"the work is a {kind}, not a pre-training run"
        raise _not_applicable(lever, "not_pretraining", what, kind=kind)
    recipe = cat.models[lever.recipe_model].training
    if recipe is None or recipe.n_examples is None or recipe.tokens_per_example is None:
        raise _not_applicable(lever, "no_recipe", f"{lever.recipe_model} has no fine-tune recipe")
    return recipe


def _check_fp8(lever: Lever, acc: Accelerator, dtype: str) -> None:
    if dtype == FP8:
        raise _not_applicable(lever, "dtype_given", "the run is already fp8", dtype=dtype)
    if acc.dense_peak_flop_per_s(FP8) is None:
        raise _not_applicable(lever, "no_fp8", f"{acc.id} has no FP8 peak in the catalog", gpu=acc.id)


def add_training_levers(
    inputs: Inputs, levers: Sequence[Lever], *, is_moe: bool, acc: Accelerator, dtype: str
) -> None:
    """The drawn inputs of the levers: ``compute_scale`` (an optimizer), ``active_share`` (MoE),
    ``time_scale`` (FP8 matmuls on an accelerator with an FP8 peak, the run not fp8 already)."""
    for lever in levers:
        if lever.factor is None:
            continue
        if lever.effect == "compute_scale":
            inputs.add("compute_scale", dist_of(lever.factor), "x", lever.factor)
        elif lever.effect == "fp8_training":
            _check_fp8(lever, acc, dtype)
            inputs.add("time_scale", dist_of(lever.factor), "x", lever.factor)
        elif lever.effect == "active_share":
            if is_moe:
                raise _not_applicable(lever, "already_moe", "the model is already a mixture of experts")
            if "n_active_params" not in inputs.dists:
                raise _not_applicable(lever, "no_params", "the work gives no parameter count (give --params)")
            inputs.add("active_share", dist_of(lever.factor), "share", lever.factor)


def serving_dtypes(
    levers: Sequence[Lever], acc: Accelerator, dtype: str | None, kv_dtype: str | None
) -> tuple[str | None, str | None]:
    """(weights dtype, KV dtype) under the quantize lever: FP8 (int8 without an FP8 peak)."""
    lever = _of(levers, "quantize")
    if lever is None:
        return dtype, kv_dtype
    given = [d for d in (dtype, kv_dtype) if d is not None]
    if given:
        what = f"--dtype/--kv-dtype {given[0]} was given"
        raise _not_applicable(lever, "dtype_given", what, dtype=given[0])
    quantized = FP8 if acc.dense_peak_flop_per_s(FP8) is not None else INT8
    return quantized, quantized


def architecture_with_mla(arch: Architecture, levers: Sequence[Lever], model_name: str) -> Architecture:
    """``arch`` with its KV cache as MLA (``mla_cache`` lever: the lever's factor of cached
    elements per layer per head dim, of which the decoupled RoPE key is half a head), else unchanged."""
    lever = _of(levers, "mla_cache")
    if lever is None or lever.factor is None:
        return arch
    if arch.attention == "mla":
        raise _not_applicable(lever, "already_mla", f"{model_name} already uses MLA", model=model_name)
    return arch.model_copy(
        update={
            "attention": "mla",
            "kv_lora_rank": round((lever.factor.central - MLA_ROPE_PER_HEAD_DIM) * arch.head_dim),
            "qk_rope_head_dim": round(MLA_ROPE_PER_HEAD_DIM * arch.head_dim),
        }
    )
