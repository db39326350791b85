"""`osq audit`, the parts that need no build: reading the ledger, the exit codes without a ledger or with an
empty one, and how a number and its territory are read in free text (the CAPSO tier tests the audit on real
builds: tests/capso/test_audit.py, tests/capso/test_audit_convention.py).
"""

from __future__ import annotations

import pandas as pd
import pytest
from bs4 import BeautifulSoup

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


# Made-up figures of a made-up commune (99001, « Villetest »): how the audit reads a number, not real values.
LEDGER_VILLETEST = (
    "commune;99001;Villetest;nb_personnes_menages_fiscaux;Personnes des ménages fiscaux;personnes;0;2019;101;"
    "moins_de_50_menages\n"
    "commune;99001;Villetest;nb_menages_fiscaux;Ménages fiscaux;ménages;0;2018;40;moins_de_50_menages\n"
    "commune;99001;Villetest;taux_pauvrete;Taux de pauvreté;%;1;2021;34.0;moins_de_50_menages\n"
    "commune;99002;Villetest;taux_pauvrete;Taux de pauvreté;%;1;2021;21.3;moins_de_50_menages\n")
PUBLIES_VILLETEST = [  # (code, indicateur, libellé, année, valeur as exported)
    ("99001", "population", "Population municipale", "2020", "101"),
    ("99001", "taux_pauvrete", "Taux de pauvreté", "2015", "34,0"),
    ("99001", "taux_pauvrete", "Taux de pauvreté", "2019", "34,0"),
    ("99001", "taux_pauvrete_40_49", "Taux de pauvreté des ménages dont le référent a de 40 à 49 ans", "2019", ""),
    ("99002", "taux_pauvrete", "Taux de pauvreté", "2019", "20,8"),
]


def _index_villetest(tmp_path):
    _ledger_file(tmp_path / "m.csv", LEDGER_VILLETEST)
    export = pd.DataFrame([{"niveau": "commune", "code": c, "territoire": "Villetest", "indicateur": i,
                            "indicateur_libelle": lib, "annee": a, "valeur": v} for c, i, lib, a, v in PUBLIES_VILLETEST])
    return A._build_index(registre.lire(tmp_path / "m.csv"), {tmp_path / "chiffres.csv": export})


def _fuites(index, text: str, contexte=frozenset({"99001"})) -> list[tuple[str, int]]:
    found = A._audit_segments([A._Segment("texte", text, set(contexte))], "notes/communale-99001.html", index)
    return [(f.indicateur, f.annee) for f in found]


def test_a_number_another_published_figure_explains_is_not_a_leak(tmp_path):
    """A number equal to a masked value is no leak when the sentence is about a figure the site publishes for the
    same territory (another indicator, or a year it gives); the masked value's own words and year still are."""
    index = _index_villetest(tmp_path)
    assert _fuites(index, "Villetest compte 101 habitants.") == []
    assert _fuites(index, "Population municipale, en 2020 : Villetest (101).") == []
    assert _fuites(index, "Personnes des ménages fiscaux de Villetest en 2019 : 101.") == [
        ("nb_personnes_menages_fiscaux", 2019)]
    # The same indicator's published years, named in the sentence beside the masked one's « secret ».
    assert _fuites(index, "Taux de pauvreté : à Villetest, de 34,0 % en 2015 à 34,0 % en 2019 ; secret en 2021.") == []
    assert _fuites(index, "Taux de pauvreté en 2021 à Villetest : 34,0 %.") == [("taux_pauvrete", 2021)]
    # Without a published figure to explain it, a homonym's masked value is still found.
    assert _fuites(index, "Taux de pauvreté à Villetest : 21,3 %.", {"99002"}) == [("taux_pauvrete", 2021)]


def test_numbers_of_a_label_an_axis_or_a_legend_are_no_values(tmp_path):
    index = _index_villetest(tmp_path)
    assert _fuites(index, "Soumis au secret pour Villetest : Ménages fiscaux, Taux de pauvreté des ménages dont "
                          "le référent a de 40 à 49 ans.") == []
    assert _fuites(index, "Ménages fiscaux de Villetest en 2018 : 40.") == [("nb_menages_fiscaux", 2018)]
    page = ('<h1>Villetest</h1><svg><text class="osq-axe">34,0</text></svg>'
            '<div class="osq-legende"><ul><li><span></span>21,3 % – 34,0 %</li></ul></div>')
    assert A._audit_soup(BeautifulSoup(page, "html.parser"), "notes/communale-99001.html", index) == []
    page = '<h1>Villetest</h1><p>Taux de pauvreté en 2021 : 34,0 %.</p>'
    assert len(A._audit_soup(BeautifulSoup(page, "html.parser"), "notes/communale-99001.html", index)) == 1


def test_a_json_object_with_its_code_is_about_that_territory_only(tmp_path):
    index = _index_villetest(tmp_path)
    data = {"territoires": [{"code": "99002", "libelle": "Villetest", "valeurs": {"taux_pauvrete": [34.0, 2021]}},
                            {"code": "99001", "libelle": "Villetest", "valeurs": {"taux_pauvrete": [34.0, 2021]}}]}
    found = A._audit_segments(A._json_segments(data, index, set(), "donnée JSON"), "donnees/c.js", index)
    assert [(f.indicateur, f.annee, f.fichier) for f in found] == [("taux_pauvrete", 2021, "donnees/c.js")]
    assert "/territoires/1/" in found[0].emplacement


def test_a_sentence_without_a_year_is_read_as_the_latest(tmp_path):
    """Without a year, a sentence gives the indicator's latest figure: equal to a masked older year's, it is that
    published figure; equal to the masked latest year's (an older year being the same), it is a leak."""
    index = _index_villetest(tmp_path)
    rows = "commune;99001;Villetest;taux_pauvrete;Taux de pauvreté;%;1;2014;34.0;moins_de_50_menages\n"
    _ledger_file(tmp_path / "m2.csv", rows)
    older = A._build_index(registre.lire(tmp_path / "m2.csv"), {tmp_path / "chiffres.csv": pd.DataFrame(
        [{"niveau": "commune", "code": c, "territoire": "Villetest", "indicateur": i, "indicateur_libelle": lib,
          "annee": a, "valeur": v} for c, i, lib, a, v in PUBLIES_VILLETEST])})
    assert _fuites(older, "Taux de pauvreté : à Villetest, la valeur (34,0 %) dépasse celle du département.") == []
    assert _fuites(index, "Taux de pauvreté : à Villetest, la valeur (34,0 %) dépasse celle du département.") == [
        ("taux_pauvrete", 2021)]


def test_the_year_of_a_paragraph_or_a_figure_title_tells_which_figure_a_number_is(tmp_path):
    index = _index_villetest(tmp_path)
    # The masked 2021 rate is the latest: without a year anywhere, « 34,0 % » may be it.
    assert _fuites(index, "Taux de pauvreté : à Villetest, la valeur (34,0 %) dépasse celle du département.") != []
    # The paragraph's first sentence gives the year of the next one's figure.
    assert _fuites(index, "Taux de pauvreté, en 2019 : face au département. La valeur de Villetest (34,0 %) "
                          "dépasse la sienne.") == []
    page = ('<h1>Villetest</h1><div class="osq-interactif"><p class="osq-figure-titre">Taux de pauvreté en 2019</p>'
            '<svg><a aria-label="Villetest : 34,0 %"></a></svg></div>')
    assert A._audit_soup(BeautifulSoup(page, "html.parser"), "notes/communale-99001.html", index) == []
    page = page.replace("en 2019", "en 2021")
    assert len(A._audit_soup(BeautifulSoup(page, "html.parser"), "notes/communale-99001.html", index)) == 1
