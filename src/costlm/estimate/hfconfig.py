"""Architecture and parameter counts from a local Hugging Face ``config.json`` (no network).

Handles the traps of training_runs_notes.md section 4: MLA configs list 128 KV heads but
cache a 512 + 64 latent per layer; ``head_dim`` may differ from d_model / heads; Qwen2.5
sets ``use_sliding_window: false`` beside a ``sliding_window`` value; MoE fields differ by family.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from costlm.catalog.schema import Architecture
from costlm.caveats import Caveat
from costlm.errors import InputError
from costlm.formulas import params

REQUIRED = ("num_hidden_layers", "hidden_size", "num_attention_heads", "vocab_size", "intermediate_size")


class ParsedConfig(BaseModel):
    """What costlm takes from a config.json: architecture, parameter counts, caveats."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    architecture: Architecture
    n_params: float
    n_active_params: float
    warnings: list[Caveat]


def _int(cfg: dict[str, Any], key: str, default: int | None = None) -> int:
    value = cfg.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise InputError(f"config.json: '{key}' must be a positive integer, got {value!r}")
    return value


def _attention_params(cfg: dict[str, Any], d: int, heads: int, kv_heads: int, head_dim: int) -> float:
    if "kv_lora_rank" in cfg:
        return float(
            params.mla_attention_params(
                d_model=d,
                n_heads=heads,
                q_lora_rank=cfg.get("q_lora_rank") or d,
                kv_lora_rank=_int(cfg, "kv_lora_rank"),
                qk_nope_head_dim=_int(cfg, "qk_nope_head_dim"),
                qk_rope_head_dim=_int(cfg, "qk_rope_head_dim"),
                v_head_dim=_int(cfg, "v_head_dim"),
            )
        )
    gqa = params.gqa_attention_params(d_model=d, n_heads=heads, n_kv_heads=kv_heads, head_dim=head_dim)
    return float(gqa)


def _mlp_params(cfg: dict[str, Any], d: int, n_layers: int) -> tuple[float, float, int | None, int | None]:
    """(total, active) MLP parameters over all layers, and (experts, active experts) if MoE."""
    dense = float(params.gated_mlp_params(d_model=d, d_ff=_int(cfg, "intermediate_size")))
    n_experts = cfg.get("n_routed_experts") or cfg.get("num_local_experts")
    if not n_experts:
        return dense * n_layers, dense * n_layers, None, None
    k = _int(cfg, "num_experts_per_tok")
    expert = float(
        params.gated_mlp_params(d_model=d, d_ff=cfg.get("moe_intermediate_size") or cfg["intermediate_size"])
    )
    shared = int(cfg.get("n_shared_experts") or 0)
    n_dense = int(cfg.get("first_k_dense_replace") or 0)
    n_moe = n_layers - n_dense
    router = d * n_experts
    total = n_dense * dense + n_moe * ((n_experts + shared) * expert + router)
    active = n_dense * dense + n_moe * ((k + shared) * expert + router)
    return total, active, int(n_experts), k


def _sliding_window(cfg: dict[str, Any], warnings: list[Caveat]) -> int | None:
    window = cfg.get("sliding_window")
    if not window or cfg.get("use_sliding_window") is False:
        return None
    warnings.append(
        Caveat(
            code="sliding_window",
            message=f"config sets a {window}-token sliding window: it caps the KV cache",
            values={"window": str(window)},
        )
    )
    return int(window)


def parse_config(raw: dict[str, Any], name: str) -> ParsedConfig:
    """Architecture and parameter counts of a decoder-only transformer config."""
    missing = [k for k in REQUIRED if k not in raw]
    if missing:
        raise InputError(
            f"config.json is missing required fields: {', '.join(missing)}",
            key="config_missing",
            fields=", ".join(missing),
        )
    warnings: list[Caveat] = []
    n_layers, d, heads = (
        _int(raw, "num_hidden_layers"),
        _int(raw, "hidden_size"),
        _int(raw, "num_attention_heads"),
    )
    kv_heads = _int(raw, "num_key_value_heads", heads)
    head_dim = _int(raw, "head_dim", d // heads)
    mla = "kv_lora_rank" in raw
    attention = "mla" if mla else ("mha" if kv_heads == heads else "mqa" if kv_heads == 1 else "gqa")
    mlp_total, mlp_active, n_experts, k = _mlp_params(raw, d, n_layers)
    attn = n_layers * _attention_params(raw, d, heads, kv_heads, head_dim)
    emb = float(
        params.embedding_params(
            vocab_size=_int(raw, "vocab_size"), d_model=d, tied=float(bool(raw.get("tie_word_embeddings")))
        )
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
        kv_lora_rank=raw.get("kv_lora_rank"),
        qk_rope_head_dim=raw.get("qk_rope_head_dim"),
        n_experts=n_experts,
        n_experts_active=k,
        vocab_size=raw["vocab_size"],
        context_tokens=raw.get("max_position_embeddings"),
        sliding_window_tokens=_sliding_window(raw, warnings),
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
        n_params=attn + mlp_total + emb,
        n_active_params=attn + mlp_active + emb,
        warnings=warnings,
    )


def read_config(path: str | Path) -> ParsedConfig:
    """Read and parse a local config.json; errors name the file."""
    try:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(
            f"--config: cannot read '{path}' ({exc.strerror})", key="config_unreadable", path=str(path)
        ) from None
    except json.JSONDecodeError as exc:
        raise InputError(f"--config: '{path}' is not valid JSON ({exc.msg} at line {exc.lineno})") from None
    if not isinstance(raw, dict):
        raise InputError(f"--config: '{path}' must hold a JSON object")
    return parse_config(raw, Path(path).name)
