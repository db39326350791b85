
"""A commune's time series in its current geography (COG harmonisation of older years)."""

from __future__ import annotations

from osq_utils import indicateurs


def test_fused_commune_population_sums_its_predecessors(vue, con, glossaire):
    # 62210 was merged into 62154 in 2018 (COGugaison passage table, type 'f').
    assert indicateurs.predecessors(con, "62154") == ["62210"]
    series = indicateurs.commune_series(vue, "62154", ["population"]).set_index("annee")
    raw = con.execute(
        "SELECT code, valeur FROM observations WHERE indicateur = 'population' AND annee = 2014 AND code IN ('62154', '62210') "
        "AND source = 'cogugaison-2014-2024'").df().set_index("code")["valeur"]
    assert series.loc[2014, "valeur"] == raw["62154"] + raw["62210"]
    # The comparateur RP2017 gives census 2012 in the geography of 2020: the merged commune, the same sum.
    assert con.execute(
        "SELECT valeur FROM observations WHERE indicateur = 'population' AND annee = 2014 AND code = '62154' "
        "AND source = 'insee-comparateur-territoires-rp2017'").fetchone()[0] == raw["62154"] + raw["62210"]
    own_2024 = con.execute(
        "SELECT valeur FROM observations WHERE indicateur = 'population' AND annee = 2024 AND code = '62154'").fetchone()[0]
    assert series.loc[2024, "valeur"] == own_2024


def test_unchanged_commune_series_is_its_own(vue, con, glossaire):
    series = indicateurs.commune_series(vue, "62040", ["revenu_median"])
    # Filosofi DISP 2014-2019 (no 2017 commune file), 2017 from the comparateur RP2017, 2021 from the base
    # communale; 2020 is published for départements only.
    assert list(series["annee"]) == [2014, 2015, 2016, 2017, 2018, 2019, 2021]
    assert set(series["code"]) == {"62040"}


def test_two_geographies_of_one_year_give_one_row(vue, con, glossaire):
    """Filosofi 2019 reaches 02054 (Bazoches-et-Saint-Thibaut, which took in Saint-Thibaut, 02695, in 2022)
    twice: from the DISP file (COG 2020) and from the comparateur (COG 2021, where 02695 is secret); both are
    harmonised to today's 02054. One row per year: the published figure, else the latest geography's status
    (the median of a merger is never computed)."""
    assert indicateurs.predecessors(con, "02054") == ["02695"]
    cogs = con.execute(
        "SELECT DISTINCT cog FROM observations WHERE indicateur = 'revenu_median' AND annee = 2019 "
        "AND code IN ('02054', '02695') ORDER BY cog").fetchall()
    assert len(cogs) >= 2
    series = indicateurs.commune_series(vue, "02054", ["revenu_median", "taux_pauvrete"])
    assert not series.duplicated(["indicateur", "annee"]).any()
    row = series.set_index(["indicateur", "annee"]).loc[("revenu_median", 2019)]
    assert row["statut"] == "secret" and row["valeur"] != row["valeur"]
    # The commune note's evolution figure (it failed on this commune: two rows for one year).
    evo = indicateurs.evolution(vue, [indicateurs.Territoire("commune", "02054", "Bazoches-et-Saint-Thibaut")], "revenu_median")
    assert list(evo["annee"]) == list(glossaire["revenu_median"].annees)
    assert evo.set_index("annee").loc[2019, "statut"] == "secret"
