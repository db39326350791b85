
"""Secret statistique: rule files, primary suppression, secondary suppression (property tests)."""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest
from exemples import GOOD, _bad_folder

from osq_utils import secret
from osq_utils.catalogues.racine import chemin_donnees
from osq_utils.catalogues.secret import load_rules
from osq_utils.errors import OsqError

SECRET_DIR = chemin_donnees("secret")
CAPSO = "200069037"
@pytest.fixture(scope="module")
def rules():
    return load_rules()


# --------------------------------------------------------------------------- 1-D property tests


def _capso_filosofi(con, annee):
    return con.execute(
        """SELECT o.* FROM observations o
           JOIN appartenances a ON a.code = o.code AND a.niveau = 'commune' AND a.niveau_parent = 'epci'
                AND a.code_parent = ? AND a.cog = ?
           WHERE o.annee = ? AND o.indicateur IN ('nb_menages_fiscaux', 'nb_personnes_menages_fiscaux', 'taux_pauvrete')""",
        [CAPSO, annee + 1, annee]).df()


def test_primary_keeps_insee_secrets_on_capso(con, rules):
    obs = _capso_filosofi(con, 2016)
    published, ledger = secret.primary_audit(obs, rules, "public")
    tp = obs["indicateur"] == "taux_pauvrete"
    # Insee, filosofi_com_2016.csv: TP6016 blank for 44 of the 53 CAPSO communes (secret), 9 published.
    assert (obs.loc[tp, "statut"] == "secret").sum() == 44
    was_secret = obs["statut"] == "secret"
    assert (published.loc[was_secret, "statut"] == "secret").all()
    assert published.loc[was_secret, "valeur"].isna().all()
    # Every CAPSO commune has at least 88 households (FILO2016_DISP_COM.csv, NBMENFISC16 = 88 for 62622
    # in 2018), and the 9 published poverty rates have more than 2 000 persons: nothing new is masked.
    assert ledger.empty
    assert (published["statut"] == obs["statut"]).all()


def test_primary_masks_under_the_threshold_and_keeps_the_ledger(con, rules, tmp_path):
    obs = _capso_filosofi(con, 2018)
    obs = obs[obs["indicateur"] == "nb_menages_fiscaux"]
    folder = tmp_path / "secret"
    folder.mkdir()
    shutil.copy(SECRET_DIR / "insee-filosofi-2014-2019-disp.yml", folder)
    text = (folder / "insee-filosofi-2014-2019-disp.yml").read_text(encoding="utf-8")
    (folder / "insee-filosofi-2014-2019-disp.yml").write_text(
        text.replace("seuils: {public: 50, partenaires: 50}", "seuils: {public: 90, partenaires: 50}"), encoding="utf-8")
    strict = load_rules(folder)
    published, ledger = secret.primary_audit(obs, strict, "public")
    # Insee, FILO2018_DISP_COM.csv: NBMENFISC18 = 88 for 62622 (Wismes), the only CAPSO commune under 90.
    assert ledger[["code", "valeur", "regle"]].values.tolist() == [["62622", 88.0, "moins_de_50_menages"]]
    row = published[published["code"] == "62622"].iloc[0]
    assert row["statut"] == "secret" and np.isnan(row["valeur"])
    assert secret.primary(obs, strict, "partenaires")["statut"].eq("ok").all()

    # Secondary: the 53 communes plus the real EPCI total (Insee, FILO2018_DISP_EPCI.csv: NBMENFISC18 = 42 998
    # for 200069037, equal to the sum of its communes) would give Wismes back by subtraction.
    epci = con.execute("SELECT valeur FROM observations WHERE code = ? AND indicateur = 'nb_menages_fiscaux' "
                       "AND annee = 2018", [CAPSO]).fetchone()[0]
    assert epci == 42998.0
    parts = obs.set_index("code")["valeur"]
    assert parts.sum() == epci
    masked = set(ledger["code"])
    values = {**parts.to_dict(), secret.TOTAL: epci}
    cons = [(list(parts.index), secret.TOTAL)]
    assert secret.recoverable(values, masked, cons) == {"62622"}
    extra = secret.secondary(parts, epci, masked)
    # FILO2018_DISP_COM.csv: NBMENFISC18 = 90 for 62696, the smallest published commune.
    assert extra == {"62696"}
    assert secret.recoverable(values, masked | extra, cons) == set()

    # The display helper on the same long table (communes + EPCI row).
    table = pd.concat([published, pd.DataFrame([{**published.iloc[0].to_dict(), "code": CAPSO, "niveau": "epci",
                                                  "valeur": epci, "statut": "ok"}])], ignore_index=True)
    shown = secret.apply_to_table(table, total=CAPSO)
    assert set(shown.loc[shown["statut"] == "secret", "code"]) == {"62622", "62696"}
    assert shown.loc[shown["complementaire"], "code"].tolist() == ["62696"]
    assert shown.loc[shown["statut"] == "secret", "valeur"].isna().all()


def test_caf_counts_under_5_are_masked_in_public_and_a_partner_threshold_differs_as_written(con, rules, tmp_path):
    obs = con.execute("SELECT * FROM observations WHERE source = 'cnaf-caf-iris-2016-2020' AND annee = 2018 "
                      "AND code LIKE '62525%'").df()
    real_secrets = obs["statut"] == "secret"
    # The real CNAF file has no published count under 5 (data_CAF_2018_IRIS.csv): nothing new is masked.
    assert secret.primary(obs, rules, "public")["statut"].eq(obs["statut"]).all()
    aah = obs.index[(obs["code"] == "625250105") & (obs["indicateur"] == "allocataires_aah")][0]
    # CNAF, data_CAF_2018_IRIS.csv: AAAH = 24 for IRIS 625250105 (Longuenesse).
    assert obs.loc[aah, "valeur"] == 24.0

    # A count planted under 5 is masked in both profiles (the shipped thresholds are identical).
    planted = obs.copy()
    planted.loc[aah, ["valeur", "numerateur"]] = 4.0
    public, ledger = secret.primary_audit(planted, rules, "public")
    assert ledger[["code", "valeur", "regle"]].values.tolist() == [["625250105", 4.0, "effectifs_moins_de_5"]]
    assert public.loc[aah, "statut"] == "secret" and np.isnan(public.loc[aah, "valeur"])
    assert (public.loc[real_secrets, "statut"] == "secret").all()
    assert secret.primary(planted, rules, "partenaires").loc[aah, "statut"] == "secret"

    # A convention file with public: 25 and partenaires: 5 masks the real 24 for the public only.
    text = GOOD.replace("[allocataires_rsa]", "[allocataires_aah]").replace("{public: 5, partenaires: 3}",
                                                                           "{public: 25, partenaires: 5}")
    lowered = load_rules(_bad_folder(tmp_path, "cnaf-caf-iris-2016-2020.yml", text))
    pub, led = secret.primary_audit(obs, lowered, "public")
    part, led_part = secret.primary_audit(obs, lowered, "partenaires")
    assert pub.loc[aah, "statut"] == "secret" and part.loc[aah, "statut"] == "ok"
    assert set(led["code"]) == {"625250105"} and led_part.empty


def test_caf_iris_under_100_recipients_is_masked_entirely(con, rules):
    # Real case: CNAF leaves A blank but PERCOU published for a few IRIS; without the recipients count the
    # IRIS rule cannot be checked, so the covered persons are masked too (si_absente: masquer).
    obs = con.execute("SELECT * FROM observations WHERE source = 'cnaf-caf-iris-2016-2020' AND annee = 2018").df()
    published, ledger = secret.primary_audit(obs, rules, "public")
    assert set(ledger["regle"]) == {"iris_moins_de_100_allocataires"}
    assert set(ledger["indicateur"]) == {"personnes_couvertes_caf"}
    caf_secret = obs[(obs["indicateur"] == "allocataires_caf") & (obs["statut"] == "secret")]["code"]
    assert set(ledger["code"]) <= set(caf_secret)


def test_filosofi_rule_needs_its_threshold_indicator(con, rules):
    obs = con.execute("SELECT * FROM observations WHERE indicateur = 'decile_1' AND niveau = 'commune' "
                      "AND code = '62040'").df()
    with pytest.raises(OsqError, match="nb_personnes_menages_fiscaux"):
        secret.primary(obs, rules, "public")
    aux = con.execute("SELECT * FROM observations WHERE indicateur = 'nb_personnes_menages_fiscaux' "
                      "AND code = '62040'").df()
    # Arques: 9 000+ persons (FILO2018_DISP_COM.csv NBPERSMENFISC18), deciles published and kept.
    assert secret.primary(obs, rules, "public", auxiliaires=aux)["statut"].eq("ok").all()


def test_census_small_denominators_are_flagged_not_masked(con, rules):
    obs = con.execute("SELECT * FROM observations WHERE source = 'insee-rp-2016-iris' AND indicateur = 'part_0_14'").df()
    flags = secret.fragiles(obs, rules, "public")
    assert secret.primary(obs, rules, "public")["statut"].eq(obs["statut"]).all()
    small = obs["denominateur"] < 200
    assert small.any() and (flags == (small & (obs["statut"] == "ok"))).all()
