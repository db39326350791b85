"""Reference levels derived from communes (ingest.niveaux), on a tiny store written in the test.

Every figure here is illustrative (made up for the rule being checked), never a published value: the checks
against the producers' totals are in tests/complet/test_niveaux_producteurs.py.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from osq_utils import store
from osq_utils.catalogues.glossaire import Glossaire, Indicateur
from osq_utils.ingest import niveaux


def _ind(code: str, type_: str, **kw) -> Indicateur:
    return Indicateur(code=code, libelle=code, theme="t", definition="", unite="", type=type_, numerateur="n",
                      denominateur="d", sources=("src",), niveaux=("commune",), annees=(2020,), sens="neutre", **kw)


GLOSSAIRE = Glossaire({i.code: i for i in [
    _ind("menages", "compte"), _ind("taux", "taux"), _ind("mediane", "non_additif"),
    _ind("taux_sans_numerateur", "taux", agregeable=False), _ind("logements_sociaux", "compte"),
    _ind("ips", "moyenne"),
]}, {"t": "T"})


@pytest.fixture
def con(tmp_path, monkeypatch):
    c = store.connect(tmp_path / "s.duckdb")
    # Four communes in 2024: A1, A2 in EPCI E1 (département 01), B1 in E2 (département 02), 97101 overseas (971).
    rows = [("A1", "epci", "E1"), ("A2", "epci", "E1"), ("B1", "epci", "E2"), ("97101", "epci", "E3"),
            ("A1", "departement", "01"), ("A2", "departement", "01"), ("B1", "departement", "02"),
            ("97101", "departement", "971")]
    c.execute("INSERT INTO appartenances SELECT 2024, 'commune', c, n, p, 'tagc' FROM (VALUES "
              + ", ".join(f"('{a}', '{b}', '{d}')" for a, b, d in rows) + ") t(c, n, p)")
    c.execute("INSERT INTO appartenances VALUES (2024, 'departement', '01', 'region', 'R1', 'tagc'), "
              "(2024, 'departement', '02', 'region', 'R1', 'tagc'), (2024, 'departement', '971', 'region', 'R9', 'tagc')")
    c.execute("INSERT INTO territoires (niveau, code, libelle, cog, source) "
              "SELECT 'commune', c, c, 2024, 'tagc' FROM (VALUES ('A1'), ('A2'), ('B1'), "
              "('97101')) t(c)")
    # A2 was made in 2023 from A2 and A3 (a fusion).
    c.execute("INSERT INTO passages_cog VALUES (2023, 2024, 'A2', 'A2', NULL, 'f', 1.0, 'p'), "
              "(2023, 2024, 'A3', 'A2', NULL, 'f', 1.0, 'p')")
    yield c
    c.close()


def _obs(rows, cog=2024) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=["code", "indicateur", "valeur", "numerateur", "denominateur", "statut"])
    return df.assign(annee=2020, cog=cog, source="src", estime=False)


def _one(out, niveau, code, ind):
    row = out[(out["niveau"] == niveau) & (out["code"] == code) & (out["indicateur"] == ind)]
    assert len(row) == 1, row
    return row.iloc[0]


def test_counts_are_summed_and_ratios_recomputed_into_every_level(con):
    obs = _obs([("A1", "menages", 10, 10, None, "ok"), ("A2", "menages", 30, 30, None, "ok"),
                ("B1", "menages", 60, 60, None, "ok"), ("97101", "menages", 5, 5, None, "ok"),
                ("A1", "taux", 50, 5, 10, "ok"), ("A2", "taux", 10, 3, 30, "ok"), ("B1", "taux", 20, 12, 60, "ok"),
                ("97101", "taux", 20, 1, 5, "ok")])
    out = niveaux.derive_niveaux(con, obs, GLOSSAIRE)
    assert _one(out, "epci", "E1", "menages")["valeur"] == 40
    assert _one(out, "departement", "01", "taux")["valeur"] == pytest.approx(8 / 40 * 100)  # never (50 + 10) / 2
    assert _one(out, "region", "R1", "menages")["valeur"] == 100
    assert _one(out, "france", "FRM", "menages")["valeur"] == 100  # the overseas commune is outside
    assert _one(out, "france", "FR", "menages")["valeur"] == 105


def test_a_secret_commune_hides_its_levels_and_a_missing_one_leaves_no_partial_total(con):
    obs = _obs([("A1", "menages", None, None, None, "secret"), ("A2", "menages", 30, 30, None, "ok"),
                ("B1", "menages", 60, 60, None, "ok"), ("97101", "menages", 5, 5, None, "ok")])
    out = niveaux.derive_niveaux(con, obs, GLOSSAIRE)
    assert _one(out, "epci", "E1", "menages")["statut"] == "secret"
    assert np.isnan(_one(out, "epci", "E1", "menages")["valeur"])
    assert _one(out, "epci", "E2", "menages")["valeur"] == 60
    assert _one(out, "france", "FR", "menages")["statut"] == "secret"
    # A missing commune: no row at all (absent from the sources), even with a secret one beside it.
    obs = _obs([("A2", "menages", 30, 30, None, "ok"), ("B1", "menages", 60, 60, None, "ok")])
    out = niveaux.derive_niveaux(con, obs, GLOSSAIRE)
    assert out[(out["code"] == "E1")].empty and _one(out, "epci", "E2", "menages")["valeur"] == 60
    obs = _obs([("A1", "menages", None, None, None, "secret"), ("B1", "menages", 60, 60, None, "ok")])
    assert niveaux.derive_niveaux(con, obs, GLOSSAIRE).query("code == 'E1'").empty


def test_medians_and_rates_without_numerator_are_never_derived(con):
    obs = _obs([(c, "mediane", 20000, None, None, "ok") for c in ("A1", "A2", "B1", "97101")]
               + [(c, "taux_sans_numerateur", 20, None, 100, "ok") for c in ("A1", "A2", "B1", "97101")])
    out = niveaux.derive_niveaux(con, obs, GLOSSAIRE)
    assert out.empty


def test_a_file_of_an_older_geography_is_moved_into_the_target_one(con):
    # 2023 geography: A2 and A3 are still two communes; both are needed for E1.
    obs = _obs([("A1", "menages", 10, 10, None, "ok"), ("A2", "menages", 20, 20, None, "ok"),
                ("A3", "menages", 10, 10, None, "ok"), ("B1", "menages", 60, 60, None, "ok")], cog=2023)
    out = niveaux.derive_niveaux(con, obs, GLOSSAIRE)
    assert _one(out, "epci", "E1", "menages")["valeur"] == 40
    partial = niveaux.derive_niveaux(con, obs[obs["code"] != "A3"], GLOSSAIRE)
    assert partial.query("code == 'E1'").empty


def test_an_exhaustive_source_needs_no_complete_set_of_communes(con):
    obs = _obs([("A1", "logements_sociaux", 100, 100, None, "ok")])  # the others hold none, per the source
    out = niveaux.derive_niveaux(con, obs, GLOSSAIRE, exhaustifs=frozenset({"logements_sociaux"}))
    assert _one(out, "epci", "E1", "logements_sociaux")["valeur"] == 100
    # None of its communes listed: they hold none, by the producer's own listing (a sum, never a commune's 0).
    assert _one(out, "departement", "02", "logements_sociaux")["valeur"] == 0
    assert not (out["niveau"] == "commune").any()


def test_an_exhaustive_ratio_counts_an_unlisted_commune_as_0_over_0(con):
    # Only A1 and A2 have schools (the file lists every school): E1 is their sum of IPS over their schools;
    # E2 (B1, none) has no figure, never 0; the fusion of A2 and A3 (none listed for A3) is complete.
    obs = _obs([("A1", "ips", 100, 300, 3, "ok"), ("A2", "ips", 90, 90, 1, "ok")], cog=2023)
    out = niveaux.derive_niveaux(con, obs, GLOSSAIRE, exhaustifs=frozenset({"ips"}))
    assert _one(out, "epci", "E1", "ips")["valeur"] == pytest.approx(390 / 4)
    assert out.query("code == 'E2'").empty
    assert niveaux.derive_niveaux(con, obs, GLOSSAIRE).query("code == 'E1'").empty  # not exhaustive: A3 missing


def test_a_commune_without_inhabitants_adds_0_over_0_to_a_rate(con):
    obs = _obs([("A1", "taux", 50, 5, 10, "ok"), ("A2", "taux", None, None, 0, "absent")])
    out = niveaux.derive_niveaux(con, obs, GLOSSAIRE)
    assert _one(out, "epci", "E1", "taux")["valeur"] == pytest.approx(50)
    obs = _obs([("A1", "taux", 50, 5, 10, "ok"), ("A2", "taux", None, None, None, "absent")])  # unknown: no total
    assert niveaux.derive_niveaux(con, obs, GLOSSAIRE).query("code == 'E1'").empty


def test_the_source_listing_the_most_communes_is_summed(con):
    # Two sources give the same year: a national file and one of a single département listed first in the
    # glossary. The national one is summed, so that France gets a figure.
    national = _obs([(c, "menages", 10, 10, None, "ok") for c in ("A1", "A2", "B1", "97101")]).assign(source="nat")
    local = _obs([("A1", "menages", 10, 10, None, "ok")]).assign(source="src")
    out = niveaux.derive_niveaux(con, pd.concat([local, national]), GLOSSAIRE)
    assert _one(out, "france", "FR", "menages")["valeur"] == 40


def test_strata_get_ratios_from_the_communes_that_publish_them(con):
    population = pd.DataFrame({"code": ["A1", "A2", "B1", "97101"], "population": [1000.0, 1500.0, 9000.0, 500.0]})
    obs = _obs([("A1", "taux", 50, 5, 10, "ok"), ("A2", "taux", None, None, 30, "secret"),
                ("B1", "taux", 20, 12, 60, "ok"), ("A1", "menages", 10, 10, None, "ok")])
    out = niveaux.derive_niveaux(con, obs, GLOSSAIRE, population=population)
    small = out[(out["niveau"] == "strate") & (out["code"] == "0-1999")]
    # A1 alone holds 1 000 of the stratum's 2 500 inhabitants (A2 secret; 97101 overseas): under 80 %, no figure.
    assert small["statut"].tolist() == ["absent"]
    assert _one(out, "strate", "5000-9999", "taux")["valeur"] == pytest.approx(20)
    assert not (out[out["niveau"] == "strate"]["indicateur"] == "menages").any()  # a stratum's total says nothing
    members = niveaux.membres_strates(con, population)
    assert dict(zip(members["code"], members["code_parent"])) == {"A1": "0-1999", "A2": "0-1999", "B1": "5000-9999"}


def test_the_producer_figure_wins_over_the_derived_one():
    derived = pd.DataFrame({"niveau": ["epci", "epci"], "code": ["E1", "E2"], "indicateur": ["menages"] * 2,
                            "annee": [2020, 2020]})
    published = pd.DataFrame({"niveau": ["epci"], "code": ["E1"], "indicateur": ["menages"], "annee": [2020]})
    assert niveaux.sans_doublon_producteur(derived, published)["code"].tolist() == ["E2"]
