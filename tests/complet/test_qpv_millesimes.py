"""Every vintage of the ANCT/INSEE QPV tables, at its reference year.

The year in a table's name is its publication, not its reference year, and one table mixes several
producers' years. These tests read the mirror files at run time and check (1) the catalogue's table
file → reference year against the reader, (2) the evidence for each block in the files themselves,
(3) each indicator's stored value and year for Saint-Exupéry - Léon Blum (QP062036), (4) the Occitanie
copy, and (5) that the QPV note's gap tables and the evaluation draw every year.
"""

from __future__ import annotations

import csv
import io
import math
import re
import statistics
import zipfile
from pathlib import Path

import pytest

from osq_utils.catalogues.racine import PROJECT_ROOT
from osq_utils.errors import OsqError
from osq_utils.ingest import qpv
from osq_utils.notes import evaluation as ev
from osq_utils.notes import quartier as qq
from osq_utils.present import fr
from osq_utils.secret.vue import Vue

SOURCE = "insee-anct-qpv-2015"
QP = "QP062036"


def table(mirror: Path, chemin: str, source: str = SOURCE, sep: str = ";") -> dict[str, dict[str, str]]:
    """A producer's CSV as {code: row}, cells as text (blank = secret), column names stripped."""
    with open(mirror / source / chemin, encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh, delimiter=sep)
        out = {}
        for row in reader:
            row = {(k or "").strip(): (v or "").strip() for k, v in row.items()}
            code = next(v for k, v in row.items() if k.lower() in ("codgeo", "code_qp", "qp"))
            out[code] = row
    return out


def num(text: str) -> float:
    """A French-formatted cell ('11 910', '0,184', '-6,0'); blank is NaN (secret, never 0)."""
    text = re.sub(r"[\s\u00a0\u202f]", "", text).replace(",", ".")
    return float(text) if text else math.nan


def published_decimals(rows: dict[str, dict[str, str]], column: str) -> int:
    """The most digits after the decimal comma in a column (the precision its producer published)."""
    digits = [len(m.group(1)) for r in rows.values() if (m := re.search(r",(\d+)$", r.get(column, "")))]
    return max(digits, default=0)


def missing(x) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def stored(con, indicateur: str, annee: int, code: str = QP, source: str = SOURCE):
    return con.execute("SELECT valeur, statut, numerateur, denominateur, decimales FROM observations WHERE source = ? "
                       "AND niveau = 'qpv' AND code = ? AND indicateur = ? AND annee = ?",
                       [source, code, indicateur, annee]).fetchall()


# --- 1. The catalogue's table is the reader's ---------------------------------------------------------------

BLOCS_DU_TABLEAU = {"Filosofi": ("filosofi", "filosofi_revn"), "CAF 31/12": ("caf",), "recensement": ("rp",),
                    "population": ("population",), "Pôle emploi": ("pole_emploi",)}


def test_catalogue_table_of_reference_years_is_the_readers(catalogue):
    text = (PROJECT_ROOT / "data" / "sources.yml").read_text(encoding="utf-8")
    entry = text[text.index(f"- id: {SOURCE}\n"):]
    entry = entry[:entry.index("    fichiers:")]
    lines = [line.strip()[1:].strip() for line in entry.splitlines() if re.match(r"\s*# \| [a-z]", line)]
    header = [c.strip() for c in lines[0].strip("|").split("|")]
    assert header[0] == "fichier" and set(header[1:]) == set(BLOCS_DU_TABLEAU)
    rows = {}
    for line in lines[1:]:
        cells = [c.strip() for c in line.strip("|").split("|")]
        rows[cells[0]] = dict(zip(header[1:], cells[1:]))
    # One row per data file of the source, no more.
    assert set(rows) == {f.chemin for f in catalogue[SOURCE].fichiers}
    for chemin, years in rows.items():
        table_name = chemin.split("/")[0]
        vintage = qpv.millesime(chemin.split("/")[-1])
        champs = qpv.FILO_QP if table_name == "filosofi" else qpv.CHAMPS[table_name]
        blocs = {c.bloc for c in champs}
        for column, cell in years.items():
            mine = [b for b in BLOCS_DU_TABLEAU[column] if b in blocs]
            if cell == "-":
                assert not mine, (chemin, column)
            else:
                assert [qpv.annee_de_reference(b, vintage, chemin) for b in mine] == [int(cell)], (chemin, column)


def test_an_unknown_vintage_is_a_french_error_that_names_the_fix():
    with pytest.raises(OsqError) as err:
        qpv.annee_de_reference("caf", 2023, "demographie/DEMO_2023.csv")
    assert "millésime 2023 inconnu" in str(err.value) and "ANNEES_DE_REFERENCE" in err.value.correction


# --- 2. The evidence, in the files ------------------------------------------------------------------------------

FILO_REVN = {"TP60": "tp60|disp_tp60", "DISP_Q2": "disp_q2|disp_med", "DISP_Q1": "disp_q1", "DISP_Q3": "disp_q3",
             "DISP_D1": "disp_d1", "DISP_D9": "disp_d9", "DISP_D1D9": "disp_d1d9|disp_rd", "PACT": "disp_pact",
             "PPEN": "disp_ppen", "PPSOC": "disp_ppsoc", "PIMPOT": "disp_pimpot", "PPAT": "disp_ppat"}


def _filo_column(row: dict[str, str], stems: str, year: int) -> str:
    lower = {k.lower(): k for k in row}
    return next(lower[f"{s}_a{year % 100}"] for s in stems.split("|") if f"{s}_a{year % 100}" in lower)


@pytest.mark.parametrize("revn, filo", [(2021, 2017), (2022, 2018)])
def test_revn_income_columns_are_filosofi_four_years_before(mirror, revn, filo):
    r = table(mirror, f"revenus/REVN_{revn}.csv")
    f = table(mirror, f"filosofi/data_filo{filo % 100}_qp_revdis.csv")
    compared = 0
    for code in set(r) & set(f) - {"Ensemble"}:
        for col, stems in FILO_REVN.items():
            if col not in r[code]:
                continue
            a, b = num(r[code][col]), num(f[code][_filo_column(f[code], stems, filo)])
            assert (math.isnan(a) and math.isnan(b)) or a == pytest.approx(b), (code, col)
            compared += 1
    assert compared > 1300 * 10


def test_revn_2019_income_is_older_than_filosofi_2016(mirror):
    # Not the 2016 file (nor a later one): REVN_2019 carries the revenus 2015, four years before.
    r, f = table(mirror, "revenus/REVN_2019.csv"), table(mirror, "filosofi/data_filo16_qp_revdis.csv")
    pairs = [(num(r[c]["TP60"]), num(f[c]["tp60_a16"])) for c in set(r) & set(f) - {"Ensemble"}]
    pairs = [(a, b) for a, b in pairs if not (math.isnan(a) or math.isnan(b))]
    assert len(pairs) > 1000 and sum(a == b for a, b in pairs) / len(pairs) < 0.05


CAF_COLUMNS = ["A", "PERCOU", "AI", "AM", "ACSSENF", "ACAVENF", "ENF"]


def test_demo_caf_columns_are_the_cnaf_files_two_years_before(mirror):
    """A QPV drawn like an IRIS has the very same seven CAF counts as that IRIS, two years before the table."""
    iris = {}
    for path in sorted((mirror / "cnaf-caf-iris-2016-2020").glob("data_CAF_*_IRIS.csv")):
        year = int(re.search(r"20\d\d", path.name).group())
        rows = table(mirror, path.name, "cnaf-caf-iris-2016-2020")
        iris[year] = {tuple(num(r[c]) for c in CAF_COLUMNS) for r in rows.values()}
    for chemin, vintage in (("demographie/DEMO_2018.csv", 2018), ("demographie/DEMO_2019.csv", 2019),
                            ("demographie/data_DEMO_2020_V1_QP.csv", 2020)):
        rows = table(mirror, chemin)
        tuples = [t for t in (tuple(num(r[c]) for c in CAF_COLUMNS) for r in rows.values())
                  if not any(math.isnan(x) for x in t)]
        matches = {year: sum(t in found for t in tuples) for year, found in iris.items()}
        reference = qpv.ANNEES_DE_REFERENCE["caf"][vintage]
        assert reference == vintage - 2 and matches[reference] >= 4, (chemin, matches)
        assert all(n == 0 for year, n in matches.items() if year != reference), (chemin, matches)


def _comparateur(mirror: Path) -> dict[str, dict[str, str]]:
    with zipfile.ZipFile(mirror / "insee-comparateur-territoires-rp2018" / "base_cc_comparateur_csv.zip") as zf:
        text = zf.read("base_cc_comparateur.CSV").decode("utf-8")
    return {r["CODGEO"]: r for r in csv.DictReader(io.StringIO(text), delimiter=";")}


def test_demo_population_is_census_2013_then_2018(mirror):
    communes = _comparateur(mirror)
    p13 = sum(num(communes[c]["P13_POP"]) for c in ("62040", "62525", "62765"))
    p18 = sum(num(communes[c]["P18_POP"]) for c in ("62040", "62525", "62765"))
    # POP_COM is the population of the QPV's communes, in the same row as its POP_MUN.
    for vintage in (2017, 2018, 2019):
        assert num(table(mirror, f"demographie/DEMO_{vintage}.csv")[QP]["POP_COM"]) == p13  # 35 132, census 2013
    for vintage in (2021, 2022):
        assert num(table(mirror, f"demographie/DEMO_{vintage}.csv")[QP]["POP_COM"]) == p18  # 35 116, census 2018
    assert num(table(mirror, "demographie/DEMO_2022.csv")["QP062037"]["POP_COM"]) == num(communes["62765"]["P18_POP"])
    # POP_MUN of the 2017 to 2020 tables is INSEE's 2013 population of each QPV.
    pop13 = table(mirror, "pop_qp_2013.csv", "anct-qpv-2015-contours")
    demo20 = table(mirror, "demographie/data_DEMO_2020_V1_QP.csv")
    same = [num(demo20[c]["POP_MUN"]) == num(pop13[c]["population_municipale_2013"]) for c in set(demo20) & set(pop13)]
    assert len(same) > 1200 and all(same)


RP_DEMO = ["TX_F", "TX_TOT_0A24", "TX_TOT_60ETPLUS", "IND_JEUNE", "TX_TOT_MEN1", "TX_TOT_ET"]


def _share_equal(a: dict, b: dict, columns: list[str]) -> float:
    pairs = [(num(a[c][col]), num(b[c][col])) for c in set(a) & set(b) - {"Ensemble"} for col in columns]
    pairs = [(x, y) for x, y in pairs if not (math.isnan(x) or math.isnan(y))]
    return sum(x == y for x, y in pairs) / len(pairs)


def test_census_columns_of_the_2017_and_2018_tables_are_one_census(mirror):
    demo = {v: table(mirror, f"demographie/DEMO_{v}.csv") for v in (2017, 2018, 2019, 2021, 2022)}
    demo[2020] = table(mirror, "demographie/data_DEMO_2020_V1_QP.csv")
    ipro = {v: table(mirror, f"insertion-pro/IPRO_{v}.csv") for v in range(2017, 2023)}
    assert _share_equal(demo[2017], demo[2018], RP_DEMO) == 1.0  # census 2013 in both
    assert _share_equal(ipro[2017], ipro[2018], ["TX_TOT_EMPL", "TX_F_EMPL"]) == 1.0
    # Each later table brings a new census year.
    for v in range(2018, 2022):
        assert _share_equal(demo[v], demo[v + 1], RP_DEMO) < 0.35, v
        assert _share_equal(ipro[v], ipro[v + 1], ["TX_TOT_EMPL", "TX_F_EMPL"]) < 0.15, v
    assert [qpv.ANNEES_DE_REFERENCE["rp"][v] for v in range(2017, 2023)] == [2013, 2013, 2015, 2016, 2017, 2018]


def test_caf_benefits_of_revn_2017_are_before_the_prime_d_activite(mirror):
    # The prime d'activité replaced the RSA activité on 1 January 2016: REVN_2017 (CAF end of 2015) still counts
    # RSA recipients beyond the RSA socle (ARSA > ARSAS) and has no APPA; REVN_2018 (end of 2016) has APPA.
    r17, r18 = table(mirror, "revenus/REVN_2017.csv"), table(mirror, "revenus/REVN_2018.csv")
    assert "APPA" not in r17[QP] and "APPA" in r18[QP] and "ARSA" not in r18[QP]
    assert num(r17["Ensemble"]["ARSA"]) > num(r17["Ensemble"]["ARSAS"]) + 100_000
    assert (qpv.ANNEES_DE_REFERENCE["caf"][2017], qpv.ANNEES_DE_REFERENCE["caf"][2018]) == (2015, 2016)


def test_job_seekers_are_the_year_before_publication(mirror):
    # EVOL_A_T4, change of category A job seekers over the fourth quarter: France saw them rise in 2020 (health
    # crisis) and fall sharply in 2021; IPRO_2021 and IPRO_2022 show it, so each table gives the year before.
    evol = {v: statistics.median(x for r in table(mirror, f"insertion-pro/IPRO_{v}.csv").values()
                                 if not math.isnan(x := num(r["EVOL_A_T4"])))
            for v in (2020, 2021, 2022)}
    assert evol[2021] > 0 > evol[2020] and evol[2022] < -10
    assert [qpv.ANNEES_DE_REFERENCE["pole_emploi"][v] for v in (2021, 2022)] == [2020, 2021]


# --- 3. Each indicator of QP062036: the stored value is the cell read now, at its reference year -----------------

# (indicator, file, column, denominator column or None, reference year)
CAS = [
    ("quartile_1", "filosofi/data_filo19_qp_revdis.csv", "DISP_Q1_A19", None, 2019),
    ("quartile_1", "revenus/REVN_2017.csv", "DISP_Q1", None, 2013),
    ("quartile_3", "filosofi/data_filo16_qp_revdis.csv", "disp_q3_a16", None, 2016),
    ("decile_2", "filosofi/data_filo19_qp_revdis.csv", "DISP_D2_A19", None, 2019),
    ("decile_3", "filosofi/data_filo18_qp_revdis.csv", "DISP_D3_A18", None, 2018),
    ("decile_4", "filosofi/data_filo17_qp_revdis.csv", "disp_d4_a17", None, 2017),
    ("decile_6", "filosofi/data_filo16_qp_revdis.csv", "disp_d6_a16", None, 2016),
    ("decile_7", "filosofi/data_filo19_qp_revdis.csv", "DISP_D7_A19", None, 2019),
    ("decile_8", "filosofi/data_filo18_qp_revdis.csv", "DISP_D8_A18", None, 2018),
    ("decile_1", "revenus/REVN_2019.csv", "DISP_D1", None, 2015),
    ("decile_9", "revenus/REVN_2017.csv", "DISP_D9", None, 2013),
    ("revenu_median", "revenus/REVN_2018.csv", "DISP_Q2", None, 2014),
    ("taux_pauvrete", "revenus/REVN_2017.csv", "TP60", None, 2013),
    ("rapport_interdecile", "filosofi/data_filo19_qp_revdis.csv", "DISP_RD_A19", None, 2019),
    ("ecart_interquartile_relatif", "filosofi/data_filo16_qp_revdis.csv", "disp_q1q3q2_a16", None, 2016),
    ("ecart_interquartile_relatif", "filosofi/data_filo19_qp_revdis.csv", "DISP_EQ_A19", None, 2019),
    ("gini", "filosofi/data_filo19_qp_revdis.csv", "DISP_GINI_A19", None, 2019),
    ("rapport_s80_s20", "filosofi/data_filo17_qp_revdis.csv", "disp_s80s20_a17", None, 2017),
    ("part_revenus_activite", "revenus/REVN_2017.csv", "PACT", None, 2013),
    ("part_indemnites_chomage", "filosofi/data_filo19_qp_revdis.csv", "DISP_PCHO_A19", None, 2019),
    ("part_pensions", "revenus/REVN_2019.csv", "PPEN", None, 2015),
    ("part_revenus_patrimoine", "filosofi/data_filo18_qp_revdis.csv", "DISP_PPAT_A18", None, 2018),
    ("part_prestations_sociales", "revenus/REVN_2018.csv", "PPSOC", None, 2014),
    ("part_prestations_familiales", "filosofi/data_filo19_qp_revdis.csv", "DISP_PPFAM_A19", None, 2019),
    ("part_minima_sociaux", "filosofi/data_filo16_qp_revdis.csv", "disp_ppmini_a16", None, 2016),
    ("part_prestations_logement", "filosofi/data_filo19_qp_revdis.csv", "DISP_PPLOGT_A19", None, 2019),
    ("part_impots", "revenus/REVN_2019.csv", "PIMPOT", None, 2015),
    ("part_menages_imposes", "revenus/REVN_2021.csv", "PMIMP", None, 2017),
    ("part_menages_imposes", "revenus/REVN_2017.csv", "PMIMP", None, 2013),
    ("part_menages_revenu_chomage", "revenus/REVN_2019.csv", "PART_CHOMPRINC", None, 2015),
    ("revenu_declare_median", "revenus/REVN_2022.csv", "DECUC_Q2", None, 2018),
    ("revenu_declare_quartile_1", "revenus/REVN_2018.csv", "DECUC_Q1", None, 2014),
    ("revenu_declare_quartile_3", "revenus/REVN_2021.csv", "DECUC_Q3", None, 2017),
    ("revenu_declare_decile_1", "revenus/REVN_2022.csv", "DECUC_D1", None, 2018),
    ("revenu_declare_decile_9", "revenus/REVN_2019.csv", "DECUC_D9", None, 2015),
    ("rapport_interdecile_declare", "revenus/REVN_2022.csv", "DECUC_D1D9", None, 2018),  # blank: secret
    ("taux_bas_revenus_declares", "revenus/REVN_2022.csv", "BREV", None, 2018),
    ("taux_bas_revenus_declares", "revenus/REVN_2017.csv", "BREV", None, 2013),
    ("part_allocataires_dependants_50", "revenus/REVN_2019.csv", "APRES50", "A", 2017),
    ("part_allocataires_dependants_100", "revenus/REVN_2017.csv", "APRES100", "A", 2015),
    ("allocataires_rsa", "revenus/REVN_2022.csv", "ARSAS", None, 2020),
    ("part_allocataires_rsa", "revenus/REVN_2021.csv", "ARSAS", "A", 2019),
    ("allocataires_aah", "revenus/REVN_2018.csv", "AAAH", None, 2016),
    ("part_allocataires_aah", "revenus/REVN_2022.csv", "AAAH", "A", 2020),
    ("part_allocataires_prime_activite", "revenus/REVN_2018.csv", "APPA", "A", 2016),
    ("allocataires_caf", "demographie/DEMO_2022.csv", "A", None, 2020),
    ("allocataires_caf", "demographie/DEMO_2017.csv", "A", None, 2015),
    ("personnes_couvertes_caf", "demographie/data_DEMO_2020_V1_QP.csv", "PERCOU", None, 2018),
    ("part_allocataires_monoparents", "demographie/DEMO_2022.csv", "AM", "A", 2020),
    ("part_allocataires_isoles", "demographie/DEMO_2017.csv", "AI", "A", 2015),
    ("part_allocataires_couples_sans_enfant", "demographie/DEMO_2021.csv", "ACSSENF", "A", 2019),
    ("part_allocataires_couples_avec_enfants", "demographie/DEMO_2018.csv", "ACAVENF", "A", 2016),
    ("allocataires_etudiants", "demographie/DEMO_2022.csv", "A_ETUD", None, 2020),
    ("enfants_couverts_caf", "demographie/DEMO_2019.csv", "ENF", None, 2017),
    ("enfants_caf_0_2", "demographie/DEMO_2022.csv", "ENF_2", None, 2020),
    ("enfants_caf_3_5", "demographie/DEMO_2021.csv", "ENF_3_5", None, 2019),
    ("enfants_caf_6_10", "demographie/data_DEMO_2020_V1_QP.csv", "ENF_6_10", None, 2018),
    ("enfants_caf_11_14", "demographie/DEMO_2019.csv", "ENF_11_14", None, 2017),
    ("enfants_caf_15_17", "demographie/DEMO_2018.csv", "ENF_15_17", None, 2016),
    ("enfants_caf_18_24", "demographie/DEMO_2017.csv", "ENF_18_24", None, 2015),
    ("population", "demographie/DEMO_2022.csv", "POP_MUN", None, 2018),
    ("part_femmes", "demographie/DEMO_2022.csv", "TX_F", None, 2018),
    ("part_moins_25", "demographie/DEMO_2018.csv", "TX_TOT_0A24", None, 2013),
    ("part_moins_25_femmes", "demographie/DEMO_2019.csv", "TX_F_0A24", None, 2015),
    ("part_60_plus", "demographie/data_DEMO_2020_V1_QP.csv", "TX_TOT_60ETPLUS", None, 2016),
    ("part_60_plus_femmes", "demographie/DEMO_2021.csv", "TX_F_60ETPLUS", None, 2017),
    ("indice_jeunesse", "demographie/DEMO_2022.csv", "IND_JEUNE", None, 2018),
    ("part_menages_une_personne", "demographie/DEMO_2021.csv", "TX_TOT_MEN1", None, 2017),
    ("part_menages_6_personnes", "demographie/DEMO_2022.csv", "TX_TOT_MEN6", None, 2018),  # blank: secret
    ("part_etrangers", "demographie/DEMO_2019.csv", "TX_TOT_ET", None, 2015),
    ("part_etrangeres", "demographie/DEMO_2022.csv", "TX_F_ET", None, 2018),
    ("taux_emploi", "insertion-pro/IPRO_2018.csv", "TX_TOT_EMPL", None, 2013),
    ("taux_emploi", "insertion-pro/IPRO_2022.csv", "TX_TOT_EMPL", None, 2018),
    ("taux_emploi_femmes", "insertion-pro/IPRO_2020.csv", "TX_F_EMPL", None, 2016),
    ("taux_emploi_etrangers", "insertion-pro/IPRO_2021.csv", "TX_ET_EMPL", None, 2017),
    ("part_emplois_precaires", "insertion-pro/IPRO_2019.csv", "TX_TOT_EPREC", None, 2015),
    ("part_emplois_precaires", "insertion-pro/IPRO_2022.csv", "TX_TOT_EDLIM", None, 2018),
    ("part_emplois_precaires_femmes", "insertion-pro/IPRO_2020.csv", "TX_F_EPREC", None, 2016),
    ("part_emplois_precaires_etrangers", "insertion-pro/IPRO_2018.csv", "TX_ET_EPREC", None, 2013),  # blank
    ("demandeurs_emploi_abc", "insertion-pro/IPRO_2019.csv", "ABC", None, 2018),
    ("demandeurs_emploi_abc", "insertion-pro/IPRO_2022.csv", "ABC", None, 2021),  # blank: secret
    ("demandeurs_emploi_abcde", "insertion-pro/IPRO_2017.csv", "ABCDE", None, 2016),
    ("demandeurs_emploi_a", "insertion-pro/IPRO_2018.csv", "A", None, 2017),
    ("part_demandeurs_abc_femmes", "insertion-pro/IPRO_2019.csv", "ABC_F", "ABC", 2018),
    ("part_demandeurs_abc_moins_26", "insertion-pro/IPRO_2017.csv", "ABC_25", "ABC", 2016),
    ("part_demandeurs_abc_26_49", "insertion-pro/IPRO_2018.csv", "ABC_2649", "ABC", 2017),
    ("part_demandeurs_abc_50_plus", "insertion-pro/IPRO_2019.csv", "ABC_50", "ABC", 2018),
    ("part_demandeurs_abc_etrangers", "insertion-pro/IPRO_2019.csv", "ABC_E", "ABC", 2018),
    ("part_demandeurs_abc_rsa", "insertion-pro/IPRO_2018.csv", "ABC_RSA", "ABC", 2017),
    ("part_demandeurs_abc_infra_cap", "insertion-pro/IPRO_2018.csv", "ABC_INFCAPBEP", "ABC", 2017),
    ("part_demandeurs_abc_cap_bep", "insertion-pro/IPRO_2017.csv", "ABC_CAPBEP", "ABC", 2016),
    ("part_demandeurs_abc_bac", "insertion-pro/IPRO_2018.csv", "ABC_BAC", "ABC", 2017),
    ("part_demandeurs_abc_superieur_bac", "insertion-pro/IPRO_2017.csv", "ABC_SUPBAC", "ABC", 2016),
]


def test_every_qpv_indicator_of_the_reader_is_checked_here(glossaire):
    read = {c.indicateur for c in qpv.FILO_QP + qpv.REVN + qpv.DEMO + qpv.IPRO}
    checked = {c[0] for c in CAS} | {"revenu_median", "decile_1", "decile_9", "taux_pauvrete", "part_prestations_sociales",
                                     "rapport_interdecile", "gini"}
    assert read <= checked, sorted(read - checked)
    for code in read:
        assert "qpv" in glossaire[code].niveaux and SOURCE in glossaire[code].sources, code


@pytest.mark.parametrize("indicateur, chemin, colonne, denominateur, annee", CAS,
                         ids=[f"{c[0]}-{c[4]}" for c in CAS])
def test_stored_value_is_the_cell_at_its_reference_year(con, mirror, indicateur, chemin, colonne, denominateur, annee):
    rows = table(mirror, chemin)
    cell = num(rows[QP][colonne])
    found = stored(con, indicateur, annee)
    assert len(found) == 1, found  # one file per (indicator, year): a year given by two tables is read once
    valeur, statut, numerateur, den, decimales = found[0]
    if denominateur is None:
        expected = cell
    else:
        expected = cell / num(rows[QP][denominateur]) * 100
    if math.isnan(expected):
        # A blank cell is the producer's secret: stored as such, never as 0.
        assert statut == "secret" and missing(valeur) and missing(numerateur)
        return
    assert statut == "ok" and valeur == pytest.approx(expected)
    if denominateur is None:
        # Precision as published: the most digits the producer printed in that column of that file.
        assert decimales == published_decimals(rows, colonne)
    else:
        # A share OSQ recomputes keeps both published counts (summable, comparable), and the glossary's precision.
        assert (numerateur, den, decimales) == (pytest.approx(cell), pytest.approx(num(rows[QP][denominateur])), None)


def test_a_publication_year_never_holds_another_years_figure(con, mirror):
    # IPRO_2019 publishes the job seekers of 2018: the 2019 figure is IPRO_2020's (blank for QP062036), not 544.
    assert num(table(mirror, "insertion-pro/IPRO_2019.csv")[QP]["ABC"]) == 544
    valeur, statut = stored(con, "demandeurs_emploi_abc", 2019)[0][:2]
    assert statut == "secret" and missing(valeur)
    # The census 2013 is given by IPRO_2017 and IPRO_2018: one year, not two.
    years = con.execute("SELECT annee FROM observations WHERE source = ? AND code = ? AND indicateur = 'taux_emploi' "
                        "ORDER BY annee", [SOURCE, QP]).fetchall()
    assert [y for (y,) in years] == [2013, 2015, 2016, 2017, 2018]


# --- 4. The Occitanie file is a copy of three ANCT tables ---------------------------------------------------------

def test_occitanie_file_is_revn_2019_demo_2019_ipro_2020_at_their_reference_years(con):
    rows = con.execute(
        "SELECT o.indicateur, o.code, o.annee, o.valeur, o.statut, a.valeur, a.statut FROM observations o "
        "JOIN observations a ON a.source = ? AND a.niveau = 'qpv' AND a.code = o.code AND a.indicateur = o.indicateur "
        "AND a.annee = o.annee WHERE o.source = 'qpv-occitanie'", [SOURCE]).fetchall()
    total = con.execute("SELECT count(*) FROM observations WHERE source = 'qpv-occitanie'").fetchone()[0]
    assert len(rows) == total == 105 * 24  # every figure has its ANCT twin, same QPV, indicator and year
    for ind, code, annee, v_occ, s_occ, v_anct, s_anct in rows:
        assert s_occ == s_anct, (ind, code, annee)
        if s_occ == "ok":
            assert v_occ == pytest.approx(v_anct), (ind, code, annee)
    # Its 0 where DEMO_2019 is blank (QP030012, 2 QPV in all) is read as secret, never as 0.
    valeur, statut = stored(con, "allocataires_caf", 2017, "QP030012", "qpv-occitanie")[0][:2]
    assert statut == "secret" and missing(valeur)


# --- 5. The notes draw every vintage ----------------------------------------------------------------------------------

def test_gap_table_of_qp062036_shows_every_year(store_file):
    vue = Vue.ouvrir(store_file)
    quartier = qq.quartier(vue, QP)
    obs = qq.observations_qpv(vue, quartier, qq.COMPARABLES + qq.QPV_SEULEMENT)
    g = vue.glossaire
    # The chart follows every year of the QPV; the table's columns, the years with at least one gap (a year
    # where no reference has a figure compares nothing: the legend names it).
    for code, years, gaps in (("taux_pauvrete", range(2013, 2020), range(2015, 2020)),
                              ("revenu_median", range(2013, 2020), range(2014, 2020)),
                              ("part_prestations_sociales", range(2013, 2020), range(2014, 2020)),
                              ("part_menages_imposes", [2013, 2014, 2015, 2017, 2018], [2015, 2017])):
        ecarts = qq.ecarts_par_annee(obs, g[code])
        table = qq.ecarts_table_markdown(ecarts, g[code], "Source : essai.")
        assert table.splitlines()[0] == "| Écart du quartier avec | " + " | ".join(map(str, gaps)) + " |", code
        sans = [y for y in years if y not in gaps]
        assert f"Aucun écart calculable en {fr.annees(sans)}" in table, code
        _, chart = qq.ecarts_for_chart(ecarts, g[code])
        assert sorted(set(chart["annee"])) == list(years), code
    pauvrete = qq.ecarts_par_annee(obs, g["taux_pauvrete"]).set_index(["territoire", "annee"])
    # REVN_2019 TP60 = 58,9 (revenus 2015) - filosofi_com_2015.csv TP6015 = 23 for Arques.
    assert pauvrete.at[("Arques", 2015), "ecart"] == pytest.approx(58.9 - 23)
    evaluation = ev.preparer(vue, "200069037", [QP, "QP062037"],
                             [{"question": "Q", "indicateurs": ["taux_pauvrete", "taux_emploi", "demandeurs_emploi_abc"]}])
    for code, years in (("taux_pauvrete", list(range(2013, 2020))), ("taux_emploi", [2013, 2015, 2016, 2017, 2018]),
                        ("demandeurs_emploi_abc", list(range(2016, 2022)))):
        rows = ev.ecarts(vue, evaluation, code)
        assert sorted(set(rows.loc[rows["qpv"] == QP, "annee"])) == years, code
