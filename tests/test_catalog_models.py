"""The model table: every architecture counts to its published size, and every one can be served.

The count comes from ``costlm.resolve.hfconfig.count_architecture`` (the same rule as a user's
config.json). A model whose count misses its published ``n_params`` by more than ``TOLERANCE`` has
a transcription error in its architecture (or a count from another source): fix the data, never
the tolerance. Published counts are the makers' (model card, paper, or the safetensors total).
"""

from __future__ import annotations

import pytest

from costlm import api
from costlm.catalog.schema import Catalog
from costlm.resolve.hfconfig import count_architecture

TOLERANCE = 0.02
"""Computed vs published total parameters: biases, norms and rounding of "7B" stay well inside 2%."""
MIN_MODELS = 70
MIN_WITH_ARCHITECTURE = 60
SERVE_SAMPLES = 50

_CATALOG = api.load_catalog()
ARCH_IDS = sorted(m.id for m in _CATALOG.models.values() if m.architecture is not None)


def test_catalog_breadth(cat: Catalog) -> None:
    assert len(cat.models) >= MIN_MODELS
    assert len(ARCH_IDS) >= MIN_WITH_ARCHITECTURE


@pytest.mark.parametrize("model_id", ARCH_IDS)
def test_counted_parameters_match_the_published_count(cat: Catalog, model_id: str) -> None:
    model = cat.models[model_id]
    assert model.architecture is not None and model.n_params is not None
    total, active = count_architecture(model.architecture, model_id)
    assert total == pytest.approx(model.n_params.central, rel=TOLERANCE)
    moe = (model.architecture.n_experts or 1) > (model.architecture.n_experts_active or 1)
    if moe:
        assert model.n_active_params is not None, "a mixture of experts needs its active count"
        # Some makers leave the input embedding (a lookup, no FLOP) out of the active count
        # (gpt-oss model card, Kimi K2): either convention must hold to the same tolerance.
        arch = model.architecture
        lookup = float(arch.vocab_size or 0) * arch.d_model
        published = model.n_active_params.central
        assert published == pytest.approx(active, rel=TOLERANCE) or published == pytest.approx(
            active - lookup, rel=TOLERANCE
        )
    else:
        assert active == total


@pytest.mark.parametrize("model_id", ARCH_IDS)
def test_every_model_with_an_architecture_serves(model_id: str) -> None:
    result = api.estimate_serving(api.make_serve_request(model=model_id, samples=SERVE_SAMPLES))
    assert result.model == model_id
    assert result.batch >= 1
