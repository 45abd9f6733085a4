"""Parameter counts of decoder-only transformers from their configuration.

Vaswani et al. 2017 (attention: Q, K, V, O projections); Touvron et al. 2023 (gated SwiGLU
MLP: 3 d x ffn matrices); Ainslie et al. 2023 (GQA: K and V have n_kv_heads x head_dim
columns); DeepSeek-V2 report Sec. 2.1 (MLA low-rank projections); Fedus et al. 2022 and
Jiang et al. 2024 (MoE: every expert is an MLP, k of E are active per token); Radford et al.
2019 (GPT-2: learned position embeddings, a two-matrix GELU MLP, LayerNorm with a bias, biased
projections; Hugging Face ``GPT2Model``) and Black et al. 2022 / Biderman et al. 2023 (GPT-NeoX,
Pythia: the same blocks with rotary positions and an untied output head).
"""

from __future__ import annotations

from costlm.formulas import ArrayLike, FloatArray, arr


def gqa_attention_params(
    *, d_model: ArrayLike, n_heads: ArrayLike, n_kv_heads: ArrayLike, head_dim: ArrayLike
) -> FloatArray:
    """Q and O: d x (heads x head_dim) each; K and V: d x (kv_heads x head_dim) each."""
    d, hd = arr(d_model), arr(head_dim)
    return 2.0 * d * arr(n_heads) * hd + 2.0 * d * arr(n_kv_heads) * hd


def mla_attention_params(
    *,
    d_model: ArrayLike,
    n_heads: ArrayLike,
    q_lora_rank: ArrayLike,
    kv_lora_rank: ArrayLike,
    qk_nope_head_dim: ArrayLike,
    qk_rope_head_dim: ArrayLike,
    v_head_dim: ArrayLike,
) -> FloatArray:
    """MLA: low-rank Q (d -> q_lora -> heads x (nope + rope)), joint KV latent (d -> kv_lora + rope,
    kv_lora -> heads x (nope + v)) and the output projection (heads x v -> d)."""
    d, h = arr(d_model), arr(n_heads)
    q = d * arr(q_lora_rank) + arr(q_lora_rank) * h * (arr(qk_nope_head_dim) + arr(qk_rope_head_dim))
    kv = d * (arr(kv_lora_rank) + arr(qk_rope_head_dim)) + arr(kv_lora_rank) * h * (
        arr(qk_nope_head_dim) + arr(v_head_dim)
    )
    return q + kv + h * arr(v_head_dim) * d


def gated_mlp_params(*, d_model: ArrayLike, d_ff: ArrayLike) -> FloatArray:
    """SwiGLU MLP: gate, up and down projections, 3 x d x d_ff."""
    return 3.0 * arr(d_model) * arr(d_ff)


def embedding_params(*, vocab_size: ArrayLike, d_model: ArrayLike, tied: ArrayLike) -> FloatArray:
    """Input embedding plus the output head unless the two are tied."""
    return arr(vocab_size) * arr(d_model) * (2.0 - arr(tied))


def plain_mlp_params(*, d_model: ArrayLike, d_ff: ArrayLike) -> FloatArray:
    """GELU/ReLU MLP (GPT-2, GPT-NeoX): up and down projections, 2 x d x d_ff."""
    return 2.0 * arr(d_model) * arr(d_ff)


def position_embedding_params(*, n_positions: ArrayLike, d_model: ArrayLike) -> FloatArray:
    """Learned absolute position embeddings (GPT-2 ``wpe``): one d-vector per position."""
    return arr(n_positions) * arr(d_model)


def norm_params(*, n_layers: ArrayLike, d_model: ArrayLike, with_bias: ArrayLike) -> FloatArray:
    """Two norms per block plus the final one, each a d-vector weight (RMSNorm) and a bias (LayerNorm)."""
    return (2.0 * arr(n_layers) + 1.0) * arr(d_model) * (1.0 + arr(with_bias))


def projection_bias_params(
    *, d_model: ArrayLike, d_attention: ArrayLike, d_kv: ArrayLike, d_ff: ArrayLike
) -> FloatArray:
    """Biases of one block's projections: Q (heads x head_dim), K and V (kv_heads x head_dim each),
    attention output (d), MLP up (d_ff) and down (d)."""
    return arr(d_attention) + 2.0 * arr(d_kv) + arr(d_model) + arr(d_ff) + arr(d_model)
