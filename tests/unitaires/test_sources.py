
"""Sources: catalogue against the mirror, fetch from the mirror, download from an address, checksums."""

from __future__ import annotations

import pytest

from osq_utils.errors import SourceManquante
from osq_utils.sources import fetch_file, source_file


def test_catalogue_entries_are_complete(catalogue):
    for s in catalogue.values():
        assert s.producteur and s.licence and s.millesimes and s.niveaux and s.lecteur and s.citation, s.id
        for f in s.fichiers:
            assert f.url or f.note, f"{s.id}/{f.chemin}: ni adresse ni explication"


def test_missing_source_says_so_in_french(tmp_path, monkeypatch, catalogue):
    monkeypatch.setenv("OSQ_SOURCES", str(tmp_path))
    src = catalogue["insee-bpe-2019-iris"]
    with pytest.raises(SourceManquante) as err:
        fetch_file(src, src.fichiers[0], mirror=tmp_path / "vide", download=False)
    assert "introuvable" in str(err.value) and "OSQ_MIRROR" in str(err.value)
    with pytest.raises(SourceManquante, match="n'a pas encore été récupérée"):
        source_file(src.id, src.fichiers[0].chemin, catalogue)
