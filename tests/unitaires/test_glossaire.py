
"""The glossary: complete definitions, and every indicator really present in the store."""

from __future__ import annotations

import pytest

from osq_utils.catalogues.glossaire import FACTEURS, Calcul, load_glossaire
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


def _glossary(tmp_path, extra: str):
    # Illustrative entries, written for the test.
    entry = ("  - {code: %s, libelle: X, theme: sante, definition: d, unite: u, type: %s, numerateur: n, "
             "denominateur: %s, sources: [s], niveaux: [commune], annees: [2019], sens: neutre, seuil_secret: {}%s}\n")
    path = tmp_path / "glossaire.yml"
    path.write_text("themes: {sante: Santé}\nindicateurs:\n" + entry % ("effectif", "compte", "null", "")
                    + entry % ("taux_x", "taux_pour_mille", "d", extra), encoding="utf-8")
    return load_glossaire(path)


def test_rate_per_thousand_and_computed_ratio(tmp_path):
    g = _glossary(tmp_path, ", calcul: {numerateur: effectif, denominateur: population}, agregeable: false, "
                  "raison_non_agregeable: r")
    ind = g["taux_x"]
    assert ind.type == "taux_pour_mille" and FACTEURS[ind.type] == 1000.0
    assert ind.calcul == Calcul("effectif", "population") and ind.agregeable is False
    assert g["effectif"].agregeable is True and g["effectif"].calcul is None


@pytest.mark.parametrize("extra, fragment", [
    (", agregeable: non", "« agregeable » de taux_x doit valoir true ou false"),
    (", calcul: {numerateur: effectif}", "« calcul » de taux_x mal formé"),
    (", calcul: {numerateur: inconnu, denominateur: population}", "numerateur « inconnu » du calcul de taux_x"),
    (", calcul: {numerateur: effectif, denominateur: taux_x}", "denominateur « taux_x » du calcul de taux_x"),
])
def test_invalid_agregeable_or_calcul_is_a_located_error(tmp_path, extra, fragment):
    with pytest.raises(OsqError, match=fragment) as err:
        _glossary(tmp_path, extra)
    assert err.value.ligne == 4


def test_every_calcul_of_the_glossary_names_counts(glossaire):
    computed = [i for i in glossaire if i.calcul]
    assert computed
    for ind in computed:
        assert glossaire[ind.calcul.numerateur].type == "compte", ind.code
        assert ind.calcul.denominateur == "population" or glossaire[ind.calcul.denominateur].type == "compte", ind.code
_ENTREE = """themes: {revenus: Revenus}
indicateurs:
  - code: taux_x
    libelle: Taux X
    theme: revenus
    definition: "Taux illustratif."
    unite: "%"
    type: taux
    numerateur: null
    denominateur: Personnes
    sources: []
    niveaux: [commune]
    annees: [2021]
    sens: neutre
    seuil_secret: {}
"""


def test_a_rate_published_without_numerator_is_declared_not_aggregable(tmp_path):
    path = tmp_path / "glossaire.yml"
    path.write_text(_ENTREE + '    agregeable: false\n    raison_non_agregeable: "publié sans numérateur"\n',
                    encoding="utf-8")
    ind = load_glossaire(path)["taux_x"]
    assert (ind.agregeable, ind.raison_non_agregeable, ind.derivable) == (False, "publié sans numérateur", False)
    path.write_text(_ENTREE, encoding="utf-8")
    ind = load_glossaire(path)["taux_x"]
    assert (ind.agregeable, ind.raison_non_agregeable, ind.derivable) == (True, None, True)


@pytest.mark.parametrize(("lignes", "message"), [
    ("    agregeable: false\n", "non agrégeable sans raison"),
    ("    agregeable: non\n", "doit valoir true ou false"),
    ('    raison_non_agregeable: "x"\n', "n'est pas déclaré non agrégeable"),
])
def test_the_aggregable_flag_is_checked(tmp_path, lignes, message):
    path = tmp_path / "glossaire.yml"
    path.write_text(_ENTREE + lignes, encoding="utf-8")
    with pytest.raises(OsqError, match=message) as err:
        load_glossaire(path)
    assert err.value.ligne is not None


def test_rates_published_without_numerator_are_not_aggregable(glossaire):
    # A rate whose numerator the producer does not publish must never be derived at another level.
    for ind in glossaire:
        if ind.type in ("taux", "moyenne", "densite") and not ind.numerateur and ind.sources and all(
                s.startswith(("insee-filosofi", "insee-comparateur")) for s in ind.sources):
            assert not ind.agregeable and ind.raison_non_agregeable, ind.code
    assert not glossaire["taux_pauvrete"].agregeable and not glossaire["part_menages_imposes"].agregeable


def test_the_commentary_thresholds_are_the_glossary_s(glossaire):
    s = glossaire.seuils
    assert (s.effectif_faible, s.pairs_min, s.rang_remarquable, s.faits_max, s.indicateurs_par_theme) == (2000, 5, 3, 5, 3)
    assert s.ecart_type_distinction == 1.5


@pytest.mark.parametrize("section, fragment, ligne", [
    ("commentaire:\n  effectif_faible: -5\n  pairs_min: 5\n  rang_remarquable: 3\n  faits_max: 5\n"
     "  indicateurs_par_theme: 3\n  ecart_type_distinction: 1.5\n", "« effectif_faible » invalide : -5", 2),
    ("commentaire:\n  effectif_faible: 2000\n  pairs_min: 5\n  rang_remarquable: 3\n  faits_max: 5\n"
     "  indicateurs_par_theme: 3\n  ecart_type_distinction: 1.5\n  seuil_inconnu: 2\n", "« seuil_inconnu » inconnu", 8),
    ("commentaire:\n  effectif_faible: 2000\n", "« pairs_min » absent", 2),  # the section's first line
    ("commentaire:\n  effectif_faible: 2000\n  pairs_min: 2.5\n  rang_remarquable: 3\n  faits_max: 5\n"
     "  indicateurs_par_theme: 3\n  ecart_type_distinction: 1.5\n", "« pairs_min » invalide", 3),
])
def test_a_wrong_commentary_threshold_is_a_located_error(tmp_path, section, fragment, ligne):
    path = tmp_path / "glossaire.yml"
    path.write_text(section + "themes: {sante: Santé}\nindicateurs:\n  - {code: e, libelle: X, theme: sante, "
                    "definition: d, unite: u, type: compte, numerateur: n, denominateur: null, sources: [s], "
                    "niveaux: [commune], annees: [2019], sens: neutre, seuil_secret: {}}\n", encoding="utf-8")
    with pytest.raises(OsqError, match=fragment) as err:
        load_glossaire(path)
    assert err.value.ligne == ligne


def test_a_glossary_without_thresholds_says_so_when_the_commentary_needs_them(tmp_path):
    g = _glossary(tmp_path, "")
    with pytest.raises(OsqError, match="seuils du commentaire automatique absents"):
        _ = g.seuils
