"""geopandas maps: choropleths with mapclassify breaks, French legends, hatched secrets.

Every map function returns one type, `images.Rendu`: the map as a PNG image, or a French message
(markdown) saying why there is no map (contours absent from the sources, a single IRIS…).
"""

from __future__ import annotations

import hashlib

import geopandas as gpd
import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.artist import Artist
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from shapely import wkb

from osq_utils import territoires
from osq_utils.catalogues.glossaire import Indicateur
from osq_utils.indicateurs import Territoire
from osq_utils.present import fr, interactif
from osq_utils.present.blocs import Contexte, citation, source_note
from osq_utils.present.images import Rendu, rendu_figure, rendu_message

SEQUENTIAL = interactif.SEQUENTIAL  # ColorBrewer sequential, colour-blind safe


def load_geometries(vue, niveau: str, codes: list[str]) -> gpd.GeoDataFrame:
    """Contours (EPSG:4326) of territories, built once per store version (the view's memo)."""
    def build() -> gpd.GeoDataFrame:
        df = vue.execute(
            "SELECT code, libelle, millesime, source, wkb FROM geometries WHERE niveau = ? AND code IN (SELECT unnest(?))",
            [niveau, list(codes)],
        ).df()
        df = df.drop_duplicates("code")
        geoms = [wkb.loads(bytes(b)) for b in df["wkb"]]
        return gpd.GeoDataFrame(df.drop(columns="wkb"), geometry=geoms, crs="EPSG:4326")

    return vue.memo(("geometries", niveau, tuple(sorted(codes))), build).copy()


def _ident(kind: str, titre: str) -> str:
    """A stable HTML id of a figure (identical reruns give identical pages)."""
    return f"osq-{kind}-" + hashlib.sha1(titre.encode()).hexdigest()[:10]


def _liens_notes(niveau: str, codes) -> dict[str, str]:
    """Each territory's link placeholder to its note, resolved when the site is published."""
    return {str(c): interactif.lien_note(niveau, str(c)) for c in codes}


def _indisponible(texte: str) -> Rendu:
    return rendu_message('::: {.callout-warning title="Carte non disponible"}\n' + texte + "\n:::\n")


def choropleth(gdf: gpd.GeoDataFrame, values: pd.DataFrame, ind: Indicateur, *, highlight: str | None = None,
               titre: str, source_note: str, k: int = 5):
    """Map `values` (code, valeur, statut) on `gdf`; returns the matplotlib figure.

    Classes by quantiles (mapclassify); secret territories hatched and grey,
    missing ones light grey, both with a legend entry.
    """
    data = gdf.merge(values[["code", "valeur", "statut"]], on="code", how="left")
    data["statut"] = data["statut"].fillna("absent")
    # Lambert-93 for a true-shape map of metropolitan France; the local UTM zone overseas.
    overseas = data["code"].astype(str).str.startswith(territoires.DOM_PREFIXES).all()
    data = data.to_crs(data.estimate_utm_crs() if overseas and len(data) else 2154)
    ok = data[data["statut"] == "ok"]
    fig, ax = plt.subplots(figsize=(7.5, 5.6))
    # geopandas asks for a redraw after every layer; on a figure only ever saved to a file
    # that is a full drawing pass per layer for nothing.
    fig.canvas.draw_idle = lambda *args, **kwargs: None  # type: ignore[method-assign]  # stubs forbid this no-op monkeypatch
    handles = []
    classes = interactif.classes_choroplethe(ok["valeur"].to_numpy(), ind, k)  # shared with the interactive map
    if len(ok):
        # One call for every coloured territory: much faster than one plot per class.
        ok.plot(ax=ax, color=classes.couleurs, edgecolor="white", linewidth=0.5)
    handles += [Patch(facecolor=colour, edgecolor="grey", label=label) for colour, label in classes.legende]
    secret = data[data["statut"] == "secret"]
    if len(secret):
        secret.plot(ax=ax, facecolor=interactif.SECRET_FOND, edgecolor=interactif.SECRET_TRAIT, hatch="////", linewidth=0.5)
        handles.append(Patch(facecolor=interactif.SECRET_FOND, edgecolor=interactif.SECRET_TRAIT, hatch="////",
                             label=interactif.SECRET_LIBELLE))
    absent = data[data["statut"] == "absent"]
    if len(absent):
        absent.plot(ax=ax, facecolor=interactif.ABSENT_FOND, edgecolor=interactif.ABSENT_TRAIT, linewidth=0.5)
        handles.append(Patch(facecolor=interactif.ABSENT_FOND, edgecolor=interactif.ABSENT_TRAIT, label=interactif.ABSENT_LIBELLE))
    if highlight is not None and (data["code"] == highlight).any():
        data[data["code"] == highlight].plot(ax=ax, facecolor="none", edgecolor=interactif.ACCENT_TRAIT, linewidth=2.2)
        handles.append(Patch(facecolor="none", edgecolor=interactif.ACCENT_TRAIT, linewidth=2.2, label=interactif.ACCENT_LIBELLE))
    ax.set_axis_off()
    ax.set_title(titre, loc="left", fontsize=11, fontweight="bold")
    unit = interactif.unite_legende(ind)
    ax.legend(handles=handles, title=f"{ind.libelle}\n({unit})" if unit else ind.libelle, loc="upper left",
              bbox_to_anchor=(1.0, 1.0), fontsize=8, title_fontsize=8, frameon=False, alignment="left")
    fig.text(0.01, 0.01, source_note, fontsize=7.5, ha="left", va="bottom", wrap=True)
    # A fixed layout (map left, legend right): no second drawing pass for a tight bounding box.
    fig.subplots_adjust(left=0.01, right=0.66, top=0.93, bottom=0.08)
    return fig




CONTOURS_COMMUNES = "ign-admin-express-2018-communes-france"
CONTOURS_MANQUANTS = ("communes défusionnées depuis 2018, que le tracé IGN 2018 ne sépare pas, ou absentes des "
                      "contours du projet")


def carte_commune_epci(ctx: Contexte, commune: Territoire, epci: Territoire | None, indicateur: str) -> Rendu:
    """The intercommunality's communes (its EPT within the Grand Paris) coloured by an indicator (latest year),
    the note's commune outlined; for a municipal arrondissement, its commune (Paris, Lyon, Marseille)."""
    ind = ctx.glossaire[indicateur]
    if epci is None:
        return _indisponible(f"{commune.libelle} n'appartient à aucune intercommunalité (commune insulaire hors EPCI "
                             "selon l'Insee) : pas de carte de l'intercommunalité.")
    outlined = commune.code
    if commune.niveau == "arm":
        outlined = territoires.parent(ctx.vue, "arm", commune.code, "commune") or commune.code
    codes = list(territoires.communes_of(ctx.vue, epci.niveau, epci.code))
    gdf = load_geometries(ctx.vue, "commune", codes)
    if gdf.empty:
        return _indisponible(f"Les contours des communes de {epci.libelle} ne figurent pas dans les sources du projet.")
    obs = ctx.vue.observations("commune", codes, [indicateur])
    ok = obs["statut"] == "ok"
    year = int(obs.loc[ok, "annee"].max()) if ok.any() else (int(obs["annee"].max()) if len(obs) else None)
    obs = obs[obs["annee"] == year] if year is not None else obs
    missing = sorted(set(codes) - set(gdf["code"]))
    note = source_note(ctx.catalogue, obs, extra=[f"{citation(ctx.catalogue, CONTOURS_COMMUNES)} 2018 (contours, "
                                                  "communes du COG 2024)"])
    if missing:
        note += f" Communes sans contour ({CONTOURS_MANQUANTS}) : {', '.join(missing)}."
    if outlined != commune.code:
        note += (f" {commune.libelle} n'a pas de contour propre dans les sources : la commune entière "
                 f"({territoires.libelle(ctx.vue, 'commune', outlined) or outlined}) est entourée.")
    titre = f"{ind.libelle}{f' en {year}' if year is not None else ''}, {epci.libelle}"
    fig = choropleth(gdf, obs, ind, highlight=outlined, titre=titre, source_note=note) if ctx.imprimables else None
    html = interactif.carte_choroplethe(
        gdf, obs, ind, libelles=territoires.libelles(ctx.vue, "commune", list(gdf["code"])),
        liens=_liens_notes("commune", gdf["code"]), highlight=outlined, titre=titre, ident=_ident("carte", titre),
        source=note)
    return rendu_figure(fig, html=html)




QPV_FILL = "#E69F00"  # Okabe-Ito orange
QPV_EDGE = "#000000"
QPV_COMMUNE_FILL = "#f0f0f0"


def _scale_bar(ax, width_m: float) -> None:
    """A round-length scale bar (metres → km) in the lower right corner of a projected map."""
    target = width_m / 5
    length = max((s for s in (100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000) if s <= target),
                 default=100)
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    x = x1 - (x1 - x0) * 0.05 - length
    y = y0 + (y1 - y0) * 0.05
    ax.plot([x, x + length], [y, y], color="#000000", linewidth=2.5, solid_capstyle="butt")
    label = f"{fr.nombre(length / 1000, 1 if length % 1000 else 0)} km"
    ax.text(x + length / 2, y + (y1 - y0) * 0.015, label, ha="center", va="bottom", fontsize=8)


def carte_qpv(ctx: Contexte, qpv_: Territoire, communes_: list[Territoire]) -> Rendu:
    """The QPV's official 2015 contour within its commune(s), names and a scale bar.

    Where the commune contours are not in the sources, the QPV is drawn alone and the figure
    says so; a message when the QPV contour itself is missing.
    """
    qpv = load_geometries(ctx.vue, "qpv", [qpv_.code])
    if qpv.empty:
        return _indisponible(f"Le contour du quartier {qpv_.libelle} ({qpv_.code}) ne figure pas dans les sources "
                             "du projet (contours officiels des QPV 2015 de l'ANCT).")
    codes = [t.code for t in communes_]
    communes = load_geometries(ctx.vue, "commune", codes)
    metropole = not any(c.startswith(("97", "98")) for c in codes)
    crs = 2154 if metropole else qpv.estimate_utm_crs()  # Lambert-93 in metropolitan France
    html = _carte_qpv_interactive(qpv_, communes_, qpv, communes)  # EPSG:4326: carte_svg projects them
    where = ", ".join(t.libelle for t in communes_)
    if len(communes):
        title = f"{qpv_.libelle} ({qpv_.code}) dans {'sa commune' if len(codes) == 1 else 'ses communes'}"
    else:
        title = f"{qpv_.libelle} ({qpv_.code}), {'commune' if len(codes) == 1 else 'communes'}"
    cites = [citation(ctx.catalogue, "anct-qpv-2015-contours")]
    if len(communes):
        cites.append(citation(ctx.catalogue, CONTOURS_COMMUNES) + " 2018")
    note = ("Sources : " if len(cites) > 1 else "Source : ") + " ; ".join(cites) + "."
    missing = [t.libelle for t in communes_ if t.code not in set(communes["code"] if len(communes) else [])]
    if missing:
        note += f"\nContours communaux absents des sources du projet ({', '.join(missing)}) : quartier seul."
    fig = _carte_qpv_fixe(qpv.to_crs(crs), communes.to_crs(crs) if len(communes) else communes, communes_,
                          f"{title}\n{where}", note) if ctx.imprimables else None
    return rendu_figure(fig, html=html(f"{title}, {where}", note))


def _carte_qpv_fixe(qpv: gpd.GeoDataFrame, communes: gpd.GeoDataFrame, communes_: list[Territoire], titre: str,
                    note: str):
    """The still image of carte_qpv (printables), in projected coordinates."""
    fig, ax = plt.subplots(figsize=(7.5, 5.6))
    fig.canvas.draw_idle = lambda *args, **kwargs: None  # type: ignore[method-assign]  # stubs forbid this no-op monkeypatch
    handles: list[Artist] = []
    if len(communes):
        communes.plot(ax=ax, facecolor="#f0f0f0", edgecolor="#525252", linewidth=0.9)
        names = {t.code: t.libelle for t in communes_}  # COG names (IGN 2018 drops "Le", "La")
        for _, row in communes.iterrows():
            p = row.geometry.representative_point()
            ax.annotate(names.get(row["code"], row["libelle"]), (p.x, p.y), ha="center", va="center", fontsize=8.5, color="#252525",
                        bbox=dict(boxstyle="round,pad=0.2", facecolor="white", edgecolor="none", alpha=0.7))
        label = "Commune (limites IGN 2018)" if len(communes) == 1 else "Communes (limites IGN 2018)"
        handles.append(Patch(facecolor="#f0f0f0", edgecolor="#525252", label=label))
    qpv.plot(ax=ax, facecolor=QPV_FILL, edgecolor=QPV_EDGE, linewidth=1.6, alpha=0.85)
    handles.append(Patch(facecolor=QPV_FILL, edgecolor=QPV_EDGE, label="Quartier prioritaire\n(contour officiel 2015)"))
    ax.set_aspect("equal")
    ax.set_axis_off()
    xmin, ymin, xmax, ymax = (communes if len(communes) else qpv).total_bounds
    pad = 0.04 * max(xmax - xmin, ymax - ymin)
    ax.set_xlim(xmin - pad, xmax + pad)
    ax.set_ylim(ymin - pad, ymax + pad)
    _scale_bar(ax, xmax - xmin + 2 * pad)
    handles.append(Line2D([], [], color="#000000", linewidth=2.5, label="Échelle (longueur en km)"))
    ax.set_title(titre, loc="left", fontsize=11, fontweight="bold")
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False,
              title="Légende", title_fontsize=8, alignment="left")
    fig.text(0.01, 0.01, note, fontsize=7.5, ha="left", va="bottom", wrap=True)
    fig.subplots_adjust(left=0.01, right=0.70, top=0.88, bottom=0.10)
    return fig


def _carte_qpv_interactive(qpv_: Territoire, communes_: list[Territoire], qpv: gpd.GeoDataFrame,
                           communes: gpd.GeoDataFrame):
    """The QPV above its commune(s), each linked to its note; returns a function of the title and source."""
    zones = []
    names = {t.code: t.libelle for t in communes_}
    for _, row in communes.iterrows():
        nom = names.get(row["code"], row["libelle"])
        zones.append(interactif.Zone(row["code"], nom, row.geometry, f"{nom} : commune", QPV_COMMUNE_FILL,
                                     interactif.lien_note("commune", row["code"]), "commune", valeur="commune"))
    for _, row in qpv.iterrows():
        nom = f"{qpv_.libelle} ({qpv_.code})"
        zones.append(interactif.Zone(row["code"], nom, row.geometry, f"{nom} : quartier prioritaire", QPV_FILL,
                                     interactif.lien_note("qpv", row["code"]), "qpv", accent=True,
                                     valeur="quartier prioritaire"))
    legende = [(QPV_COMMUNE_FILL, "Commune (limites IGN 2018)", False),
               (QPV_FILL, "Quartier prioritaire (contour officiel 2015)", False)]
    if not len(communes):
        legende = legende[1:]

    def html(titre: str, note: str) -> str:
        return interactif.carte_svg(zones, titre=titre, legende=legende, ident=_ident("carte", titre),
                                    tableau_colonnes=("Territoire", "Nature"), source=note)

    return html


def carte_communes(ctx: Contexte, epci: Territoire, cote: pd.DataFrame, indicateur: str) -> Rendu:
    """The EPCI's communes coloured by an indicator (the year of `cote`); a message when the store has
    no commune contours for this EPCI.

    cote is notes.epci.communes_cote_a_cote(). Classes are quantiles (mapclassify, in maps.choropleth).
    """
    ind = ctx.glossaire[indicateur]
    part = cote[(cote["indicateur"] == indicateur) & (cote["niveau"] == "commune")]
    codes = part["code"].tolist()
    gdf = load_geometries(ctx.vue, "commune", codes)
    if gdf.empty:
        return _indisponible(
            f"Les contours des communes de {epci.libelle} ne figurent pas dans les sources du projet. "
            "Les valeurs des communes restent dans les tableaux ci-dessus.")
    note = source_note(ctx.catalogue, part, extra=[f"{citation(ctx.catalogue, CONTOURS_COMMUNES)} 2018 (contours, "
                                                   "communes du COG 2024)"])
    missing = sorted(set(codes) - set(gdf["code"]))
    if missing:
        note += f" Communes sans contour ({CONTOURS_MANQUANTS}, non dessinées) : {', '.join(missing)}."
    annee = part["annee"].iloc[0]
    titre = f"{ind.libelle} en {annee}, {epci.libelle}"
    fig = (choropleth(gdf, part[["code", "valeur", "statut"]], ind, titre=titre, source_note=note)
           if ctx.imprimables else None)
    html = interactif.carte_choroplethe(
        gdf, part, ind, libelles=territoires.libelles(ctx.vue, "commune", list(gdf["code"])),
        liens=_liens_notes("commune", gdf["code"]), titre=titre, ident=_ident("carte", titre), source=note)
    return rendu_figure(fig, html=html)


def carte_iris(ctx: Contexte, commune: Territoire, indicateur: str | None, iris_df: pd.DataFrame) -> Rendu:
    """The commune's IRIS coloured by a rate (latest year with a value), secret IRIS hatched.

    iris_df: one row per (IRIS, indicator) (notes.abs_ccas.tableau_iris). A French sentence instead of
    a map when the theme maps no indicator, the commune has a single IRIS, no contours in the store,
    or no value by IRIS.
    """
    if indicateur is None:
        return rendu_message("Ce thème n'a pas d'indicateur cartographié par IRIS.\n")
    ind = ctx.glossaire[indicateur]
    values = iris_df[iris_df["indicateur"] == indicateur]
    if values["code"].nunique() < 2:
        return rendu_message(f"{commune.libelle} n'est pas découpée en plusieurs IRIS (commune de moins de 5 000 habitants "
                        "environ, ou IRIS unique) : ses chiffres sont ceux de la commune, il n'y a pas de carte infra-communale.\n")
    if not (values["statut"] == "ok").any():
        return rendu_message(f"{ind.libelle} : aucune valeur n'est publiée par IRIS pour {commune.libelle} dans les sources "
                        "du projet (IRIS absents du fichier du producteur ou couverts par le secret statistique) : "
                        "pas de carte.\n")
    gdf = load_geometries(ctx.vue, "iris", list(values["code"]))
    if len(gdf) < 2:
        return rendu_message(f"Les contours des IRIS de {commune.libelle} ne figurent pas dans les sources du projet "
                        "(contours IRIS disponibles pour la CA du Pays de Saint-Omer, la Loire et le Val-de-Marne) : "
                        "les valeurs par IRIS sont données dans le tableau ci-dessous.\n")
    annee = int(values["annee"].dropna().iloc[0])
    contours = sorted({citation(ctx.catalogue, s) + f" {m}" for s, m in zip(gdf["source"], gdf["millesime"])})
    note = source_note(ctx.catalogue, values.assign(annee=annee).dropna(subset=["source"]),
                       extra=[f"{c} (contours)" for c in contours])
    missing = sorted(set(values["code"]) - set(gdf["code"]))
    if missing:
        note += f" IRIS sans contour : {', '.join(missing)}."
    titre = f"{ind.libelle} par IRIS en {annee}, {commune.libelle}"
    k = min(5, max(2, int((values["statut"] == "ok").sum())))
    fig = choropleth(gdf, values, ind, titre=titre, source_note=note, k=k) if ctx.imprimables else None
    html = interactif.carte_choroplethe(gdf, values, ind, libelles=dict(zip(values["code"], values["libelle"])),
                                        titre=titre, ident=_ident("carte", titre), source=note, k=k, couche="iris")
    return rendu_figure(fig, html=html)


def carte_zone(ctx: Contexte, zone: Territoire, indicateur: str, parties: pd.DataFrame) -> Rendu:
    """A zone's parts coloured by an indicator: its IRIS (carte_iris), or for a zone of whole communes its
    communes (carte_communes). parties: notes.zone.tableau_parties()."""
    if zone.iris and len(zone.iris) > 1:
        return carte_iris(ctx, zone, indicateur, parties[parties["niveau"] == "iris"])
    if not zone.iris and len(zone.communes) > 1:
        return carte_communes(ctx, zone, parties[parties["niveau"] == "commune"], indicateur)
    seule = "un IRIS" if zone.iris else "une commune"
    return rendu_message(f"{zone.libelle} ne compte qu'{seule} : ses chiffres sont les siens, sans carte de ses parties.\n")
