
"""Sources: catalogue against the mirror, fetch from the mirror, download from an address, checksums."""

from __future__ import annotations

import pytest

from osq_utils.catalogues.sources import load_catalogue
from osq_utils.errors import OsqError, SourceManquante
from osq_utils.sources import fetch_file, source_file


def test_catalogue_entries_are_complete(catalogue):
    for s in catalogue.values():
        assert s.producteur and s.licence and s.millesimes and s.niveaux and s.lecteur and s.citation, s.id
        for f in s.fichiers:
            assert f.url or f.note, f"{s.id}/{f.chemin}: ni adresse ni explication"


def test_missing_source_says_so_in_french(tmp_path, monkeypatch, catalogue):
    monkeypatch.setenv("OSQ_SOURCES", str(tmp_path))
    src = catalogue["insee-bpe-2019-france"]
    with pytest.raises(SourceManquante) as err:
        fetch_file(src, src.fichier("bpe_ens_2019_iris_france.csv.gz"), mirror=tmp_path / "vide", download=False)
    assert "introuvable" in str(err.value) and "OSQ_MIRROR" in str(err.value)
    with pytest.raises(SourceManquante, match="n'a pas encore été récupérée"):
        source_file(src.id, "bpe_ens_2019_iris_france.csv.gz", catalogue)


def _catalogue(tmp_path, extra: str):
    # An illustrative one-source catalogue, written for the test.
    path = tmp_path / "sources.yml"
    path.write_text("sources:\n  - id: essai\n    titre: t\n    producteur: p\n    lecteur: bpe\n    licence: l\n"
                    f"    page_officielle: null\n    millesimes: '2024'\n    fichiers: []\n{extra}", encoding="utf-8")
    return load_catalogue(path)


def test_exhaustive_flag_defaults_to_false_and_is_validated(tmp_path, catalogue):
    assert _catalogue(tmp_path, "")["essai"].exhaustif is False
    (tmp_path / "b").mkdir()
    assert _catalogue(tmp_path / "b", "    exhaustif: true\n")["essai"].exhaustif is True
    (tmp_path / "c").mkdir()
    with pytest.raises(OsqError, match="« exhaustif » doit valoir true ou false") as err:
        _catalogue(tmp_path / "c", "    exhaustif: oui\n")
    assert err.value.ligne == 10
    assert {s.id for s in catalogue.values() if s.exhaustif} == {"insee-bpe-2019-france", "menj-ips-2021-2022",
                                                                  "sdes-rpls-2024-communes"}
    # The national BPE supersedes the four-département extract, no longer catalogued.
    assert catalogue["insee-bpe-2019-france"].remplace == ("insee-bpe-2019-iris",)
    assert "insee-bpe-2019-iris" not in catalogue
