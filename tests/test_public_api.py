from __future__ import annotations

import subprocess
import sys

import costlm
from costlm import api


def test_all_is_exported_and_matches_api() -> None:
    for name in costlm.__all__:
        assert getattr(costlm, name) is not None
        if name != "__version__":
            assert getattr(costlm, name) is getattr(api, name)
    assert set(costlm.__all__) - {"__version__"} <= set(api.__all__)


def test_importing_cli_does_not_load_heavy_modules() -> None:
    heavy = "('numpy', 'pydantic', 'matplotlib', 'costlm.api')"
    code = f"import sys, costlm.cli; print(sorted(m for m in {heavy} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    assert out.strip() == "[]"
