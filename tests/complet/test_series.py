
"""A commune's time series in its current geography (COG harmonisation of older years)."""

from __future__ import annotations

from osq_utils import indicateurs


def test_fused_commune_population_sums_its_predecessors(vue, con, glossaire):
    # 62210 was merged into 62154 in 2018 (COGugaison passage table, type 'f').
    assert indicateurs.predecessors(con, "62154") == ["62210"]
    series = indicateurs.commune_series(vue, "62154", ["population"]).set_index("annee")
    raw = con.execute(
        "SELECT code, valeur FROM observations WHERE indicateur = 'population' AND annee = 2014 AND code IN ('62154', '62210')"
    ).df().set_index("code")["valeur"]
    assert series.loc[2014, "valeur"] == raw["62154"] + raw["62210"]
    own_2024 = con.execute(
        "SELECT valeur FROM observations WHERE indicateur = 'population' AND annee = 2024 AND code = '62154'").fetchone()[0]
    assert series.loc[2024, "valeur"] == own_2024


def test_unchanged_commune_series_is_its_own(vue, con, glossaire):
    series = indicateurs.commune_series(vue, "62040", ["revenu_median"])
    assert list(series["annee"]) == [2014, 2015, 2016, 2018, 2019]
    assert set(series["code"]) == {"62040"}
