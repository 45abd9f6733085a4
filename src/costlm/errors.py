"""Typed errors and soft warnings.

Every error a user can cause is a ``CostlmError``; front-ends print its message on
one line (CLI exit code 2, web 4xx) and never a traceback::

    CostlmError
    +-- InputError            a number or option the user gave is invalid
    |   +-- UnknownIdError    an accelerator, model, run, region, lever... id is not in the catalog
    |   +-- LeverError        a cost lever that does not apply to the work (wrong work, MoE on an MoE)
    +-- CatalogError          a catalog file is malformed (names file, entry and field)
    +-- ConfigError           a configuration that cannot run (does not fit, impossible)

Soft caveats (assumed MFU, stale price, estimated architecture) are ``Caveat``
records (``costlm.caveats``) carried inside results, not exceptions. This module
imports only the standard library, so the CLI starts fast.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping


class CostlmError(Exception):
    """Base of every error costlm raises on purpose.

    ``key`` and ``values`` (optional) let a front-end render the message in another language
    from the i18n catalog (``err.<key>``); ``str(error)`` is always the English message.
    """

    code = "costlm_error"

    def __init__(self, message: str, *, key: str | None = None, **values: object) -> None:
        super().__init__(message)
        self.key = key
        self.values = values


class InputError(CostlmError, ValueError):
    """A user-supplied value is invalid (NaN, negative, out of range, malformed)."""

    code = "invalid_input"


_LISTINGS = {
    "accelerator": "costlm catalog list accelerators",
    "model": "costlm catalog list models",
    "run": "costlm catalog list runs",
    "source": "costlm catalog list sources",
    "grid region": "costlm catalog list grid",
    "claim": "costlm check",
    "lever": "costlm catalog list levers",
    "model or accelerator": "costlm catalog list models",
    "API price": "costlm catalog list api_prices",
}


MAX_SHOWN_NAME_CHARS = 80
"""A longer unknown name is cut in the message (the line stays readable)."""


def _id_names(known: Iterable[object] | Mapping[str, object]) -> dict[str, str]:
    """Every accepted name (lowered) -> its id, both strings.

    ``known`` is a list of ids, a mapping of names (aliases too) to ids, or a catalog table
    (id -> entry): a value that is not a string is an entry, and its key is the id.
    """
    if isinstance(known, Mapping):
        pairs = [(str(k), v if isinstance(v, str) else str(k)) for k, v in known.items()]
    else:
        pairs = [(str(k), str(k)) for k in known]
    return {name.lower(): ident for name, ident in pairs}


def _shown(name: str) -> str:
    return name if len(name) <= MAX_SHOWN_NAME_CHARS else name[:MAX_SHOWN_NAME_CHARS] + "…"


class UnknownIdError(InputError, KeyError):
    """An id is not in the catalog; the message names the closest ids (always id strings)."""

    code = "unknown_id"

    def __init__(self, kind: str, name: str, known: Iterable[object] | Mapping[str, object]) -> None:
        """``known``: the valid ids, a mapping of every accepted name (aliases too) to its id,
        or a catalog table keyed by id."""
        name = _shown(str(name))
        lowered = _id_names(known)
        matches = difflib.get_close_matches(name.lower(), list(lowered), n=6, cutoff=0.5)
        close = list(dict.fromkeys(lowered[m] for m in matches))[:3]
        listing = _LISTINGS.get(kind, "costlm catalog list")
        hint = f"; did you mean {', '.join(close)}?" if close else f"; see `{listing}`"
        key = "unknown_id_close" if close else "unknown_id"
        super().__init__(
            f"unknown {kind} '{name}'{hint}", key=key, kind=kind, name=name, close=", ".join(close)
        )

    def __str__(self) -> str:  # KeyError would quote the message otherwise
        return str(self.args[0])


class LeverError(InputError):
    """A cost lever the catalog has but the work cannot take (``costlm.resolve.levers``): the user's
    error, never a configuration a planner may skip."""

    code = "lever_not_applicable"


class CatalogError(CostlmError):
    """A catalog file is missing, unreadable or fails validation."""

    code = "catalog_error"


class ConfigError(CostlmError):
    """The requested configuration cannot work (e.g. the model does not fit)."""

    code = "impossible_config"
