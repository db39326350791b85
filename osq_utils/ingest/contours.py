"""Readers of contours (communes, IRIS, QPV 2015) and of the QPV 2024 commune list.

Geometries are kept as WKB in EPSG:4326 (DuckDB extensions cannot be
installed here); geopandas reads them back.

Commune contours: one geometry per commune of the COG 2024 (`ign-admin-express-2018-communes-france`,
every département): the IGN 2018 tracés of the communes merged since are dissolved into their 2024
commune with COGugaison's passage table. The older source `ign-admin-express-2018-communes` carries
four of those files, byte for byte: it loads only the départements, so that no commune has two
geometries in the store.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from osq_utils.agregation import passages_between
from osq_utils.catalogues.sources import Source
from osq_utils.errors import OsqError
from osq_utils.ingest.base import IngestResult, PathOf, memberships, observations, territories
from osq_utils.ingest.referentiels import read_passages
from osq_utils.ingest.tabular import CODE_PATTERNS, Rejets, read_csv_text, read_validated
from osq_utils.sources import sha256_of


def _read_geo(path, **kwargs) -> gpd.GeoDataFrame:
    correction = ("reprenez le fichier d'origine du producteur (« osq sources ») : un GeoJSON complet, ou un "
                  "Shapefile avec ses .dbf/.shx/.prj ; la base garde le chargement précédent.")
    if Path(path).stat().st_size == 0:
        raise OsqError("fichier de contours vide", fichier=path, ligne=1, correction=correction)
    try:
        gdf = gpd.read_file(path, **kwargs)
    except Exception as exc:  # pyogrio raises several error types, with GDAL's English message
        at = re.search(r"At line (\d+), character (\d+)", str(exc))
        raise OsqError(
            "contours illisibles : fichier incomplet (coupé en cours d'écriture ou de téléchargement), mal formé ou "
            "dans un autre encodage que l'UTF-8" + (f" ; l'erreur est au caractère {at.group(2)}" if at else ""),
            fichier=path, ligne=int(at.group(1)) if at else None, correction=correction,
        ) from exc
    if gdf.empty:
        raise OsqError("aucun contour : le fichier ne contient aucune entité (« features » vide)", fichier=path,
                       correction=correction)
    if gdf.crs is not None and gdf.crs.to_epsg() != 4326:
        gdf = gdf.to_crs(4326)
    return gdf


def _geometries(gdf: gpd.GeoDataFrame, niveau: str, code_col: str, label_col: str | None, millesime: str) -> pd.DataFrame:
    gdf = gdf[gdf.geometry.notna() & ~gdf.geometry.is_empty]
    return pd.DataFrame(
        {
            "niveau": niveau,
            "code": gdf[code_col].astype(str).to_numpy(),
            "libelle": gdf[label_col].astype(object).where(gdf[label_col].notna(), None).to_numpy() if label_col else None,
            "millesime": millesime,
            "wkb": gdf.geometry.to_wkb().to_numpy(),
        }
    )


CONTOURS_FRANCE = "ign-admin-express-2018-communes-france"
COG_CONTOURS, COG_CIBLE = 2018, 2024  # COG of the IGN tracés; COG of the stored commune geometries
MILLESIME_COMMUNES = "2018 (COG 2024)"


def _loaded_by_national_source(path, chemin: str, path_of: PathOf) -> bool:
    """Whether the national source holds the same bytes (it then stores that file's communes)."""
    try:
        other = path_of(CONTOURS_FRANCE, chemin)
        return other.exists() and sha256_of(other) == sha256_of(path)
    except OsqError:  # national source absent from this catalogue, or not fetched
        return False


def read_contours_communes(source: Source, path_of: PathOf) -> IngestResult:
    """Contours of the départements, and of the communes of files the national source does not hold."""
    result = IngestResult()
    for f in source.fichiers:
        if not f.chemin.endswith(".geojson"):
            continue
        path = path_of(source.id, f.chemin)
        niveau = "departement" if "departements" in f.chemin else "commune"
        if niveau == "commune" and _loaded_by_national_source(path, f.chemin, path_of):
            rejets = Rejets()
            n = len(_read_geo(path))
            rejets.add(f"communes chargées par la source {CONTOURS_FRANCE} (fichier identique), réunies au COG "
                       f"{COG_CIBLE}", n)
            result.file(path, n, rejets, 0)
            continue
        gdf = _read_geo(path)
        result.add("geometries", _geometries(gdf, niveau, "code", "nom", "2018"))
        result.file(path, len(gdf), None, 0)
    return result


def _components(pairs: pd.DataFrame) -> dict[str, str]:
    """code -> representative of its connected component (codes linked by passages)."""
    root: dict[str, str] = {}

    def find(x: str) -> str:
        while root.setdefault(x, x) != x:
            root[x] = root[root[x]]
            x = root[x]
        return x

    for a, b in zip(pairs["code_depart"], pairs["code_arrivee"]):
        root[find(a)] = find(b)
    return {x: find(x) for x in list(root)}


REASONS = {
    "fusionnee": f"communes fusionnées depuis le COG {COG_CONTOURS}, réunies dans le contour de leur commune du COG {COG_CIBLE}",
    "defusionnee": f"communes défusionnées depuis le COG {COG_CONTOURS} : contour non découpable, aucun contour",
    "partielle": "commune fusionnée depuis dont une partie manque aux contours : pas de contour partiel",
}


def dissolve_to_cog(communes: gpd.GeoDataFrame, table: pd.DataFrame) -> tuple[gpd.GeoDataFrame, pd.Series]:
    """Commune contours of one COG year brought to a later one: (code, libelle, geometry) and the fate of
    each older commune (Series by older code: garde, fusionnee, defusionnee or partielle; see REASONS).

    table: passages_between(...) from the contours' COG year to the target year. A commune merged
    since is dissolved into its new commune, whose contour needs every one of its parts (else no
    contour: never a partial one). A commune split since (défusion, 'd') cannot be cut from the
    older tracé: neither it, nor the communes linked to it by the passages, get a contour. A code
    change ('c') keeps the contour under the new code. libelle is the older name of an unchanged
    commune, None for a merged one (its new name is in the territories).
    """
    comp = _components(table)
    split_roots = {comp[c] for c in table.loc[table["type_modif"] == "d", "code_depart"]}
    split_codes = {c for c, r in comp.items() if r in split_roots}
    moves = table[~table["code_depart"].isin(split_codes)]
    codes = communes["code"]
    mapping = dict(zip(moves["code_depart"], moves["code_arrivee"]))
    target = pd.Series([mapping.get(c, c) for c in codes], index=codes.index, dtype=object)
    fate = pd.Series("garde", index=codes.to_numpy(), dtype=object)
    in_split = codes.isin(split_codes).to_numpy()
    fate[in_split] = "defusionnee"
    frame = communes.assign(cible=target)[~in_split]
    expected = moves.groupby("code_arrivee")["code_depart"].agg(set)
    present = frame.groupby("cible")["code"].agg(set)
    incomplete = {c for c, parts in expected.items() if c in present.index and not parts <= present[c]}
    partial = frame["cible"].isin(incomplete).to_numpy()
    fate[frame.loc[partial, "code"].to_numpy()] = "partielle"
    frame = frame[~partial]
    sizes = frame.groupby("cible")["code"].transform("size").to_numpy()
    single = frame[sizes == 1]
    merged = frame[sizes > 1]
    fate[merged.loc[merged["code"] != merged["cible"], "code"].to_numpy()] = "fusionnee"
    parts = [gpd.GeoDataFrame({"code": single["cible"].to_numpy(), "libelle": single["nom"].to_numpy()},
                              geometry=single.geometry.to_numpy(), crs=communes.crs)]
    if len(merged):
        groups = merged.groupby("cible")["geometry"].agg(lambda g: shapely.union_all(np.asarray(g.values)))
        parts.append(gpd.GeoDataFrame({"code": groups.index.to_numpy(), "libelle": None}, geometry=list(groups.to_numpy()),
                                      crs=communes.crs))
    out = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), geometry="geometry", crs=communes.crs)
    return out, fate


def read_contours_communes_france(source: Source, path_of: PathOf) -> IngestResult:
    """IGN Admin Express 2018 commune contours of every département, brought to the COG 2024."""
    result = IngestResult()
    frames = []
    for f in source.fichiers:
        if not f.chemin.endswith(".geojson"):
            continue  # PROVENANCE.md: the mirror's notes
        path = path_of(source.id, f.chemin)
        gdf = _read_geo(path)
        for col in ("code", "nom"):
            if col not in gdf.columns:
                raise OsqError(f"propriété « {col} » absente des entités", fichier=path, colonne=col,
                               correction="reprenez le fichier d'origine (france-geojson, propriétés code et nom).")
        gdf = gdf[gdf.geometry.notna() & ~gdf.geometry.is_empty]
        bad = ~gdf["code"].astype(str).str.fullmatch(CODE_PATTERNS["commune"])
        if bad.any():
            raise OsqError(f"code commune « {gdf.loc[bad, 'code'].iloc[0]} » invalide (entité n° {int(np.flatnonzero(bad)[0]) + 1})",
                           fichier=path, colonne="code",
                           correction="reprenez le fichier d'origine : un code commune s'écrit « 62040 » ou « 2A004 ».")
        frames.append(gdf[["code", "nom", "geometry"]].assign(_fichier=path))
    if not frames:
        return result
    communes = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry="geometry", crs="EPSG:4326")
    communes["code"] = communes["code"].astype(str)
    if communes["code"].duplicated().any():
        code = communes.loc[communes["code"].duplicated(), "code"].iloc[0]
        raise OsqError(f"commune « {code} » présente dans deux fichiers de contours", fichier=f"source {source.id}",
                       correction="chaque commune ne doit figurer que dans le fichier de son département.")
    table = passages_between(read_passages(path_of), COG_CONTOURS, COG_CIBLE)
    out, fate = dissolve_to_cog(communes, table)
    result.add("geometries", _geometries(out, "commune", "code", "libelle", MILLESIME_COMMUNES))
    for path, part in communes.groupby("_fichier", sort=False):
        rejets = Rejets()
        for status, n in fate.reindex(part["code"].to_numpy()).value_counts().items():
            if status in REASONS:
                rejets.add(REASONS[str(status)], int(n))
        result.file(path, len(part), rejets, 0)
    return result


IRIS_COLUMNS = [("CODE_IRIS", "NOM_IRIS"), ("code_iris", "nom_iris")]


def read_contours_iris(source: Source, path_of: PathOf) -> IngestResult:
    result = IngestResult()
    millesime = "2020" if "2020" in source.id else "récent"
    for f in source.fichiers:
        path = path_of(source.id, f.chemin)
        if f.chemin.endswith(".csv"):
            # IRIS -> grand quartier table, leading zeros stripped by its publisher: re-pad.
            df = read_csv_text(path, sep=";")
            result.file(path, len(df), None, 0)
            continue
        if not f.chemin.endswith(".geojson"):
            continue
        gdf = _read_geo(path)
        code_col, label_col = next((c, lib) for c, lib in IRIS_COLUMNS if c in gdf.columns)
        result.add("geometries", _geometries(gdf, "iris", code_col, label_col, millesime))
        result.file(path, len(gdf), None, 0)
    return result


PLM = {"075": "75056", "069": "69123", "013": "13055"}  # Paris, Lyon, Marseille (arrondissements)


def _norm(name: str) -> str:
    name = name.replace("œ", "oe").replace("Œ", "Oe").replace("æ", "ae")
    name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]", "", name.replace("saint", "st"))


def qpv_commune_links(qpv: pd.DataFrame, communes: pd.DataFrame, rejets: Rejets) -> pd.DataFrame:
    """Resolve QPV commune names ('Longuenesse, Saint-Omer, Arques') to commune codes.

    Names are matched within the QPV's département (from its code QPddd…).
    """
    communes = communes.assign(cle=communes["dep"].str.lstrip("0").str.zfill(3) + "|" + communes["libelle"].map(_norm))
    index = communes.drop_duplicates("cle").set_index("cle")["com"]
    keys = list(index.index)
    rows = []
    for code, names in zip(qpv["code"], qpv["communes"]):
        dep = code[2:5]
        for name in str(names).split(","):
            key = f"{dep}|{_norm(name.strip())}"
            if key == f"{dep}|":
                continue
            if dep in PLM and re.search(r"arrondissement|\d+(er|[eè]me)\b", name):
                rows.append((code, PLM[dep]))
            elif key in index.index:
                rows.append((code, index[key]))
            elif len(prefixed := [k for k in keys if k.startswith(key)]) == 1:
                # Renamed commune (e.g. Saint-Ouen -> Saint-Ouen-sur-Seine).
                rows.append((code, index[prefixed[0]]))
            else:
                rejets.add("commune d'un QPV introuvable par son nom dans le COG 2019")
    return pd.DataFrame(rows, columns=["code", "code_parent"]).drop_duplicates()


def read_contours_qpv(source: Source, path_of: PathOf) -> IngestResult:
    result = IngestResult()
    cog_path = path_of("insee-cog-2019", "cog_com_2019.csv")
    cog = read_csv_text(cog_path, sep=";")
    cog = cog[cog["typecom"] == "COM"].rename(columns={"libelle": "libelle"})
    for f in source.fichiers:
        path = path_of(source.id, f.chemin)
        if f.chemin == "QP_METROPOLEOUTREMER_WGS84_EPSG4326.shp":
            # DBF text is Latin-1 with no .cpg file.
            gdf = _read_geo(path, encoding="latin1")
            result.add("geometries", _geometries(gdf, "qpv", "CODE_QP", "NOM_QP", "2015"))
            result.add("territoires", territories(gdf["CODE_QP"], gdf["NOM_QP"], "qpv", 2015))
            rejets = Rejets()
            links = qpv_commune_links(gdf.rename(columns={"CODE_QP": "code", "COMMUNE_QP": "communes"}), cog, rejets)
            result.add("appartenances", memberships(links["code"], "qpv", links["code_parent"], "commune", 2015))
            result.file(path, len(gdf), rejets, 0)
        elif f.chemin == "pop_qp_2013.csv":
            rejets = Rejets()
            df = read_validated(path, sep=";", code_column="qp", niveau="qpv", numeric=["population_municipale_2013"],
                                keep=["epci1", "epci2"], rejets=rejets)
            obs = observations(df["qp"], niveau="qpv", indicateur="population", annee=2013,
                               valeur=df["population_municipale_2013"], numerateur=df["population_municipale_2013"], cog=2015)
            result.add("observations", obs)
            for col in ("epci1", "epci2"):
                result.add("appartenances", memberships(df["qp"], "qpv", df[col], "epci", 2015))
            result.file(path, len(df), rejets, len(obs))
        elif f.chemin.endswith(".shp"):
            # The Lambert-93 edition (metropolitan France) is checked readable; the WGS84 one is stored.
            result.file(path, len(_read_geo(path, encoding="latin1")), None, 0)
        elif f.chemin.endswith(".pdf"):
            if not path.read_bytes()[:5] == b"%PDF-":
                raise OsqError("fiche descriptive illisible (pas un PDF)", fichier=path,
                               correction="reprenez le fichier d'origine du producteur.")
            result.file(path, 1, None, 0)
    return result


def split_qpv_lists(df: pd.DataFrame) -> pd.DataFrame:
    """One row per (commune, QPV 2024): the file lists a commune's QPV as "QN04211M, QN04212M".

    Names are split the same way when their count matches the codes'; otherwise a
    name may itself hold a comma, and the code stands for the name.
    """
    rows = []
    for commune, codes, names in zip(df["insee_com"], df["code_qp"], df["lib_qp"]):
        code_list = [c.strip() for c in str(codes).split(",") if c.strip()]
        name_list = [n.strip() for n in str(names).split(", ")]
        if len(name_list) != len(code_list):
            name_list = code_list
        rows += [(str(commune), c, n) for c, n in zip(code_list, name_list)]
    return pd.DataFrame(rows, columns=["insee_com", "code_qp", "lib_qp"])


def read_qpv_2024(source: Source, path_of: PathOf) -> IngestResult:
    """QPV 2024 codes per commune (points are commune centroids, not contours)."""
    result = IngestResult()
    for f in source.fichiers:
        path = path_of(source.id, f.chemin)
        gdf = _read_geo(path)
        pairs = split_qpv_lists(gdf)
        qpv = pairs.drop_duplicates("code_qp")
        result.add("territoires", territories(qpv["code_qp"], qpv["lib_qp"], "qpv", 2024))
        result.add("appartenances", memberships(pairs["code_qp"], "qpv", pairs["insee_com"], "commune", 2024))
        result.file(path, len(gdf), None, 0)
    return result
