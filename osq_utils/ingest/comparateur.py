"""Reader of INSEE's « comparateur de territoires » base (base_cc_comparateur, the producer's zip).

One row per commune of France and per municipal arrondissement of Paris, Lyon and Marseille
(`arm`, a territory of its own; the three PLM communes stay communes). Two census years five
years apart (P18_/P13_ in the January 2022 edition, P17_/P12_ in the September 2020 one), births
and deaths between them, the civil-registration births and deaths of one later year, and four
Filosofi figures of one year. The file's geography (COG) is declared in the catalogue.

Census cells are never secret: a blank census cell is 'absent' (commune not yet created, Mayotte);
a blank Filosofi cell is INSEE's secret. Rates computed here carry their numerator and denominator,
so that any grouping of communes can be recomputed; the two rates INSEE publishes without their
numerator (share taxed, poverty rate) carry their denominator when the file has it, never a
fabricated numerator.
"""

from __future__ import annotations

import re

import pandas as pd

from osq_utils.catalogues.sources import Source
from osq_utils.errors import OsqError
from osq_utils.ingest.base import IngestResult, PathOf, communes_and_arm, decimales_of, observations, rate
from osq_utils.ingest.tabular import read_header, read_validated, zip_members

# The legal population of census year y is published with the COG of year y + 2 (convention of the
# `population` indicator and of the cogugaison table: P18_POP = population of COG 2020).
POPULATION_COG_LAG = 2
PERIODE = 5  # years between the two census columns


def _cog_of(source: Source) -> int:
    match = re.search(r"COG (\d{4})", source.geographie or "")
    if not match:
        raise OsqError(f"géographie de la source {source.id} non déclarée (« COG aaaa » attendu)",
                       fichier="data/sources.yml", colonne="geographie",
                       correction="écrivez par exemple « geographie: \"COG 2021\" » dans l'entrée de la source.")
    return int(match.group(1))


def _base_member(path) -> str:
    names = [n for n in zip_members(path) if re.fullmatch(r"base[^/]*\.csv", n.rsplit("/", 1)[-1], re.I)]
    if len(names) != 1:
        raise OsqError("l'archive doit contenir un seul fichier de données « base_cc_comparateur.CSV »", fichier=path,
                       correction="reprenez l'archive d'origine du producteur (insee.fr/fr/statistiques/2521169).")
    return names[0]


def _two_digits(header: list[str], pattern: str, path, what: str) -> list[int]:
    found = sorted({int(m.group(1)) for c in header if (m := re.fullmatch(pattern, c))})
    if not found:
        raise OsqError(f"colonne {what} absente de l'en-tête", fichier=path, ligne=1,
                       correction="reprenez l'archive d'origine du producteur : ses colonnes portent l'année sur deux chiffres.")
    return found


def read_comparateur(source: Source, path_of: PathOf) -> IngestResult:
    result = IngestResult()
    cog = _cog_of(source)
    for f in source.fichiers:
        if not f.chemin.lower().endswith(".zip"):
            continue
        path = path_of(source.id, f.chemin)
        membre = _base_member(path)
        header = read_header(path, sep=";", membre=membre)
        label = f"{path} › {membre}"
        census = _two_digits(header, r"P(\d\d)_POP", label, "de population (P‹aa›_POP)")
        if len(census) != 2 or census[1] - census[0] != PERIODE:
            raise OsqError("deux recensements à cinq ans d'écart attendus (P‹aa›_POP)", fichier=label, ligne=1,
                           correction="reprenez l'archive d'origine du producteur.")
        old, new = census
        (filo,) = _two_digits(header, r"NBMENFISC(\d\d)", label, "Filosofi (NBMENFISC‹aa›)")[-1:]
        (civil,) = _two_digits(header, r"NAISD(\d\d)", label, "d'état civil (NAISD‹aa›)")[-1:]
        cols = _columns(new, old, filo, civil)
        df = read_validated(path, sep=";", code_column="CODGEO", niveau="commune", numeric=list(cols.values()),
                            membre=membre)
        n = 0
        levels = communes_and_arm(df, "CODGEO")
        for niveau, part in levels:
            for frame in _frames(part, cols, niveau, cog, 2000 + new, 2000 + old, 2000 + filo, 2000 + civil):
                result.add("observations", frame)
                n += len(frame)
        communes = levels[0][1]
        communes = communes[communes[cols["pop"]].notna()]
        result.add("populations", pd.DataFrame({"cog": 2000 + new + POPULATION_COG_LAG, "code": communes["CODGEO"].to_numpy(),
                                                "population": communes[cols["pop"]].to_numpy()}))
        result.file(path, len(df), None, n)
    return result


def _columns(new: int, old: int, filo: int, civil: int) -> dict[str, str]:
    y, p = f"{new:02d}", f"{old:02d}"
    return {
        "pop": f"P{y}_POP", "pop_old": f"P{p}_POP", "superf": "SUPERF",
        "nais": f"NAIS{p}{y}", "dece": f"DECE{p}{y}", "nais_an": f"NAISD{civil:02d}", "dece_an": f"DECESD{civil:02d}",
        "men": f"P{y}_MEN", "log": f"P{y}_LOG", "rp": f"P{y}_RP", "rsec": f"P{y}_RSECOCC", "vac": f"P{y}_LOGVAC",
        "prop": f"P{y}_RP_PROP",
        "emp": f"P{y}_EMPLT", "emp_sal": f"P{y}_EMPLT_SAL", "emp_old": f"P{p}_EMPLT",
        "pop1564": f"P{y}_POP1564", "chom": f"P{y}_CHOM1564", "act": f"P{y}_ACT1564",
        "menfisc": f"NBMENFISC{filo:02d}", "pimp": f"PIMP{filo:02d}", "med": f"MED{filo:02d}", "tp60": f"TP60{filo:02d}",
    }


def _frames(df: pd.DataFrame, cols: dict[str, str], niveau: str, cog: int, new: int, old: int, filo: int,
            civil: int) -> list[pd.DataFrame]:
    codes = df["CODGEO"]
    v = {k: df[c] for k, c in cols.items()}
    out: list[pd.DataFrame] = []

    def read(indicateur: str, annee: int, key: str, *, census: bool = True, numerateur=None, denominateur=None) -> None:
        """A figure as published (precision of the file); a census blank is 'absent', a Filosofi blank 'secret'."""
        out.append(observations(codes, niveau=niveau, indicateur=indicateur, annee=annee, valeur=v[key],
                                numerateur=numerateur, denominateur=denominateur, cog=cog,
                                decimales=decimales_of(df, cols[key]), absent=True if census else None))

    def computed(indicateur: str, annee: int, valeur: pd.Series, numerateur=None, denominateur=None) -> None:
        """A figure OSQ computes from census cells: missing inputs (or a zero denominator) make it 'absent'."""
        out.append(observations(codes, niveau=niveau, indicateur=indicateur, annee=annee, valeur=valeur,
                                numerateur=numerateur, denominateur=denominateur, cog=cog, absent=True))

    def ratio(indicateur: str, annee: int, num: pd.Series, den: pd.Series, factor: float = 100.0) -> None:
        computed(indicateur, annee, rate(num, den, factor), numerateur=num, denominateur=den)

    # Démographie
    read("population", new + POPULATION_COG_LAG, "pop", numerateur=v["pop"])
    read("population", old + POPULATION_COG_LAG, "pop_old", numerateur=v["pop_old"])
    read("superficie", new, "superf", numerateur=v["superf"])
    ratio("densite_population", new, v["pop"], v["superf"], 1.0)
    ratio("densite_population", old, v["pop_old"], v["superf"], 1.0)
    read("naissances_5_ans", new, "nais", numerateur=v["nais"])
    read("deces_5_ans", new, "dece", numerateur=v["dece"])
    naturel = v["nais"] - v["dece"]
    variation = v["pop"] - v["pop_old"]
    migratoire = variation - naturel
    computed("solde_naturel", new, naturel, numerateur=naturel)
    computed("solde_migratoire_apparent", new, migratoire, numerateur=migratoire)
    # Person-years of the period: PERIODE × mean population (movements / mean population / years).
    annees_personnes = PERIODE * (v["pop"] + v["pop_old"]) / 2
    ratio("taux_variation_population", new, variation, annees_personnes)
    ratio("taux_variation_solde_naturel", new, naturel, annees_personnes)
    ratio("taux_variation_solde_migratoire", new, migratoire, annees_personnes)
    read("naissances", civil, "nais_an", numerateur=v["nais_an"])
    read("deces", civil, "dece_an", numerateur=v["dece_an"])
    # Ménages et logement
    read("menages", new, "men", numerateur=v["men"])
    read("logements", new, "log", numerateur=v["log"])
    read("residences_principales", new, "rp", numerateur=v["rp"])
    read("residences_secondaires", new, "rsec", numerateur=v["rsec"])
    read("logements_vacants", new, "vac", numerateur=v["vac"])
    ratio("part_residences_secondaires", new, v["rsec"], v["log"])
    ratio("taux_vacance", new, v["vac"], v["log"])
    ratio("part_proprietaires", new, v["prop"], v["rp"])
    # Emploi
    read("emplois", new, "emp", numerateur=v["emp"])
    read("emplois", old, "emp_old", numerateur=v["emp_old"])
    ratio("part_emplois_salaries", new, v["emp_sal"], v["emp"])
    ratio("evolution_emplois", new, v["emp"] - v["emp_old"], v["emp_old"])
    read("population_15_64", new, "pop1564", numerateur=v["pop1564"])
    read("actifs_15_64", new, "act", numerateur=v["act"])
    read("chomeurs_15_64", new, "chom", numerateur=v["chom"])
    occupes = v["act"] - v["chom"]
    ratio("taux_activite_15_64", new, v["act"], v["pop1564"])
    ratio("taux_chomage_15_64", new, v["chom"], v["act"])
    ratio("taux_emploi", new, occupes, v["pop1564"])
    ratio("concentration_emploi", new, v["emp"], occupes)
    # Filosofi: the share taxed keeps its published denominator; the poverty rate has none in this file.
    read("nb_menages_fiscaux", filo, "menfisc", census=False, numerateur=v["menfisc"])
    read("part_menages_imposes", filo, "pimp", census=False, denominateur=v["menfisc"])
    read("revenu_median", filo, "med", census=False)
    read("taux_pauvrete", filo, "tp60", census=False)
    return out

