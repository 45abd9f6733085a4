"""MoE weight traffic (expected distinct experts) and GPU-to-GPU communication of a serving replica."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from costlm import api
from costlm.analyses.serving import ServeResult
from costlm.catalog.schema import Catalog
from costlm.errors import InputError
from costlm.formulas import memory, roofline
from costlm.resolve.hfconfig import read_config

DATA = Path(__file__).parent / "data"


def serve(**fields: object) -> ServeResult:
    return api.estimate_serving(api.make_serve_request(**fields))  # type: ignore[arg-type]


def test_distinct_experts_closed_form_and_limits() -> None:
    # E (1 - (1 - k/E)^B): Mixtral (8, top-2) at batch 2 -> 8 (1 - 0.75^2) = 3.5 exactly
    assert memory.expected_distinct_experts(n_experts=8, n_experts_active=2, n_tokens=2) == pytest.approx(3.5)
    batches = np.arange(1, 2001, dtype=float)
    for e, k in ((8, 2), (160, 6), (256, 8)):
        n = memory.expected_distinct_experts(n_experts=e, n_experts_active=k, n_tokens=batches)
        assert n[0] == pytest.approx(k)  # one token reads its k experts
        assert n[-1] == pytest.approx(e, rel=1e-6)  # many tokens read all E
        assert np.all(np.diff(n) > 0) or np.allclose(n[-1], e)  # monotone in B
        assert np.all(np.diff(n) >= 0) and np.all(n <= e)


def test_params_per_expert_from_the_two_counts() -> None:
    # Mixtral 8x7B config counts: 46,702,792,704 total, 12,879,925,248 active, top-2 of 8
    per = float(
        memory.params_per_expert(
            n_params=46_702_792_704, n_active_params=12_879_925_248, n_experts=8, n_experts_active=2
        )
    )
    # one expert = 32 layers x 3 x 4096 x 14336 (gated MLP) = 5,637,144,576 exactly
    assert per == pytest.approx(32 * 3 * 4096 * 14336, rel=1e-12)
    assert memory.params_per_expert(n_params=7e9, n_active_params=7e9, n_experts=1, n_experts_active=1) == 0


def test_config_json_experts_give_the_same_expert_size() -> None:
    parsed = read_config(DATA / "mixtral-8x7b.json")
    a = parsed.architecture
    per = memory.params_per_expert(
        n_params=parsed.n_params,
        n_active_params=parsed.n_active_params,
        n_experts=a.n_experts,
        n_experts_active=a.n_experts_active,
    )
    assert float(per) == pytest.approx(32 * 3 * 4096 * 14336, rel=1e-12)


def test_mixtral_batch_64_reads_all_experts_batch_1_reads_two() -> None:
    big = serve(model="mixtral-8x7b", gpu="h100", n_gpus=2, batch=64, samples=0)
    assert big.breakdown.n_experts_read.p50 == pytest.approx(8.0, abs=1e-6)  # 8 (1 - 0.75^64)
    assert big.breakdown.weight_bytes_per_step.p50 == pytest.approx(46_702_792_704 * 2, rel=1e-6)
    one = serve(model="mixtral-8x7b", gpu="h100", n_gpus=2, batch=1, samples=0)
    assert one.breakdown.n_experts_read.p50 == pytest.approx(2.0)
    assert one.breakdown.weight_bytes_per_step.p50 == pytest.approx(12_879_925_248 * 2, rel=1e-6)


def test_dense_model_reads_all_weights_every_step() -> None:
    r = serve(model="llama-3-8b", gpu="h100", n_gpus=1, batch=1, samples=0)
    assert r.n_experts is None and r.breakdown.n_experts_read.p50 == 1.0
    assert r.breakdown.weight_bytes_per_step.p50 == pytest.approx(r.weights_bytes.p50)
    assert r.breakdown.comm_s.p50 == 0.0  # one GPU: no communication


def test_ring_allreduce_and_all_to_all_formulas() -> None:
    # 8 GPUs, 1 MB, 100 GB/s: 2 x 7/8 x 1e6 / 1e11 = 17.5 us + 5 us latency
    t = roofline.ring_allreduce_s(message_bytes=1e6, n_gpus=8, link_bytes_per_s=1e11, latency_s=5e-6)
    assert float(t) == pytest.approx(22.5e-6)
    a2a = roofline.all_to_all_s(message_bytes=1e6, n_gpus=8, link_bytes_per_s=1e11, latency_s=5e-6)
    assert float(a2a) == pytest.approx(7 / 8 * 1e-5 + 5e-6)
    assert roofline.ring_allreduce_s(message_bytes=1e9, n_gpus=1, link_bytes_per_s=1.0, latency_s=1.0) == 0


def _tp(n: float, link: float) -> float:
    return float(
        roofline.tensor_parallel_s(
            n_layers=80,
            n_tokens=64,
            d_model=8192,
            bytes_per_element=2,
            n_gpus=n,
            link_bytes_per_s=link,
            allreduce_latency_s=1e-5,
        )
    )


def test_tensor_parallel_grows_with_degree_and_is_slower_on_pcie(cat: Catalog) -> None:
    nvlink = cat.accelerators["h100-sxm"].link_bytes_per_s
    pcie = cat.accelerators["h100-pcie"].link_bytes_per_s
    assert nvlink is not None and pcie is not None
    assert _tp(1, nvlink) == 0 < _tp(2, nvlink) < _tp(4, nvlink) < _tp(8, nvlink)
    assert _tp(8, pcie) > 2 * _tp(8, nvlink)
    # whole replicas: Llama-3-70B on 4 x H100 SXM (NVLink) vs 4 x H100 PCIe, same batch
    sxm = serve(model="llama-3-70b", gpu="h100-sxm", n_gpus=4, batch=64, samples=0)
    pci = serve(model="llama-3-70b", gpu="h100-pcie", n_gpus=4, batch=64, samples=0)
    assert pci.breakdown.comm_s.p50 > 2 * sxm.breakdown.comm_s.p50  # latency is shared, bandwidth 7x
    assert sxm.link == "nvlink" and pci.link == "pcie"
    two = serve(model="llama-3-70b", gpu="h100-sxm", n_gpus=2, dtype="fp8", batch=64, samples=0)
    assert two.breakdown.comm_s.p50 < sxm.breakdown.comm_s.p50


NO_SOURCED_LINK_BANDWIDTH = {"mi325x", "mi355x", "trn1", "inf2", "trn2"}
"""Chips whose per-chip link bandwidth no source read for the catalog gives (issue 11): serve
costs no all-reduce on them and says so (``no_link_bandwidth``)."""


def test_every_accelerator_has_a_link(cat: Catalog) -> None:
    for acc in cat.accelerators.values():
        assert acc.link is not None, acc.id
        assert (acc.link_gb_per_s is None) == (acc.id in NO_SOURCED_LINK_BANDWIDTH), acc.id
    assert {a.link for a in cat.accelerators.values()} >= {"nvlink", "pcie", "infinity-fabric", "ici"}


def test_consumer_gpu_replica_gets_a_pcie_caveat_with_its_cost() -> None:
    r = serve(model="llama-3-70b", gpu="rtx-4090", n_gpus=8, batch=8, dtype="fp8", samples=200)
    caveat = next(w for w in r.warnings if w.code == "pcie_replica")
    assert caveat.values["gpu"] == "rtx-4090" and caveat.values["gb"] == "32"
    assert caveat.values["share"] == f"{r.breakdown.comm_share.p50:.0%}"
    assert r.breakdown.comm_share.p50 > 0.1
    nv = serve(model="llama-3-70b", gpu="h100-sxm", n_gpus=4, batch=8, samples=200)
    assert not any(w.code == "pcie_replica" for w in nv.warnings)


def test_expert_parallel_replaces_the_mlp_all_reduce_and_refuses_dense() -> None:
    tp = serve(model="mixtral-8x7b", gpu="h100", n_gpus=4, batch=64, samples=0)
    ep = serve(model="mixtral-8x7b", gpu="h100", n_gpus=4, batch=64, samples=0, expert_parallel=True)
    assert ep.expert_parallel and 0 < ep.breakdown.comm_s.p50 != tp.breakdown.comm_s.p50
    with pytest.raises(InputError, match="needs a mixture-of-experts model") as err:
        serve(model="llama-3-8b", expert_parallel=True, samples=0)
    assert err.value.key == "expert_parallel_dense"
