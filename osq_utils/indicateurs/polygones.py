"""The rule that turns a perimeter drawn on a map into IRIS (a zone's `polygone:`), with geopandas.

An IRIS belongs to the zone when the share of its area inside the polygon is at least the zone's threshold
(`seuil`, 0.5 by default). Areas are measured in Lambert-93 (EPSG:2154, metres), never in degrees. Every IRIS
the polygon touches is listed with its share, kept or not, so that the note can say why.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
from shapely import wkb

from osq_utils import territoires
from osq_utils.errors import OsqError

PROJECTION_SURFACES = 2154  # Lambert-93: areas in square metres
COLONNES = ["code", "libelle", "commune", "part", "surface_km2", "retenu"]


def lire_polygone(path: Path) -> gpd.GeoSeries:
    """The polygon(s) of a GeoJSON file in EPSG:4326 (GeoJSON's own), as one geometry; a French error otherwise."""
    try:
        gdf = gpd.read_file(path)
    except Exception as exc:  # pyogrio raises several error types, with GDAL's English message
        raise OsqError("polygone illisible : le fichier n'est pas un GeoJSON valide", fichier=path,
                       correction="exportez le périmètre en GeoJSON depuis votre outil de cartographie (QGIS, "
                                  "geojson.io).") from exc
    gdf = gdf[gdf.geometry.notna() & ~gdf.geometry.is_empty]
    if gdf.empty or not gdf.geometry.geom_type.isin(["Polygon", "MultiPolygon"]).all():
        raise OsqError("le fichier ne contient pas de polygone", fichier=path,
                       correction="dessinez une surface fermée (Polygon ou MultiPolygon), pas des points ni des lignes.")
    if gdf.crs is None:
        gdf = gdf.set_crs(4326)
    shape = gdf.to_crs(PROJECTION_SURFACES).geometry.make_valid().union_all()
    return gpd.GeoSeries([shape], crs=PROJECTION_SURFACES)


def contours_iris(con) -> gpd.GeoDataFrame:
    """Every IRIS contour of the store (one per code), in Lambert-93."""
    df = con.execute("SELECT code, libelle, wkb FROM geometries WHERE niveau = 'iris'").df().drop_duplicates("code")
    gdf = gpd.GeoDataFrame(df.drop(columns="wkb"), geometry=[wkb.loads(bytes(b)) for b in df["wkb"]], crs=4326)
    return gdf.to_crs(PROJECTION_SURFACES)


def parts_dans_polygone(iris: gpd.GeoDataFrame, polygone: gpd.GeoSeries, seuil: float) -> pd.DataFrame:
    """Each IRIS the polygon touches: the share of its area inside (0-1) and whether it is kept (share >= seuil).

    iris: code, libelle and geometry in a metric projection. Sorted by decreasing share.
    """
    shape = polygone.iloc[0]
    touched = iris[iris.intersects(shape)]
    if touched.empty:
        return pd.DataFrame(columns=COLONNES)
    inside = touched.geometry.intersection(shape).area
    part = (inside / touched.geometry.area).clip(upper=1.0)
    out = pd.DataFrame({"code": touched["code"].astype(str).to_numpy(), "libelle": touched["libelle"].to_numpy(),
                        "commune": touched["code"].astype(str).str[:5].to_numpy(), "part": part.to_numpy(),
                        "surface_km2": (touched.geometry.area / 1e6).to_numpy()})
    out = out[out["part"] > 0]
    out["retenu"] = out["part"] >= seuil
    return out.sort_values(["part", "code"], ascending=[False, True]).reset_index(drop=True)[COLONNES]


def iris_du_polygone(con, path: Path, seuil: float) -> pd.DataFrame:
    """The IRIS of the store a GeoJSON polygon touches, with their share inside and whether they are kept."""
    out = parts_dans_polygone(contours_iris(con), lire_polygone(path), seuil)
    labels = territoires.libelles(con, "iris", list(out["code"]))
    out["libelle"] = [labels.get(c) or lib or c for c, lib in zip(out["code"], out["libelle"])]
    return out
