
"""The secret statistique of a build: the ledger of masked figures, applied to every read through the masked view."""

from __future__ import annotations

import math

from osq_utils.batch.plan import Job
from osq_utils.notes import territoires_montres
from osq_utils.secret import registre
from osq_utils.secret.vue import Vue, base


def _job(modele: str, code: str, **parametres) -> Job:
    return Job(modele, "commune", code, code, f"x-{code}", parametres)


def test_caf_rule_masks_an_iris_and_every_read_applies_it(store_file, tmp_path):
    # data_CAF_2016_IRIS.csv: IRIS 421860101 (La Roche-Les Flaches, Saint-Étienne) has no published number of
    # recipients (A blank) but 1 335 persons covered: CNAF leaves every figure of an IRIS under 100 recipients
    # blank, so the rule masks the covered persons too (data/secret/cnaf-caf-iris-2016-2020.yml).
    b = base(store_file)
    ledger = registre.calculer(b, territoires_montres(b.con, [_job("abs_ccas", "42186")]), "public")
    row = ledger[(ledger["code"] == "421860101") & (ledger["annee"] == 2016)].iloc[0]
    assert (row["indicateur"], row["valeur"], row["regle"]) == ("personnes_couvertes_caf", 1335.0,
                                                                "iris_moins_de_100_allocataires")
    assert row["territoire"] == "La Roche-Les Flaches" and row["indicateur_libelle"] == "Personnes couvertes par la CAF"
    before = Vue.ouvrir(store_file).observations("iris", ["421860101"], ["personnes_couvertes_caf"])
    assert before.set_index("annee").loc[2016, "valeur"] == 1335.0
    path = registre.ecrire(ledger, tmp_path / "masques-public.csv")
    after = Vue.ouvrir(store_file, path).observations("iris", ["421860101"], ["personnes_couvertes_caf"]).set_index("annee")
    assert after.loc[2016, "statut"] == "secret" and math.isnan(after.loc[2016, "valeur"])
    assert math.isnan(after.loc[2016, "numerateur"])
    assert after.loc[2017, "valeur"] == 1314.0  # other years untouched
