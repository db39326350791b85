"""Readers of the territorial reference files: COG, COGugaison, Etalab, IRIS table, INSEE's tables
d'appartenance géographique (TAGC).

They fill the territory tables (codes and labels per COG year), the
memberships (IRIS -> commune -> EPCI / EPT / département -> région -> France), commune
populations and the year-to-year commune passage table.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path

import pandas as pd
from python_calamine import CalamineWorkbook

from osq_utils.catalogues.sources import Source
from osq_utils.errors import OsqError
from osq_utils.ingest.base import IngestResult, PathOf, memberships, observations, territories
from osq_utils.ingest.tabular import (
    Rejets,
    parse_numbers,
    read_csv_text,
    read_validated,
    require_columns,
    validate_codes,
)

SUPRA_LEVELS = {"EPCI": "epci", "DEP": "departement", "REG": "region"}


def read_cog(source: Source, path_of: PathOf) -> IngestResult:
    result = IngestResult()
    for f in source.fichiers:
        path = path_of(source.id, f.chemin)
        df = read_csv_text(path, sep=";")
        require_columns(df, path, ["typecom", "com", "dep", "reg", "libelle"])
        rejets = Rejets()
        keep = df["typecom"] == "COM"
        rejets.add("communes déléguées, associées et arrondissements municipaux (hors COG des communes)", int((~keep).sum()))
        com = df[keep]
        validate_codes(com, path, "com", "commune")
        result.add("territoires", territories(com["com"], com["libelle"], "commune", 2019))
        result.add("appartenances", memberships(com["com"], "commune", com["dep"], "departement", 2019))
        deps = com[["dep", "reg"]].drop_duplicates()
        result.add("appartenances", memberships(deps["dep"], "departement", deps["reg"], "region", 2019))
        result.file(path, len(df), rejets, 0)
    return result


def read_cogugaison(source: Source, path_of: PathOf) -> IngestResult:
    result = IngestResult()
    for f in source.fichiers:
        path = path_of(source.id, f.chemin)
        name = f.chemin.split("/")[-1]
        if name.startswith("table_supracom"):
            df = read_csv_text(path, sep=",")
            require_columns(df, path, ["cog_year", "CODGEO", "LIBGEO", "DEP", "REG", "EPCI"])
            validate_codes(df, path, "CODGEO", "commune")
            for year, part in df.groupby("cog_year"):
                year = int(year)
                result.add("territoires", territories(part["CODGEO"], part["LIBGEO"], "commune", year))
                result.add("appartenances", memberships(part["CODGEO"], "commune", part["EPCI"], "epci", year))
                result.add("appartenances", memberships(part["CODGEO"], "commune", part["DEP"], "departement", year))
                deps = part[["DEP", "REG"]].drop_duplicates()
                result.add("appartenances", memberships(deps["DEP"], "departement", deps["REG"], "region", year))
            result.file(path, len(df), None, 0)
        elif name.startswith("libelles_supracom"):
            df = read_csv_text(path, sep=",")
            require_columns(df, path, ["cog_year", "NIVGEO", "CODGEO", "LIBGEO"])
            rejets = Rejets()
            keep = df["NIVGEO"].isin(list(SUPRA_LEVELS))
            rejets.add("zonages d'étude non utilisés (arrondissements, unités urbaines, aires, zones d'emploi…)", int((~keep).sum()))
            for (year, nivgeo), part in df[keep].groupby(["cog_year", "NIVGEO"]):
                result.add("territoires", territories(part["CODGEO"], part["LIBGEO"], SUPRA_LEVELS[nivgeo], int(year)))
            result.file(path, len(df), rejets, 0)
        elif name.startswith("cog_communes_pop"):
            df = read_csv_text(path, sep=",")
            require_columns(df, path, ["cog_year", "CODGEO", "POP"])
            validate_codes(df, path, "CODGEO", "commune")
            nums = parse_numbers(df, path, ["POP", "cog_year"])
            n = 0
            for year, idx in nums.groupby("cog_year").groups.items():
                part = df.loc[idx]
                obs = observations(part["CODGEO"], niveau="commune", indicateur="population", annee=int(year),
                                   valeur=nums.loc[idx, "POP"], numerateur=nums.loc[idx, "POP"], cog=int(year))
                result.add("observations", obs)
                result.add("populations", pd.DataFrame({"cog": int(year), "code": part["CODGEO"].to_numpy(),
                                                        "population": nums.loc[idx, "POP"].to_numpy()}))
                n += len(obs)
            result.file(path, len(df), None, n)
        elif name.startswith("passage_cog"):
            df = read_csv_text(path, sep=",")
            require_columns(df, path, ["year_from", "year_to", "code_from", "code_to", "annee", "typemodif", "ratio"])
            validate_codes(df, path, "code_from", "commune")
            validate_codes(df, path, "code_to", "commune")
            nums = parse_numbers(df, path, ["year_from", "year_to", "ratio"])
            passages = pd.DataFrame({
                "annee_depart": nums["year_from"].astype(int), "annee_arrivee": nums["year_to"].astype(int),
                "code_depart": df["code_from"], "code_arrivee": df["code_to"], "date_effet": df["annee"],
                "type_modif": df["typemodif"], "ratio": nums["ratio"],
            })
            passages, reversed_years = orient_passages(passages)
            result.add("passages_cog", passages)
            remarques = {}
            if reversed_years:
                n = int(passages["annee_depart"].isin(reversed_years).sum())
                years = ", ".join(f"{y}→{y + 1}" for y in reversed_years)
                remarques[f"passages {years} écrits de la commune d'arrivée vers ses communes d'origine, remis dans le "
                          "sens du fichier (code_from → code_to)"] = n
            result.file(path, len(df), None, 0, remarques)
    return result


def orient_passages(passages: pd.DataFrame) -> tuple[pd.DataFrame, list[int]]:
    """Put back in the file's own direction (old code → new code) the years written the other way round.

    In COGugaison's table as mirrored, the passages 2022→2023 and 2023→2024 are written from the new
    commune to its former ones: a fusion then goes from one code to several (« 01138 → 01039, 01138 »
    for Béon merged into Culoz-Béon 01138) and a défusion from several codes to one. A year whose
    fusions go from one code to several, or whose défusions from several codes to one, is reversed as a
    whole (ratios stay with their pair). Returns the passages and the reversed years.
    """
    reversed_years = []
    for year, part in passages.groupby("annee_depart"):
        fusions = part[part["type_modif"] == "f"]
        splits = part[part["type_modif"] == "d"]
        one_to_many = (fusions.groupby("code_depart")["code_arrivee"].nunique() > 1).any()
        many_to_one = (splits.groupby("code_arrivee")["code_depart"].nunique() > 1).any()
        proper = (fusions.groupby("code_arrivee")["code_depart"].nunique() > 1).any() or (
            splits.groupby("code_depart")["code_arrivee"].nunique() > 1).any()
        if (one_to_many or many_to_one) and not proper:
            reversed_years.append(int(year))
    if not reversed_years:
        return passages, []
    out = passages.copy()
    rows = out["annee_depart"].isin(reversed_years)
    out.loc[rows, ["code_depart", "code_arrivee"]] = out.loc[rows, ["code_arrivee", "code_depart"]].to_numpy()
    return out, reversed_years


PASSAGES = ("cogugaison-2014-2024", "passage_cog_annual_2014_2024.csv")


def read_passages(path_of: PathOf) -> pd.DataFrame:
    """COGugaison's yearly passage table as the store's passages_cog table, every year in the old → new
    direction: for a reader that needs it before the store has it (commune contours)."""
    path = path_of(*PASSAGES)
    df = read_csv_text(path, sep=",")
    require_columns(df, path, ["year_from", "year_to", "code_from", "code_to", "typemodif", "ratio"])
    nums = parse_numbers(df, path, ["year_from", "year_to", "ratio"])
    passages = pd.DataFrame({
        "annee_depart": nums["year_from"].astype(int), "annee_arrivee": nums["year_to"].astype(int),
        "code_depart": df["code_from"], "code_arrivee": df["code_to"], "type_modif": df["typemodif"],
        "ratio": nums["ratio"],
    })
    return orient_passages(passages)[0]


# The COG's « type de nom en clair » (TNCC, Etalab's typeLiaison): the article a name takes in a sentence.
ARTICLES_TNCC = {0: "", 1: "", 2: "le", 3: "la", 4: "les", 5: "l'", 6: "aux", 7: "las", 8: "los"}


def read_etalab(source: Source, path_of: PathOf) -> IngestResult:
    """Etalab 'découpage administratif' 2026: communes, EPCI membership, départements, régions."""
    result = IngestResult()
    year = 2026
    for f in source.fichiers:
        path = path_of(source.id, f.chemin)
        name = f.chemin.split("/")[-1]
        if name.startswith("communes_"):
            df = read_csv_text(path, sep=",")
            require_columns(df, path, ["code", "nom", "type", "departement", "region"])
            rejets = Rejets()
            keep = df["type"] == "commune-actuelle"
            rejets.add("communes déléguées, associées et arrondissements", int((~keep).sum()))
            com = df[keep]
            validate_codes(com, path, "code", "commune")
            result.add("territoires", territories(com["code"], com["nom"], "commune", year))
            result.add("appartenances", memberships(com["code"], "commune", com["departement"], "departement", year))
            result.file(path, len(df), rejets, 0)
        elif name.startswith("epci_membres"):
            rejets = Rejets()
            df = read_csv_text(path, sep=",")
            require_columns(df, path, ["epci_code", "epci_nom", "commune_code"])
            validate_codes(df, path, "commune_code", "commune")
            validate_codes(df, path, "epci_code", "epci")
            epci = df[["epci_code", "epci_nom"]].drop_duplicates("epci_code")
            result.add("territoires", territories(epci["epci_code"], epci["epci_nom"], "epci", year))
            result.add("appartenances", memberships(df["commune_code"], "commune", df["epci_code"], "epci", year))
            result.file(path, len(df), rejets, 0)
        elif name.endswith(".json"):
            with open(path, encoding="utf-8") as fh:
                rows = pd.DataFrame(json.load(fh)).astype({"code": str})
            # typeLiaison is the COG's TNCC: the article of the name (« le Pas-de-Calais », « la Loire »).
            articles = rows["typeLiaison"].map(ARTICLES_TNCC) if "typeLiaison" in rows else None
            if name.startswith("departements"):
                result.add("territoires", territories(rows["code"], rows["nom"], "departement", year).assign(
                    article=articles))
                result.add("appartenances", memberships(rows["code"], "departement", rows["region"].astype(str), "region", year))
            else:
                result.add("territoires", territories(rows["code"], rows["nom"], "region", year).assign(
                    article=articles))
            result.file(path, len(rows), None, 0)
    result.add("territoires", pd.DataFrame([{"niveau": "france", "code": "FRM", "libelle": "France métropolitaine", "cog": year}]))
    return result


def read_iris_reference(source: Source, path_of: PathOf) -> IngestResult:
    """IRIS table on 1 January 2021 and commune -> EPCI 2020."""
    result = IngestResult()
    for f in source.fichiers:
        path = path_of(source.id, f.chemin)
        name = f.chemin.split("/")[-1]
        if name.startswith("iris_"):
            df = read_validated(path, sep=";", code_column="CODE_IRIS", niveau="iris", numeric=[],
                                keep=["LIB_IRIS", "TYP_IRIS", "DEPCOM"])
            validate_codes(df, path, "DEPCOM", "commune")
            result.add("territoires", territories(df["CODE_IRIS"], df["LIB_IRIS"], "iris", 2021))
            result.add("appartenances", memberships(df["CODE_IRIS"], "iris", df["DEPCOM"], "commune", 2021))
            result.add("iris_types", pd.DataFrame({"cog": 2021, "code": df["CODE_IRIS"], "type_iris": df["TYP_IRIS"]}))
            result.file(path, len(df), None, 0)
        elif name.startswith("EPCI_"):
            df = read_validated(path, sep=";", code_column="CODGEO", niveau="commune", numeric=[],
                                keep=["LIBGEO", "EPCI", "LIBEPCI", "DEP", "REG"])
            result.add("territoires", territories(df["CODGEO"], df["LIBGEO"], "commune", 2020))
            result.add("appartenances", memberships(df["CODGEO"], "commune", df["EPCI"], "epci", 2020))
            result.add("appartenances", memberships(df["CODGEO"], "commune", df["DEP"], "departement", 2020))
            epci = df[df["EPCI"].str.fullmatch(r"\d{9}")][["EPCI", "LIBEPCI"]].drop_duplicates("EPCI")
            result.add("territoires", territories(epci["EPCI"], epci["LIBEPCI"], "epci", 2020))
            deps = df[["DEP", "REG"]].drop_duplicates()
            result.add("appartenances", memberships(deps["DEP"], "departement", deps["REG"], "region", 2020))
            result.file(path, len(df), None, 0)
    return result


# --- Tables d'appartenance géographique des communes (INSEE) -----------------------------------

TAGC_HEADER_ROW = 6  # Excel row of the variable codes (CODGEO, LIBGEO…); data start on the next row
TAGC_NO_ZONE = "ZZZZZZZZZ"  # commune outside any EPCI (four islands) or any EPT (all but the Grand Paris)
TAGC_MIN_COMMUNES = 30_000  # a table of every commune of France
TAGC_ZONES = {"EPCI": "epci", "EPT": "ept", "DEP": "departement", "REG": "region"}
FRANCE_LABELS = {"FRM": "France métropolitaine", "FR": "France"}
DOM_DEPARTEMENT = re.compile(r"^97")


def _tagc_workbook(path: Path) -> CalamineWorkbook:
    """The workbook, or the single xlsx member of the producer's zip (read by calamine: openpyxl
    refuses the 2024 edition's stylesheet)."""
    try:
        if Path(path).suffix.lower() == ".zip":
            with zipfile.ZipFile(path) as zf:
                members = [n for n in zf.namelist() if n.lower().endswith(".xlsx")]
                if len(members) != 1:
                    raise OsqError(f"l'archive devrait contenir un seul classeur .xlsx, elle en contient {len(members)}",
                                   fichier=path, correction="reprenez l'archive d'origine de l'Insee.")
                return CalamineWorkbook.from_filelike(io.BytesIO(zf.read(members[0])))
        return CalamineWorkbook.from_path(str(path))
    except OsqError:
        raise
    except Exception as exc:  # calamine raises its own error types for a damaged workbook
        raise OsqError("classeur illisible : fichier vide, coupé (téléchargement interrompu) ou qui n'est pas un "
                       "classeur Excel .xlsx", fichier=path,
                       correction="reprenez le fichier d'origine de l'Insee (table d'appartenance géographique) ; la "
                       "base garde le chargement précédent.") from exc


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return f"{value:.1f}"  # a number where a code is expected: validate_codes names it
    return str(value).strip()


def tagc_sheet(workbook: CalamineWorkbook, name: str, path: Path, columns: list[str],
               optional: tuple[str, ...] = ()) -> pd.DataFrame:
    """One sheet of a TAGC workbook as text, header on Excel row 6.

    The index is such that tabular.line_of() gives the Excel row of each data row.
    """
    where = f"{path}, feuille « {name} »"
    if name not in workbook.sheet_names:
        raise OsqError(f"feuille « {name} » absente (feuilles : {', '.join(workbook.sheet_names)})", fichier=path,
                       correction="reprenez la table d'appartenance géographique d'origine de l'Insee.")
    rows = workbook.get_sheet_by_name(name).to_python(skip_empty_area=False)
    if len(rows) <= TAGC_HEADER_ROW:
        raise OsqError("feuille vide ou tronquée", fichier=where, correction="reprenez le fichier d'origine de l'Insee.")
    header = [_cell_text(c) for c in rows[TAGC_HEADER_ROW - 1]]
    for col in columns:
        if col not in header:
            raise OsqError(f"colonne obligatoire « {col} » absente de la ligne d'en-tête (ligne {TAGC_HEADER_ROW})",
                           fichier=where, ligne=TAGC_HEADER_ROW, colonne=col,
                           correction="reprenez la table d'appartenance géographique d'origine de l'Insee.")
    wanted = columns + [c for c in optional if c in header]
    idx = [header.index(c) for c in wanted]
    body = rows[TAGC_HEADER_ROW:]
    df = pd.DataFrame({c: [_cell_text(r[i]) if i < len(r) else "" for r in body] for c, i in zip(wanted, idx)},
                      index=pd.RangeIndex(TAGC_HEADER_ROW - 1, TAGC_HEADER_ROW - 1 + len(body)))
    return df[(df != "").any(axis=1)]


def tagc_cog_year(workbook: CalamineWorkbook, path: Path) -> int:
    """The COG year stated in the sheet's heading ("Géographie au 01/01/2024")."""
    rows = workbook.get_sheet_by_name("COM").to_python(skip_empty_area=False)[:TAGC_HEADER_ROW]
    for row in rows:
        for cell in row:
            found = re.search(r"G[ée]ographie au 0?1/0?1/(\d{4})", str(cell))
            if found:
                return int(found.group(1))
    raise OsqError("année du code officiel géographique introuvable (« Géographie au 01/01/AAAA » attendu en tête "
                   "de la feuille COM)", fichier=f"{path}, feuille « COM »",
                   correction="reprenez la table d'appartenance géographique d'origine de l'Insee.")


def _france_codes(deps: pd.Series) -> list[tuple[pd.Index, str]]:
    """(rows, France code): every row in France entière, metropolitan ones also in France métropolitaine."""
    metro = ~deps.str.match(DOM_DEPARTEMENT)
    return [(deps.index[metro.to_numpy()], "FRM"), (deps.index, "FR")]


def _check_zone_counts(com: pd.DataFrame, zones: pd.DataFrame, where: str, columns: list[str]) -> None:
    """Each zone's number of communes (NB_COM) must match the COM sheet: else the file is damaged."""
    for col in columns:
        part = zones[zones["NIVGEO"] == col]
        stated = pd.to_numeric(part["NB_COM"], errors="coerce").set_axis(part["CODGEO"]).dropna()
        counted = com[col].value_counts()
        diff = stated.sub(counted.reindex(stated.index).fillna(0))
        diff = diff[diff != 0]
        if len(diff):
            code = diff.index[0]
            raise OsqError(f"{col} « {code} » : {int(stated[code])} communes annoncées dans la feuille "
                           f"« Zones_supra_communales », {int(counted.get(code, 0))} dans la feuille « COM »",
                           fichier=where, colonne="NB_COM",
                           correction="le classeur est incomplet ou modifié : reprenez le fichier d'origine de l'Insee.")


def read_tagc(source: Source, path_of: PathOf) -> IngestResult:
    """INSEE's table d'appartenance géographique des communes (one COG year per workbook).

    Writes the communes, municipal arrondissements (level arm), EPCI, EPT, départements, régions and
    France with their labels, and the memberships commune → EPCI, EPT, département, région, France
    (FRM and FR); arrondissement → its commune, EPCI, EPT, département, région, France; EPT → EPCI;
    département → région, France; région → France. EPCI or EPT "ZZZZZZZZZ" means none: no row.
    An arrondissement is never a member of its commune's parents through the commune: it has its
    own rows, and only commune rows make up a total (never both).
    """
    result = IngestResult()
    for f in source.fichiers:
        if not f.chemin.endswith((".xlsx", ".zip")):
            continue  # PROVENANCE.md: the mirror's notes
        path = path_of(source.id, f.chemin)
        workbook = _tagc_workbook(path)
        cog = tagc_cog_year(workbook, path)
        where = f"{path}, feuille « COM »"
        com = tagc_sheet(workbook, "COM", path, ["CODGEO", "LIBGEO", "DEP", "REG", "EPCI"], optional=("EPT",))
        arm = tagc_sheet(workbook, "ARM", path, ["CODGEO", "LIBGEO", "DEP", "REG", "EPCI", "COM"], optional=("EPT",))
        zones = tagc_sheet(workbook, "Zones_supra_communales", path, ["NIVGEO", "CODGEO", "LIBGEO", "NB_COM"])
        if len(com) < TAGC_MIN_COMMUNES:
            raise OsqError(f"{len(com)} communes seulement : la table d'appartenance doit couvrir toute la France "
                           f"(au moins {TAGC_MIN_COMMUNES:,})".replace(",", "\u202f"), fichier=where,
                           correction="reprenez le fichier d'origine de l'Insee.")
        validate_codes(com, where, "CODGEO", "commune")
        if com["CODGEO"].duplicated().any():
            code = com.loc[com["CODGEO"].duplicated(), "CODGEO"].iloc[0]
            raise OsqError(f"commune « {code} » présente deux fois", fichier=where, colonne="CODGEO",
                           correction="reprenez le fichier d'origine de l'Insee.")
        supra = [c for c in ("EPCI", "EPT") if c in com.columns]
        for frame, sheet in ((com, where), (arm, f"{path}, feuille « ARM »")):
            validate_codes(frame, sheet, "DEP", "departement")
            validate_codes(frame, sheet, "REG", "region")
            for col in supra:
                if col in frame.columns:
                    validate_codes(frame[frame[col] != TAGC_NO_ZONE], sheet, col, TAGC_ZONES[col].lower())
        validate_codes(arm, f"{path}, feuille « ARM »", "CODGEO", "arm")
        validate_codes(arm, f"{path}, feuille « ARM »", "COM", "commune")
        _check_zone_counts(com, zones, f"{path}, feuille « Zones_supra_communales »", ["DEP", "REG", *supra])

        rejets = Rejets()
        rejets.add("zonages d'étude non utilisés (arrondissements, cantons, zones d'emploi, unités urbaines, aires, "
                   "bassins de vie) et lignes « Sans objet »",
                   int((~zones["NIVGEO"].isin(list(TAGC_ZONES)) | (zones["CODGEO"] == TAGC_NO_ZONE)).sum()))
        # Territories and their labels.
        result.add("territoires", territories(com["CODGEO"], com["LIBGEO"], "commune", cog))
        result.add("territoires", territories(arm["CODGEO"], arm["LIBGEO"], "arm", cog))
        known = zones[zones["NIVGEO"].isin(list(TAGC_ZONES)) & (zones["CODGEO"] != TAGC_NO_ZONE)]
        for nivgeo, part in known.groupby("NIVGEO"):
            validate_codes(part, f"{path}, feuille « Zones_supra_communales »", "CODGEO", TAGC_ZONES[str(nivgeo)])
            result.add("territoires", territories(part["CODGEO"], part["LIBGEO"], TAGC_ZONES[str(nivgeo)], cog))
        result.add("territoires", territories(pd.Series(list(FRANCE_LABELS)), pd.Series(list(FRANCE_LABELS.values())),
                                              "france", cog))
        # Memberships of communes and arrondissements: the same parents, read on their own rows.
        for frame, niveau in ((com, "commune"), (arm, "arm")):
            codes = frame["CODGEO"]
            for col in supra:
                if col in frame.columns:
                    member = frame[col] != TAGC_NO_ZONE
                    result.add("appartenances", memberships(codes[member], niveau, frame.loc[member, col], TAGC_ZONES[col], cog))
            result.add("appartenances", memberships(codes, niveau, frame["DEP"], "departement", cog))
            result.add("appartenances", memberships(codes, niveau, frame["REG"], "region", cog))
            for rows, france in _france_codes(frame["DEP"]):
                result.add("appartenances", memberships(codes.loc[rows], niveau, pd.Series(france, index=rows), "france", cog))
        result.add("appartenances", memberships(arm["CODGEO"], "arm", arm["COM"], "commune", cog))
        if "EPT" in com.columns:
            ept = com.loc[com["EPT"] != TAGC_NO_ZONE, ["EPT", "EPCI"]].drop_duplicates()
            result.add("appartenances", memberships(ept["EPT"], "ept", ept["EPCI"], "epci", cog))
        deps = com[["DEP", "REG"]].drop_duplicates().reset_index(drop=True)
        result.add("appartenances", memberships(deps["DEP"], "departement", deps["REG"], "region", cog))
        regs = deps.drop_duplicates("REG").reset_index(drop=True)
        for rows, france in _france_codes(deps["DEP"]):
            result.add("appartenances", memberships(deps.loc[rows, "DEP"], "departement", pd.Series(france, index=rows),
                                                    "france", cog))
        for rows, france in _france_codes(regs["DEP"]):
            result.add("appartenances", memberships(regs.loc[rows, "REG"], "region", pd.Series(france, index=rows),
                                                    "france", cog))
        result.file(path, len(com) + len(arm) + len(zones), rejets, 0)
    return result
