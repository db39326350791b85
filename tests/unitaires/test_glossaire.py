
"""The glossary: complete definitions, and every indicator really present in the store."""

from __future__ import annotations

import pytest

from osq_utils.catalogues.glossaire import load_glossaire
from osq_utils.errors import OsqError

REQUIRED_THEMES = {"demographie", "menages", "revenus", "logement", "sante", "emploi"}


def test_at_least_25_indicators_covering_the_themes(glossaire):
    assert len(glossaire.indicateurs) >= 25
    assert REQUIRED_THEMES <= {i.theme for i in glossaire}


def test_non_additive_indicators_have_no_numerator(glossaire):
    for ind in glossaire:
        if ind.type == "non_additif":
            assert ind.numerateur == "non additif" and ind.denominateur == "non additif", ind.code
        if ind.type in ("moyenne", "densite"):
            assert ind.numerateur and ind.denominateur, ind.code


def test_sources_of_indicators_exist(glossaire, catalogue):
    for ind in glossaire:
        for src in ind.sources:
            assert src in catalogue, (ind.code, src)


def test_invalid_glossary_is_a_located_error(tmp_path):
    bad = tmp_path / "glossaire.yml"
    bad.write_text("themes: {revenus: Revenus}\nindicateurs:\n  - code: x\n    libelle: X\n", encoding="utf-8")
    with pytest.raises(OsqError, match="sans champ « theme »"):
        load_glossaire(bad)


def test_agregeable_must_be_a_boolean(tmp_path):
    path = tmp_path / "glossaire.yml"
    path.write_text(
        "themes: {revenus: Revenus}\nindicateurs:\n  - code: x\n    libelle: X\n    theme: revenus\n    definition: d\n"
        "    unite: '%'\n    type: taux\n    numerateur: n\n    denominateur: d\n    sources: []\n    niveaux: [commune]\n"
        "    annees: [2019]\n    sens: neutre\n    seuil_secret: {}\n    agregeable: non\n", encoding="utf-8")
    with pytest.raises(OsqError, match="agregeable") as err:
        load_glossaire(path)
    assert err.value.ligne == 16
