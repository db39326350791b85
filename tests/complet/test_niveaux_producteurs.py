"""Reference levels derived from communes (ingest.niveaux) against the totals their producers publish.

Each expected value is read from the mirror file during the test (or is the producer's own figure for that
level, stored by its reader), and compared with the figure OSQ derived from the communes in the store built by
the real readers (tests/complet/conftest.py).
"""

from __future__ import annotations

import csv
import gzip

import pandas as pd
import pytest
from outils import lire_comparateur

from osq_utils.catalogues.sources import indicateurs_exhaustifs
from osq_utils.ingest import niveaux
from osq_utils.store import DERIVED_SOURCE

ARM_PREFIXES = ("751", "6938", "132")


def _derived(con, niveau: str, code: str, indicateur: str, annee: int) -> dict:
    found = con.execute("SELECT valeur, statut, estime FROM observations WHERE source = ? AND niveau = ? AND code = ? "
                        "AND indicateur = ? AND annee = ?", [DERIVED_SOURCE, niveau, code, indicateur, annee]).df()
    assert len(found) == 1, (niveau, code, indicateur, annee, found)
    return found.iloc[0].to_dict()


def test_population_of_france_metropolitaine_is_the_census_total(con, mirror):
    """Census 2018 (population 2020 in OSQ's years): the communes of France métropolitaine of the comparateur,
    arrondissements left out, summed by OSQ after moving them into the 2024 geography."""
    rows = lire_comparateur(mirror, "insee-comparateur-territoires-rp2018")
    metro = sum(float(r["P18_POP"]) for r in rows if r["P18_POP"] and not r["CODGEO"].startswith(("97", *ARM_PREFIXES)))
    assert _derived(con, "france", "FRM", "population", 2020)["valeur"] == pytest.approx(metro, abs=0.5)
    # Pas-de-Calais: every commune of 62 in the file.
    dep62 = sum(float(r["P18_POP"]) for r in rows if r["CODGEO"].startswith("62") and r["P18_POP"])
    assert _derived(con, "departement", "62", "population", 2020)["valeur"] == pytest.approx(dep62, abs=0.5)
    # Mayotte's communes have no census 2018 figure: France entière is absent, never a partial total.
    assert con.execute("SELECT count(*) FROM observations WHERE niveau = 'france' AND code = 'FR' "
                       "AND indicateur = 'population' AND annee = 2020").fetchone()[0] == 0


def test_households_of_departements_and_epci_equal_filosofi_own_figures(con, glossaire):
    """Filosofi 2019 publishes households (NBMENFISC19) for communes and for EPCI, départements and régions.
    Summed from the communes where every commune is published, OSQ's figure is the producer's own: every
    département, and the EPCI whose communes did not change between Filosofi's geography (2020) and 2024."""
    obs = con.execute("SELECT code, indicateur, annee, valeur, numerateur, denominateur, statut, cog, source "
                      "FROM observations WHERE niveau = 'commune' AND indicateur = 'nb_menages_fiscaux' "
                      "AND annee = 2019 AND source <> ?", [DERIVED_SOURCE]).df()
    out = niveaux.derive_niveaux(con, obs, glossaire)
    published = con.execute("SELECT niveau, code, valeur FROM observations WHERE indicateur = 'nb_menages_fiscaux' "
                            "AND annee = 2019 AND niveau IN ('epci', 'departement', 'region') AND source <> ?",
                            [DERIVED_SOURCE]).df()
    both = out[out["statut"] == "ok"].merge(published, on=["niveau", "code"], suffixes=("", "_producteur"))
    same = both["valeur"] == both["valeur_producteur"]
    deps = both[both["niveau"] == "departement"]
    assert len(deps) >= 10 and same[deps.index].all()
    epcis = both[both["niveau"] == "epci"]
    assert len(epcis) >= 600 and same[epcis.index].mean() > 0.95
    # The others changed between Filosofi's geography (2020) and the target one (2024): communes merged or
    # moved to another EPCI.


def test_social_housing_of_france_is_the_file_total(con, mirror, glossaire):
    """RPLS lists every commune with social housing (exhaustive): France entière is the file's total."""
    with open(mirror / "sdes-rpls-2024-communes" / "export_parc_logements_sociaux_jan_2024.csv", encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh, delimiter=","))
    total = sum(float(r["nb_ls"]) for r in rows)
    metro = sum(float(r["nb_ls"]) for r in rows if not r["DEPCOM_ARM"].startswith("97"))
    assert _derived(con, "france", "FR", "logements_sociaux", 2024)["valeur"] == total
    assert _derived(con, "france", "FRM", "logements_sociaux", 2024)["valeur"] == metro
    assert "logements_sociaux" in indicateurs_exhaustifs(glossaire)


@pytest.mark.parametrize("typequ, indicateur", [("D201", "medecins_generalistes"), ("D301", "pharmacies")])
def test_facilities_of_france_and_their_density(con, mirror, typequ, indicateur):
    """BPE 2019 lists every facility: France entière is the file's total (61,429 GPs, 24,474 pharmacies, as its
    PROVENANCE.md says); the density of a level is its count over its own population, never a mean of communes."""
    with gzip.open(mirror / "insee-bpe-2019-france" / "bpe_ens_2019_iris_france.csv.gz", "rt", encoding="utf-8-sig") as fh:
        total = sum(float(r["NB_EQUIP"]) for r in csv.DictReader(fh, delimiter=",") if r["TYPEQU"] == typequ)
    assert _derived(con, "france", "FR", indicateur, 2019)["valeur"] == total
    dep = _derived(con, "departement", "62", indicateur, 2019)["valeur"]
    pop = _derived(con, "departement", "62", "population", 2019)["valeur"]
    dens = _derived(con, "departement", "62", f"densite_{indicateur}", 2019)
    assert dens["valeur"] == pytest.approx(dep / pop * 10_000)


def test_mean_ips_of_a_departement_counts_every_school_once(con, mirror):
    """IPS of écoles: the département's figure is the sum of the IPS of its schools over their number, from the
    file itself (a commune without a school adds nothing)."""
    path = mirror / "menj-ips-2021-2022" / "fr-en-ips_ecoles_2022.csv"
    df = pd.read_csv(path, sep=";", dtype=str)
    ips = pd.to_numeric(df.loc[df["Code du département"] == "062", "IPS"], errors="coerce").dropna()
    got = _derived(con, "departement", "62", "ips_moyen_ecoles", 2021)["valeur"]
    assert got == pytest.approx(ips.mean(), rel=1e-3)
