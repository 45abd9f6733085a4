"""The JSON API under /api/v1: every endpoint, every error shape, the limits, and the same
numbers as the Python API and the CLI's --json."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

import costlm
from conftest import CliRun
from costlm import api
from costlm.web.app import create_app
from costlm.web.runner import MAX_BODY_BYTES, MAX_WEB_SAMPLES

FAST = 500


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(create_app(), raise_server_exceptions=True) as c:
        yield c


def _error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["code"] == code
    assert "\n" not in body["message"] and "Traceback" not in body["message"]
    return body


def test_health(client: TestClient) -> None:
    r = client.get("/api/v1/health")
    assert r.status_code == 200 and r.json() == {"status": "ok", "version": costlm.__version__}


def test_train_post_and_get_are_the_python_result(client: TestClient) -> None:
    fields = {"params": "7B", "tokens": "2T", "gpu": "h100-sxm", "n_gpus": 64, "samples": FAST}
    expected = api.estimate_training(api.make_training_request(**fields)).model_dump(mode="json")
    posted = client.post("/api/v1/train", json=fields)
    assert posted.status_code == 200 and posted.json() == expected
    got = client.get("/api/v1/train", params=fields)
    assert got.status_code == 200 and got.json() == expected
    # 7e9 x 2e12 x 6 = 8.4e22 FLOP, exactly
    assert got.json()["train_flop"]["p50"] == pytest.approx(6 * 7e9 * 2e12)


def test_serve_at_a_load_has_a_fleet_and_api_comparison(client: TestClient) -> None:
    fields = {"model": "llama-3-70b", "tokens_per_day": "1e9", "samples": FAST}
    r = client.get("/api/v1/serve", params=fields)
    assert r.status_code == 200, r.text
    doc = r.json()
    assert doc["fleet"]["replicas"]["p50"] >= 1 and len(doc["api_comparison"]) >= 1
    expected = api.estimate_serving(api.make_serve_request(**fields)).model_dump(mode="json")
    assert doc["ttft_s"] == expected["ttft_s"] and doc["fleet"] == expected["fleet"]


def test_plan_train_and_plan_serve(client: TestClient) -> None:
    body = {"params": "7B", "tokens": "2T", "deadline_days": 30}
    r = client.post("/api/v1/plan/train", json=body)
    assert r.status_code == 200, r.text
    doc = r.json()
    assert doc["frontier"] and doc["chosen"]["wall_clock_days"]["p90"] <= 30
    r = client.post(
        "/api/v1/plan/serve", json={"model": "llama-3-8b", "tokens_per_day": "1e9", "samples": 100}
    )
    assert r.status_code == 200, r.text
    assert r.json()["model"] == "llama-3-8b"


def test_check_ids_and_pasted_claims(client: TestClient) -> None:
    from test_claims import USER_CLAIM

    r = client.get("/api/v1/check", params={"ids": "s002-mla-kv-cache-reduction", "samples": FAST})
    assert r.status_code == 200 and [c["id"] for c in r.json()] == ["s002-mla-kv-cache-reduction"]
    r = client.post("/api/v1/check", json={"claims_toml": USER_CLAIM, "samples": 300})
    assert r.status_code == 200, r.text
    [doc] = r.json()
    assert doc["id"] == "mine" and doc["verdict"] == "unverifiable"  # as `costlm check --file` says


def test_catalog_list_filter_and_entry(client: TestClient) -> None:
    r = client.get("/api/v1/catalog/accelerators", params={"vendor": "nvidia"})
    assert r.status_code == 200 and r.json() and all(e["vendor"] == "NVIDIA" for e in r.json())
    r = client.get("/api/v1/catalog/accelerators/H100")  # an alias
    assert r.status_code == 200 and r.json()["id"] == "h100-sxm"
    r = client.get("/api/v1/catalog/sources/" + r.json()["memory_gb"]["source"])
    assert r.status_code == 200 and r.json()["title"]


@pytest.mark.parametrize(
    ("url", "close"),
    [
        ("/api/v1/train?model=llama-3-7b", "llama-3-70b"),
        ("/api/v1/catalog/modelz", "models"),
        ("/api/v1/catalog/models/llama-3-70", "llama-3-70b"),
        ("/api/v1/serve?model=llama-3-8b&gpu=h10", "h100"),
    ],
)
def test_unknown_ids_are_404_with_suggestions(client: TestClient, url: str, close: str) -> None:
    body = _error(client.get(url), 404, "unknown_id")
    assert "did you mean" in body["message"] and close in body["message"]


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"params": "7B", "tokens": "2T", "mfu": 2}, "mfu", "fraction"),
        ({"params": "7B", "tokens": "2T", "n_gpus": 0}, "n_gpus", "at least 1"),
        ({"params": "7B", "tokens": "2T", "n_gpus": 8, "days": 3}, None, "not both"),
        ({"params": "7B", "tokens": "2T", "samples": MAX_WEB_SAMPLES + 1}, "samples", "200,000"),
        ({"params": "7B", "tokens": "2T", "samples": "many"}, "samples", "integer"),
        ({"params": "7B", "tokens": "2T", "colour": "red"}, "colour", "Extra inputs"),
    ],
)
def test_bad_input_is_422_naming_field_and_rule(
    client: TestClient, body: dict[str, Any], field: str | None, words: str
) -> None:
    doc = _error(client.post("/api/v1/train", json=body), 422, "invalid_input")
    assert doc.get("field") == field and words in doc["message"]


def test_infeasible_constraints_are_422(client: TestClient) -> None:
    r = client.post("/api/v1/plan/train", json={"params": "70B", "tokens": "15T", "deadline_days": 0.01})
    doc = _error(r, 422, "impossible_config")
    assert "deadline" in doc["message"]


def test_client_file_paths_are_refused(client: TestClient) -> None:
    doc = _error(client.post("/api/v1/serve", json={"config": "/etc/passwd"}), 422, "invalid_input")
    assert doc["field"] == "config" and "files" in doc["message"]
    assert "file" not in api.TrainingRequest.model_fields  # nothing else names a path
    _error(client.post("/api/v1/check", json={"file": "/etc/passwd"}), 422, "invalid_input")


def test_oversized_and_malformed_bodies(client: TestClient) -> None:
    big = json.dumps({"model": "x" * (MAX_BODY_BYTES + 1)})
    _error(
        client.post("/api/v1/train", content=big, headers={"content-type": "application/json"}),
        413,
        "body_too_large",
    )

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it streams
        for _ in range(MAX_BODY_BYTES // 1024 + 2):
            yield b" " * 1024

    r = client.post("/api/v1/train", content=chunks(), headers={"content-type": "application/json"})
    _error(r, 413, "body_too_large")
    r = client.post("/api/v1/train", content=b"{bad", headers={"content-type": "application/json"})
    _error(r, 400, "bad_json")


def test_errors_in_spanish(client: TestClient) -> None:
    doc = _error(client.get("/api/v1/train?model=llama-3-7b&lang=es"), 404, "unknown_id")
    assert "desconocido" in doc["message"] or "¿" in doc["message"]


def test_timeout_answers_504() -> None:
    with TestClient(create_app(timeout_s=1e-6)) as slow:
        doc = _error(slow.get("/api/v1/train?model=llama-3-70b&seed=7&samples=20000"), 504, "timeout")
    assert "limit" in doc["message"]


def test_unknown_route_is_json_404(client: TestClient) -> None:
    _error(client.get("/api/v1/nothing"), 404, "not_found")


def test_openapi_holds_every_endpoint_and_the_request_models(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    paths = set(schema["paths"])
    for path in (
        "/train",
        "/serve",
        "/plan/train",
        "/plan/serve",
        "/check",
        "/catalog/{kind}",
        "/catalog/{kind}/{ident}",
        "/health",
    ):
        assert "/api/v1" + path in paths
    models = schema["components"]["schemas"]
    for name in ("TrainingRequest", "ServeRequest", "PlanTrainRequest", "PlanServeRequest", "TrainingResult"):
        assert name in models


def test_same_scenario_through_python_cli_and_web(client: TestClient, cli: CliRun) -> None:
    """One scenario, three front doors, one document."""
    argv = [
        "train",
        "llama-3-70b",
        "--gpu",
        "a100-80gb",
        "--n-gpus",
        "2048",
        "--samples",
        "2000",
        "--seed",
        "3",
    ]
    code, out, err = cli([*argv, "--json"])
    assert code == 0, err
    from_cli = json.loads(out)
    fields = {"model": "llama-3-70b", "gpu": "a100-80gb", "n_gpus": 2048, "samples": 2000, "seed": 3}
    from_python = api.estimate_training(api.make_training_request(**fields)).model_dump(mode="json")
    from_web = client.post("/api/v1/train", json=fields).json()
    assert from_cli == from_python == from_web
    assert from_web["rental_cost_usd"]["p50"] > 0


def test_identical_seeded_requests_compute_once() -> None:
    import asyncio
    import time

    from costlm.web.runner import Settings, cached

    def count_calls(request: api.TrainingRequest, n: int) -> list[int]:
        calls: list[int] = []

        def compute() -> str:
            calls.append(1)
            time.sleep(0.02)
            return "result"

        async def run() -> list[str]:
            settings = Settings()
            return await asyncio.gather(*(cached(settings, "train", request, compute) for _ in range(n)))

        assert asyncio.run(run()) == ["result"] * n
        return calls

    assert len(count_calls(api.make_training_request(model="llama-3-70b", seed=1), 5)) == 1
    assert (
        len(count_calls(api.make_training_request(model="llama-3-70b", seed=None), 5)) == 5
    )  # unseeded: fresh


def test_plan_compare_endpoint_is_the_api_result(client: TestClient) -> None:
    fields = {"base": "llama-3-70b", "tokens_per_day": 1e8, "samples": 300, "levers": ["quantize"]}
    expected = api.plan_compare(api.make_plan_compare_request(**fields)).model_dump(mode="json")  # type: ignore[arg-type]
    posted = client.post("/api/v1/plan/compare", json=fields)
    assert posted.status_code == 200 and posted.json() == expected
    got = client.get("/api/v1/plan/compare?base=llama-3-70b&tokens_per_day=1e8&samples=300&levers=quantize")
    assert got.status_code == 200 and got.json() == expected


def test_plan_compare_unknown_api_price_is_404_with_suggestions(client: TestClient) -> None:
    answer = client.post(
        "/api/v1/plan/compare", json={"base": "llama-3-70b", "tokens_per_day": 1e8, "api": "openai-gpt4o"}
    )
    assert answer.status_code == 404 and "did you mean openai-gpt-4o" in answer.json()["message"]
