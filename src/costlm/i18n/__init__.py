"""User-facing words in English and Spanish: one TOML message catalog per language.

``t(key, lang)`` looks a message up; ``lang_from_env()`` picks the default from
LC_ALL / LC_MESSAGES / LANG. A test checks both catalogs hold the same keys.
"""

from __future__ import annotations

import functools
import os
import tomllib
from importlib import resources

from costlm.errors import InputError

LANGS = ("en", "es")


@functools.cache
def messages(lang: str) -> dict[str, str]:
    """The flat key -> message table of ``lang``."""
    if lang not in LANGS:
        raise InputError(f"unknown language '{lang}'; choose one of {', '.join(LANGS)}")
    text = resources.files("costlm.i18n").joinpath(f"{lang}.toml").read_text(encoding="utf-8")
    return {str(k): str(v) for k, v in tomllib.loads(text).items()}


def t(key: str, lang: str = "en", **values: object) -> str:
    """The message ``key`` in ``lang``, formatted with ``values``."""
    return messages(lang)[key].format(**values)


def lang_from_env() -> str:
    """'es' when the locale variables say Spanish, else 'en'."""
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var, "")
        if value:
            return "es" if value.lower().startswith("es") else "en"
    return "en"


@functools.cache
def _help_es() -> dict[str, str]:
    text = resources.files("costlm.i18n").joinpath("help_es.toml").read_text(encoding="utf-8")
    return {str(k): str(v) for k, v in tomllib.loads(text).items()}


def help_text(english: str, lang: str | None = None) -> str:
    """A CLI help string in ``lang`` (default: the environment's); gettext style, the English is the key."""
    if (lang or lang_from_env()) != "es":
        return english
    return _help_es().get(english, english)
