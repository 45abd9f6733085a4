"""Errors as the web answers them: one status and one ``{code, message, field}`` body, never a trace.

``UnknownIdError`` -> 404 (the message holds the did-you-mean), ``InputError`` and ``ConfigError``
(a configuration that cannot run) -> 422, ``CatalogError`` -> 400, a body over the size limit -> 413.
Messages are translated from the i18n catalog when the error carries a key (``err.<key>``).
"""

from __future__ import annotations

import re
from typing import Any

from costlm.errors import CatalogError, ConfigError, CostlmError, InputError, UnknownIdError
from costlm.i18n import messages, t

HTTP_BAD_REQUEST = 400
HTTP_NOT_FOUND = 404
HTTP_TOO_LARGE = 413
HTTP_UNPROCESSABLE = 422
HTTP_INTERNAL = 500
HTTP_TIMEOUT = 504

_FIELD = re.compile(r"^([a-z_]+)(?:\.\d+)*:")
"""'mfu: must be ...' -> 'mfu': request models' messages start with the field they judge."""


def status_of(exc: CostlmError) -> int:
    """The HTTP status of a typed error."""
    if isinstance(exc, UnknownIdError):
        return HTTP_NOT_FOUND
    if isinstance(exc, InputError | ConfigError):
        return HTTP_UNPROCESSABLE
    if isinstance(exc, CatalogError):
        return HTTP_BAD_REQUEST
    return HTTP_BAD_REQUEST


def message_of(exc: CostlmError, lang: str) -> str:
    """The error in ``lang`` when the i18n catalog has its key, else the English message, on one line."""
    text = str(exc)
    key = f"err.{exc.key}" if exc.key else None
    if lang != "en" and key is not None and key in messages(lang):
        try:
            text = t(key, lang, **exc.values)
        except (KeyError, IndexError, ValueError):
            text = str(exc)
    return " ".join(text.splitlines())


FIELD_OF_KIND = {"model": "model", "accelerator": "gpu", "grid region": "grid", "lever": "levers"}
"""An unknown id's kind -> the request field that gives it."""


def field_of(exc: CostlmError) -> str | None:
    """The request field an error names ('mfu: ...' -> 'mfu'; an unknown accelerator -> 'gpu'), if any."""
    if isinstance(exc, UnknownIdError):
        return FIELD_OF_KIND.get(str(exc.values.get("kind")))
    match = _FIELD.match(str(exc))
    return match.group(1) if match else None


def error_body(exc: CostlmError, lang: str = "en") -> dict[str, Any]:
    """``{code, message}`` plus ``field`` when the message names one."""
    body: dict[str, Any] = {"code": exc.code, "message": message_of(exc, lang)}
    field = field_of(exc)
    if field is not None:
        body["field"] = field
    return body
