"""The full tier: every source of the mirror ingested into one store."""

from __future__ import annotations

from pathlib import Path

import pytest
from outils import ingest_all


@pytest.fixture(scope="session")
def store_file(tmp_path_factory, catalogue, mirror_path_of) -> Path:
    return ingest_all(tmp_path_factory.mktemp("store") / "osq.duckdb", catalogue, mirror_path_of)
