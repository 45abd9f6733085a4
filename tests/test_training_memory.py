"""Training memory: goldens from the ZeRO, LoRA, QLoRA and Korthikanti papers, the layout search,
the memory block of ``costlm train`` and its one-line refusal of a run that does not fit."""

from __future__ import annotations

import dataclasses
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conftest import CliRun
from costlm import api
from costlm.analyses.training_memory import TrainingMemory, check_memory
from costlm.catalog.schema import Catalog
from costlm.errors import ConfigError, InputError
from costlm.formulas import training_memory as tm
from costlm.resolve.training_memory import MemorySpec
from costlm.units import GB

ZERO_PAPER_PARAMS = 7.5e9
ZERO_PAPER_N_DATA_PARALLEL = 64
ZERO_PAPER_GB = {0: 120.0, 1: 31.4, 2: 16.6, 3: 1.9}
"""Rajbhandari et al. 2020, Fig. 1: model states per GPU of a 7.5B model on N_d = 64, K = 12."""
GOLDEN_TOLERANCE = 0.02

LLAMA_65B = {"n_params": 65.2e9, "n_layers": 80, "d_model": 8192, "n_heads": 64}
"""Touvron et al. 2023 (LLaMA), Table 2: 65.2B parameters, 80 layers, width 8192, 64 heads."""
QLORA_RANK = 64
QLORA_SEQ_LEN = 512
"""QLoRA (Dettmers et al. 2023) trains its Guanaco adapters at r = 64; its memory breakdown (Fig. 6)
is for sequences of 512 tokens at batch 1."""
GPT3 = {"n_params": 175e9, "n_layers": 96, "d_model": 12288, "n_heads": 96}
"""Brown et al. 2020, Table 2.1: GPT-3 175B, 96 layers, width 12288, 96 heads, context 2048."""

FIT_32B = [
    "train",
    "--params",
    "32B",
    "--kind",
    "finetune",
    "--examples",
    "1000",
    "--tokens-per-example",
    "10k",
    "--epochs",
    "5",
    "--gpu",
    "rtx-4090",
    "--n-gpus",
    "2",
    "--samples",
    "300",
]


def _spec(**overrides: object) -> MemorySpec:
    base: dict[str, object] = dict(
        **LLAMA_65B,
        architecture_basis="catalog",
        seq_len=QLORA_SEQ_LEN,
        seq_len_basis="user",
        micro_batch=1,
        method="full",
        lora_rank=None,
        zero_stage=None,
        tensor_parallel=None,
        pipeline_parallel=None,
        recompute=None,
        offload=False,
        accelerator="a40",
        memory_bytes_per_gpu=48 * GB,
    )
    return MemorySpec(**{**base, **overrides})  # type: ignore[arg-type]


def _states_gb(zero_stage: int) -> float:
    kw = dict(zero_stage=zero_stage, n_data_parallel=ZERO_PAPER_N_DATA_PARALLEL, n_model_parallel=1.0)
    total = (
        tm.weight_bytes_per_gpu(n_params=ZERO_PAPER_PARAMS, bytes_per_param=2.0, **kw)
        + tm.gradient_bytes_per_gpu(n_trainable_params=ZERO_PAPER_PARAMS, offload=0.0, **kw)
        + tm.optimizer_bytes_per_gpu(n_trainable_params=ZERO_PAPER_PARAMS, offload=0.0, **kw)
    )
    return float(total) / GB


def test_mixed_precision_adam_is_16_bytes_per_parameter() -> None:
    assert tm.MIXED_ADAM_BYTES_PER_PARAM == 16.0


@pytest.mark.parametrize("stage", sorted(ZERO_PAPER_GB))
def test_zero_paper_figure_1_model_states_per_gpu(stage: int) -> None:
    assert _states_gb(stage) == pytest.approx(ZERO_PAPER_GB[stage], rel=GOLDEN_TOLERANCE)


def test_offload_leaves_only_the_16_bit_weights_on_the_gpu() -> None:
    kw = dict(zero_stage=0, n_data_parallel=1.0, n_model_parallel=1.0, offload=1.0)
    assert float(tm.optimizer_bytes_per_gpu(n_trainable_params=7e9, **kw)) == 0.0
    assert float(tm.gradient_bytes_per_gpu(n_trainable_params=7e9, **kw)) == 0.0


def test_qlora_base_is_4_127_bits_per_parameter() -> None:
    bits = tm.QLORA_BASE_BYTES_PER_PARAM * 8
    assert bits == pytest.approx(4.127, abs=5e-4)


def test_qlora_65b_fits_one_48_gb_gpu_and_bf16_lora_does_not() -> None:
    qlora = check_memory(_spec(method="qlora", lora_rank=QLORA_RANK), 1)
    assert qlora.feasible and qlora.bytes_per_gpu_needed < 48 * GB
    assert qlora.breakdown.weights_bytes == pytest.approx(
        65.2e9 * 0.516 + 2 * qlora.n_trainable_params, rel=1e-3
    )
    lora = check_memory(_spec(method="lora", lora_rank=QLORA_RANK), 1)
    assert not lora.feasible and lora.breakdown.weights_bytes > 130 * GB
    assert lora.fitting_method == "qlora"


def test_lora_of_gpt3_holds_its_350_gb_of_frozen_weights() -> None:
    """Hu et al. 2021 Sec. 4.2: LoRA cuts GPT-3 175B's training VRAM to 350 GB (r = 4)."""
    spec = _spec(**GPT3, method="lora", lora_rank=4, memory_bytes_per_gpu=1e15)
    memory = check_memory(spec, 1)
    states = (
        memory.breakdown.weights_bytes + memory.breakdown.gradients_bytes + memory.breakdown.optimizer_bytes
    )
    assert states == pytest.approx(350 * GB, rel=GOLDEN_TOLERANCE)


def test_korthikanti_activations_of_a_gpt3_layer() -> None:
    """Table 2 of Korthikanti et al. at GPT-3's shape, s = 2048, b = 1: 5as/h = 80, so a layer keeps
    s b h (34 + 80) bytes, 34 s b h with selective recomputation and 2 s b h with full recomputation."""
    shape = dict(seq_len=2048, micro_batch=1, d_model=12288)
    sbh = 2048 * 12288
    none = tm.activation_bytes_per_layer(**shape, n_heads=96, n_tensor_parallel=1)
    assert float(none) == pytest.approx(sbh * 114)
    assert float(tm.activation_bytes_per_layer(**shape, n_heads=96, n_tensor_parallel=8)) == pytest.approx(
        sbh * 114 / 8
    )
    assert float(tm.activation_bytes_per_layer_selective(**shape, n_tensor_parallel=1)) == sbh * 34
    assert float(tm.activation_bytes_per_layer_full(**shape)) == sbh * 2


def test_estimated_architecture_follows_gpt3_aspect_ratio() -> None:
    assert float(tm.n_layers_from_params(n_params=175e9)) == 96  # GPT-3: 96 layers (Table 2.1)


def test_search_prefers_no_recompute_and_pins_are_kept() -> None:
    memory = check_memory(_spec(**{"n_params": 7e9, "n_layers": 32, "d_model": 4096, "n_heads": 32}), 8)
    assert memory.feasible and memory.layout.recompute == "none"
    pinned = check_memory(_spec(zero_stage=1, tensor_parallel=8, recompute="full"), 64)
    assert (pinned.layout.zero_stage, pinned.layout.n_tensor_parallel, pinned.layout.recompute) == (
        1,
        8,
        "full",
    )
    assert pinned.layout.n_data_parallel * pinned.layout.n_pipeline_parallel * 8 == 64


def test_no_zero_2_or_3_with_pipeline_stages() -> None:
    memory = check_memory(_spec(**GPT3, seq_len=2048, memory_bytes_per_gpu=32 * GB), 1024)
    assert memory.feasible
    assert memory.layout.n_pipeline_parallel == 1 or memory.layout.zero_stage <= 1


def _pinned(**overrides: object) -> MemorySpec:
    return _spec(zero_stage=1, tensor_parallel=2, pipeline_parallel=1, recompute="selective", **overrides)


def _needed(spec: MemorySpec, n_gpus: int = 16) -> float:
    return check_memory(spec, n_gpus).bytes_per_gpu_needed


@given(
    params=st.floats(1e8, 1e12),
    more=st.floats(1.0, 10.0),
    seq=st.integers(128, 32_768),
    batch=st.integers(1, 64),
)
def test_memory_grows_with_params_sequence_and_micro_batch(
    params: float, more: float, seq: int, batch: int
) -> None:
    spec = _pinned(n_params=params, seq_len=seq, micro_batch=batch)
    needed = _needed(spec)
    assert _needed(dataclasses.replace(spec, n_params=params * more)) >= needed
    assert _needed(dataclasses.replace(spec, seq_len=seq * 2)) > needed
    assert _needed(dataclasses.replace(spec, micro_batch=batch + 1)) > needed


@given(
    params=st.floats(1e8, 1e12),
    method=st.sampled_from(["full", "lora", "qlora"]),
    recompute=st.sampled_from(["none", "selective", "full"]),
    offload=st.booleans(),
)
def test_memory_never_grows_with_zero_stage_or_tensor_degree(
    params: float, method: str, recompute: str, offload: bool
) -> None:
    spec = _spec(
        n_params=params,
        method=method,
        lora_rank=None if method == "full" else 16,
        pipeline_parallel=1,
        recompute=recompute,
        offload=offload,
    )
    by_stage = [_needed(dataclasses.replace(spec, zero_stage=z, tensor_parallel=1)) for z in range(4)]
    assert by_stage == sorted(by_stage, reverse=True)
    by_tp = [_needed(dataclasses.replace(spec, zero_stage=1, tensor_parallel=t)) for t in (1, 2, 4, 8)]
    assert by_tp == sorted(by_tp, reverse=True)


def test_the_issues_32b_full_fine_tune_on_two_rtx_4090_is_refused(cli: CliRun) -> None:
    code, out, err = cli([*FIT_32B, "--json"])
    assert code == 2 and out == ""
    line = err.strip()
    assert len(line.splitlines()) == 1
    assert line.startswith("error: does not fit: needs 264 GB per GPU, rtx-4090 has 24 GB; ")
    assert line.endswith("try --n-gpus 32 with --zero 3 --recompute full, or --method qlora")
    code, _, err = cli([*FIT_32B, "--lang", "es"])
    assert code == 2 and "no cabe: necesita 264 GB por GPU, rtx-4090 tiene 24 GB; pruebe --n-gpus 32" in err


def test_the_fixes_it_names_fit(cli: CliRun) -> None:
    more = [*FIT_32B[: FIT_32B.index("--n-gpus") + 1], "32", "--samples", "300"]
    for argv in ([*more, "--zero", "3", "--recompute", "full"], [*FIT_32B, "--method", "qlora"]):
        code, out, err = cli([*argv, "--json"])
        assert code == 0, err
        memory = json.loads(out)["memory"]
        assert memory["feasible"] and memory["bytes_per_gpu_needed"] <= memory["bytes_per_gpu_available"]


def test_qlora_of_a_7b_fits_one_rtx_4090_and_train_shows_the_breakdown(cli: CliRun) -> None:
    argv = [
        *("train", "--params", "7B", "--kind", "finetune", "--examples", "1000"),
        *("--tokens-per-example", "2k", "--epochs", "3", "--gpu", "rtx-4090", "--n-gpus", "1"),
        *("--method", "qlora", "--samples", "300"),
    ]
    code, out, err = cli([*argv, "--json"])
    assert code == 0, err
    memory = json.loads(out)["memory"]
    assert memory["feasible"] and memory["layout"]["n_data_parallel"] == 1
    assert set(memory) >= {
        "feasible",
        "bytes_per_gpu_needed",
        "bytes_per_gpu_available",
        "layout",
        "breakdown",
    }
    code, out, _ = cli([*argv])
    assert (
        code == 0 and "Memory per GPU:" in out and "of 24.0 GB" in out and "method qlora, LoRA rank 16" in out
    )


def test_python_api_refuses_a_run_that_does_not_fit() -> None:
    fields = dict(params="70B", tokens="1T", gpu="rtx-4090", n_gpus=1, samples=0)
    with pytest.raises(ConfigError) as exc:
        api.estimate_training(api.make_training_request(**fields))  # type: ignore[arg-type]
    # even QLoRA's 36 GB of 4-bit weights exceed 24 GB: the only fix named is more GPUs
    assert exc.value.key == "train_does_not_fit_gpus" and exc.value.values["gpu"] == "rtx-4090"
    assert "try --n-gpus" in str(exc.value) and "--method" not in str(exc.value)


def test_every_catalog_run_fits_at_its_reported_gpu_count(cat: Catalog) -> None:
    checked = []
    for model_id, model in cat.models.items():
        if model.training is None or model.n_params is None or model.n_train_tokens is None:
            continue
        result = api.estimate_training(api.make_training_request(model=model_id, samples=0))
        assert isinstance(result.memory, TrainingMemory), model_id
        assert result.memory.feasible, (model_id, result.memory)
        assert result.memory.n_gpus == round(model.training.n_gpus.central), model_id
        checked.append(model_id)
    assert len(checked) >= 15, checked


@pytest.mark.parametrize(
    ("extra", "key", "message"),
    [
        (["--zero", "4"], "zero_stage", "--zero: ZeRO has stages 0 to 3, got 4"),
        (["--tp", "0"], "at_least_one", "--tp: must be at least 1, got 0"),
        (["--lora-rank", "8"], "lora_rank_needs_lora", "--lora-rank needs --method lora or qlora"),
        (["--pp", "2", "--zero", "3"], "zero_with_pipeline", "--zero 3 cannot run with --pp 2"),
        (["--tp", "4", "--n-gpus", "6"], "layout_does_not_divide", "--tp 4 x --pp 1 does not divide 6 GPUs"),
    ],
)
def test_bad_layouts_are_one_line_errors(cli: CliRun, extra: list[str], key: str, message: str) -> None:
    code, _, err = cli([*FIT_32B, *extra])
    assert code == 2 and len(err.strip().splitlines()) == 1 and message in err, err
    code, _, err = cli([*FIT_32B, *extra, "--lang", "es"])
    assert code == 2 and len(err.strip().splitlines()) == 1 and message not in err, err


def test_request_errors_carry_their_keys() -> None:
    base = dict(params="7B", tokens="1T", gpu="h100", n_gpus=8)
    for extra, key in (({"zero_stage": 4}, "zero_stage"), ({"lora_rank": 8}, "lora_rank_needs_lora")):
        with pytest.raises(InputError) as exc:
            api.make_training_request(**base, **extra)  # type: ignore[arg-type]
        assert exc.value.key == key


def test_a_run_without_a_parameter_count_says_memory_was_not_checked() -> None:
    result = api.estimate_training(
        api.make_training_request(train_flop=1e24, gpu="h100", n_gpus=1000, samples=0)
    )
    assert result.memory is None and any(w.code == "memory_unchecked" for w in result.warnings)


def test_days_mode_checks_the_solved_gpu_count() -> None:
    request = api.make_training_request(params="70B", tokens="2T", gpu="h100", days=30, mfu=0.4, samples=0)
    result = api.estimate_training(request)
    assert result.memory is not None and result.memory.feasible
    assert result.memory.n_gpus == round(result.breakdown.n_gpus.p50)


def test_flash_attention_stores_no_attention_scores() -> None:
    """With a fused kernel (the default) a layer without recomputation holds Korthikanti's
    selective-recompute 34 s b h / t; eager attention adds the 5 a s / h scores term."""
    fields = dict(model="llama-3-70b", samples=0, tensor_parallel=8, zero_stage=3, recompute="none")
    flash = api.estimate_training(api.make_training_request(**fields)).memory
    eager = api.estimate_training(api.make_training_request(attention_kernel="eager", **fields)).memory
    assert flash is not None and eager is not None
    s, h, a, layers, t = 4096, 8192, 64, 80, 8  # default memory sequence; Llama 3 70B shape
    assert flash.breakdown.activations_bytes == pytest.approx(34 * s * h / t * layers, rel=1e-9)
    assert eager.breakdown.activations_bytes == pytest.approx(
        s * h * (34 + 5 * a * s / h) / t * layers, rel=1e-9
    )
    assert (flash.attention_kernel, eager.attention_kernel) == ("flash", "eager")
