"""INSEE's comparateur de territoires (editions RP2018 and RP2017) in the store, against its zip read here.

Every expected value is a cell of the producer's zip read at run time (or a formula of its cells, for the
figures OSQ computes); the published precision is the most digits of the column over the communes.
"""

from __future__ import annotations

import re

import pytest
from outils import lire_comparateur

from osq_utils.indicateurs import une_source_par_valeur

ARQUES = "62040"
ARM = re.compile(r"751(?:0[1-9]|1\d|20)|6938[1-9]|132(?:0[1-9]|1[0-6])")
PLM = {"75056", "69123", "13055"}
EDITIONS = {
    # source: (recent census, census 5 years before, Filosofi year, civil-registration year)
    "insee-comparateur-territoires-rp2018": (18, 13, 19, 20),
    "insee-comparateur-territoires-rp2017": (17, 12, 17, 19),
}


@pytest.fixture(scope="module")
def fichiers(mirror) -> dict[str, list[dict[str, str]]]:
    return {source_id: lire_comparateur(mirror, source_id) for source_id in EDITIONS}


def _row(rows: list[dict[str, str]], code: str) -> dict[str, str]:
    (row,) = [r for r in rows if r["CODGEO"] == code]
    return row


def _published_decimals(rows: list[dict[str, str]], column: str) -> int:
    cells = [r[column] for r in rows if r[column] and not ARM.fullmatch(r["CODGEO"])]
    return max(len(c.split(".")[1]) if "." in c else 0 for c in cells)


def _stored(con, source: str, code: str, indicateur: str, annee: int, niveau: str = "commune") -> dict:
    found = con.execute(
        "SELECT valeur, numerateur, denominateur, statut, decimales, cog FROM observations "
        "WHERE source = ? AND niveau = ? AND code = ? AND indicateur = ? AND annee = ?",
        [source, niveau, code, indicateur, annee]).df()
    assert len(found) == 1, (source, niveau, code, indicateur, annee, found)
    return found.iloc[0].to_dict()


def _cases() -> list[tuple[str, str, int, str]]:
    """(source, indicator, year, column) of every figure read as published."""
    out = []
    for source, (y, p, f, e) in EDITIONS.items():
        Y, P = 2000 + y, 2000 + p
        for indicateur, annee, column in [
            ("population", Y + 2, f"P{y}_POP"), ("population", P + 2, f"P{p}_POP"), ("superficie", Y, "SUPERF"),
            ("naissances_5_ans", Y, f"NAIS{p}{y}"), ("deces_5_ans", Y, f"DECE{p}{y}"),
            ("naissances", 2000 + e, f"NAISD{e}"), ("deces", 2000 + e, f"DECESD{e}"), ("menages", Y, f"P{y}_MEN"),
            ("logements", Y, f"P{y}_LOG"), ("residences_principales", Y, f"P{y}_RP"),
            ("residences_secondaires", Y, f"P{y}_RSECOCC"), ("logements_vacants", Y, f"P{y}_LOGVAC"),
            ("emplois", Y, f"P{y}_EMPLT"), ("emplois", P, f"P{p}_EMPLT"), ("population_15_64", Y, f"P{y}_POP1564"),
            ("actifs_15_64", Y, f"P{y}_ACT1564"), ("chomeurs_15_64", Y, f"P{y}_CHOM1564"),
            ("nb_menages_fiscaux", 2000 + f, f"NBMENFISC{f}"), ("part_menages_imposes", 2000 + f, f"PIMP{f}"),
            ("revenu_median", 2000 + f, f"MED{f}"), ("taux_pauvrete", 2000 + f, f"TP60{f}"),
        ]:
            out.append((source, indicateur, annee, column))
    return out


@pytest.mark.parametrize(("source", "indicateur", "annee", "column"), _cases(),
                         ids=[f"{s[-6:]}-{i}-{a}" for s, i, a, _ in _cases()])
def test_published_figure_of_arques_equals_the_file(con, fichiers, source, indicateur, annee, column):
    rows = fichiers[source]
    cell = _row(rows, ARQUES)[column]
    got = _stored(con, source, ARQUES, indicateur, annee)
    assert got["statut"] == "ok" and got["valeur"] == pytest.approx(float(cell), rel=1e-12)
    assert got["decimales"] == _published_decimals(rows, column)
    assert got["cog"] == {"insee-comparateur-territoires-rp2018": 2021, "insee-comparateur-territoires-rp2017": 2020}[source]
    # Rates published without their numerator: the published denominator, never a made-up numerator.
    y, _, f, _ = EDITIONS[source]
    if indicateur == "part_menages_imposes":
        assert pd_isna(got["numerateur"]) and got["denominateur"] == float(_row(rows, ARQUES)[f"NBMENFISC{f}"])
    if indicateur in ("taux_pauvrete", "revenu_median"):
        assert pd_isna(got["numerateur"]) and pd_isna(got["denominateur"])


def pd_isna(value) -> bool:
    return value is None or value != value


def _computed(row: dict[str, str], y: int, p: int) -> dict[str, tuple[int, float, float | None, float | None]]:
    """indicator -> (year, value, numerator, denominator), computed from the file's cells by the glossary's formulas."""
    c = {k: float(v) for k, v in row.items() if k != "CODGEO" and v}
    Y, P = 2000 + y, 2000 + p
    pop, old = c[f"P{y}_POP"], c[f"P{p}_POP"]
    naturel = c[f"NAIS{p}{y}"] - c[f"DECE{p}{y}"]
    migratoire = (pop - old) - naturel
    annees_personnes = 5 * (pop + old) / 2
    occupes = c[f"P{y}_ACT1564"] - c[f"P{y}_CHOM1564"]

    def ratio(num, den, factor=100.0):
        return num / den * factor, num, den

    return {
        "densite_population": (Y, *ratio(pop, c["SUPERF"], 1.0)),
        "densite_population_old": (P, *ratio(old, c["SUPERF"], 1.0)),
        "solde_naturel": (Y, naturel, naturel, None),
        "solde_migratoire_apparent": (Y, migratoire, migratoire, None),
        "taux_variation_population": (Y, *ratio(pop - old, annees_personnes)),
        "taux_variation_solde_naturel": (Y, *ratio(naturel, annees_personnes)),
        "taux_variation_solde_migratoire": (Y, *ratio(migratoire, annees_personnes)),
        "part_residences_secondaires": (Y, *ratio(c[f"P{y}_RSECOCC"], c[f"P{y}_LOG"])),
        "taux_vacance": (Y, *ratio(c[f"P{y}_LOGVAC"], c[f"P{y}_LOG"])),
        "part_proprietaires": (Y, *ratio(c[f"P{y}_RP_PROP"], c[f"P{y}_RP"])),
        "part_emplois_salaries": (Y, *ratio(c[f"P{y}_EMPLT_SAL"], c[f"P{y}_EMPLT"])),
        "evolution_emplois": (Y, *ratio(c[f"P{y}_EMPLT"] - c[f"P{p}_EMPLT"], c[f"P{p}_EMPLT"])),
        "taux_activite_15_64": (Y, *ratio(c[f"P{y}_ACT1564"], c[f"P{y}_POP1564"])),
        "taux_chomage_15_64": (Y, *ratio(c[f"P{y}_CHOM1564"], c[f"P{y}_ACT1564"])),
        "taux_emploi": (Y, *ratio(occupes, c[f"P{y}_POP1564"])),
        "concentration_emploi": (Y, *ratio(c[f"P{y}_EMPLT"], occupes)),
    }


COMPUTED = [
    "densite_population", "densite_population_old", "solde_naturel", "solde_migratoire_apparent",
    "taux_variation_population", "taux_variation_solde_naturel", "taux_variation_solde_migratoire",
    "part_residences_secondaires", "taux_vacance", "part_proprietaires", "part_emplois_salaries", "evolution_emplois",
    "taux_activite_15_64", "taux_chomage_15_64", "taux_emploi", "concentration_emploi"]


@pytest.mark.parametrize("source", list(EDITIONS), ids=["rp2018", "rp2017"])
@pytest.mark.parametrize("cle", COMPUTED)
def test_computed_figure_of_arques_follows_its_formula(con, fichiers, source, cle):
    y, p, _, _ = EDITIONS[source]
    annee, valeur, num, den = _computed(_row(fichiers[source], ARQUES), y, p)[cle]
    got = _stored(con, source, ARQUES, cle.removesuffix("_old"), annee)
    assert got["statut"] == "ok" and got["valeur"] == pytest.approx(valeur, rel=1e-9)
    assert got["numerateur"] == pytest.approx(num, rel=1e-9)
    assert pd_isna(got["denominateur"]) if den is None else got["denominateur"] == pytest.approx(den, rel=1e-9)
    assert pd_isna(got["decimales"])  # computed by OSQ: the glossary's precision applies


def test_natural_and_migratory_rates_add_up_to_the_total(con):
    df = con.execute(
        "SELECT code, annee, indicateur, valeur FROM observations WHERE source = 'insee-comparateur-territoires-rp2018' "
        "AND niveau = 'commune' AND statut = 'ok' AND indicateur LIKE 'taux_variation%'").df()
    wide = df.pivot_table(index=["code", "annee"], columns="indicateur", values="valeur").dropna()
    assert len(wide) > 34_000
    total = wide["taux_variation_solde_naturel"] + wide["taux_variation_solde_migratoire"]
    assert (total - wide["taux_variation_population"]).abs().max() < 1e-9


def test_arrondissements_are_stored_at_level_arm_never_commune(con, fichiers):
    sources = [*EDITIONS, "insee-filosofi-2021-communes", "insee-filosofi-2014-2019-disp", "insee-filosofi-2015-2016",
               "insee-filosofi-2018-communes"]
    for source in sources:
        codes = {c for (c,) in con.execute("SELECT DISTINCT code FROM observations WHERE source = ? AND niveau = 'commune'",
                                           [source]).fetchall()}
        assert not {c for c in codes if ARM.fullmatch(c)}, source
        assert PLM <= codes, source  # the three PLM communes stay communes
    for source, rows in fichiers.items():
        in_file = {r["CODGEO"] for r in rows if ARM.fullmatch(r["CODGEO"])}
        assert len(in_file) == 45
        stored = {c for (c,) in con.execute("SELECT DISTINCT code FROM observations WHERE source = ? AND niveau = 'arm'",
                                            [source]).fetchall()}
        assert stored == in_file, source
        # 75101, Paris 1er: its own figures, read from its own line.
        row = _row(rows, "75101")
        y = EDITIONS[source][0]
        assert _stored(con, source, "75101", "population", 2000 + y + 2, "arm")["valeur"] == float(row[f"P{y}_POP"])


def test_population_of_france_counts_paris_lyon_marseille_once(con, fichiers):
    rows = fichiers["insee-comparateur-territoires-rp2018"]
    communes = [r for r in rows if not ARM.fullmatch(r["CODGEO"])]
    total = sum(float(r["P18_POP"]) for r in communes if r["P18_POP"])
    assert total == 66_732_538  # INSEE, population municipale 2018, France (communes only: PLM once)
    arrondissements = sum(float(r["P18_POP"]) for r in rows if ARM.fullmatch(r["CODGEO"]))
    assert arrondissements == sum(float(_row(rows, c)["P18_POP"]) for c in PLM)  # the arrondissements are the PLM
    stored = con.execute("SELECT sum(valeur) FROM observations WHERE source = 'insee-comparateur-territoires-rp2018' "
                         "AND niveau = 'commune' AND indicateur = 'population' AND annee = 2020").fetchone()[0]
    assert stored == total
    populations = con.execute("SELECT sum(population), count(*) FROM populations WHERE cog = 2020 "
                              "AND source = 'insee-comparateur-territoires-rp2018'").fetchone()
    assert populations == (total, len([r for r in communes if r["P18_POP"]]))


def test_populations_by_cog_year_agree_with_cogugaison(con):
    """The populations table: P18_POP under COG 2020 and P17_POP under COG 2019, as in the COGugaison table
    (whose 42, 62, 77 and 94 rows they must equal: the derived densities take one of them)."""
    both = con.execute(
        "SELECT a.cog, a.code, a.population AS comparateur, b.population AS cogugaison FROM populations a "
        "JOIN populations b ON a.cog = b.cog AND a.code = b.code AND b.source = 'cogugaison-2014-2024' "
        "WHERE a.source LIKE 'insee-comparateur-territoires-%'").df()
    assert set(both["cog"]) == {2019, 2020} and len(both) > 3_000
    assert (both["comparateur"] == both["cogugaison"]).all()
    arques = dict(con.execute("SELECT cog, population FROM populations WHERE code = ? AND source LIKE "
                              "'insee-comparateur-territoires-%'", [ARQUES]).fetchall())
    assert arques == {2020: 9654.0, 2019: 9753.0} == dict(con.execute(
        "SELECT cog, population FROM populations WHERE code = ? AND source = 'cogugaison-2014-2024' AND cog IN (2019, 2020)",
        [ARQUES]).fetchall())


def test_census_blanks_are_absent_and_filosofi_blanks_secret(con, fichiers):
    rows = fichiers["insee-comparateur-territoires-rp2018"]
    mayotte = next(r for r in rows if r["CODGEO"].startswith("976"))
    assert mayotte["P18_POP"] == "" and mayotte["NAISD20"] != ""
    got = _stored(con, "insee-comparateur-territoires-rp2018", mayotte["CODGEO"], "population", 2020)
    assert got["statut"] == "absent" and pd_isna(got["valeur"])
    assert _stored(con, "insee-comparateur-territoires-rp2018", mayotte["CODGEO"], "naissances", 2020)["valeur"] == float(
        mayotte["NAISD20"])
    small = next(r for r in rows if r["P18_POP"] and r["MED19"] == "" and r["NBMENFISC19"] == "")
    got = _stored(con, "insee-comparateur-territoires-rp2018", small["CODGEO"], "revenu_median", 2019)
    assert got["statut"] == "secret" and pd_isna(got["valeur"])
    counts = dict(con.execute(
        "SELECT statut, count(*) FROM observations WHERE source = 'insee-comparateur-territoires-rp2018' "
        "AND niveau = 'commune' AND indicateur = 'taux_pauvrete' GROUP BY statut").fetchall())
    assert counts["ok"] == sum(1 for r in rows if r["TP6019"] and not ARM.fullmatch(r["CODGEO"]))
    assert counts["secret"] == sum(1 for r in rows if not r["TP6019"] and not ARM.fullmatch(r["CODGEO"]))


def test_arrondissements_keep_their_own_precision(con, fichiers):
    """RP2017 edition: the arrondissements' poverty rates carry one decimal, the communes' none."""
    rows = fichiers["insee-comparateur-territoires-rp2017"]
    assert _row(rows, "13203")["TP6017"] == "53.4" and "." not in _row(rows, "13055")["TP6017"]
    source = "insee-comparateur-territoires-rp2017"
    assert _stored(con, source, "13203", "taux_pauvrete", 2017, "arm")["decimales"] == 1
    assert _stored(con, source, "13055", "taux_pauvrete", 2017)["decimales"] == 0


@pytest.mark.parametrize("indicateur", ["revenu_median", "nb_menages_fiscaux"])
def test_filosofi_2019_agrees_with_filosofi_disp_and_the_glossary_picks_one(con, glossaire, indicateur):
    """PROVENANCE.md of the RP2018 edition: MED19 equals FILO2019_DISP_COM Q219 (and NBMENFISC19 equals NBMEN19) for
    every commune but 16233 and 53249, whose perimeter changed between COG 2020 and 2021."""
    obs = con.execute(
        "SELECT code, niveau, indicateur, annee, valeur, source FROM observations WHERE niveau = 'commune' "
        "AND indicateur = ? AND annee = 2019 AND statut = 'ok' AND source IN "
        "('insee-comparateur-territoires-rp2018', 'insee-filosofi-2014-2019-disp')", [indicateur]).df()
    wide = obs.pivot_table(index="code", columns="source", values="valeur").dropna()
    differ = set(wide.index[wide["insee-comparateur-territoires-rp2018"] != wide["insee-filosofi-2014-2019-disp"]])
    assert differ == {"16233", "53249"} and len(wide) > 31_000
    chosen = une_source_par_valeur(obs, glossaire).set_index("code")
    assert chosen.loc["62040", "source"] == "insee-filosofi-2014-2019-disp"
    assert len(chosen) == obs["code"].nunique()


def test_census_2012_equals_cogugaison_2014_where_the_commune_did_not_change(con):
    """PROVENANCE.md of the RP2017 edition: P12_POP equals the COGugaison population of COG 2014 for 1,755 of the
    1,767 communes of 42, 62, 77 and 94; the others merged since (the comparateur gives the merged commune)."""
    df = con.execute(
        "SELECT a.code, a.valeur AS comparateur, b.valeur AS cogugaison FROM observations a JOIN observations b "
        "ON a.code = b.code AND b.indicateur = 'population' AND b.annee = 2014 AND b.source = 'cogugaison-2014-2024' "
        "WHERE a.source = 'insee-comparateur-territoires-rp2017' AND a.indicateur = 'population' AND a.annee = 2014 "
        "AND a.niveau = 'commune'").df()
    same = df[df["comparateur"] == df["cogugaison"]]
    assert len(same) == 1_755
    merged = {c for (c,) in con.execute("SELECT DISTINCT code_arrivee FROM passages_cog WHERE type_modif = 'f' "
                                        "AND annee_depart >= 2014 AND annee_arrivee <= 2020").fetchall()}
    assert set(df["code"]) - set(same["code"]) <= merged


def test_poverty_rates_2017_and_2019_of_communes_are_new_to_the_store(con):
    sources = dict(con.execute(
        "SELECT annee, list(DISTINCT source) FROM observations WHERE niveau = 'commune' AND indicateur = 'taux_pauvrete' "
        "AND annee IN (2017, 2019) AND statut = 'ok' GROUP BY annee").fetchall())
    assert sources == {2017: ["insee-comparateur-territoires-rp2017"], 2019: ["insee-comparateur-territoires-rp2018"]}
