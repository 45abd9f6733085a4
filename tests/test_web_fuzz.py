"""Fuzz the JSON API: request bodies drawn over the request models' fields with values of every
JSON type (NaN and infinities included, sent as Python's json writes them) never get a 5xx, and
every error is one ``{code, message}`` line."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from costlm import api
from costlm.web.api_routes import CheckRequest
from costlm.web.app import create_app
from reach_counter import Reach

pytestmark = pytest.mark.usefixtures("reach_checked")

IDS = ["llama-3-70b", "llama-3-8b", "deepseek-v3", "h100-sxm", "a100-80gb", "l4", "usa", "fp8", "mla"]
SAMPLES = st.sampled_from([0, 1, 50, 300, -1, 10**7, "300", "x", 2.5, None, True])
VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["7B", "2T", "0.3..0.5", "1e9", "-1", "", "abc", "5..1", "nan", "1e400", "h100"]),
    st.sampled_from(IDS),
    st.text(max_size=12),
    st.lists(st.sampled_from([0.3, 0.5, 2, "x"]), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(create_app(), raise_server_exceptions=False) as c:
        yield c


def bodies(model: type[Any], required: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    """Dicts over the model's fields (and one unknown field now and then), samples kept small."""
    names = sorted(set(model.model_fields) - set(required))
    optional = {name: VALUES for name in names} | {"zz_unknown": VALUES}
    return st.fixed_dictionaries(required, optional=optional)


def _post(client: TestClient, path: str, body: dict[str, Any]) -> Any:
    content = json.dumps(body, allow_nan=True)  # NaN / Infinity as Python writes them
    return client.post(path, content=content, headers={"content-type": "application/json"})


def _assert_answer(response: Any) -> None:
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        doc = response.json()
        assert set(doc) <= {"code", "message", "field"} and doc["code"] and doc["message"]
        assert "\n" not in doc["message"] and "Traceback" not in doc["message"]


TRAIN_REQUIRED = {"samples": SAMPLES}
SERVE_REQUIRED = {"model": st.sampled_from(IDS), "samples": SAMPLES}


@given(body=bodies(api.TrainingRequest, TRAIN_REQUIRED))
def test_train_fuzz_never_5xx(client: TestClient, reach: Reach, body: dict[str, Any]) -> None:
    reach.tried("web_train_fuzz")
    response = _post(client, "/api/v1/train", body)
    reach.reached("web_train_fuzz")
    _assert_answer(response)


@given(body=bodies(api.ServeRequest, SERVE_REQUIRED))
def test_serve_fuzz_never_5xx(client: TestClient, reach: Reach, body: dict[str, Any]) -> None:
    reach.tried("web_serve_fuzz")
    response = _post(client, "/api/v1/serve", body)
    reach.reached("web_serve_fuzz")
    _assert_answer(response)


@given(body=bodies(api.PlanTrainRequest, {"samples": st.sampled_from([1, 20, -1, "x", 10**7])}))
def test_plan_train_fuzz_never_5xx(client: TestClient, reach: Reach, body: dict[str, Any]) -> None:
    reach.tried("web_plan_train_fuzz")
    response = _post(client, "/api/v1/plan/train", body)
    reach.reached("web_plan_train_fuzz")
    _assert_answer(response)


@given(body=bodies(CheckRequest, {"samples": st.sampled_from([1, 20, -1, "x", 10**7])}))
def test_check_fuzz_never_5xx(client: TestClient, reach: Reach, body: dict[str, Any]) -> None:
    reach.tried("web_check_fuzz")
    response = _post(client, "/api/v1/check", body)
    reach.reached("web_check_fuzz")
    _assert_answer(response)


@given(
    kind=st.sampled_from(["models", "accelerators", "sources", "runs", "levers", "x"]),
    ident=st.text(max_size=20),
)
def test_catalog_fuzz_never_5xx(client: TestClient, reach: Reach, kind: str, ident: str) -> None:
    reach.tried("web_catalog_fuzz")
    response = client.get(f"/api/v1/catalog/{kind}", params={"search": ident})
    reach.reached("web_catalog_fuzz")
    _assert_answer(response)
