"""geopandas maps: choropleths with mapclassify breaks, French legends, hatched secrets."""

from __future__ import annotations

import geopandas as gpd
import mapclassify
import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.patches import Patch
from shapely import wkb

from osq_utils.indicateurs import Indicateur
from osq_utils.present import fr
from osq_utils.present.images import figure_png

SEQUENTIAL = "YlGnBu"  # ColorBrewer sequential, colour-blind safe


_GEOM_CACHE: dict[tuple, gpd.GeoDataFrame] = {}


def load_geometries(con, niveau: str, codes: list[str]) -> gpd.GeoDataFrame:
    """Contours (EPSG:4326) of territories; kept in memory per store version (read-only stores)."""
    from osq_utils import store

    key = store.version_key(con)
    cache_key = (key, niveau, tuple(sorted(codes)))
    if key is not None and cache_key in _GEOM_CACHE:
        return _GEOM_CACHE[cache_key].copy()
    df = con.execute(
        "SELECT code, libelle, millesime, source, wkb FROM geometries WHERE niveau = ? AND code IN (SELECT unnest(?))",
        [niveau, list(codes)],
    ).df()
    df = df.drop_duplicates("code")
    geoms = [wkb.loads(bytes(b)) for b in df["wkb"]]
    gdf = gpd.GeoDataFrame(df.drop(columns="wkb"), geometry=geoms, crs="EPSG:4326")
    if key is not None:
        if len(_GEOM_CACHE) > 256:
            _GEOM_CACHE.clear()
        _GEOM_CACHE[cache_key] = gdf
    return gdf.copy()


def choropleth(gdf: gpd.GeoDataFrame, values: pd.DataFrame, ind: Indicateur, *, highlight: str | None = None,
               titre: str, source_note: str, k: int = 5):
    """Map `values` (code, valeur, statut) on `gdf`; returns the matplotlib figure.

    Classes by quantiles (mapclassify); secret territories hatched and grey,
    missing ones light grey, both with a legend entry.
    """
    data = gdf.merge(values[["code", "valeur", "statut"]], on="code", how="left")
    data["statut"] = data["statut"].fillna("absent")
    data = data.to_crs(2154)  # Lambert-93 for a true-shape map of metropolitan France
    ok = data[data["statut"] == "ok"]
    fig, ax = plt.subplots(figsize=(7.5, 5.6))
    # geopandas asks for a redraw after every layer; on a figure only ever saved to a file
    # that is a full drawing pass per layer for nothing.
    fig.canvas.draw_idle = lambda *args, **kwargs: None
    handles = []
    decimals = 1 if ind.unite == "%" else 0
    if len(ok) >= 2:
        kk = min(k, ok["valeur"].nunique())
        classes = mapclassify.Quantiles(ok["valeur"].to_numpy(), k=kk)
        cmap = plt.get_cmap(SEQUENTIAL, len(classes.bins))
        colours = [cmap(i) for i in range(len(classes.bins))]
        # One call for every coloured territory: much faster than one plot per class.
        ok.plot(ax=ax, color=[colours[c] for c in classes.yb], edgecolor="white", linewidth=0.5)
        lows = [ok["valeur"].min(), *classes.bins[:-1]]
        for i, (lo, hi) in enumerate(zip(lows, classes.bins)):
            label = f"{fr.valeur(lo, ind.unite, decimals)} – {fr.valeur(hi, ind.unite, decimals)}"
            handles.append(Patch(facecolor=colours[i], edgecolor="grey", label=label))
    elif len(ok):
        ok.plot(ax=ax, color=plt.get_cmap(SEQUENTIAL)(0.6), edgecolor="white", linewidth=0.5)
    secret = data[data["statut"] == "secret"]
    if len(secret):
        secret.plot(ax=ax, facecolor="#d9d9d9", edgecolor="#525252", hatch="////", linewidth=0.5)
        handles.append(Patch(facecolor="#d9d9d9", edgecolor="#525252", hatch="////", label="s : secret statistique"))
    absent = data[data["statut"] == "absent"]
    if len(absent):
        absent.plot(ax=ax, facecolor="#f0f0f0", edgecolor="#969696", linewidth=0.5)
        handles.append(Patch(facecolor="#f0f0f0", edgecolor="#969696", label="nd : non disponible"))
    if highlight is not None and (data["code"] == highlight).any():
        data[data["code"] == highlight].plot(ax=ax, facecolor="none", edgecolor="#000000", linewidth=2.2)
        handles.append(Patch(facecolor="none", edgecolor="#000000", linewidth=2.2, label="Commune de la note"))
    ax.set_axis_off()
    ax.set_title(titre, loc="left", fontsize=11, fontweight="bold")
    unit = {"%": "en %", "€": "en euros"}.get(ind.unite, ind.unite)
    ax.legend(handles=handles, title=f"{ind.libelle}\n({unit})" if unit else ind.libelle, loc="upper left",
              bbox_to_anchor=(1.0, 1.0), fontsize=8, title_fontsize=8, frameon=False, alignment="left")
    fig.text(0.01, 0.01, source_note, fontsize=7.5, ha="left", va="bottom", wrap=True)
    # A fixed layout (map left, legend right): no second drawing pass for a tight bounding box.
    fig.subplots_adjust(left=0.01, right=0.66, top=0.93, bottom=0.08)
    return fig




def carte_commune_epci(ctx, commune, epci, indicateur: str):
    """The EPCI's communes coloured by an indicator (latest year), the note's commune outlined.

    Returns a matplotlib figure, or a French Markdown message when contours are missing.
    """
    from IPython.display import Markdown

    from osq_utils import indicateurs, territoires
    from osq_utils.present.blocs import source_note

    ind = ctx.glossaire[indicateur]
    codes = list(territoires.communes_of(ctx.con, "epci", epci.code))
    gdf = load_geometries(ctx.con, "commune", codes)
    if gdf.empty:
        return Markdown(
            "::: {.callout-warning title=\"Carte non disponible\"}\n"
            f"Les contours des communes de {epci.libelle} ne figurent pas dans les sources du projet "
            "(contours IGN disponibles pour la Loire, le Pas-de-Calais, la Seine-et-Marne et le Val-de-Marne).\n:::\n"
        )
    obs = indicateurs.observations_of(ctx.con, "commune", codes, [indicateur], ctx.glossaire)
    year = int(obs.loc[obs["statut"] == "ok", "annee"].max()) if (obs["statut"] == "ok").any() else int(obs["annee"].max())
    obs = obs[obs["annee"] == year]
    missing = sorted(set(codes) - set(gdf["code"]))
    note = source_note(ctx.catalogue, obs, extra=["IGN, Admin Express 2018 (contours)"])
    if missing:
        note += f" Communes sans contour 2018 : {', '.join(missing)}."
    fig = choropleth(gdf, obs, ind, highlight=commune.code, titre=f"{ind.libelle} en {year}, {epci.libelle}",
                     source_note=note)
    return figure_png(fig, dpi=110)


