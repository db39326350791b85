
"""COG harmonisation and territorial hierarchy, on real figures of the store.

The observations are read from the session store (real Filosofi files) and the
commune code changes from the store table passages_cog (COGugaison): nothing
here is invented.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from osq_utils import territoires
from osq_utils.agregation import harmonise_cog, passages_between

DISP = "insee-filosofi-2014-2019-disp"
DOREMI = "insee-filosofi-2015-2016"
PAUVRETE_2018 = "insee-filosofi-2018-communes"
CAPSO = "200069037"
OBS_COLUMNS = "code, indicateur, annee, valeur, numerateur, denominateur, statut"


@pytest.fixture
def passages(con) -> pd.DataFrame:
    return con.execute("SELECT * FROM passages_cog").df()


@pytest.fixture
def types(glossaire) -> dict[str, str]:
    return glossaire.types()


def _obs(con, codes: list[str], annee: int, indicateurs: list[str]) -> pd.DataFrame:
    """Commune observations of the Filosofi sources (each indicator comes from one source)."""
    df = con.execute(
        f"SELECT {OBS_COLUMNS}, source FROM observations WHERE niveau = 'commune' AND annee = ? "
        "AND code IN (SELECT unnest(?)) AND indicateur IN (SELECT unnest(?)) AND source IN (?, ?, ?)",
        [annee, codes, indicateurs, DISP, DOREMI, PAUVRETE_2018],
    ).df()
    assert not df.duplicated(["code", "indicateur", "annee"]).any()
    return df.drop(columns="source")


def _row(df: pd.DataFrame, code: str, indicateur: str) -> pd.Series:
    hit = df[(df["code"] == code) & (df["indicateur"] == indicateur)]
    assert len(hit) == 1, (code, indicateur, hit)
    return hit.iloc[0]


def _passage(passages, depart: int, codes: set[str]) -> pd.DataFrame:
    p = passages[(passages["annee_depart"] == depart) & (passages["code_depart"].isin(codes))]
    return p.sort_values(["code_depart", "code_arrivee"]).reset_index(drop=True)


# --- fusions -------------------------------------------------------------------------


def test_fusion_sums_counts_and_recomputes_ratios(con, passages, types):
    # 1 January 2017: Bray-sur-Seine area, 77491 is merged into 77316 (Seine-et-Marne).
    p = _passage(passages, 2016, {"77316", "77491"})
    assert set(zip(p["code_depart"], p["code_arrivee"], p["type_modif"])) == {
        ("77316", "77316", "f"), ("77491", "77316", "f")}
    inds = ["nb_menages_fiscaux", "nb_personnes_menages_fiscaux", "part_menages_imposes", "taille_menages",
            "taux_pauvrete", "revenu_median", "decile_1"]
    # Filosofi 2015 follows the COG of 1 January 2016.
    obs = _obs(con, ["77316", "77491"], 2015, inds)
    assert (obs["statut"] == "ok").all() and len(obs) == 2 * len(inds)
    out = harmonise_cog(obs, passages, 2016, 2017, types)
    assert set(out["code"]) == {"77316"}

    a, b = (_row(obs, c, "nb_menages_fiscaux") for c in ("77316", "77491"))
    men = _row(out, "77316", "nb_menages_fiscaux")
    assert men["statut"] == "ok" and men["valeur"] == a["valeur"] + b["valeur"] == 3069 + 2142
    pers = _row(out, "77316", "nb_personnes_menages_fiscaux")
    assert pers["valeur"] == 7477.5 + 5004.5

    # A ratio: recomputed from the summed numerators and denominators, never averaged.
    got = _row(out, "77316", "taille_menages")
    assert got["valeur"] == pytest.approx((7477.5 + 5004.5) / (3069 + 2142), rel=1e-12)
    a, b = (_row(obs, c, "taille_menages") for c in ("77316", "77491"))
    assert not math.isclose(got["valeur"], (a["valeur"] + b["valeur"]) / 2, rel_tol=1e-4)
    assert min(a["valeur"], b["valeur"]) < got["valeur"] < max(a["valeur"], b["valeur"])

    # Rates INSEE publishes without their numerator (share taxed: 71 % of 3069 households and 72 % of 2142; poverty
    # rate: 6 % in both): no count of taxed households or poor persons to add up, so no figure for the fused commune.
    for ind in ("part_menages_imposes", "taux_pauvrete"):
        a, b = (_row(obs, c, ind) for c in ("77316", "77491"))
        assert np.isnan(a["numerateur"]) and np.isnan(b["numerateur"]) and a["denominateur"] > 0, ind
        got = _row(out, "77316", ind)
        assert got["statut"] == "absent" and np.isnan(got["valeur"]), ind

    # A median or a decile of a fused commune cannot be computed from its parts.
    for ind in ("revenu_median", "decile_1"):
        got = _row(out, "77316", ind)
        assert got["statut"] == "absent" and np.isnan(got["valeur"]), ind
    assert not out["estime"].any()


def test_fusion_with_one_secret_part_is_secret(con, passages, types):
    # 1 January 2017: 14666 is merged into 14712 (Calvados); INSEE left 14666's 2015 poverty rate blank.
    p = _passage(passages, 2016, {"14666", "14712"})
    assert set(p["code_arrivee"]) == {"14712"} and set(p["type_modif"]) == {"f"}
    obs = _obs(con, ["14666", "14712"], 2015, ["taux_pauvrete", "nb_menages_fiscaux"])
    assert _row(obs, "14666", "taux_pauvrete")["statut"] == "secret"
    assert _row(obs, "14712", "taux_pauvrete")["statut"] == "ok"
    out = harmonise_cog(obs, passages, 2016, 2017, types)
    got = _row(out, "14712", "taux_pauvrete")
    assert got["statut"] == "secret"
    assert np.isnan(got["valeur"]) and np.isnan(got["numerateur"])
    # The counts of both parts are public: their sum is.
    men = _row(out, "14712", "nb_menages_fiscaux")
    assert (men["statut"], men["valeur"]) == ("ok", 751 + 1434)


def test_fusion_with_a_missing_part_is_not_a_partial_total(con, passages, types):
    # 2018 -> 2019: 62210 (Canteleux) + 62154 (Bonnières) -> 62154.
    p = _passage(passages, 2018, {"62210", "62154"})
    assert set(zip(p["code_depart"], p["code_arrivee"], p["type_modif"])) == {
        ("62154", "62154", "f"), ("62210", "62154", "f")}
    # Filosofi 2016 (COG 2017): Bonnières has 264 households, Canteleux is not in INSEE's file.
    obs = _obs(con, ["62210", "62154"], 2016, ["nb_menages_fiscaux"])
    assert list(obs["code"]) == ["62154"] and obs["valeur"].iloc[0] == 264
    out = harmonise_cog(obs, passages, 2017, 2019, types)
    got = _row(out, "62154", "nb_menages_fiscaux")
    assert got["statut"] != "ok"


def test_fusion_of_two_secret_parts_is_secret(con, passages, types):
    # Filosofi 2015: both 62210 and 62154 are in the file with a blank poverty rate.
    obs = _obs(con, ["62210", "62154"], 2015, ["taux_pauvrete"])
    assert set(obs["statut"]) == {"secret"} and len(obs) == 2
    out = harmonise_cog(obs, passages, 2016, 2019, types)
    assert list(out["code"]) == ["62154"]
    assert out["statut"].iloc[0] == "secret" and np.isnan(out["valeur"].iloc[0])


# --- défusions ---------------------------------------------------------------------------


def test_defusion_splits_counts_by_ratio_and_flags_estimates(con, passages, types):
    # 1 January 2017: 76676 is split into 76601 and 76676 (population ratios 0.3238 / 0.6762).
    p = _passage(passages, 2016, {"76676"}).set_index("code_arrivee")
    assert set(p["type_modif"]) == {"d"}
    ratio = p["ratio"].to_dict()
    assert ratio["76601"] == pytest.approx(0.3238, abs=1e-4) and ratio["76676"] == pytest.approx(0.6762, abs=1e-4)
    assert sum(ratio.values()) == pytest.approx(1.0)

    obs = _obs(con, ["76676"], 2015, ["nb_menages_fiscaux", "nb_personnes_menages_fiscaux", "taille_menages",
                                      "taux_pauvrete"])
    men = _row(obs, "76676", "nb_menages_fiscaux")["valeur"]
    assert men == 297
    out = harmonise_cog(obs, passages, 2016, 2017, types)
    assert set(out["code"]) == {"76601", "76676"}
    assert out["estime"].all()
    for code in ("76601", "76676"):
        got = _row(out, code, "nb_menages_fiscaux")
        assert got["statut"] == "ok" and got["valeur"] == pytest.approx(297 * ratio[code])
        got = _row(out, code, "nb_personnes_menages_fiscaux")
        assert got["valeur"] == pytest.approx(774 * ratio[code])
        # A mean is unchanged by the split: numerator and denominator are both scaled.
        got = _row(out, code, "taille_menages")
        assert got["valeur"] == pytest.approx(774 / 297)
        assert got["numerateur"] == pytest.approx(774 * ratio[code])
        assert got["denominateur"] == pytest.approx(297 * ratio[code])
        # The secret stays secret on both sides.
        assert _row(out, code, "taux_pauvrete")["statut"] == "secret"
    total = out[out["indicateur"] == "nb_menages_fiscaux"]["valeur"].sum()
    assert total == pytest.approx(297)


def test_defusion_2020_of_14712(con, passages, types):
    # 31 December 2019: 14712 is split again into 14666 (0.3545) and 14712 (0.6455).
    p = _passage(passages, 2019, {"14712"}).set_index("code_arrivee")
    ratio = p["ratio"].to_dict()
    assert set(p["type_modif"]) == {"d"} and ratio["14666"] == pytest.approx(0.3545, abs=1e-4)
    obs = _obs(con, ["14712"], 2018, ["nb_menages_fiscaux", "taux_pauvrete"])  # Filosofi 2018, COG 2019
    tp = _row(obs, "14712", "taux_pauvrete")
    assert tp["statut"] == "ok" and tp["valeur"] == 7
    out = harmonise_cog(obs, passages, 2019, 2020, types)
    assert out["estime"].all()
    for code in ("14666", "14712"):
        assert _row(out, code, "nb_menages_fiscaux")["valeur"] == pytest.approx(2127 * ratio[code])
        got = _row(out, code, "taux_pauvrete")
        assert got["statut"] == "ok" and got["valeur"] == pytest.approx(7.0)
        assert got["denominateur"] == pytest.approx(tp["denominateur"] * ratio[code])


# --- chained years -------------------------------------------------------------------------


def test_passages_between_composes_years(passages):
    table = passages_between(passages, 2014, 2019)
    sub = table[table["code_depart"].isin(["77166", "77170", "77299", "77316", "77491"])]
    assert set(sub["code_arrivee"]) == {"77316"}
    assert set(sub["code_depart"]) == {"77166", "77170", "77299", "77316", "77491"}
    assert (sub["ratio"] == 1).all()
    # A fusion in 2017 followed by a split in 2020: ratios carry through and the type is 'd'.
    table = passages_between(passages, 2016, 2020)
    sub = table[table["code_depart"] == "14666"].set_index("code_arrivee")
    assert set(sub.index) == {"14666", "14712"}
    assert (sub["type_modif"] == "d").all()
    assert sub.loc["14666", "ratio"] == pytest.approx(0.354534, abs=1e-6)
    assert sub["ratio"].sum() == pytest.approx(1.0)
    # No change between equal years.
    assert passages_between(passages, 2019, 2019).empty


def test_chained_harmonisation_2015_to_2019(con, passages, types):
    # Filosofi 2014 (COG 2015): 77170 and 77299 join 77316 in 2016, 77491 in 2017.
    parts = ["77170", "77299", "77316", "77491"]
    obs = _obs(con, parts, 2014, ["nb_menages_fiscaux", "taille_menages", "revenu_median"])
    assert len(obs[obs["indicateur"] == "nb_menages_fiscaux"]) == 4
    out = harmonise_cog(obs, passages, 2015, 2019, types)
    assert set(out["code"]) == {"77316"}
    men = obs[obs["indicateur"] == "nb_menages_fiscaux"]
    assert _row(out, "77316", "nb_menages_fiscaux")["valeur"] == men["valeur"].sum() == 214 + 101 + 2770 + 2108
    size = obs[obs["indicateur"] == "taille_menages"]
    assert _row(out, "77316", "taille_menages")["valeur"] == pytest.approx(
        size["numerateur"].sum() / size["denominateur"].sum())
    assert _row(out, "77316", "revenu_median")["statut"] == "absent"


@pytest.mark.parametrize("dep", ["14", "62", "77"])
def test_harmonisation_composes_over_a_whole_departement(con, passages, types, dep):
    """2015 -> 2019 in one go equals 2015 -> 2017 then 2017 -> 2019 (real Filosofi 2014 counts and rates)."""
    obs = con.execute(
        f"SELECT {OBS_COLUMNS} FROM observations WHERE niveau = 'commune' AND annee = 2014 AND source = ? "
        "AND indicateur IN ('nb_menages_fiscaux', 'taille_menages') AND code LIKE ?", [DISP, dep + "%"]).df()
    assert len(obs) > 100
    direct = harmonise_cog(obs, passages, 2015, 2019, types)
    stepwise = harmonise_cog(harmonise_cog(obs, passages, 2015, 2017, types), passages, 2017, 2019, types)
    cols, keys = ["code", "indicateur", "annee", "valeur", "statut"], ["indicateur", "annee", "code"]
    pd.testing.assert_frame_equal(direct[cols].sort_values(keys).reset_index(drop=True),
                                  stepwise[cols].sort_values(keys).reset_index(drop=True), check_dtype=False)
    # Counts are conserved when nothing is secret, except for fusions with a part missing from
    # INSEE's file: those are 'absent' (never a partial total) and their observed parts are set aside.
    men = obs[(obs["indicateur"] == "nb_menages_fiscaux") & (obs["statut"] == "ok")]
    if len(men) == len(obs[obs["indicateur"] == "nb_menages_fiscaux"]):
        got = direct[direct["indicateur"] == "nb_menages_fiscaux"]
        absent = set(got.loc[got["statut"] == "absent", "code"])
        table = passages_between(passages, 2015, 2019)
        into_absent = set(table.loc[table["code_arrivee"].isin(absent), "code_depart"]) | absent
        set_aside = men.loc[men["code"].isin(into_absent), "valeur"].sum()
        assert got.loc[got["statut"] == "ok", "valeur"].sum() + set_aside == pytest.approx(men["valeur"].sum())
    # No code that disappears between 2015 and 2019 is left in the result.
    vanished = set()
    for year in range(2015, 2019):
        p = passages[passages["annee_depart"] == year]
        vanished |= set(p["code_depart"]) - set(p["code_arrivee"])
    assert vanished & set(obs["code"])  # the département did have fusions
    assert not vanished & set(direct["code"])


# --- hierarchy -----------------------------------------------------------------------


def test_communes_of_capso(con):
    communes = territoires.communes_of(con, "epci", CAPSO)
    assert len(communes) == 53 == len(set(communes))
    assert {"62040", "62525", "62765"} <= set(communes)
    assert all(c.startswith("62") and len(c) == 5 for c in communes)
    for cog in (2017, 2019, 2020):
        assert territoires.communes_of(con, "epci", CAPSO, cog) == communes
    # Before 2017 the CAPSO did not exist; its predecessor was the CA de Saint-Omer.
    assert territoires.communes_of(con, "epci", CAPSO, 2016) == ()
    assert "62765" in territoires.communes_of(con, "epci", "246200455", 2016)
    assert territoires.communes_of(con, "commune", "62765") == ("62765",)


def test_parents(con):
    assert territoires.parent(con, "commune", "62040", "epci") == CAPSO
    assert territoires.parent(con, "commune", "62765", "epci", 2019) == CAPSO
    assert territoires.parent(con, "commune", "62765", "epci", 2016) == "246200455"
    assert territoires.parent(con, "commune", "62765", "departement") == "62"
    assert territoires.parent(con, "commune", "62765", "region") == "32"
    assert territoires.parent(con, "commune", "62765", "france") == territoires.FRANCE
    assert territoires.parent(con, "commune", "99999", "epci") is None


def test_qpv_saint_exupery_leon_blum(con):
    rows = con.execute(
        "SELECT DISTINCT code_parent FROM appartenances WHERE niveau = 'qpv' AND code = 'QP062036' "
        "AND niveau_parent = 'commune' ORDER BY 1").fetchall()
    assert [r[0] for r in rows] == ["62040", "62525", "62765"]
    for commune in ("62040", "62525", "62765"):
        assert "QP062036" in territoires.qpv_of_commune(con, commune)


def test_check_commune_codes(con):
    assert territoires.check_commune_codes(con, ["62040", "62765", "2A004"]) == []
    assert territoires.check_commune_codes(con, ["62040", "1001", "99999"]) == ["1001", "99999"]


# --- custom groupings --------------------------------------------------------------------


def test_qpv_2024_one_code_per_row(con):
    # ANCT centroide-4326_qpv.geojson lists Saint-Étienne's nine QPV 2024 in one cell:
    # "QN04211M, QN04212M, …" with names "Cotonne Montferré, Tardy Tarentaize Beaubrun Couriot, …".
    rows = con.execute(
        "SELECT a.code, t.libelle FROM appartenances a JOIN territoires t ON t.niveau = 'qpv' AND t.code = a.code "
        "AND t.cog = 2024 WHERE a.niveau = 'qpv' AND a.cog = 2024 AND a.code_parent = '42218' ORDER BY a.code").fetchall()
    assert len(rows) == 9
    assert rows[0] == ("QN04211M", "Cotonne Montferré")
    assert all("," not in code for code, _ in rows)
