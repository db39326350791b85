"""The comparison page's data (batch.comparaison) and page: French formatting at the producer's precision, the
marks of secret and missing figures, no value of a secret row, French order, a valid script. Frames are small
and written for each rule: the figures are illustrative, never real ones."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from osq_utils.batch import comparaison, pages
from osq_utils.batch.render_pandoc import render_page
from osq_utils.catalogues.glossaire import Glossaire, Indicateur

NBSP, NNBSP = "\u00a0", "\u202f"


def _ind(code, libelle, theme, unite, type_="taux", decimales=1, niveaux=("commune", "epci")) -> Indicateur:
    return Indicateur(code=code, libelle=libelle, theme=theme, definition="", unite=unite, type=type_, numerateur="n",
                      denominateur="d", sources=("s",), niveaux=niveaux, annees=(2020, 2021), sens="neutre",
                      decimales=decimales)


GLOSSAIRE = Glossaire({i.code: i for i in [
    _ind("revenu", "Revenu médian", "revenus", "€", "non_additif", 0),
    _ind("pauvrete", "Taux de pauvreté", "revenus", "%"),
    _ind("habitants", "Habitants", "population", "", "compte", 0),
    _ind("inutile", "Jamais chargé", "population", "%"),
]}, {"population": "Population", "revenus": "Revenus", "vide": "Thème sans indicateur"})

COLS = ["niveau", "code", "territoire", "indicateur", "annee", "valeur", "numerateur", "denominateur", "statut",
        "estime", "decimales"]


def _frame(rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=COLS)


def _row(niveau, code, nom, ind, annee, valeur, statut="ok", decimales=None, estime=False, num=None):
    return (niveau, code, nom, ind, annee, valeur, num, None, statut, estime, decimales)


FRAME = _frame([
    _row("commune", "00001", "Zouafques", "revenu", 2021, 20123.0),
    _row("commune", "00002", "Éperlecques", "revenu", 2021, 19870.4),
    _row("commune", "00002", "Éperlecques", "revenu", 2020, 19000.0),
    _row("commune", "00002", "Éperlecques", "pauvrete", 2021, 21.0, decimales=0),
    _row("commune", "00003", "Ecques", "pauvrete", 2021, 21.34),
    _row("commune", "00004", "Esquerdes", "pauvrete", 2021, None, "secret"),
    _row("commune", "00004", "Esquerdes", "pauvrete", 2020, 13.7),
    _row("commune", "00005", "ecques-bis", "habitants", 2021, 1234.0, estime=True),
    _row("epci", "900000001", "CA d'essai", "revenu", 2021, 20500.0),
    _row("epci", "900000001", "CA d'essai", "habitants", 2021, 98765.0),
    _row("france", "FRM", "France métropolitaine", "pauvrete", 2021, 14.5),
    # an absent year after a published one: the published one is the latest figure
    _row("commune", "00001", "Zouafques", "pauvrete", 2020, 18.0),
    _row("commune", "00001", "Zouafques", "pauvrete", 2021, None, "absent"),
])


@pytest.fixture(scope="module")
def donnees() -> dict:
    return comparaison.donnees_comparaison(FRAME, GLOSSAIRE)


def _terr(donnees, code) -> dict:
    return next(t for t in donnees["territoires"] if t["code"] == code)


def test_values_are_formatted_in_french_with_the_precision_published(donnees):
    assert _terr(donnees, "00002")["valeurs"]["revenu"] == [f"19{NNBSP}870{NBSP}€", 2021, "ok"]
    assert _terr(donnees, "00002")["valeurs"]["pauvrete"] == [f"21{NBSP}%", 2021, "ok"]  # producer: no decimal
    assert _terr(donnees, "00003")["valeurs"]["pauvrete"] == [f"21,3{NBSP}%", 2021, "ok"]  # glossary: one
    assert _terr(donnees, "00005")["valeurs"]["habitants"] == [f"1{NNBSP}234{NBSP}(e)", 2021, "ok"]


def test_latest_year_and_marks(donnees):
    # secret at the latest year: « s » at that year, never the older figure
    assert _terr(donnees, "00004")["valeurs"]["pauvrete"] == ["s", 2021, "secret"]
    # nothing for an indicator the territory lacks: « nd », no year
    assert _terr(donnees, "00003")["valeurs"]["revenu"] == ["nd", None, "absent"]
    # absent at the latest year, published the year before: the published figure
    assert _terr(donnees, "00001")["valeurs"]["pauvrete"] == [f"18,0{NBSP}%", 2020, "ok"]
    # a level where the producer does not publish the figure: « np »
    assert _terr(donnees, "FRM")["valeurs"]["revenu"] == ["np", None, "absent"]


def test_a_secret_row_never_gives_its_value_even_when_the_frame_holds_one():
    """The masked view already empties a secret row; a row that still held a value (a bug upstream) must
    not reach the file either: numerator and value are never read for a row that is not « ok »."""
    frame = _frame([_row("commune", "00001", "Alpha", "revenu", 2021, 48213.0, "secret", num=48213.0),
                    _row("commune", "00002", "Beta", "revenu", 2021, 17654.0)])
    text = comparaison.script_donnees(comparaison.donnees_comparaison(frame, GLOSSAIRE))
    assert "48213" not in text and f"48{NNBSP}213" not in text and "48 213" not in text
    assert f"17{NNBSP}654" in text


def test_territories_in_french_order_notes_levels_first(donnees):
    noms = [t["libelle"] for t in donnees["territoires"]]
    assert noms == ["Ecques", "ecques-bis", "Éperlecques", "Esquerdes", "Zouafques", "CA d'essai",
                    "France métropolitaine"]
    assert [n["code"] for n in donnees["niveaux"]] == ["commune", "epci", "france"]
    assert donnees["niveaux"][0]["libelle"] == "Communes"


def test_themes_in_glossary_order_without_empty_ones(donnees):
    assert [(t["code"], [i["code"] for i in t["indicateurs"]]) for t in donnees["themes"]] == [
        ("population", ["habitants"]), ("revenus", ["revenu", "pauvrete"])]
    assert donnees["themes"][1]["indicateurs"][0] == {"code": "revenu", "libelle": "Revenu médian", "unite": "€"}


def test_keys_get_their_level_when_two_levels_share_a_code():
    frame = _frame([_row("commune", "62", "Alpha", "revenu", 2021, 1.0),
                    _row("departement", "62", "Pas-de-Calais", "revenu", 2021, 2.0),
                    _row("commune", "00002", "Beta", "revenu", 2021, 3.0)])
    cles = [t["cle"] for t in comparaison.donnees_comparaison(frame, GLOSSAIRE)["territoires"]]
    assert cles == ["commune:62", "00002", "departement:62"]


def test_a_stratum_count_is_not_compared():
    frame = _frame([_row("strate", "S5", "Communes de 1 000 à 1 999 habitants", "habitants", 2021, 4321.0),
                    _row("strate", "S5", "Communes de 1 000 à 1 999 habitants", "pauvrete", 2021, 12.0)])
    vals = comparaison.donnees_comparaison(frame, GLOSSAIRE)["territoires"][0]["valeurs"]
    assert vals["habitants"] == ["-", 2021, "sans_objet"]
    assert vals["pauvrete"][2] == "ok"


def test_the_script_is_valid_json_behind_its_variable(donnees, tmp_path):
    path = comparaison.ecrire_comparaison(FRAME, GLOSSAIRE, tmp_path)
    assert path.name == "comparaison.js"
    text = path.read_text(encoding="utf-8")
    m = re.fullmatch(r"window\.OSQ_COMPARAISON = (.*);\n", text, re.S)
    assert m, text[:80]
    assert json.loads(m.group(1)) == donnees
    mtime = path.stat().st_mtime_ns
    comparaison.ecrire_comparaison(FRAME, GLOSSAIRE, tmp_path)  # unchanged: not rewritten
    assert path.stat().st_mtime_ns == mtime


def test_the_page_is_in_the_menu_and_renders_with_pandoc(tmp_path):
    assert ("Comparer", "comparer.html") in pages.NAV
    md = comparaison.comparaison_markdown()
    out = render_page(md, tmp_path / "comparer.html", title="Comparer des territoires", site_title="Essai",
                      nav=pages.NAV, root_href=".", toc=False)
    page = out.read_text(encoding="utf-8")
    assert '<script src="donnees/comparaison.js"></script>' in page
    assert 'id="cmp-ajouter"' in page and "Ajouter un territoire" in page
    assert 'role="region"' in page and 'tabindex="0"' in page and 'role="status"' in page
    assert f"«{NBSP}s{NBSP}»{NBSP}: secret statistique" in page and f"«{NBSP}nd{NBSP}»{NBSP}: non disponible" in page
    # offline: no address outside the site, and no HTML parsed from the data
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)
    assert "innerHTML" not in md and "fetch(" not in md
