
"""French number formatting, as a reader sees it."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from osq_utils.present import fr

NBSP, NNBSP = "\u00a0", "\u202f"


@pytest.mark.parametrize(
    "func, args, expected",
    [
        (fr.pourcent, (21,), f"21,0{NBSP}%"),
        (fr.pourcent, (18.7,), f"18,7{NBSP}%"),
        (fr.euros, (16070,), f"16{NNBSP}070{NBSP}€"),
        (fr.points, (1.2,), f"+1,2{NBSP}point"),
        (fr.points, (-2.5,), f"-2,5{NBSP}points"),
        (fr.nombre, (1234567.891, 2), f"1{NNBSP}234{NNBSP}567,89"),
        (fr.nombre, (0.25, 1), "0,3"),  # half-up, as INSEE rounds
        (fr.pour_mille, (7.787519, 1), f"7,8{NBSP}‰"),
        (fr.pour_mille, (1234.5, 1), f"1{NNBSP}234,5{NBSP}‰"),
        (fr.pourcent, (-0.04,), f"0,0{NBSP}%"),  # a change rounding to zero has no sign
        (fr.nombre, (-0.4, 0), "0"),
        (fr.nombre, (-0.06, 1), "-0,1"),
    ],
)
def test_formats(func, args, expected):
    assert func(*args) == expected


def test_marks_never_zero():
    assert fr.valeur(None, "%", statut="secret") == "s"
    assert fr.valeur(float("nan"), "€") == "nd"
    assert fr.valeur(0.0, "%", statut="absent") == "nd"
    assert fr.valeur(0.0, "%") == f"0,0{NBSP}%"
    assert fr.valeur(None, "‰", statut="secret") == "s"
    assert fr.valeur(float("nan"), "‰") == "nd"
    assert fr.valeur(5.25025, "‰", 2) == f"5,25{NBSP}‰"


def test_years_ranges():
    assert fr.annees([2014, 2015, 2016, 2018, 2019]) == "2014 à 2016, 2018, 2019"


@given(st.floats(min_value=-1e9, max_value=1e9, allow_nan=False))
def test_nombre_round_trips(x):
    text = fr.nombre(x, 2)
    back = float(text.replace(NNBSP, "").replace(",", "."))
    assert math.isclose(back, x, abs_tol=0.0051)


def test_a_figure_keeps_the_precision_its_producer_published():
    from osq_utils.catalogues.glossaire import Indicateur

    # Illustrative rows, not real figures: a rate the producer published as a whole number, one OSQ computed.
    ind = Indicateur(code="t", libelle="T", theme="revenus", definition="", unite="%", type="taux", numerateur="n",
                     denominateur="d", sources=(), niveaux=("commune",), annees=(2019,), sens="neutre", decimales=1,
                     niveaux_producteur=("commune", "departement"))
    assert fr.valeur_observation({"valeur": 21.0, "statut": "ok", "decimales": 0}, ind) == f"21{NBSP}%"
    assert fr.valeur_observation({"valeur": 21.04, "statut": "ok", "decimales": None}, ind) == f"21,0{NBSP}%"
    assert fr.valeur_observation({"valeur": 17.8, "statut": "ok", "decimales": 1, "estime": True}, ind) == f"17,8{NBSP}%{NBSP}(e)"


def test_a_missing_figure_says_why():
    from osq_utils.catalogues.glossaire import Indicateur

    common = dict(libelle="X", theme="revenus", definition="", unite="%", sources=(), annees=(2019,), sens="neutre")
    median = Indicateur(code="m", type="non_additif", numerateur=None, denominateur=None, niveaux=("commune", "epci"),
                        **common)
    rate = Indicateur(code="r", type="taux", numerateur="n", denominateur="d", niveaux=("commune",), **common)
    no_numerator = Indicateur(code="p", type="taux", numerateur="n", denominateur="d", niveaux=("commune",),
                              agregeable=False, **common)
    assert fr.valeur_observation({"valeur": None, "statut": "secret", "niveau": "commune"}, median) == "s"
    assert fr.valeur_observation({"valeur": None, "statut": "absent", "niveau": "epci"}, median) == "nd"
    assert fr.valeur_observation({"valeur": None, "statut": "absent", "niveau": "strate"}, median) == "np"
    assert fr.valeur_observation({"valeur": None, "statut": "absent", "niveau": "departement"}, rate) == "nd"
    assert fr.valeur_observation({"valeur": None, "statut": "absent", "niveau": "departement"}, no_numerator) == "np"


def test_the_reason_of_a_missing_figure_is_the_legend_of_its_mark():
    assert fr.raison("secret") == "soumis au secret statistique"
    assert fr.raison("absent", publie=True) == "absent des sources de l'observatoire"
    assert fr.raison("absent", publie=False) == "non publié par le producteur à ce niveau"
    # The words of the legend printed under every table.
    assert f"« np » : {fr.raison('absent', publie=False)}" in fr.LEGENDE_MARQUES
    assert f"« nd » : {fr.raison('absent')}" in fr.LEGENDE_MARQUES


def test_french_order_ignores_accents_and_case():
    # Names of the CAPSO's communes: Python's default order puts « Éperlecques » after « Zouafques ».
    noms = ["Zouafques", "Éperlecques", "Esquerdes", "Ecques", "arques", "Aire-sur-la-Lys"]
    assert sorted(noms)[-1] == "Éperlecques"
    assert sorted(noms, key=fr.cle_tri) == ["Aire-sur-la-Lys", "arques", "Ecques", "Éperlecques", "Esquerdes",
                                            "Zouafques"]
