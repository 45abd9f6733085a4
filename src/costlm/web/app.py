"""The FastAPI application: ``create_app(catalog_files)`` wires the JSON API, the pages, the
stylesheet, the error handlers and the body-size limit. Catalog overlays are fixed here, at
start-up (``costlm web --catalog FILE``): no request names a file.
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from costlm import __version__, api
from costlm.errors import CostlmError
from costlm.web.errors import (
    HTTP_BAD_REQUEST,
    HTTP_INTERNAL,
    HTTP_TIMEOUT,
    HTTP_TOO_LARGE,
    error_body,
    status_of,
)
from costlm.web.runner import (
    MAX_BODY_BYTES,
    MAX_WEB_SAMPLES,
    REQUEST_TIMEOUT_S,
    RequestTimeout,
    Settings,
    typed_error,
)


class BodyLimit:
    """ASGI middleware: a request body over ``max_bytes`` (declared or streamed) answers 413."""

    def __init__(self, app: ASGIApp, max_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    def _too_large(self) -> JSONResponse:
        message = f"request body over the limit of {self.max_bytes:,} bytes"
        return JSONResponse({"code": "body_too_large", "message": message}, status_code=HTTP_TOO_LARGE)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await self._too_large()(scope, receive, send)
            return
        if declared is not None:  # the server holds the body to its declared length
            await self.app(scope, receive, send)
            return
        body = await self._read_limited(receive)
        if body is None:
            await self._too_large()(scope, receive, send)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)

    async def _read_limited(self, receive: Receive) -> bytes | None:
        """A body sent without Content-Length (chunked), read up to the limit (None: past it)."""
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return b"".join(chunks)
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)


def _lang(request: Request) -> str:
    lang = request.query_params.get("lang", "en")
    return lang if lang in ("en", "es") else "en"


def _add_handlers(app: FastAPI) -> None:
    async def typed(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, CostlmError)
        status = HTTP_TIMEOUT if isinstance(exc, RequestTimeout) else status_of(exc)
        return JSONResponse(error_body(exc, _lang(request)), status_code=status)

    async def invalid(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        first = exc.errors()[0] if exc.errors() else {}
        if first.get("type") == "json_invalid":
            body = {"code": "bad_json", "message": "the request body is not valid JSON"}
            return JSONResponse(body, status_code=HTTP_BAD_REQUEST)
        return await typed(request, typed_error(exc))

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return JSONResponse({"code": code, "message": str(exc.detail)}, status_code=exc.status_code)

    async def internal(request: Request, exc: Exception) -> Response:
        body = {"code": "internal", "message": f"internal error ({type(exc).__name__})"}
        return JSONResponse(body, status_code=HTTP_INTERNAL)

    app.add_exception_handler(CostlmError, typed)
    app.add_exception_handler(RequestValidationError, invalid)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(Exception, internal)


def stylesheet() -> str:
    """The one stylesheet of the pages (package data: no CDN, no web fonts)."""
    return resources.files("costlm.web").joinpath("static/style.css").read_text(encoding="utf-8")


def create_app(
    catalog_files: Sequence[str | Path] = (),
    *,
    timeout_s: float = REQUEST_TIMEOUT_S,
    max_samples: int = MAX_WEB_SAMPLES,
) -> FastAPI:
    """The costlm web application over the bundled catalog plus ``catalog_files`` (validated now:
    a bad overlay fails at start-up with its CatalogError, before any request)."""
    from costlm.web import docs, pages
    from costlm.web.api_routes import router

    files = tuple(str(p) for p in catalog_files)
    api.load_catalog(files)
    app = FastAPI(
        title="costlm",
        version=__version__,
        description="What it costs to train and to run a language model, as ranges with sources.",
        docs_url=None,
        redoc_url=None,
    )
    app.state.costlm = Settings(catalog_files=files, timeout_s=timeout_s, max_samples=max_samples)
    app.add_middleware(BodyLimit)
    _add_handlers(app)
    app.include_router(router)
    app.include_router(docs.router)
    app.include_router(pages.router)
    css = stylesheet()

    @app.get("/static/style.css", include_in_schema=False)
    async def style() -> Response:
        return Response(css, media_type="text/css")

    return app


def app_factory() -> Any:
    """``uvicorn --factory costlm.web.app:app_factory``: the app over the bundled catalog."""
    return create_app()
