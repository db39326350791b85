"""Ratios OSQ computes from two stored counts (glossary `calcul`, ingest.derive._densities).

Every figure here is illustrative, written for the test in a throwaway store.
"""

from __future__ import annotations

import pandas as pd
import pytest

from osq_utils import store
from osq_utils.catalogues.glossaire import load_glossaire
from osq_utils.ingest.derive import _densities

ENTRY = ("  - {code: %s, libelle: X, theme: logement, definition: d, unite: u, type: %s, numerateur: n, "
         "denominateur: d, sources: [s], niveaux: [commune], annees: [2024], sens: neutre, seuil_secret: {}%s}\n")


def _store(tmp_path, observations: list[tuple], populations: list[tuple] = (), passages: list[tuple] = ()):
    con = store.connect(tmp_path / "osq.duckdb")
    obs = pd.DataFrame(observations, columns=["code", "indicateur", "annee", "valeur", "statut", "cog", "source"])
    for source, part in obs.groupby("source"):
        frame = part.drop(columns="source").assign(niveau="commune", numerateur=part["valeur"])
        store.replace_source(con, str(source), {"observations": frame}, [])
    if populations:
        store.replace_source(con, "pop", {"populations": pd.DataFrame(populations, columns=["cog", "code", "population"])}, [])
    if passages:
        frame = pd.DataFrame(passages, columns=["annee_depart", "annee_arrivee", "code_depart", "code_arrivee"])
        store.replace_source(con, "cog", {"passages_cog": frame.assign(type_modif="f")}, [])
    return con


def test_density_uses_the_population_of_the_numerators_cog_year(tmp_path):
    con = _store(tmp_path, [
        ("00001", "medecins_generalistes", 2019, 7.0, "ok", 2019, "insee-bpe-2019-france"),
        ("00002", "medecins_generalistes", 2019, None, "secret", 2019, "insee-bpe-2019-france"),
        ("00003", "medecins_generalistes", 2019, 2.0, "ok", 2019, "insee-bpe-2019-france"),
        ("00004", "medecins_generalistes", 2019, 1.0, "ok", 2019, "insee-bpe-2019-france"),
    ], populations=[(2019, "00001", 9753.0), (2020, "00001", 1.0), (2019, "00002", 500.0), (2020, "00003", 800.0),
                    (2019, "00004", 0.0)])
    out = _densities(con).set_index(["indicateur", "code"]).loc["densite_medecins_generalistes"]
    assert out.loc["00001", "valeur"] == pytest.approx(7 / 9753 * 10_000)
    assert (out.loc["00001", "numerateur"], out.loc["00001", "denominateur"], out.loc["00001", "cog"]) == (7, 9753, 2019)
    assert out.loc["00002", "statut"] == "secret" and pd.isna(out.loc["00002", "valeur"])
    assert pd.isna(out.loc["00002", "numerateur"]) and out.loc["00002", "denominateur"] == 500
    # No population in the COG 2019 for 00003: no figure, never a ratio to another year's population.
    assert "00003" not in out.index
    assert out.loc["00004", "statut"] == "absent" and pd.isna(out.loc["00004", "valeur"])  # population 0


def test_ratio_to_the_latest_count_of_another_cog_skips_communes_that_changed(tmp_path, monkeypatch):
    path = tmp_path / "glossaire.yml"
    path.write_text("themes: {logement: Logement}\nindicateurs:\n" + ENTRY % ("sociaux", "compte", "")
                    + ENTRY % ("residences", "compte", "")
                    + ENTRY % ("part_sociaux", "taux", ", calcul: {numerateur: sociaux, denominateur: residences}"),
                    encoding="utf-8")
    glossaire = load_glossaire(path)
    con = _store(tmp_path, [
        ("00001", "sociaux", 2024, 30.0, "ok", 2024, "s"),
        ("00002", "sociaux", 2024, 10.0, "ok", 2024, "s"),
        ("00003", "sociaux", 2024, 5.0, "ok", 2024, "s"),
        ("00001", "residences", 2018, 200.0, "ok", 2021, "r"),
        ("00001", "residences", 2013, 100.0, "ok", 2021, "r"),
        ("00001", "residences", 2025, 999.0, "ok", 2026, "r"),
        ("00002", "residences", 2018, 50.0, "ok", 2021, "r"),
    ], passages=[(2022, 2023, "00099", "00002")])
    out = _densities(con, glossaire).set_index("code")
    # The latest denominator year not after 2024 (2018), not 2013 nor 2025.
    assert out.loc["00001", "valeur"] == pytest.approx(30 / 200 * 100)
    assert (out.loc["00001", "annee"], out.loc["00001", "cog"], out.loc["00001", "denominateur"]) == (2024, 2024, 200)
    # 00002 absorbed another commune between COG 2021 and 2024: its two figures are not the same territory.
    assert "00002" not in out.index and "00003" not in out.index
