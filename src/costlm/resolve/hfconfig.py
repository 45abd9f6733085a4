"""Architecture and parameter counts from a local Hugging Face ``config.json`` (no network).

Handles the traps of training_runs_notes.md section 4: MLA configs list 128 KV heads but
cache a 512 + 64 latent per layer; ``head_dim`` may differ from d_model / heads; Qwen2.5
sets ``use_sliding_window: false`` beside a ``sliding_window`` value; MoE fields differ by family.

Families (``model_type``): GPT-2 and GPT-NeoX (Pythia) are counted exactly, with their two-matrix
MLP, LayerNorm and biases (GPT-2 also with its own key names and learned positions); the
Llama-style families in ``GATED_MLP_FAMILIES`` with a gated MLP and RMSNorm (biases, < 0.1%, left
out); families known to use another MLP or layout (``UNSUPPORTED_FAMILIES``) are refused rather
than miscounted; an unknown ``model_type`` is counted as Llama-style with a caveat. MoE layouts:
DeepSeek's first dense layers and shared experts, Qwen-MoE's wide shared expert, Llama 4's
interleaved MoE layers (``interleave_moe_layer_step``, its own width names, one shared expert).

A catalog ``Architecture`` is counted by the same rule: ``count_architecture`` turns it back into
the config it stands for (``architecture_config``) and parses that.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from costlm.bounds import MAX_ARCHITECTURE_SIZE
from costlm.catalog.schema import Architecture
from costlm.caveats import Caveat
from costlm.errors import InputError
from costlm.formulas import params
from costlm.safeio import parse_guarded, read_user_text, shown_path

REQUIRED = ("num_hidden_layers", "hidden_size", "num_attention_heads", "vocab_size", "intermediate_size")
GPT2_KEYS = {
    "n_layer": "num_hidden_layers",
    "n_embd": "hidden_size",
    "n_head": "num_attention_heads",
    "n_inner": "intermediate_size",
    "n_positions": "max_position_embeddings",
}
"""GPT-2's config names -> the Llama-style names the rest of this module reads."""
GPT2_FF_PER_WIDTH = 4
"""GPT-2's ``n_inner: null`` means an MLP 4 x n_embd wide (Hugging Face ``GPT2MLP``)."""
PLAIN_MLP_FAMILIES = frozenset({"gpt2", "gpt_neox"})
"""Two-matrix MLP, LayerNorm with bias, biased projections: counted exactly (module docstring)."""
GATED_MLP_FAMILIES = frozenset(
    {
        "llama", "mistral", "mixtral", "qwen2", "qwen2_moe", "qwen3", "qwen3_moe",
        "deepseek_v2", "deepseek_v3", "gemma", "gemma2", "gemma3_text", "olmo", "olmo2", "granite",
        "cohere", "cohere2", "phi3", "phimoe", "llama4_text", "gpt_oss", "kimi_k2",
    }
)  # fmt: skip
"""Families with a gated (SwiGLU/GeGLU) MLP and RMSNorm, as ``params.gated_mlp_params`` counts."""
UNSUPPORTED_FAMILIES = frozenset({"opt", "bloom", "falcon", "gptj", "gpt_bigcode", "phi", "t5", "bert"})
"""Known layouts this counter does not model (other key names, fused or parallel blocks, encoders)."""
LLAMA4_KEYS = {"intermediate_size": "moe_intermediate_size", "intermediate_size_mlp": "intermediate_size"}
"""Llama 4 names its expert width ``intermediate_size`` and its dense width ``intermediate_size_mlp``."""
LLAMA4_SHARED_EXPERTS = 1
"""Every Llama 4 MoE layer adds one expert-wide shared expert (Hugging Face ``Llama4TextMoe.shared_expert``);
the config has no field for it."""


class ParsedConfig(BaseModel):
    """What costlm takes from a config.json: architecture, parameter counts, caveats."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    architecture: Architecture
    n_params: float
    n_active_params: float
    warnings: list[Caveat]


def _too_large(key: str) -> InputError:
    return InputError(
        f"config.json: '{key}' is absurdly large (max {MAX_ARCHITECTURE_SIZE:,}); is it the right config?",
        key="config_too_large",
        field=key,
        max=f"{MAX_ARCHITECTURE_SIZE:,}",
    )


def _int(cfg: dict[str, Any], key: str, default: int | None = None) -> int:
    value = cfg.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise InputError(
            f"config.json: '{key}' must be a positive integer, got {value!r}",
            key="config_not_integer",
            field=key,
            kind="positive",
            value=repr(value),
        )
    if value > MAX_ARCHITECTURE_SIZE:
        raise _too_large(key)
    return value


def _opt_int(cfg: dict[str, Any], key: str, *, zero_ok: bool = False) -> int | None:
    """An optional integer field: absent or null is None; anything else must be a valid integer."""
    value = cfg.get(key)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 0 or (value == 0 and not zero_ok):
        kind = "non-negative" if zero_ok else "positive"
        raise InputError(
            f"config.json: '{key}' must be a {kind} integer, got {value!r}",
            key="config_not_integer",
            field=key,
            kind=kind,
            value=repr(value),
        )
    if value > MAX_ARCHITECTURE_SIZE:
        raise _too_large(key)
    return value


def _attention_params(cfg: dict[str, Any], d: int, heads: int, kv_heads: int, head_dim: int) -> float:
    if "kv_lora_rank" in cfg:
        return float(
            params.mla_attention_params(
                d_model=d,
                n_heads=heads,
                q_lora_rank=_opt_int(cfg, "q_lora_rank") or d,
                kv_lora_rank=_int(cfg, "kv_lora_rank"),
                qk_nope_head_dim=_int(cfg, "qk_nope_head_dim"),
                qk_rope_head_dim=_int(cfg, "qk_rope_head_dim"),
                v_head_dim=_int(cfg, "v_head_dim"),
            )
        )
    gqa = params.gqa_attention_params(d_model=d, n_heads=heads, n_kv_heads=kv_heads, head_dim=head_dim)
    return float(gqa)


def _mlp_params(
    cfg: dict[str, Any], d: int, n_layers: int, *, plain: bool
) -> tuple[float, float, int | None, int | None]:
    """(total, active) MLP parameters over all layers, and (experts, active experts) if MoE."""
    mlp = params.plain_mlp_params if plain else params.gated_mlp_params
    dense = float(mlp(d_model=d, d_ff=_int(cfg, "intermediate_size")))
    key = next((k for k in ("n_routed_experts", "num_local_experts", "num_experts") if cfg.get(k)), None)
    if key is None:
        return dense * n_layers, dense * n_layers, None, None
    n_experts, k = _int(cfg, key), _int(cfg, "num_experts_per_tok")
    if k > n_experts:
        raise InputError(
            f"config.json: num_experts_per_tok {k} exceeds the {n_experts} experts",
            key="config_experts",
            k=k,
            n=n_experts,
        )
    d_expert = _opt_int(cfg, "moe_intermediate_size") or _int(cfg, "intermediate_size")
    expert = float(params.gated_mlp_params(d_model=d, d_ff=d_expert))
    shared = _opt_int(cfg, "n_shared_experts", zero_ok=True) or 0
    shared_ff = _opt_int(cfg, "shared_expert_intermediate_size")  # Qwen-MoE: one wide shared expert
    shared_params = (
        float(params.gated_mlp_params(d_model=d, d_ff=shared_ff)) if shared_ff else shared * expert
    )
    n_dense = _opt_int(cfg, "first_k_dense_replace", zero_ok=True) or 0
    if n_dense > n_layers:
        raise InputError(
            f"config.json: first_k_dense_replace {n_dense} exceeds num_hidden_layers {n_layers}",
            key="config_dense_layers",
            dense=n_dense,
            layers=n_layers,
        )
    step = _opt_int(cfg, "interleave_moe_layer_step") or 1  # Llama 4: every step-th layer has experts
    n_moe = (n_layers - n_dense) // step
    n_dense = n_layers - n_moe
    router = d * n_experts
    total = n_dense * dense + n_moe * (n_experts * expert + shared_params + router)
    active = n_dense * dense + n_moe * (k * expert + shared_params + router)
    return total, active, n_experts, k


def _sliding_window(cfg: dict[str, Any], warnings: list[Caveat]) -> int | None:
    if cfg.get("use_sliding_window") is False:
        return None
    window = _opt_int(cfg, "sliding_window")
    if window is None:
        return None
    warnings.append(
        Caveat(
            code="sliding_window",
            message=f"config sets a {window}-token sliding window: it caps the KV cache",
            values={"window": str(window)},
        )
    )
    return int(window)


def _tied(cfg: dict[str, Any]) -> bool:
    value = cfg.get("tie_word_embeddings", False)
    if not isinstance(value, bool):
        raise InputError(
            f"config.json: 'tie_word_embeddings' must be true or false, got {value!r}",
            key="config_not_bool",
            field="tie_word_embeddings",
            value=repr(value),
        )
    return value


def _family(raw: dict[str, Any], warnings: list[Caveat]) -> tuple[dict[str, Any], str]:
    """(the config with Llama-style key names, its model_type); refuses layouts it would miscount."""
    family = str(raw.get("model_type", "")).lower()
    if family in UNSUPPORTED_FAMILIES:
        raise InputError(
            f"config.json: model_type '{family}' is not supported (costlm counts Llama-style, GPT-2 and"
            " GPT-NeoX configs); give --params instead",
            key="config_family",
            family=family,
        )
    if family == "gpt2":
        renamed = {GPT2_KEYS.get(k, k): v for k, v in raw.items()}
        renamed.setdefault("tie_word_embeddings", True)
        if renamed.get("intermediate_size") is None and isinstance(renamed.get("hidden_size"), int):
            renamed["intermediate_size"] = GPT2_FF_PER_WIDTH * renamed["hidden_size"]
        return renamed, family
    if family in ("llama4", "llama4_text") and "intermediate_size_mlp" in raw:
        renamed = {k: v for k, v in raw.items() if k not in LLAMA4_KEYS}
        renamed.update({new: raw[old] for old, new in LLAMA4_KEYS.items()})
        renamed.setdefault("n_shared_experts", LLAMA4_SHARED_EXPERTS)
        return renamed, "llama4_text"
    if family not in GATED_MLP_FAMILIES | PLAIN_MLP_FAMILIES:
        shown = family or "?"
        warnings.append(
            Caveat(
                code="config_family_assumed",
                message=f"model_type '{shown}' is not a known family: counted as Llama-style (gated MLP)",
                values={"family": shown},
            )
        )
    return raw, family


def _small_terms(
    cfg: dict[str, Any], family: str, d: int, n_layers: int, attn_widths: tuple[int, int]
) -> float:
    """Norms (all families), and for GPT-2/NeoX the projection biases and learned positions."""
    plain = family in PLAIN_MLP_FAMILIES
    total = float(params.norm_params(n_layers=n_layers, d_model=d, with_bias=float(plain)))
    if plain:
        d_attention, d_kv = attn_widths
        per_block = params.projection_bias_params(
            d_model=d, d_attention=d_attention, d_kv=d_kv, d_ff=_int(cfg, "intermediate_size")
        )
        total += n_layers * float(per_block)
    if family == "gpt2":
        positions = _int(cfg, "max_position_embeddings")
        total += float(params.position_embedding_params(n_positions=positions, d_model=d))
    return total


def parse_config(config: dict[str, Any], name: str) -> ParsedConfig:
    """Architecture and parameter counts of a decoder-only transformer config."""
    warnings: list[Caveat] = []
    raw, family = _family(config, warnings)
    missing = [k for k in REQUIRED if k not in raw]
    if missing:
        raise InputError(
            f"config.json is missing required fields: {', '.join(missing)}",
            key="config_missing",
            fields=", ".join(missing),
        )
    n_layers, d, heads = (
        _int(raw, "num_hidden_layers"),
        _int(raw, "hidden_size"),
        _int(raw, "num_attention_heads"),
    )
    kv_heads = _int(raw, "num_key_value_heads", heads)
    head_dim = _int(raw, "head_dim", d // heads)
    mla = "kv_lora_rank" in raw
    attention = "mla" if mla else ("mha" if kv_heads == heads else "mqa" if kv_heads == 1 else "gqa")
    mlp_total, mlp_active, n_experts, k = _mlp_params(raw, d, n_layers, plain=family in PLAIN_MLP_FAMILIES)
    attn = n_layers * _attention_params(raw, d, heads, kv_heads, head_dim)
    small = _small_terms(raw, family, d, n_layers, (heads * head_dim, kv_heads * head_dim))
    emb = float(
        params.embedding_params(vocab_size=_int(raw, "vocab_size"), d_model=d, tied=float(_tied(raw)))
    )
    arch = Architecture(
        source="user-config",
        locator=name,
        n_layers=n_layers,
        d_model=d,
        n_heads=heads,
        n_kv_heads=None if mla else kv_heads,
        head_dim=head_dim,
        attention=attention,
        kv_lora_rank=_opt_int(raw, "kv_lora_rank"),
        qk_rope_head_dim=_opt_int(raw, "qk_rope_head_dim"),
        n_experts=n_experts,
        n_experts_active=k,
        vocab_size=raw["vocab_size"],
        context_tokens=_opt_int(raw, "max_position_embeddings"),
        sliding_window_tokens=_sliding_window(raw, warnings),
        family=family or None,
        intermediate_size=_int(raw, "intermediate_size"),
        moe_intermediate_size=_opt_int(raw, "moe_intermediate_size") if n_experts else None,
        n_shared_experts=_opt_int(raw, "n_shared_experts", zero_ok=True) if n_experts else None,
        shared_expert_intermediate_size=(
            _opt_int(raw, "shared_expert_intermediate_size") if n_experts else None
        ),
        first_k_dense_layers=_opt_int(raw, "first_k_dense_replace", zero_ok=True) if n_experts else None,
        moe_layer_step=_opt_int(raw, "interleave_moe_layer_step") if n_experts else None,
        q_lora_rank=_opt_int(raw, "q_lora_rank") if mla else None,
        qk_nope_head_dim=_opt_int(raw, "qk_nope_head_dim") if mla else None,
        v_head_dim=_opt_int(raw, "v_head_dim") if mla else None,
        tie_word_embeddings=_tied(raw),
    )
    if mla and raw.get("num_key_value_heads"):
        warnings.append(
            Caveat(
                code="mla_kv_heads",
                message="MLA config: num_key_value_heads ignored, the cache holds the latent",
            )
        )
    return ParsedConfig(
        name=name,
        architecture=arch,
        n_params=attn + small + mlp_total + emb,
        n_active_params=attn + small + mlp_active + emb,
        warnings=warnings,
    )


def read_config(path: str | Path) -> ParsedConfig:
    """Read (with ``costlm.safeio``) and parse a local config.json; errors name the file."""
    text = read_user_text(
        path,
        what="config file",
        error=InputError,
        option="--config",
        key="config_unreadable",
        encoding="utf-8-sig",
    )
    where = f"--config: '{shown_path(path)}'"
    try:
        raw = parse_guarded(json.loads, text, where=where, what="config.json", error=InputError)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"{where} is not valid JSON ({exc.msg} at line {exc.lineno})",
            key="config_not_json",
            where=where,
            line=exc.lineno,
        ) from None
    if not isinstance(raw, dict):
        raise InputError(f"{where} must hold a JSON object", key="config_not_object", where=where)
    return parse_config(raw, Path(path).name)


ARCHITECTURE_KEYS = {
    "n_layers": "num_hidden_layers",
    "d_model": "hidden_size",
    "n_heads": "num_attention_heads",
    "n_kv_heads": "num_key_value_heads",
    "head_dim": "head_dim",
    "vocab_size": "vocab_size",
    "context_tokens": "max_position_embeddings",
    "intermediate_size": "intermediate_size",
    "moe_intermediate_size": "moe_intermediate_size",
    "n_experts": "num_experts",
    "n_experts_active": "num_experts_per_tok",
    "n_shared_experts": "n_shared_experts",
    "shared_expert_intermediate_size": "shared_expert_intermediate_size",
    "first_k_dense_layers": "first_k_dense_replace",
    "moe_layer_step": "interleave_moe_layer_step",
    "kv_lora_rank": "kv_lora_rank",
    "q_lora_rank": "q_lora_rank",
    "qk_nope_head_dim": "qk_nope_head_dim",
    "qk_rope_head_dim": "qk_rope_head_dim",
    "v_head_dim": "v_head_dim",
}
"""``Architecture`` field -> the config.json key ``parse_config`` reads (Llama-style names)."""


def architecture_config(arch: Architecture) -> dict[str, Any]:
    """The config.json (Llama-style key names) an ``Architecture`` stands for, so a catalog
    architecture is counted by the same rule (``parse_config``) as a user's config."""
    config: dict[str, Any] = {"model_type": arch.family or "llama"}
    for field, key in ARCHITECTURE_KEYS.items():
        value = getattr(arch, field)
        if value is not None:
            config[key] = value
    config["tie_word_embeddings"] = arch.tie_word_embeddings
    return config


def count_architecture(arch: Architecture, name: str) -> tuple[float, float]:
    """(total, active) parameters of a catalog architecture, by ``parse_config``'s counting."""
    parsed = parse_config(architecture_config(arch), name)
    return parsed.n_params, parsed.n_active_params
