"""The QPV reader's pure pieces: vintages from file names, one file per (indicator, reference year)."""

from __future__ import annotations

import pandas as pd
import pytest

from osq_utils.errors import OsqError
from osq_utils.ingest import qpv


@pytest.mark.parametrize("name, vintage", [
    ("IPRO_2017.csv", 2017), ("data_DEMO_2020_V1_QP.csv", 2020), ("data_filo16_qp_revdis.csv", 2016),
])
def test_vintage_from_file_name(name, vintage):
    assert qpv.millesime(name) == vintage


def test_reference_year_of_each_block():
    # The same table, three producers' years.
    assert [qpv.annee_de_reference(b, 2019, "x") for b in ("filosofi_revn", "caf")] == [2015, 2017]
    assert [qpv.annee_de_reference(b, 2019, "x") for b in ("rp", "population", "pole_emploi")] == [2015, 2013, 2018]
    with pytest.raises(OsqError, match="millésime 2030 inconnu"):
        qpv.annee_de_reference("rp", 2030, "insertion-pro/IPRO_2030.csv")


def _frame(indicateur: str, annee: int, valeur: float) -> pd.DataFrame:
    # Illustrative one-row frame, not a published figure.
    return pd.DataFrame({"code": ["QP000001"], "indicateur": [indicateur], "annee": [annee], "valeur": [valeur]})


def test_one_file_per_indicator_and_year():
    selection = qpv._Selection()
    selection.offer((qpv.PRIORITE_TABLE["revenus"], -2021), _frame("taux_pauvrete", 2017, 1.0))
    selection.offer((qpv.PRIORITE_TABLE["filosofi"], -2017), _frame("taux_pauvrete", 2017, 2.0))
    selection.offer((qpv.PRIORITE_TABLE["revenus"], -2019), _frame("taux_pauvrete", 2015, 3.0))
    # Census 2013 in the 2017 and 2018 tables: the latest publication is kept.
    selection.offer((qpv.PRIORITE_TABLE["demographie"], -2017), _frame("part_femmes", 2013, 4.0))
    selection.offer((qpv.PRIORITE_TABLE["demographie"], -2018), _frame("part_femmes", 2013, 5.0))
    kept = pd.concat(selection.frames()).set_index(["indicateur", "annee"])["valeur"].to_dict()
    assert kept == {("taux_pauvrete", 2017): 2.0, ("taux_pauvrete", 2015): 3.0, ("part_femmes", 2013): 5.0}


def test_a_share_needs_both_published_counts():
    champ = qpv.Champ("part_allocataires_rsa", ("ARSAS",), "caf", denominateur="A")
    assert qpv._column(champ, {"arsas": "ARSAS", "a": "A"}) == "ARSAS"
    assert qpv._column(champ, {"arsas": "ARSAS"}) is None  # no denominator in this vintage: not read
