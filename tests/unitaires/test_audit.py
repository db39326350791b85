"""`osq audit`, the parts that need no build: reading the ledger, the exit codes without a ledger or with an
empty one, and how a number and its territory are read in free text (the CAPSO tier tests the audit on real
builds: tests/capso/test_audit.py, tests/capso/test_audit_convention.py).
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


def _ledger_file(path, rows: str = "") -> None:
    path.write_text(";".join(registre.COLONNES) + "\n" + rows, encoding="utf-8")


def test_empty_ledger_without_exports_exits_2(tmp_path, capsys):
    """An empty ledger proves nothing by itself: without the site's exports to check the secret rules against,
    the audit cannot say that no value needed masking, and fails (exit 2, `osq audit` too)."""
    site = tmp_path / "obs" / "site"
    site.mkdir(parents=True)
    (site / "index.html").write_text("<h1>Arques</h1><p>Note communale.</p>", encoding="utf-8")
    _ledger_file(tmp_path / "obs" / "masques-public.csv")
    assert A.main(site) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "le registre des valeurs masquées est vide" in err and "aucun export des chiffres publiés" in err
    assert "Correction" in err


# Insee, cc_filosofi_2021_COM.csv, row 62040 (Arques): MED21 = 19590 (€, niveau de vie médian 2021).
MEDIAN_ARQUES = "commune;62040;Arques;revenu_median;Niveau de vie médian;€;0;2021;19590;moins_de_50_menages\n"


def test_every_printed_form_of_a_number_is_read():
    forms = {f"19{chr(0x202f)}590{chr(0xa0)}€": "19590", "19\u00a0590": "19590", "19\u2009590": "19590",
             "19 590": "19590", "19590": "19590", "19590.0": "19590.0", "19 590,0": "19590.0", "70,6 %": "70.6"}
    for text, value in forms.items():
        tokens = [t for t in A._tokens(f"Arques : {text}.") if t.strong]
        assert [str(t.value) for t in tokens][:1] == [value], text
    # Years, ranges of ages, gaps and codes are never values.
    assert [t.value for t in A._tokens("15-64 ans, +1,2 point, écart × 0,94") if not t.year] == []
    assert all(t.year for t in A._tokens("en 2021"))


def test_a_masked_value_is_found_in_every_form(tmp_path):
    _ledger_file(tmp_path / "m.csv", MEDIAN_ARQUES)
    index = A._build_index(registre.lire(tmp_path / "m.csv"), {})
    for text in ("19 590 €", "19590", "19590.0", "19 590,00"):
        (token,) = [t for t in A._tokens(text) if t.strong][:1]
        assert [m.code for m in index.find(token)] == ["62040"], text
    # Its territory, by name in any case or by code.
    assert [sorted(mt.codes) for mt in index.mentions(A._fold("ARQUES, Arques (62040)"))] == [["62040"]] * 3
