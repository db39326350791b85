"""A store held by another process: a French error, not DuckDB's English lock message (issue 13)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from osq_utils import store
from osq_utils.errors import OsqError


def test_store_opened_by_another_process_is_a_french_error(tmp_path):
    path = tmp_path / "osq.duckdb"
    store.connect(path).close()
    holder = subprocess.Popen([sys.executable, "-c", "import duckdb, sys, time\n"
                               f"con = duckdb.connect({str(path)!r})\nprint('ouverte', flush=True)\ntime.sleep(60)"],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ouverte"
        with pytest.raises(OsqError) as info:
            store.connect(path)
        assert "déjà ouverte en écriture par un autre programme" in info.value.message
        assert info.value.fichier == path and "relancez" in info.value.correction
    finally:
        holder.kill()
        holder.wait()
