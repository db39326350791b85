"""Readers of QPV figures: INSEE/ANCT tables (2015 geography) and the Occitanie file.

Two producer layouts, one reader each. QPV figures come from producers at
QPV level, never from summing IRIS.

The ANCT thematic tables (SIG Ville: REVN, DEMO, IPRO) are named after their publication
vintage, and each gathers several producers' files of different reference years: a
table's year is never an observation year. `ANNEES_DE_REFERENCE` maps each publication
vintage to the reference year of each block of columns; data/sources.yml repeats it as a
table, and tests/complet/test_qpv_millesimes.py checks both against the files.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from osq_utils.catalogues.sources import Source
from osq_utils.errors import OsqError
from osq_utils.ingest.base import IngestResult, PathOf, decimales_of, observations, rate
from osq_utils.ingest.tabular import (
    Rejets,
    parse_numbers,
    read_csv_text,
    require_columns,
    validate_codes,
    validate_unique,
)

TOTAL_ROW = {"Ensemble": "ligne de total « Ensemble des QPV »"}
QPV_COG = 2015

# Reference year of each block of columns, by publication vintage (the year in the file name).
# - filosofi: Filosofi by QPV (filosofi/data_filoYY): the file's year is the reference year.
# - filosofi_revn: the Filosofi columns of REVN (income, poverty, low income, taxed households):
#   REVN_2021 and REVN_2022 equal data_filo17 and data_filo18 cell for cell; four years' lag.
# - caf: CNAF recipients at 31 December (REVN and DEMO): DEMO_2018/2019/2020 equal the CNAF IRIS
#   files 2016/2017/2018 for the QPV drawn like an IRIS; two years' lag.
# - rp: census shares (DEMO structure, IPRO employment): the 2017 and 2018 tables both carry
#   census 2013, later tables the census four years earlier.
# - population: POP_MUN, census 2013 until the 2020 table, census 2018 from the 2021 table (the
#   communes' POP_COM of the same rows equal INSEE's population municipale 2013 and 2018).
# - pole_emploi: job seekers (IPRO), the year before publication (IPRO_2021 shows the 2020 rise).
ANNEES_DE_REFERENCE: dict[str, dict[int, int]] = {
    "filosofi": {2016: 2016, 2017: 2017, 2018: 2018, 2019: 2019},
    "filosofi_revn": {2017: 2013, 2018: 2014, 2019: 2015, 2021: 2017, 2022: 2018},
    "caf": {2017: 2015, 2018: 2016, 2019: 2017, 2020: 2018, 2021: 2019, 2022: 2020},
    "rp": {2017: 2013, 2018: 2013, 2019: 2015, 2020: 2016, 2021: 2017, 2022: 2018},
    "population": {2017: 2013, 2018: 2013, 2019: 2013, 2020: 2013, 2021: 2018, 2022: 2018},
    "pole_emploi": {2017: 2016, 2018: 2017, 2019: 2018, 2020: 2019, 2021: 2020, 2022: 2021},
}
# Where two files give one (indicator, reference year), the first table wins; within a table, the
# latest publication (data_filoYY are INSEE's own Filosofi files, REVN repeats them).
PRIORITE_TABLE = {"filosofi": 0, "revenus": 1, "demographie": 2, "insertion-pro": 3}


@dataclass(frozen=True)
class Champ:
    """One indicator read from a table: its column (the first present), its block, and its kind.

    valeur: the published figure as it is; compte: a count (also the numerator); with
    `denominateur`, a share recomputed as column / denominateur × 100 (numerator and
    denominator stored, so that it can be summed or compared).
    """

    indicateur: str
    colonnes: tuple[str, ...]
    bloc: str
    compte: bool = False
    denominateur: str | None = None


def _c(indicateur: str, colonnes: str | tuple[str, ...], bloc: str, **kw) -> Champ:
    return Champ(indicateur, (colonnes,) if isinstance(colonnes, str) else colonnes, bloc, **kw)


# Filosofi by QPV (filosofi/): lower-case column stems, '_aYY' appended.
FILO_QP = [
    _c("revenu_median", ("disp_q2", "disp_med"), "filosofi"),
    _c("quartile_1", "disp_q1", "filosofi"),
    _c("quartile_3", "disp_q3", "filosofi"),
    *[_c(f"decile_{d}", f"disp_d{d}", "filosofi") for d in (1, 2, 3, 4, 6, 7, 8, 9)],
    _c("rapport_interdecile", ("disp_d1d9", "disp_rd"), "filosofi"),
    _c("ecart_interquartile_relatif", ("disp_q1q3q2", "disp_eq"), "filosofi"),
    _c("gini", "disp_gini", "filosofi"),
    _c("rapport_s80_s20", "disp_s80s20", "filosofi"),
    _c("part_revenus_activite", "disp_pact", "filosofi"),
    _c("part_indemnites_chomage", "disp_pcho", "filosofi"),
    _c("part_pensions", "disp_ppen", "filosofi"),
    _c("part_revenus_patrimoine", "disp_ppat", "filosofi"),
    _c("part_prestations_sociales", "disp_ppsoc", "filosofi"),
    _c("part_prestations_familiales", "disp_ppfam", "filosofi"),
    _c("part_minima_sociaux", "disp_ppmini", "filosofi"),
    _c("part_prestations_logement", "disp_pplogt", "filosofi"),
    _c("part_impots", "disp_pimpot", "filosofi"),
    _c("taux_pauvrete", ("tp60", "disp_tp60"), "filosofi"),
]
REVN = [
    _c("part_menages_imposes", "PMIMP", "filosofi_revn"),
    _c("part_menages_revenu_chomage", "PART_CHOMPRINC", "filosofi_revn"),
    _c("revenu_declare_median", "DECUC_Q2", "filosofi_revn"),
    _c("revenu_declare_quartile_1", "DECUC_Q1", "filosofi_revn"),
    _c("revenu_declare_quartile_3", "DECUC_Q3", "filosofi_revn"),
    _c("revenu_declare_decile_1", "DECUC_D1", "filosofi_revn"),
    _c("revenu_declare_decile_9", "DECUC_D9", "filosofi_revn"),
    _c("rapport_interdecile_declare", "DECUC_D1D9", "filosofi_revn"),
    _c("taux_bas_revenus_declares", "BREV", "filosofi_revn"),
    _c("revenu_median", "DISP_Q2", "filosofi_revn"),
    _c("quartile_1", "DISP_Q1", "filosofi_revn"),
    _c("quartile_3", "DISP_Q3", "filosofi_revn"),
    _c("decile_1", "DISP_D1", "filosofi_revn"),
    _c("decile_9", "DISP_D9", "filosofi_revn"),
    _c("rapport_interdecile", "DISP_D1D9", "filosofi_revn"),
    _c("taux_pauvrete", "TP60", "filosofi_revn"),
    _c("part_revenus_activite", "PACT", "filosofi_revn"),
    _c("part_pensions", "PPEN", "filosofi_revn"),
    _c("part_prestations_sociales", "PPSOC", "filosofi_revn"),
    _c("part_impots", "PIMPOT", "filosofi_revn"),
    _c("part_revenus_patrimoine", "PPAT", "filosofi_revn"),
    _c("part_allocataires_dependants_50", "APRES50", "caf", denominateur="A"),
    _c("part_allocataires_dependants_100", "APRES100", "caf", denominateur="A"),
    _c("allocataires_rsa", "ARSAS", "caf", compte=True),
    _c("part_allocataires_rsa", "ARSAS", "caf", denominateur="A"),
    _c("allocataires_aah", "AAAH", "caf", compte=True),
    _c("part_allocataires_aah", "AAAH", "caf", denominateur="A"),
    _c("part_allocataires_prime_activite", "APPA", "caf", denominateur="A"),
]
DEMO = [
    _c("population", "POP_MUN", "population", compte=True),
    _c("part_femmes", "TX_F", "rp"),
    _c("part_moins_25", "TX_TOT_0A24", "rp"),
    _c("part_moins_25_femmes", "TX_F_0A24", "rp"),
    _c("part_60_plus", "TX_TOT_60ETPLUS", "rp"),
    _c("part_60_plus_femmes", "TX_F_60ETPLUS", "rp"),
    _c("indice_jeunesse", "IND_JEUNE", "rp"),
    _c("part_menages_une_personne", "TX_TOT_MEN1", "rp"),
    _c("part_menages_6_personnes", "TX_TOT_MEN6", "rp"),
    _c("part_etrangers", "TX_TOT_ET", "rp"),
    _c("part_etrangeres", "TX_F_ET", "rp"),
    _c("allocataires_caf", "A", "caf", compte=True),
    _c("personnes_couvertes_caf", "PERCOU", "caf", compte=True),
    _c("part_allocataires_monoparents", "AM", "caf", denominateur="A"),
    _c("part_allocataires_isoles", "AI", "caf", denominateur="A"),
    _c("part_allocataires_couples_sans_enfant", "ACSSENF", "caf", denominateur="A"),
    _c("part_allocataires_couples_avec_enfants", "ACAVENF", "caf", denominateur="A"),
    _c("allocataires_etudiants", "A_ETUD", "caf", compte=True),
    _c("enfants_couverts_caf", "ENF", "caf", compte=True),
    *[_c(f"enfants_caf_{a}_{b}", f"ENF_{b}" if a == 0 else f"ENF_{a}_{b}", "caf", compte=True)
      for a, b in ((0, 2), (3, 5), (6, 10), (11, 14), (15, 17), (18, 24))],
]
IPRO = [
    _c("taux_emploi", "TX_TOT_EMPL", "rp"),
    _c("taux_emploi_femmes", "TX_F_EMPL", "rp"),
    _c("taux_emploi_etrangers", "TX_ET_EMPL", "rp"),
    # 'emploi précaire' (EPREC) until the 2020 table, 'emploi à durée limitée' (EDLIM) after: same scope.
    _c("part_emplois_precaires", ("TX_TOT_EPREC", "TX_TOT_EDLIM"), "rp"),
    _c("part_emplois_precaires_femmes", ("TX_F_EPREC", "TX_F_EDLIM"), "rp"),
    _c("part_emplois_precaires_etrangers", ("TX_ET_EPREC", "TX_ET_EDLIM"), "rp"),
    _c("demandeurs_emploi_abc", "ABC", "pole_emploi", compte=True),
    _c("demandeurs_emploi_abcde", "ABCDE", "pole_emploi", compte=True),
    _c("demandeurs_emploi_a", "A", "pole_emploi", compte=True),
    _c("part_demandeurs_abc_femmes", "ABC_F", "pole_emploi", denominateur="ABC"),
    _c("part_demandeurs_abc_moins_26", "ABC_25", "pole_emploi", denominateur="ABC"),
    _c("part_demandeurs_abc_26_49", "ABC_2649", "pole_emploi", denominateur="ABC"),
    _c("part_demandeurs_abc_50_plus", "ABC_50", "pole_emploi", denominateur="ABC"),
    _c("part_demandeurs_abc_etrangers", "ABC_E", "pole_emploi", denominateur="ABC"),
    _c("part_demandeurs_abc_rsa", "ABC_RSA", "pole_emploi", denominateur="ABC"),
    _c("part_demandeurs_abc_infra_cap", "ABC_INFCAPBEP", "pole_emploi", denominateur="ABC"),
    _c("part_demandeurs_abc_cap_bep", "ABC_CAPBEP", "pole_emploi", denominateur="ABC"),
    _c("part_demandeurs_abc_bac", "ABC_BAC", "pole_emploi", denominateur="ABC"),
    _c("part_demandeurs_abc_superieur_bac", "ABC_SUPBAC", "pole_emploi", denominateur="ABC"),
]
CHAMPS = {"revenus": REVN, "demographie": DEMO, "insertion-pro": IPRO}

# The Occitanie file repeats three ANCT tables: REVN_2019, DEMO_2019 and IPRO_2020 (its README: figures
# "published for 2019", employment "2020"); tests/complet/test_qpv_millesimes.py checks it cell for cell.
OCCITANIE_MILLESIMES = {"revenus": 2019, "demographie": 2019, "insertion-pro": 2020}
OCCITANIE = {
    "revenus": [_c("part_menages_imposes", "pmimp", "filosofi_revn"),
                _c("part_menages_revenu_chomage", "part_chomprinc", "filosofi_revn"),
                _c("revenu_declare_median", "decuc_q2", "filosofi_revn"),
                _c("revenu_declare_decile_1", "decuc_d1", "filosofi_revn"),
                _c("revenu_declare_decile_9", "decuc_d9", "filosofi_revn"),
                _c("revenu_median", "disp_q2", "filosofi_revn"),
                _c("decile_1", "disp_d1", "filosofi_revn"),
                _c("decile_9", "disp_d9", "filosofi_revn"),
                _c("taux_pauvrete", "tp60", "filosofi_revn"),
                _c("taux_bas_revenus_declares", "brev", "filosofi_revn")],
    "demographie": [_c("population", "pop_mun", "population", compte=True),
                    _c("indice_jeunesse", "ind_jeune", "rp"),
                    _c("part_etrangers", "tx_tot_et", "rp"),
                    _c("part_femmes", "tx_f", "rp"),
                    _c("part_etrangeres", "tx_f_et", "rp"),
                    _c("personnes_couvertes_caf", "percou", "caf", compte=True),
                    _c("allocataires_caf", "a", "caf", compte=True)],
    "insertion-pro": [_c("taux_emploi", "tx_tot_empl", "rp"),
                      _c("taux_emploi_femmes", "tx_f_empl", "rp"),
                      _c("taux_emploi_etrangers", "tx_et_empl", "rp"),
                      _c("part_emplois_precaires", "tx_tot_eprec", "rp"),
                      _c("part_emplois_precaires_femmes", "tx_f_eprec", "rp"),
                      _c("part_emplois_precaires_etrangers", "tx_et_eprec", "rp"),
                      _c("demandeurs_emploi_abcde", "abcde", "pole_emploi", compte=True)],
}


def millesime(name: str) -> int:
    """Publication vintage of a table from its file name: 'IPRO_2017.csv' -> 2017, 'data_filo16_qp_revdis.csv' -> 2016."""
    match = re.search(r"(20\d\d)", name) or re.search(r"filo(\d\d)", name)
    if not match:
        raise ValueError(f"année introuvable dans le nom de fichier {name}")
    return int(match.group(1)) if len(match.group(1)) == 4 else 2000 + int(match.group(1))


def annee_de_reference(bloc: str, vintage: int, fichier: Path | str) -> int:
    """The reference year of a block of columns in the table of a publication vintage."""
    try:
        return ANNEES_DE_REFERENCE[bloc][vintage]
    except KeyError:
        raise OsqError(f"millésime {vintage} inconnu pour les colonnes « {bloc} » des tableaux ANCT : son année de "
                       "référence n'est pas établie", fichier=fichier,
                       correction="ajoutez la correspondance publication → année de référence dans "
                                  "ANNEES_DE_REFERENCE (osq_utils/ingest/qpv.py) après avoir lu la documentation "
                                  "du producteur, et dans le tableau de data/sources.yml.") from None


def _read_anct(path, rejets: Rejets, wanted: set[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read an ANCT/INSEE QPV table; return its codes and the numeric columns in `wanted` (lower case) it has."""
    df = read_csv_text(path, sep=";")
    code_col = next(c for c in df.columns if c.lower() == "codgeo")
    df[code_col] = df[code_col].str.strip()
    total = df[code_col].isin(list(TOTAL_ROW))
    rejets.add(TOTAL_ROW["Ensemble"], int(total.sum()))
    df = df[~total].rename(columns={code_col: "CODGEO"})
    validate_codes(df, path, "CODGEO", "qpv")
    validate_unique(df, path, ["CODGEO"])
    numeric = [c for c in df.columns if c.lower() in wanted]
    nums = parse_numbers(df, path, numeric)
    return df, nums


def _wanted(champs: list[Champ], suffix: str) -> set[str]:
    """Lower-case names of every column the fields may read (values and denominators)."""
    out = {f"{c}{suffix}".lower() for champ in champs for c in champ.colonnes}
    return out | {champ.denominateur.lower() for champ in champs if champ.denominateur}


def _frame(codes: pd.Series, nums: pd.DataFrame, champ: Champ, col: str, annee: int) -> pd.DataFrame:
    """Tidy rows of one field: a published value, a count, or a share recomputed from two published counts."""
    if champ.denominateur is not None:
        num, den = nums[col], nums[champ.denominateur]
        return observations(codes, niveau="qpv", indicateur=champ.indicateur, annee=annee, valeur=rate(num, den),
                            numerateur=num, denominateur=den, cog=QPV_COG)
    value = nums[col]
    return observations(codes, niveau="qpv", indicateur=champ.indicateur, annee=annee, valeur=value,
                        numerateur=value if champ.compte else None, cog=QPV_COG, decimales=decimales_of(nums, col))


def _column(champ: Champ, available: dict[str, str], suffix: str = "") -> str | None:
    """The file's column for a field (case-insensitive), or None when this vintage does not publish it."""
    col = next((available[f"{c}{suffix}".lower()] for c in champ.colonnes if f"{c}{suffix}".lower() in available), None)
    if col is not None and champ.denominateur is not None and champ.denominateur.lower() not in available:
        return None
    return col


class _Selection:
    """One file per (indicator, reference year): the table of best priority, then the latest publication."""

    def __init__(self) -> None:
        self.best: dict[tuple[str, int], tuple[tuple[int, int], pd.DataFrame]] = {}

    def offer(self, rank: tuple[int, int], frame: pd.DataFrame) -> None:
        key = (str(frame["indicateur"].iloc[0]), int(frame["annee"].iloc[0])) if len(frame) else None
        if key is None:
            return
        if key not in self.best or rank < self.best[key][0]:
            self.best[key] = (rank, frame)

    def frames(self) -> list[pd.DataFrame]:
        return [frame for _, frame in self.best.values()]


def read_qpv_anct(source: Source, path_of: PathOf) -> IngestResult:
    result = IngestResult()
    selection = _Selection()
    for f in source.fichiers:
        path = path_of(source.id, f.chemin)
        table = f.chemin.split("/")[0]
        vintage = millesime(f.chemin.split("/")[-1])
        if table == "filosofi":
            champs, suffix = FILO_QP, f"_a{vintage % 100:02d}"
        else:
            champs, suffix = CHAMPS[table], ""
        rejets = Rejets()
        df, nums = _read_anct(path, rejets, _wanted(champs, suffix))
        available = {c.lower(): c for c in nums.columns}
        for champ in champs:
            col = _column(champ, available, suffix)
            if col is None:
                continue
            annee = annee_de_reference(champ.bloc, vintage, path)
            frame = _frame(df["CODGEO"], nums, champ, col, annee)
            if frame.attrs.get("provenance") is not None:  # added after every file is read: say which one now
                frame.attrs["provenance"].fichier = path
            selection.offer((PRIORITE_TABLE[table], -vintage), frame.assign(_fichier=path.name))
        result.file(path, len(df) + rejets.total, rejets, 0)
    kept = selection.frames()
    for frame in kept:
        result.add("observations", frame.drop(columns="_fichier"))
    # The load report counts the observations kept from each file (a year given twice is kept once).
    written: dict[str, int] = {}
    for frame in kept:
        name = str(frame["_fichier"].iloc[0])
        written[name] = written.get(name, 0) + len(frame)
    for row in result.report:
        row["observations"] = written.get(row["fichier"], 0)
    return result


def read_qpv_occitanie(source: Source, path_of: PathOf) -> IngestResult:
    """Hackaviz 2021 QPV file: columns of REVN_2019, DEMO_2019 and IPRO_2020, at their reference years."""
    result = IngestResult()
    for f in source.fichiers:
        path = path_of(source.id, f.chemin)
        if f.chemin == "qp.csv":
            df = read_csv_text(path, sep=",")
            champs = [(table, c) for table, cs in OCCITANIE.items() for c in cs]
            require_columns(df, path, ["code_qp", *[c.colonnes[0] for _, c in champs]])
            validate_codes(df, path, "code_qp", "qpv")
            validate_unique(df, path, ["code_qp"])
            nums = parse_numbers(df, path, [c.colonnes[0] for _, c in champs])
            # The file writes 0 where the producer's cell is blank (REVN_2019, DEMO_2019, IPRO_2020 show the
            # blanks): a QPV of a thousand inhabitants or more never has 0 CAF recipients or job seekers.
            for _, c in champs:
                if c.compte and c.indicateur != "population":
                    nums[c.colonnes[0]] = nums[c.colonnes[0]].mask(nums[c.colonnes[0]] == 0)
            frames = [_frame(df["code_qp"], nums, c, c.colonnes[0],
                             annee_de_reference(c.bloc, OCCITANIE_MILLESIMES[table], path)) for table, c in champs]
            for frame in frames:
                result.add("observations", frame)
            result.file(path, len(df), None, sum(len(x) for x in frames))
        elif f.chemin.endswith(".csv"):
            df = read_csv_text(path, sep=",")
            result.file(path, len(df), None, 0)
        else:
            result.file(path, 1, None, 0)
    return result
