"""Soft caveats that travel inside results (not exceptions): assumed MFU, stale price, estimated inputs."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Caveat(BaseModel):
    """A soft caveat shown by the front-ends next to a result: a stable ``code`` and a message."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str
    message: str
    values: dict[str, str] = {}
