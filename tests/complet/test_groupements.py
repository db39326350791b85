
"""Custom groupings of communes: declared in YAML, checked, aggregated without averaging rates."""

from __future__ import annotations

import csv
import math

import pandas as pd
import pytest

from osq_utils import indicateurs, territoires
from osq_utils.catalogues.groupements import load_groupements
from osq_utils.catalogues.racine import PROJECT_ROOT
from osq_utils.errors import OsqError

CAPSO_YML = PROJECT_ROOT / "data" / "territoires" / "capso.yml"


def test_capso_groupings_partition_the_epci(con):
    groups = load_groupements(CAPSO_YML, territoires.communes_connues(con))
    assert len(groups) == 4
    communes = [c for g in groups.values() for c in g.communes]
    assert len(communes) == len(set(communes)) == 53
    assert set(communes) == set(territoires.communes_of(con, "epci", "200069037", 2017))


def test_grouping_totals_add_up_to_the_epci_and_rates_are_recomputed(vue, con):
    groups = load_groupements(CAPSO_YML, territoires.communes_connues(con))
    rows = [indicateurs.groupement_observations(vue, g, ["nb_menages_fiscaux", "taux_pauvrete"])
            for g in groups.values()]
    # Filosofi 2019 households (COG 2020 communes, unchanged since 2017 in the CAPSO).
    total = sum(float(r[(r.indicateur == "nb_menages_fiscaux") & (r.annee == 2019)]["valeur"].iloc[0]) for r in rows)
    epci = con.execute("SELECT valeur FROM observations WHERE niveau = 'epci' AND code = '200069037' "
                       "AND indicateur = 'nb_menages_fiscaux' AND annee = 2019").fetchone()[0]
    assert math.isclose(total, epci, rel_tol=2e-4)
    # INSEE publishes the poverty rate without the count of poor persons: a grouping gets none (shown « np »,
    # not published for it), never a mean of its communes' rates nor a « secret » it is not.
    assert all((r["indicateur"] != "taux_pauvrete").all() for r in rows)


def test_unknown_commune_in_grouping_is_located(con, tmp_path):
    bad = tmp_path / "groupes.yml"
    bad.write_text('groupements:\n  - code: G1\n    libelle: Essai\n    communes:\n      - "62040"\n      - 2040\n',
                   encoding="utf-8")
    with pytest.raises(OsqError) as err:
        load_groupements(bad, territoires.communes_connues(con))
    assert err.value.ligne == 6 and err.value.colonne == 9 and "2040" in str(err.value)


VDM_YML = PROJECT_ROOT / "data" / "territoires" / "val-de-marne.yml"


def test_commune_note_compares_with_its_grouping(vue, con, glossaire):
    # Val-de-Marne's three EPT (COGugaison 2024, column EPT) cover its 47 communes.
    groups = load_groupements(VDM_YML, territoires.communes_connues(con))
    assert sum(len(g.communes) for g in groups.values()) == 47
    refs = indicateurs.references_of_commune(vue, "94028", groups)  # Créteil, in Grand Paris Sud Est Avenir
    # The official EPT (INSEE's 2024 table) comes after the EPCI; the observatory's grouping after it.
    assert [t.niveau for t in refs] == ["commune", "epci", "ept", "groupement", "departement", "france"]
    assert refs[2].code == "200058006"
    ept = refs[3]
    assert ept.code == "EPT-200058006" and len(ept.communes) == 16
    comp = indicateurs.comparison(vue, refs, ["nb_menages_fiscaux", "revenu_median"], annee=2019)
    row = comp[(comp.niveau == "groupement") & (comp.indicateur == "nb_menages_fiscaux")].iloc[0]
    # Filosofi 2019 households of the 16 communes, summed from FILO2019_DISP_COM.csv (NBMENFISC19).
    expected = con.execute(
        "SELECT sum(valeur) FROM observations WHERE niveau = 'commune' AND indicateur = 'nb_menages_fiscaux' "
        "AND annee = 2019 AND source = 'insee-filosofi-2014-2019-disp' AND code IN (SELECT unnest(?))",
        [list(ept.communes)]).fetchone()[0]
    assert row["statut"] == "ok" and math.isclose(row["valeur"], expected)
    # A median is never aggregated: the grouping has none.
    median = comp[(comp.niveau == "groupement") & (comp.indicateur == "revenu_median")].iloc[0]
    assert median["statut"] != "ok" and math.isnan(median["valeur"])


def test_a_grouping_counts_a_commune_an_exhaustive_source_leaves_out_as_none(vue, con, mirror):
    """RPLS lists every commune with social housing and the DEPP every school with an IPS: a commune of a grouping
    absent from them holds none (as for the EPCI), so the grouping has a figure, summed from the files."""
    groups = load_groupements(CAPSO_YML, territoires.communes_connues(con))
    g = next(g for g in groups.values() if "Saint-Omer" in g.libelle)
    out = indicateurs.groupement_observations(vue, g, ["logements_sociaux", "ips_moyen_ecoles", "nb_ecoles_ips"])
    with open(mirror / "sdes-rpls-2024-communes" / "export_parc_logements_sociaux_jan_2024.csv",
              encoding="utf-8-sig") as fh:
        rows = [r for r in csv.DictReader(fh, delimiter=",") if r["DEPCOM_ARM"] in g.communes]
    assert 0 < len(rows) < len(g.communes)  # some communes of the grouping have no social housing
    ls = out[out.indicateur == "logements_sociaux"].iloc[0]
    assert ls["statut"] == "ok" and ls["valeur"] == sum(float(r["nb_ls"]) for r in rows)
    ips = out[out.indicateur == "ips_moyen_ecoles"].iloc[0]
    ecoles = out[out.indicateur == "nb_ecoles_ips"].iloc[0]
    assert ips["statut"] == "ok" and ecoles["statut"] == "ok"
    # The file's schools of the grouping's communes: their number, and the sum of their IPS over it.
    df = pd.read_csv(mirror / "menj-ips-2021-2022" / "fr-en-ips_ecoles_2022.csv", sep=";", dtype=str)
    published = pd.to_numeric(df.loc[df["Code INSEE de la commune"].isin(g.communes), "IPS"], errors="coerce").dropna()
    assert ecoles["valeur"] == len(published) > 0
    assert ips["valeur"] == pytest.approx(published.mean(), rel=1e-3)
