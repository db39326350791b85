"""The comparison grid of the notes: the year each indicator is compared at, the rows a note's table keeps,
figures of custom groupings and densities of derived levels. Figures are illustrative, written for the rule."""

from __future__ import annotations

import pandas as pd
import pytest

from osq_utils.catalogues.glossaire import Calcul, Glossaire, Indicateur
from osq_utils.indicateurs import (
    Territoire,
    comparison_at_years,
    comparison_years,
    lignes_du_territoire,
    lignes_sans_comparaison,
)
from osq_utils.ingest.derive import _calculs_niveaux


def _obs(rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["indicateur", "annee", "_t", "statut", "valeur"]).assign(
        source="s", estime=False, decimales=pd.NA)


def test_the_year_compared_is_the_one_most_territories_have():
    obs = _obs([("med", 2021, 0, "ok", 1), ("med", 2019, 0, "ok", 1), ("med", 2019, 1, "ok", 1),
                ("med", 2019, 2, "ok", 1), ("med", 2021, 2, "secret", None),
                # a tie: the latest year
                ("pop", 2020, 0, "ok", 1), ("pop", 2020, 1, "ok", 1), ("pop", 2024, 0, "ok", 1), ("pop", 2024, 1, "ok", 1),
                # the first territory has no figure: its latest year, never another territory's only
                ("caf", 2020, 0, "absent", None), ("caf", 2022, 1, "ok", 1),
                # secret every year: the year the others are compared at, never one of nothing but marks
                ("tp", 2021, 0, "secret", None), ("tp", 2019, 0, "secret", None), ("tp", 2019, 1, "ok", 1),
                # its figure wins over a year where it is secret, however many others have one
                ("d1", 2021, 0, "ok", 1), ("d1", 2019, 0, "secret", None), ("d1", 2019, 1, "ok", 1)])
    assert comparison_years(obs) == {"med": 2019, "pop": 2024, "caf": 2020, "tp": 2019, "d1": 2021}


def test_a_note_table_keeps_the_rows_that_compare_something():
    refs = [Territoire("commune", "1", "C"), Territoire("epci", "2", "E"), Territoire("departement", "01", "D")]
    obs = _obs([("a", 2020, 0, "ok", 1), ("a", 2020, 1, "ok", 2), ("b", 2020, 0, "secret", None),
                ("b", 2020, 2, "ok", 2), ("c", 2020, 1, "ok", 2),
                # the territory's own figure, no reference has it that year (only another year)
                ("d", 2020, 0, "ok", 1), ("d", 2020, 1, "secret", None), ("d", 2019, 2, "ok", 3),
                # secret, and no reference has it: nothing to show in either table
                ("e", 2020, 0, "secret", None), ("e", 2020, 1, "absent", None)])
    years = {"a": 2020, "b": 2020, "c": 2020, "d": 2020, "e": 2020}
    grid = comparison_at_years(obs, refs, list(years), years)
    assert list(dict.fromkeys(lignes_du_territoire(grid)["indicateur"])) == ["a", "b"]
    alone = lignes_sans_comparaison(grid)
    assert list(dict.fromkeys(alone["indicateur"])) == ["d"]
    assert alone["statut"].tolist() == ["ok", "secret", "absent"]


def _ind(code, type_, calcul=None):
    return Indicateur(code=code, libelle=code, theme="t", definition="", unite="", type=type_, numerateur="n",
                      denominateur="d", sources=("s",), niveaux=("commune",), annees=(2019,), sens="neutre",
                      calcul=calcul)


def test_a_density_of_a_level_is_its_count_over_its_population():
    g = Glossaire({i.code: i for i in [_ind("population", "compte"), _ind("medecins", "compte"),
                                       _ind("densite", "densite", Calcul("medecins", "population"))]}, {"t": "T"})
    levels = pd.DataFrame({
        "code": ["62"] * 5, "niveau": ["departement"] * 5,
        "indicateur": ["medecins", "population", "population", "densite", "medecins"],
        "annee": [2019, 2017, 2020, 2019, 2021], "valeur": [150.0, 100_000.0, 90_000.0, 99.0, 10.0],
        "numerateur": None, "denominateur": None, "statut": "ok", "cog": 2024, "estime": False})
    out = _calculs_niveaux(levels, g)
    dens = out[out["indicateur"] == "densite"].set_index("annee")
    # 2019: the latest population not after it (2017); the commune-summed density (99) is replaced.
    assert dens.loc[2019, "valeur"] == pytest.approx(150 / 100_000 * 10_000)
    assert dens.loc[2021, "valeur"] == pytest.approx(10 / 90_000 * 10_000)
    assert len(dens) == 2
