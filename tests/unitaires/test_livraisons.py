
"""Partner deliveries read through their provider convention (osq_utils/ingest/livraisons.py).

Delivery files are written at test time (tests/livraisons.py) with values cut from the real store
built from the mirror, or from the mirror's files: no figure is invented.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from osq_utils.catalogues.conventions import fraicheur, load_convention, load_conventions
from osq_utils.catalogues.racine import PROJECT_ROOT
from osq_utils.errors import OsqError

CONVENTIONS = PROJECT_ROOT / "data" / "conventions"
def test_repository_conventions_load_against_the_real_glossary():
    conventions = load_conventions()
    assert set(conventions) == {"livraison-caf-pas-de-calais", "livraison-bailleur-exemple", "livraison-france-travail"}
    caf = conventions["livraison-caf-pas-de-calais"]
    assert (caf.periodicite, caf.format, caf.echelle) == ("annuelle", "xlsx", "iris")
    assert [f.feuille for f in caf.fichiers] == ["Allocataires", "Ressources"]
    rate = caf.fichiers[1].colonnes[0]
    assert (rate.indicateur, rate.type, rate.entete) == ("part_allocataires_dependants_50", "taux", None)
    assert conventions["livraison-france-travail"].echelle == "qpv"


def _broken_convention(tmp_path: Path, old: str, new: str) -> Path:
    text = (CONVENTIONS / "caf-pas-de-calais.yml").read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "caf-pas-de-calais.yml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def _line_of(path: Path, text: str) -> int:
    return next(i for i, t in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if text in t)


def test_convention_errors_are_located_and_say_the_fix(tmp_path):
    path = _broken_convention(tmp_path, "Foyers allocataires / dont RSA: allocataires_rsa",
                              "Foyers allocataires / dont RSA: allocataires_rsa_socle")
    with pytest.raises(OsqError) as err:
        load_convention(path)
    assert err.value.ligne == _line_of(path, "allocataires_rsa_socle") and "allocataires_rsa_socle" in err.value.message
    assert "glossaire" in err.value.correction

    path = _broken_convention(tmp_path, "periodicite: annuelle", "periodicite: annuel")
    with pytest.raises(OsqError, match="annuel") as err:
        load_convention(path)
    assert err.value.ligne == _line_of(path, "periodicite: annuel") and "mensuelle, trimestrielle" in err.value.correction

    # A rate declared as a ready-made column: refused, rates are recomputed.
    path = _broken_convention(tmp_path, "Foyers allocataires / Ensemble: allocataires_caf",
                              "Foyers allocataires / Ensemble: part_allocataires_dependants_50")
    with pytest.raises(OsqError, match="recalculé à partir de son numérateur"):
        load_convention(path)

    path = _broken_convention(tmp_path, "seuils: {public: 5, partenaires: 5}", "seuils: {public: cinq, partenaires: 5}")
    with pytest.raises(OsqError, match="seuil « public »"):
        load_convention(path)


def test_fraicheur_next_delivery_and_lateness(tmp_path):
    path = _broken_convention(tmp_path, "derniere_livraison: null", "derniere_livraison: 2024-06-30")
    conv = load_convention(path)
    table = fraicheur([conv], date(2025, 7, 15))
    row = table.iloc[0]
    assert row["prochaine_livraison"] == date(2025, 6, 30) and bool(row["en_retard"])
    assert not fraicheur([conv], date(2025, 6, 1)).iloc[0]["en_retard"]
    # No delivery yet: nothing expected, never "late".
    assert fraicheur(load_conventions(), date(2025, 1, 1))["prochaine_livraison"].isna().all()


# --- reading deliveries ----------------------------------------------------------
