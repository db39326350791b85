"""Filosofi in the store, against its files read here: 2021 communes (« s », « nd »), 2020 départements, and the
poverty breakdowns and income composition the older readers now take from every year the mirror holds.

A value is checked for Arques (62040), or Saint-Étienne (42218) / Paris (75056) where Arques is secret; the
expected value and its precision are read from the producer's file at run time.
"""

from __future__ import annotations

import csv
import re

import pytest

from osq_utils.ingest.filosofi import COMPOSITION, PAUVRETE_GROUPES

ARQUES, SAINT_ETIENNE, PARIS = "62040", "42218", "75056"
ARM = re.compile(r"751(?:0[1-9]|1\d|20)|6938[1-9]|132(?:0[1-9]|1[0-6])")
F21, F20 = "insee-filosofi-2021-communes", "insee-filosofi-2020-departements"
DOREMI, PAUVRES18, DISP = "insee-filosofi-2015-2016", "insee-filosofi-2018-communes", "insee-filosofi-2014-2019-disp"


def _rows(mirror, source_id: str, chemin: str) -> list[dict[str, str]]:
    with open(mirror / source_id / chemin, encoding="utf-8-sig", newline="") as fh:
        return [{k.strip(): (v or "").strip() for k, v in r.items() if k} for r in csv.DictReader(fh, delimiter=";")]


@pytest.fixture(scope="module")
def fichiers(mirror) -> dict[str, list[dict[str, str]]]:
    return {
        "f21": _rows(mirror, F21, "cc_filosofi_2021_COM.csv"),
        "f20": _rows(mirror, F20, "FILO2020_DISP_DEP.csv"),
        "f20p": _rows(mirror, F20, "FILO2020_DISP_PAUVRES_DEP.csv"),
        "d15": _rows(mirror, DOREMI, "filosofi_com_2015.csv"),
        "d16": _rows(mirror, DOREMI, "filosofi_com_2016.csv"),
        "e16": _rows(mirror, DOREMI, "filosofi_epci_2016.csv"),
        "p18": _rows(mirror, PAUVRES18, "FILO2018_DISP_Pauvres_COM.csv"),
        "disp19": _rows(mirror, DISP, "communes/FILO2019_DISP_COM.csv"),
    }


def _number(cell: str) -> float:
    return float(re.sub(r"[\s\u00a0\u202f]", "", cell).replace(",", "."))


def _decimals(rows: list[dict[str, str]], column: str, arm: bool = False) -> int:
    """The most digits after the decimal separator over the rows of one level (the published precision)."""
    cells = [r[column].replace(",", ".") for r in rows
             if re.fullmatch(r"-?\d+(?:[.,]\d*)?", r[column]) and bool(ARM.fullmatch(r["CODGEO"])) == arm]
    return max(len(c.split(".")[1]) if "." in c else 0 for c in cells)


def _first_published(rows: list[dict[str, str]], column: str) -> dict[str, str]:
    """Arques if the file publishes the cell, else Saint-Étienne, else Paris (or a département row as is)."""
    by_code = {r["CODGEO"]: r for r in rows}
    for code in (ARQUES, SAINT_ETIENNE, PARIS, "62"):
        if code in by_code and re.fullmatch(r"-?\d+(?:[.,]\d*)?", by_code[code][column]):
            return by_code[code]
    raise AssertionError(column)


def _stored(con, source: str, niveau: str, code: str, indicateur: str, annee: int) -> dict:
    found = con.execute(
        "SELECT valeur, numerateur, denominateur, statut, decimales, cog FROM observations "
        "WHERE source = ? AND niveau = ? AND code = ? AND indicateur = ? AND annee = ?",
        [source, niveau, code, indicateur, annee]).df()
    assert len(found) == 1, (source, niveau, code, indicateur, annee, found)
    return found.iloc[0].to_dict()


def _isna(value) -> bool:
    return value is None or value != value


# --- Filosofi 2021, communes (COG 2024) -------------------------------------------------------

F21_COLUMNS = {
    "nb_menages_fiscaux": "NBMENFISC21", "nb_personnes_menages_fiscaux": "NBPERSMENFISC21", "revenu_median": "MED21",
    "part_menages_imposes": "PIMP21", "taux_pauvrete": "TP6021", "decile_1": "D121", "decile_9": "D921",
    "rapport_interdecile": "RD21",
    **{ind: f"{stem}21" for ind, stem in COMPOSITION.items()},
    **{ind: f"TP60{g}21" for ind, g in PAUVRETE_GROUPES.items() if g.startswith(("AGE", "TOL"))},
}


@pytest.mark.parametrize(("indicateur", "column"), F21_COLUMNS.items(), ids=list(F21_COLUMNS))
def test_filosofi_2021_figure_equals_the_file(con, fichiers, indicateur, column):
    rows = fichiers["f21"]
    row = _first_published(rows, column)
    got = _stored(con, F21, "commune", row["CODGEO"], indicateur, 2021)
    assert got["statut"] == "ok" and got["valeur"] == pytest.approx(_number(row[column]))
    assert got["decimales"] == _decimals(rows, column) and got["cog"] == 2024
    if indicateur.startswith("taux_pauvrete") or indicateur == "part_menages_imposes":
        assert _isna(got["numerateur"])  # published without its numerator: none is made up
    if indicateur == "taux_pauvrete":
        assert got["denominateur"] == _number(row["NBPERSMENFISC21"])
    if indicateur == "part_menages_imposes":
        assert got["denominateur"] == _number(row["NBMENFISC21"])


def test_filosofi_2021_marks_secret_and_not_available(con, fichiers):
    rows = fichiers["f21"]
    secret = next(r for r in rows if r["TP6021"] == "s" and r["NBMENFISC21"] not in ("s", "nd"))
    nd = next(r for r in rows if r["TP6021"] == "nd")
    assert _stored(con, F21, "commune", secret["CODGEO"], "taux_pauvrete", 2021)["statut"] == "secret"
    got = _stored(con, F21, "commune", nd["CODGEO"], "taux_pauvrete", 2021)
    assert got["statut"] == "absent" and _isna(got["valeur"])
    counts = dict(con.execute("SELECT statut, count(*) FROM observations WHERE source = ? AND indicateur = 'revenu_median' "
                              "GROUP BY statut", [F21]).fetchall())
    assert counts == {"ok": sum(r["MED21"] not in ("s", "nd") for r in rows),
                      "secret": sum(r["MED21"] == "s" for r in rows), "absent": sum(r["MED21"] == "nd" for r in rows)}
    # Arques: the poverty rate of households whose referent is 75 or older is secret in the file.
    assert next(r for r in rows if r["CODGEO"] == ARQUES)["TP60AGE621"] == "s"
    assert _stored(con, F21, "commune", ARQUES, "taux_pauvrete_75_plus", 2021)["statut"] == "secret"


def test_filosofi_2021_arrondissements_at_level_arm(con, fichiers):
    row = next(r for r in fichiers["f21"] if r["CODGEO"] == "75101")
    got = _stored(con, F21, "arm", "75101", "taux_pauvrete", 2021)
    assert got["valeur"] == _number(row["TP6021"]) and got["decimales"] == _decimals(fichiers["f21"], "TP6021", arm=True)
    assert not con.execute("SELECT count(*) FROM observations WHERE source = ? AND niveau = 'commune' AND code = '75101'",
                           [F21]).fetchone()[0]


# --- Filosofi 2020, départements --------------------------------------------------------------

F20_DISP = {"nb_menages_fiscaux": "NBMEN20", "nb_personnes_menages_fiscaux": "NBPERS20", "revenu_median": "Q220",
            "decile_1": "D120", "decile_9": "D920", "rapport_interdecile": "RD", "gini": "GI20",
            **{ind: f"{stem}20" for ind, stem in COMPOSITION.items()}}
F20_PAUVRES = {"taux_pauvrete": "TP6020", **{ind: f"{g}TP6020" for ind, g in PAUVRETE_GROUPES.items()}}


@pytest.mark.parametrize(("fichier", "indicateur", "column"),
                         [("f20", i, c) for i, c in F20_DISP.items()] + [("f20p", i, c) for i, c in F20_PAUVRES.items()],
                         ids=[*F20_DISP, *F20_PAUVRES])
def test_filosofi_2020_pas_de_calais_equals_the_file(con, fichiers, fichier, indicateur, column):
    rows = fichiers[fichier]
    row = next(r for r in rows if r["CODGEO"] == "62")
    got = _stored(con, F20, "departement", "62", indicateur, 2020)
    assert got["statut"] == "ok" and got["valeur"] == pytest.approx(_number(row[column]))
    assert got["decimales"] == _decimals(rows, column)
    if indicateur == "taux_pauvrete":  # its denominator is the persons of the distribution file
        persons = next(r for r in fichiers["f20"] if r["CODGEO"] == "62")["NBPERS20"]
        assert got["denominateur"] == _number(persons) and _isna(got["numerateur"])


# --- Older readers: every Filosofi year the mirror holds -----------------------------------------

@pytest.mark.parametrize("annee", [2015, 2016])
@pytest.mark.parametrize("indicateur", [i for i, g in PAUVRETE_GROUPES.items() if g.startswith(("AGE", "TOL"))])
def test_doremifasol_poverty_by_age_and_tenure(con, fichiers, indicateur, annee):
    rows = fichiers[f"d{annee % 100}"]
    column = f"TP60{PAUVRETE_GROUPES[indicateur]}{annee % 100}"
    row = _first_published(rows, column)
    got = _stored(con, DOREMI, "commune", row["CODGEO"], indicateur, annee)
    assert got["valeur"] == _number(row[column]) and _isna(got["numerateur"]) and _isna(got["denominateur"])
    # INSEE publishes commune rates as whole numbers; the R-to-CSV conversion wrote them « 22.0 ».
    assert all(c.endswith(".0") for c in (r[column] for r in rows) if c) and got["decimales"] == 0


def test_doremifasol_keeps_denominators_and_the_epci_precision(con, fichiers):
    row = next(r for r in fichiers["d16"] if r["CODGEO"] == ARQUES)
    got = _stored(con, DOREMI, "commune", ARQUES, "taux_pauvrete", 2016)
    assert (got["valeur"], got["denominateur"]) == (_number(row["TP6016"]), _number(row["NBPERSMENFISC16"]))
    assert _isna(got["numerateur"])
    got = _stored(con, DOREMI, "commune", ARQUES, "part_menages_imposes", 2016)
    assert (got["valeur"], got["denominateur"]) == (_number(row["PIMP16"]), _number(row["NBMENFISC16"]))
    epci = next(r for r in fichiers["e16"] if r["CODGEO"] == "200069037")  # CA du Pays de Saint-Omer (COG 2017)
    got = _stored(con, DOREMI, "epci", "200069037", "taux_pauvrete_locataires", 2016)
    assert got["valeur"] == _number(epci["TP60TOL216"]) and got["decimales"] == 1


@pytest.mark.parametrize("indicateur", list(PAUVRETE_GROUPES))
def test_poverty_2018_by_group(con, fichiers, indicateur):
    rows = fichiers["p18"]
    column = f"{PAUVRETE_GROUPES[indicateur]}TP6018"
    row = _first_published(rows, column)
    got = _stored(con, PAUVRES18, "commune", row["CODGEO"], indicateur, 2018)
    assert got["valeur"] == _number(row[column]) and got["decimales"] == _decimals(rows, column)
    arques = next(r for r in rows if r["CODGEO"] == ARQUES)
    if arques[column] == "":
        assert _stored(con, PAUVRES18, "commune", ARQUES, indicateur, 2018)["statut"] == "secret"


@pytest.mark.parametrize("indicateur", list(COMPOSITION))
def test_income_composition_2019_of_arques(con, fichiers, indicateur):
    rows = fichiers["disp19"]
    column = f"{COMPOSITION[indicateur]}19"
    row = next(r for r in rows if r["CODGEO"] == ARQUES)
    got = _stored(con, DISP, "commune", ARQUES, indicateur, 2019)
    assert got["valeur"] == pytest.approx(_number(row[column])) and got["decimales"] == _decimals(rows, column)


def test_no_numerator_is_made_up_for_rates_published_without_one(con):
    made_up = con.execute(
        "SELECT source, indicateur, count(*) FROM observations WHERE (indicateur LIKE 'taux_pauvrete%' "
        "OR indicateur = 'part_menages_imposes') AND numerateur IS NOT NULL GROUP BY ALL").fetchall()
    assert made_up == []
    # The published denominators stay (persons, households), so the secret rules can read them.
    assert con.execute("SELECT count(*) FROM observations WHERE indicateur = 'taux_pauvrete' AND niveau = 'commune' "
                       "AND annee IN (2015, 2016, 2018, 2021) AND statut = 'ok' AND denominateur IS NULL").fetchone()[0] == 0
