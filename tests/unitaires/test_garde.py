"""The ingestion guard's rules on small tables written here (no real figure): bounds, shares, counts, rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from osq_utils.catalogues.glossaire import bornes_par_defaut, load_glossaire
from osq_utils.catalogues.sources import load_catalogue
from osq_utils.errors import OsqError
from osq_utils.ingest.garde import Provenance, controler_annees, controler_valeurs, controler_volumes


def _frame(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["code", "indicateur", "annee", "valeur", "numerateur", "denominateur"])


def test_default_bounds_follow_the_type():
    assert bornes_par_defaut("taux", "%") == (0.0, 100.0)
    assert bornes_par_defaut("taux_pour_mille", "‰") == (0.0, 1000.0)
    assert bornes_par_defaut("compte", "personnes") == (0.0, None)
    g = load_glossaire()
    assert g["solde_naturel"].bornes == (None, None) and g["part_impots"].bornes == (-100.0, 200.0)
    assert g["taux_pauvrete"].est_une_part and not g["part_impots"].est_une_part


def test_the_line_named_is_the_line_of_the_bad_value_in_a_frame_of_several_indicators():
    frame = _frame([("A", "population", 2020, 10.0, 10.0, np.nan), ("A", "taux_pauvrete", 2020, 12.0, np.nan, np.nan),
                    ("B", "population", 2020, 20.0, 20.0, np.nan), ("B", "taux_pauvrete", 2020, 120.0, np.nan, np.nan)])
    prov = Provenance(colonne="TP", lignes=np.array([2, 3, 4, 5]), fichier="f.csv")
    with pytest.raises(OsqError) as info:
        controler_valeurs(frame, load_glossaire(), prov)
    assert (info.value.ligne, info.value.colonne, info.value.fichier) == (5, "TP", "f.csv")
    assert "« 120 »" in info.value.message and "comprise entre 0 et 100" in info.value.message


def test_balance_may_be_negative_count_may_not_missing_is_not_checked():
    g = load_glossaire()
    controler_valeurs(_frame([("A", "solde_naturel", 2018, -5.0, np.nan, np.nan),
                              ("A", "population", 2018, np.nan, np.nan, np.nan)]), g)
    with pytest.raises(OsqError, match="jamais négative"):
        controler_valeurs(_frame([("A", "population", 2018, -5.0, -5.0, np.nan)]), g)


def test_share_numerator_above_denominator_and_whole_counts():
    g = load_glossaire()
    with pytest.raises(OsqError, match="supérieur à son dénominateur"):
        controler_valeurs(_frame([("A", "taux_pauvrete", 2018, 50.0, 30.0, 20.0)]), g)
    half = _frame([("A", "population", 2018, 10.5, 10.5, np.nan)])
    controler_valeurs(half, g)  # weighted census counts are decimals
    with pytest.raises(OsqError, match="effectif non entier « 10,5 »"):
        controler_valeurs(half, g, entiers=True)


def test_years_outside_the_vintages_of_the_source():
    source = load_catalogue()["insee-filosofi-2015-2016"]
    assert source.annees == (2015, 2016)
    controler_annees(_frame([("A", "taux_pauvrete", 2016, 1.0, np.nan, np.nan)]), source)
    with pytest.raises(OsqError, match="année 2031 hors des millésimes"):
        controler_annees(_frame([("A", "taux_pauvrete", 2031, 1.0, np.nan, np.nan)]), source)


def test_row_drop_against_the_previous_load():
    source = load_catalogue()["insee-filosofi-2015-2016"]
    report = [{"fichier": "f.csv", "lignes_lues": 96}]
    controler_volumes(source, report, {"f.csv": 100})  # -4 %: a new edition may lose a few communes
    controler_volumes(source, report, {})  # a first load has no reference
    with pytest.raises(OsqError, match="−10 %"):
        controler_volumes(source, [{"fichier": "f.csv", "lignes_lues": 90}], {"f.csv": 100})
    controler_volumes(source, [{"fichier": "f.csv", "lignes_lues": 90}], {"f.csv": 100}, accepter_baisse=True)
    with pytest.raises(OsqError, match="ne contient que son en-tête"):
        controler_volumes(source, [{"fichier": "f.csv", "lignes_lues": 0}], {"f.csv": 100})
