"""``costlm web``: serve the pages and the JSON API with uvicorn (imported here, on use only)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from costlm.cli.common import CatalogOpt, LangOpt, h, lang_of

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
DEFAULT_PORT = 8000


def web(
    host: Annotated[
        str, typer.Option(help=h("Address to bind (default 127.0.0.1: this machine only)."))
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help=h("Port to listen on."))] = DEFAULT_PORT,
    lang: LangOpt = None,
    catalog: CatalogOpt = None,
) -> None:
    """Serve the calculators in a browser and the JSON API under /api/v1 (offline, no CDN)."""
    import uvicorn

    from costlm.i18n import t
    from costlm.web.app import create_app

    language = lang_of(lang)
    app = create_app(catalog or ())  # a bad overlay fails here, before the server starts
    if host not in LOOPBACK_HOSTS:
        sys.stderr.write(t("web.public_warning", language, host=host) + "\n")
    sys.stderr.write(t("web.serving", language, host=host, port=port) + "\n")
    uvicorn.run(app, host=host, port=port, log_level="warning")
