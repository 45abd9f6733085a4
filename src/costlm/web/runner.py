"""What every web route shares: the start-up settings, the sample cap, the request timeout, the
conversion of a pydantic validation failure to the typed error it wraps, and a small result cache.

Results are deterministic for a given request and seed, so a seeded request's result is kept in a
bounded in-memory cache (``RESULT_CACHE_ENTRIES``): a shared URL opened twice is computed once.
"""

from __future__ import annotations

import asyncio
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from costlm.errors import CostlmError, InputError

MAX_WEB_SAMPLES = 200_000
"""Largest Monte Carlo sample count a web request may ask for (the CLI allows more)."""
MAX_BODY_BYTES = 64 * 1024
"""Largest request body accepted: a request model is a few hundred bytes, a pasted claims file a few kB."""
MAX_CLAIMS_TEXT_CHARS = 20_000
"""Longest claims TOML a user may paste."""
REQUEST_TIMEOUT_S = 30.0
"""A computation running longer than this answers 504 (the cap on samples keeps requests far below)."""
RESULT_CACHE_ENTRIES = 256
"""Seeded results kept in memory (least recently used dropped first)."""
PAGE_ONLY_PARAMS = frozenset({"lang", "format", "submit"})
"""Query parameters of the pages that are not request fields."""

Result = TypeVar("Result")


class RequestTimeout(CostlmError):
    """A request that ran past the server's time limit."""

    code = "timeout"


@dataclass
class Settings:
    """Fixed at start-up: the catalog overlays (command line only), the limits, the cache."""

    catalog_files: tuple[str, ...] = ()
    timeout_s: float = REQUEST_TIMEOUT_S
    max_samples: int = MAX_WEB_SAMPLES
    cache: ResultCache = field(default_factory=lambda: ResultCache(RESULT_CACHE_ENTRIES))
    report_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    """Held while the report page is computed (once per language)."""
    inflight: dict[tuple[str, str], asyncio.Future[Any]] = field(default_factory=dict)
    """Seeded requests being computed: an identical request arriving meanwhile waits for that one."""


class ResultCache:
    """A thread-safe least-recently-used map of (route, request JSON) -> result."""

    def __init__(self, n_entries: int) -> None:
        self.n_entries = n_entries
        self._items: OrderedDict[tuple[str, str], Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[str, str]) -> Any | None:
        with self._lock:
            if key not in self._items:
                return None
            self._items.move_to_end(key)
            return self._items[key]

    def put(self, key: tuple[str, str], value: Any) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.n_entries:
                self._items.popitem(last=False)


def typed_error(exc: ValidationError | Any) -> CostlmError:
    """The first failure of a pydantic (or FastAPI request) validation as the typed error it wraps,
    else an InputError naming the field and pydantic's rule."""
    first = exc.errors()[0]
    cause = first.get("ctx", {}).get("error")
    if isinstance(cause, CostlmError):
        return cause
    loc = [str(p) for p in first.get("loc", ()) if p not in ("body", "query")]
    where = ".".join(loc) or "body"
    rule = str(first.get("msg", "invalid"))
    return InputError(f"{where}: {rule}", key="web_invalid", name=where, rule=rule)


Req = TypeVar("Req", bound=BaseModel)


def from_query(cls: type[Req], params: Mapping[str, list[str]]) -> Req:
    """A request model from a page's query string: empty values dropped, repeated values joined
    with commas (``levers=a&levers=b``), page-only parameters ignored."""
    fields = {
        name: ",".join(values)
        for name, values in params.items()
        if name not in PAGE_ONLY_PARAMS and any(v.strip() for v in values)
    }
    try:
        return cls.model_validate(fields)
    except ValidationError as exc:
        raise typed_error(exc) from None


def check_web_limits(request: BaseModel, settings: Settings) -> None:
    """The web's own rules on top of the request model's: the sample cap and no client file paths."""
    samples = getattr(request, "samples", 0)
    if samples > settings.max_samples:
        raise InputError(
            f"samples: {samples:,} is more than the web's cap of {settings.max_samples:,} "
            "Monte Carlo samples",
            key="web_samples_cap",
            value=f"{samples:,}",
            cap=f"{settings.max_samples:,}",
        )
    if getattr(request, "config", None) is not None:
        raise InputError(
            "config: the web does not read files named by the client; give a catalog model "
            "(start the server with --catalog to add one)",
            key="web_no_files",
        )


async def run_limited(settings: Settings, fn: Callable[[], Result]) -> Result:
    """``fn()`` in a worker thread, answering 504 past the time limit."""
    try:
        return await asyncio.wait_for(asyncio.to_thread(fn), settings.timeout_s)
    except TimeoutError:
        raise RequestTimeout(
            f"the request ran past the server's limit of {settings.timeout_s:g} s; ask for fewer samples",
            key="web_timeout",
            limit=f"{settings.timeout_s:g}",
        ) from None


async def cached(settings: Settings, route: str, request: BaseModel, fn: Callable[[], Result]) -> Result:
    """``fn()`` under the limits; a seeded request's result comes from the cache when the same
    request ran before, or from the computation of the same request already running."""
    check_web_limits(request, settings)
    if getattr(request, "seed", None) is None:
        return await run_limited(settings, fn)
    key = (route, request.model_dump_json())
    hit = settings.cache.get(key)
    if hit is not None:
        return hit  # type: ignore[no-any-return]
    if key in settings.inflight:
        return await asyncio.shield(settings.inflight[key])
    future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
    settings.inflight[key] = future
    try:
        result = await run_limited(settings, fn)
    except BaseException as exc:
        future.set_exception(exc)
        future.exception()  # retrieved: no "never retrieved" warning when nobody else waited
        raise
    finally:
        del settings.inflight[key]
    settings.cache.put(key, result)
    future.set_result(result)
    return result
