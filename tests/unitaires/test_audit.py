
"""`osq audit`: a masked value never reaches a published page, export, search index or notebook.

The `built_site` fixture is a real build (papermill + pandoc) of the notes of Arques (62040) and
Saint-Omer (62765). Its pages show no secret cell, so each test masks real cells in a copy of the
site as the build would (`s` on the pages, empty export rows), writes the ledger of their true
values next to it, then plants leaks and checks that the audit names the page and the value.
"""

from __future__ import annotations

import pytest

from osq_utils.batch import audit as A
from osq_utils.errors import OsqError
from osq_utils.secret import registre


def test_bad_ledger_is_located_in_french(tmp_path):
    path = tmp_path / "masques-public.csv"
    header = ";".join(c for c in registre.COLONNES if c != "regle")  # a hand-written ledger may leave out the rule
    path.write_text(header + "\ncommune;62040;Arques;revenu_median;Niveau de vie médian;€;0;2019;18520\n"
                    "commune;62040;Arques;revenu_median;Niveau de vie médian;€;0;deux mille;18520\n", encoding="utf-8")
    with pytest.raises(OsqError) as err:
        registre.lire(path)
    assert err.value.ligne == 3 and err.value.colonne == "annee"
    assert "n'est pas un entier" in str(err.value) and "Correction" in str(err.value)

    path.write_text(header.replace(";valeur", "") + "\n", encoding="utf-8")
    with pytest.raises(OsqError) as err:
        registre.lire(path)
    assert err.value.ligne == 1 and err.value.colonne == "valeur"

    path.write_text(header + "\ncommune;62040;Arques;revenu_median;Niveau de vie médian;€;0;2019;dix-huit\n",
                    encoding="utf-8")
    with pytest.raises(OsqError) as err:
        registre.lire(path)
    assert (err.value.ligne, err.value.colonne) == (2, "valeur")


def test_missing_ledger_exits_2(tmp_path, capsys):
    site = tmp_path / "obs" / "site-partenaires"
    site.mkdir(parents=True)
    assert A.ledger_path(site) == tmp_path / "obs" / "masques-partenaires.csv"
    assert A.main(site) == 2
    err = capsys.readouterr().err
    assert "registre des valeurs masquées introuvable" in err and "masques-partenaires.csv" in err
