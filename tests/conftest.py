from __future__ import annotations

import pytest

from costlm import api
from costlm.catalog.schema import Catalog


@pytest.fixture(scope="session")
def cat() -> Catalog:
    return api.load_catalog()
