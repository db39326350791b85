"""The secret statistique layer of a build: ledger of masked figures, applied to every read of the notes."""

from __future__ import annotations

import math
import shutil

import pytest

from osq_utils import indicateurs, masquage, secret
from osq_utils.batch.plan import Job


def _job(niveau: str, code: str) -> Job:
    return Job("note_communale", niveau, code, code, f"x-{code}", {})


@pytest.fixture(autouse=True)
def no_active_masks():
    yield
    masquage.activate(None)


def test_caf_rule_masks_an_iris_and_every_read_applies_it(con, glossaire, tmp_path):
    # data_CAF_2016_IRIS.csv: IRIS 421860101 (La Roche-Les Flaches, Saint-Étienne) has no published number of
    # recipients (A blank) but 1 335 persons covered: CNAF leaves every figure of an IRIS under 100 recipients
    # blank, so the rule masks the covered persons too (data/secret/cnaf-caf-iris-2016-2020.yml).
    ledger = masquage.compute(con, [_job("commune", "42186")], "public", glossaire)
    row = ledger[(ledger["code"] == "421860101") & (ledger["annee"] == 2016)].iloc[0]
    assert (row["indicateur"], row["valeur"], row["regle"]) == ("personnes_couvertes_caf", 1335.0,
                                                                "iris_moins_de_100_allocataires")
    assert row["territoire"] == "La Roche-Les Flaches" and row["indicateur_libelle"] == "Personnes couvertes par la CAF"
    before = indicateurs.observations_of(con, "iris", ["421860101"], ["personnes_couvertes_caf"], glossaire)
    assert before.set_index("annee").loc[2016, "valeur"] == 1335.0
    masquage.activate(masquage.write(ledger, tmp_path / "masques-public.csv"))
    after = indicateurs.observations_of(con, "iris", ["421860101"], ["personnes_couvertes_caf"], glossaire).set_index("annee")
    assert after.loc[2016, "statut"] == "secret" and math.isnan(after.loc[2016, "valeur"])
    assert after.loc[2017, "valeur"] == 1314.0  # other years untouched


def test_complementary_cell_protects_a_masked_commune_of_the_epci(con, glossaire, tmp_path):
    # With a household threshold of 90 (a convention stricter than INSEE's), Wismes (62622, NBMENFISC18 = 88 in
    # FILO2018_DISP_COM.csv) is masked; the CAPSO total (42 998) would give it back by subtraction, so the
    # smallest other commune, 62696 (90 households), is masked too, with its true value in the ledger.
    rules_dir = tmp_path / "secret"
    shutil.copytree(secret.SECRET_DIR, rules_dir)
    rule = rules_dir / "insee-filosofi-2014-2019-disp.yml"
    rule.write_text(rule.read_text(encoding="utf-8").replace("seuils: {public: 50, partenaires: 50}",
                                                            "seuils: {public: 90, partenaires: 50}"), encoding="utf-8")
    rules = secret.load_rules(rules_dir, glossaire)
    ledger = masquage.compute(con, [_job("epci", "200069037")], "public", glossaire, rules)
    households = ledger[(ledger["indicateur"] == "nb_menages_fiscaux") & (ledger["annee"] == 2018)]
    assert households[["code", "valeur", "regle"]].values.tolist() == [
        ["62622", 88.0, "moins_de_50_menages"], ["62696", 90.0, "secret secondaire"]]
    partenaires = masquage.compute(con, [_job("epci", "200069037")], "partenaires", glossaire, rules)
    assert not ((partenaires["code"] == "62622") & (partenaires["annee"] == 2018)).any()
