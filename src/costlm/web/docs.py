"""/docs: the API's endpoints and request schemas read from the OpenAPI document, rendered on
the server (FastAPI's Swagger page loads its script from a CDN; this one works offline)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

router = APIRouter(include_in_schema=False)
METHODS = ("get", "post")


def endpoints(schema: dict[str, Any]) -> list[dict[str, str]]:
    """(method, path, summary, request body schema name) of every documented operation."""
    rows = []
    for path, item in schema.get("paths", {}).items():
        for method in METHODS:
            op = item.get(method)
            if op is None:
                continue
            ref = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema", {})
            body = str(ref.get("$ref", "")).rsplit("/", 1)[-1]
            rows.append(
                {"method": method.upper(), "path": path, "summary": op.get("summary", ""), "body": body}
            )
    return rows


@router.get("/docs", response_class=HTMLResponse)
async def docs(request: Request) -> HTMLResponse:
    from costlm.web.pages import render

    schema = request.app.openapi()
    models = schema.get("components", {}).get("schemas", {})
    bodies = sorted({r["body"] for r in endpoints(schema) if r["body"]})
    fields = {
        name: [
            (f, str(spec.get("type", spec.get("anyOf", ""))))
            for f, spec in models[name].get("properties", {}).items()
        ]
        for name in bodies
        if name in models
    }
    return render(request, "docs.html.j2", page="docs", endpoints=endpoints(schema), fields=fields)
