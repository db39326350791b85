"""Interactive figures of the HTML notes: maps and evolution charts as inline SVG.

Pure functions returning HTML strings: every area or point shows its name and value on hover and on keyboard
focus (templates/osq-interactif.js reads `data-osq-info`), and every figure links to the figures it draws (a
table). No script or style from elsewhere: the page works offline, from file:// too. The PNG versions
(maps.py, charts.py) stay for the printables; both take their classes and colours from here.

A zone that links to another note is written with a placeholder (`data-osq-note="commune:62040"`, no href):
which notes the site publishes is known once the plan is, and `resoudre_liens` decides then.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import geopandas as gpd
import mapclassify
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.colors import to_hex
from matplotlib.ticker import MaxNLocator

from osq_utils import territoires
from osq_utils.catalogues.glossaire import Indicateur
from osq_utils.present import fr

SEQUENTIAL = "YlGnBu"  # ColorBrewer sequential, colour-blind safe
# Okabe-Ito palette: distinguishable with the common colour-vision deficiencies (charts' order).
OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
SECRET_FOND, SECRET_TRAIT, SECRET_LIBELLE = "#d9d9d9", "#525252", "s : secret statistique"
ABSENT_FOND, ABSENT_TRAIT, ABSENT_LIBELLE = "#f0f0f0", "#969696", "nd : non disponible"
ACCENT_TRAIT, ACCENT_LIBELLE = "#000000", "Commune de la note"
CONTOUR = "none"  # legend colour of an outline-only entry (the note's commune)
ORDRE_COUCHES = ("iris", "commune", "epci", "qpv")  # drawn bottom to top; any other layer on top
LARGEUR = 1000.0  # viewBox units of a map's larger side
TOLERANCE = 0.6  # simplification, in viewBox units (under one screen pixel at 900 px)


def esc(text: object) -> str:
    return html.escape(str(text), quote=True)


# --- Classes of a choropleth (shared with maps.choropleth) ------------------------------------------


@dataclass(frozen=True)
class Classes:
    """Quantile classes of the published values: the colour of each value (in the order given) and the
    legend's entries (colour, French label of the class bounds)."""

    couleurs: list[str]
    legende: list[tuple[str, str]]


def classes_choroplethe(valeurs: Sequence[float], ind: Indicateur, k: int = 5) -> Classes:
    """Quantile classes (mapclassify) and YlGnBu colours of the published values of a map: the PNG
    (maps.choropleth) and the interactive map draw these, never a copy."""
    vals = np.asarray(valeurs, dtype=float)
    if len(vals) == 0:
        return Classes([], [])
    if len(vals) == 1:
        return Classes([to_hex(plt.get_cmap(SEQUENTIAL)(0.6))], [])
    decimals = 1 if ind.unite == "%" else 0
    classes = mapclassify.Quantiles(vals, k=min(k, len(np.unique(vals))))
    cmap = plt.get_cmap(SEQUENTIAL, len(classes.bins))
    colours = [to_hex(cmap(i)) for i in range(len(classes.bins))]
    lows = [vals.min(), *classes.bins[:-1]]
    legende = [(colours[i], f"{fr.valeur(lo, ind.unite, decimals)} – {fr.valeur(hi, ind.unite, decimals)}")
               for i, (lo, hi) in enumerate(zip(lows, classes.bins))]
    return Classes([colours[c] for c in classes.yb], legende)


def unite_legende(ind: Indicateur) -> str:
    """« en % », « en euros », else the glossary's unit (legends and panel titles)."""
    return {"%": "en %", "€": "en euros"}.get(ind.unite, ind.unite)


def titre_legende(ind: Indicateur) -> str:
    unit = unite_legende(ind)
    return f"{ind.libelle} ({unit})" if unit else ind.libelle


# --- Maps -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Zone:
    """One area of an interactive map. `texte` is what hover and focus show (« Arques : 19 870 € »);
    `valeur` its value alone, for the data table (default: what follows « : » in `texte`); `lien` an
    href, or a placeholder `note:niveau:code` that resoudre_liens turns into a link to that note."""

    code: str
    libelle: str
    geometrie: object  # shapely geometry, EPSG:4326
    texte: str
    couleur: str
    lien: str | None = None
    couche: str = "commune"
    secret: bool = False
    accent: bool = False
    valeur: str | None = None

    @property
    def valeur_tableau(self) -> str:
        if self.valeur is not None:
            return self.valeur
        return self.texte.split(" : ", 1)[1] if " : " in self.texte else ""


def lien_note(niveau: str, code: str) -> str:
    """The placeholder of a link to the note of a territory, resolved when the site is published."""
    return f"note:{niveau}:{code}"


def _nombre_svg(v: float) -> str:
    text = f"{v:.1f}"
    return text[:-2] if text.endswith(".0") else ("0" if text == "-0" else text)


def _chemin(geom, tx) -> str:
    """SVG path data of a (multi)polygon; rings of fewer than 3 distinct rounded points are dropped."""
    polys = []
    if geom is None or geom.is_empty:
        return ""
    if geom.geom_type == "Polygon":
        polys = [geom]
    elif geom.geom_type in ("MultiPolygon", "GeometryCollection"):
        polys = [g for g in geom.geoms if g.geom_type == "Polygon"]
    parts = []
    for poly in polys:
        for ring in (poly.exterior, *poly.interiors):
            pts: list[str] = []
            for x, y in ring.coords[:-1]:
                p = tx(x, y)
                if not pts or pts[-1] != p:
                    pts.append(p)
            if len(pts) >= 3:
                parts.append("M" + " ".join(pts) + "Z")
    return "".join(parts)


def _crs_projete(zones: Sequence[Zone], geoms: gpd.GeoSeries):
    """Lambert-93 in metropolitan France; the local UTM zone overseas (as maps.choropleth)."""
    if zones and all(z.code.startswith(territoires.DOM_PREFIXES) or z.code.startswith("QP97")
                     for z in zones):
        return geoms.estimate_utm_crs()
    return 2154


def _attrs(**values: object) -> str:
    return "".join(f' {k.replace("_", "-")}="{esc(v)}"' for k, v in values.items() if v is not None)


def _zone_svg(z: Zone, d: str, motif: str) -> str:
    fill = f"url(#{motif})" if z.secret else z.couleur
    classes = f"osq-zone osq-couche-{z.couche}" + (" osq-accent" if z.accent else "") + (" osq-secret" if z.secret else "")
    path = f'<path d="{d}" fill="{esc(fill)}"><title>{esc(z.texte)}</title></path>'
    if z.lien:
        cible = _attrs(href=z.lien) if not z.lien.startswith("note:") else _attrs(data_osq_note=z.lien[5:])
        return (f'<a{cible} class="{classes}"'
                f'{_attrs(aria_label=z.texte, data_osq_info=z.texte, data_osq_code=z.code)}>{path}</a>')
    return (f'<g class="{classes}" tabindex="0" role="img"'
            f'{_attrs(aria_label=z.texte, data_osq_info=z.texte, data_osq_code=z.code)}>{path}</g>')


def legende_html(legende: Sequence[tuple[str, str, bool]], titre: str | None = None) -> str:
    items = []
    for couleur, libelle, hachure in legende:
        if hachure:
            style = (f"background:repeating-linear-gradient(45deg,{SECRET_TRAIT} 0 1.5px,{couleur} 1.5px 5px);"
                     f"border-color:{SECRET_TRAIT}")
        elif couleur == CONTOUR:
            style = f"background:#ffffff;border:2.5px solid {ACCENT_TRAIT}"
        else:
            style = f"background:{couleur}"
        items.append(f'<li><span class="osq-pastille" style="{esc(style)}" aria-hidden="true"></span>'
                     f"{esc(libelle)}</li>")
    head = f'<p class="osq-legende-titre">{esc(titre)}</p>' if titre else ""
    return f'<div class="osq-legende">{head}<ul>{"".join(items)}</ul></div>'


def _nom_lien(libelle: str, lien: str | None) -> str:
    if not lien:
        return esc(libelle)
    if lien.startswith("note:"):
        return f'<a{_attrs(data_osq_note=lien[5:])}>{esc(libelle)}</a>'
    return f'<a{_attrs(href=lien)}>{esc(libelle)}</a>'


def _lien_donnees(ident: str, libelle: str, href: str | None = None) -> str:
    return (f'<p class="osq-donnees-acces"><a class="osq-donnees" href="{esc(href or "#" + ident + "-donnees")}">'
            f"{esc(libelle)}</a></p>")


def _details(ident: str, resume: str, table: str) -> str:
    return (f'<details class="osq-donnees-detail" id="{esc(ident)}-donnees"><summary>{esc(resume)}</summary>'
            f"{table}</details>")


def carte_svg(zones: Sequence[Zone], *, titre: str, legende: Sequence[tuple[str, str, bool]], ident: str,
              tableau_colonnes: tuple[str, str] = ("Territoire", "Valeur"), titre_legende: str | None = None,
              source: str | None = None) -> str:
    """An interactive map: the zones in Lambert-93 (UTM overseas), simplified to under a pixel, each focusable,
    named and valued (hover and focus), linked to its note when it has one; the legend, the source, and a
    « Données » link to a table of every zone (the map's keyboard and screen-reader equivalent)."""
    rang = {c: i for i, c in enumerate(ORDRE_COUCHES)}
    zones = sorted(zones, key=lambda z: (rang.get(z.couche, len(ORDRE_COUCHES)), z.accent))  # stable
    geoms = gpd.GeoSeries([z.geometrie for z in zones], crs="EPSG:4326")
    geoms = geoms.to_crs(_crs_projete(zones, geoms)) if len(geoms) else geoms
    minx, miny, maxx, maxy = geoms.total_bounds if len(geoms) else (0.0, 0.0, 1.0, 1.0)
    span = max(maxx - minx, maxy - miny) or 1.0
    scale = LARGEUR / span
    marge = 8.0
    width, height = (maxx - minx) * scale + 2 * marge, (maxy - miny) * scale + 2 * marge

    def tx(x: float, y: float) -> str:
        return f"{_nombre_svg((x - minx) * scale + marge)} {_nombre_svg((maxy - y) * scale + marge)}"

    motif = f"{ident}-hachures"
    couches: dict[str, list[str]] = {}
    for z, g in zip(zones, geoms):
        d = _chemin(g.simplify(TOLERANCE / scale, preserve_topology=True) if g is not None else g, tx)
        if d:
            couches.setdefault(z.couche, []).append(_zone_svg(z, d, motif))
    defs = (f'<defs><pattern id="{esc(motif)}" patternUnits="userSpaceOnUse" width="9" height="9" '
            f'patternTransform="rotate(45)"><rect width="9" height="9" fill="{SECRET_FOND}"/>'
            f'<line x1="0" y1="0" x2="0" y2="9" stroke="{SECRET_TRAIT}" stroke-width="2.5"/></pattern></defs>')
    body = "".join(f'<g class="osq-couche">{"".join(items)}</g>' for items in couches.values())
    svg = (f'<svg class="osq-svg" viewBox="0 0 {_nombre_svg(width)} {_nombre_svg(height)}" role="group" '
           f'aria-label="{esc(titre)}" preserveAspectRatio="xMidYMid meet">{defs}{body}'
           '<path class="osq-survol" d="" aria-hidden="true"/></svg>')
    lignes = "".join(f'<tr><th scope="row">{_nom_lien(z.libelle, z.lien)}</th><td>{esc(z.valeur_tableau)}</td></tr>'
                     for z in sorted(zones, key=lambda z: (rang.get(z.couche, len(ORDRE_COUCHES)), fr.cle_tri(z.libelle))))
    table = (f'<table class="osq-table-donnees"><caption>{esc(titre)}</caption><thead><tr>'
             f'<th scope="col">{esc(tableau_colonnes[0])}</th><th scope="col">{esc(tableau_colonnes[1])}</th>'
             f"</tr></thead><tbody>{lignes}</tbody></table>")
    return (f'<div class="osq-interactif osq-carte" id="{esc(ident)}">'
            f'<p class="osq-figure-titre">{esc(titre)}</p>'
            f'<div class="osq-carte-corps">{svg}{legende_html(legende, titre_legende)}</div>'
            + (f'<p class="osq-source">{esc(source)}</p>' if source else "")
            + _lien_donnees(ident, "Données de la carte")
            + _details(ident, "Données de la carte (tableau)", table)
            + "</div>")


def _texte_statut(libelle: str, r: Mapping | None, ind: Indicateur) -> tuple[str, str]:
    """(hover text, value) of a territory on a map: the value as the note's tables print it."""
    if r is None or r.get("statut") not in ("ok", "secret"):  # which of the two absences, in plain French
        valeur = fr.raison("absent", ind.publie_a(str(r["niveau"]) if r is not None and r.get("niveau") else "commune"))
    elif r["statut"] == "secret":
        valeur = "secret statistique"
    else:
        valeur = fr.valeur_observation(r, ind)
    return f"{libelle} : {valeur}", valeur


def carte_choroplethe(gdf: gpd.GeoDataFrame, values: pd.DataFrame, ind: Indicateur, *,
                      libelles: Mapping[str, str] | None = None, liens: Mapping[str, str] | None = None,
                      highlight: str | None = None, titre: str, ident: str, superpositions: Sequence[Zone] = (),
                      legende_superpositions: Sequence[tuple[str, str, bool]] = (), source: str | None = None,
                      k: int = 5, couche: str = "commune") -> str:
    """The interactive version of maps.choropleth: same quantile classes and colours, secret hatched grey,
    missing light grey, the note's territory outlined; `liens` maps a code to an href (or lien_note()),
    `superpositions` (QPV…) are drawn on top."""
    cols = [c for c in ("code", "valeur", "statut", "niveau", "decimales", "estime") if c in values.columns]
    rows = {str(r["code"]): r for r in values[cols].to_dict("records")}
    ok_codes = [str(c) for c in gdf["code"] if rows.get(str(c), {}).get("statut") == "ok"]
    classes = classes_choroplethe([rows[c]["valeur"] for c in ok_codes], ind, k)
    couleur_de = dict(zip(ok_codes, classes.couleurs))
    libelles = libelles or {}
    zones = []
    secret = absent = False
    for code, libelle_gdf, geom in zip(gdf["code"].astype(str), gdf["libelle"], gdf.geometry):
        nom = libelles.get(code) or str(libelle_gdf)
        r = rows.get(code)
        texte, valeur = _texte_statut(nom, r, ind)
        statut = r["statut"] if r is not None else "absent"
        secret |= statut == "secret"
        absent |= statut not in ("ok", "secret")
        couleur = couleur_de.get(code, SECRET_FOND if statut == "secret" else ABSENT_FOND)
        zones.append(Zone(code, nom, geom, texte, couleur, (liens or {}).get(code), couche,
                          secret=statut == "secret", accent=code == highlight, valeur=valeur))
    legende: list[tuple[str, str, bool]] = [(c, lab, False) for c, lab in classes.legende]
    if secret:
        legende.append((SECRET_FOND, SECRET_LIBELLE, True))
    if absent:
        legende.append((ABSENT_FOND, ABSENT_LIBELLE, False))
    if highlight is not None and any(z.accent for z in zones):
        legende.append((CONTOUR, ACCENT_LIBELLE, False))
    legende += list(legende_superpositions)
    return carte_svg([*zones, *superpositions], titre=titre, legende=legende, ident=ident,
                     titre_legende=titre_legende(ind), source=source)


# --- Evolution charts ---------------------------------------------------------------------------------

PANNEAU_L, PANNEAU_H = 420.0, 250.0
MARGES = {"gauche": 64.0, "droite": 14.0, "haut": 14.0, "bas": 30.0}


def _segments(evo: pd.DataFrame, terr: str) -> list[list[Mapping]]:
    """Runs of consecutive years with a value: a missing or secret year ends a run (never bridged);
    the same rule as charts.line_segments."""
    runs: list[list[Mapping]] = [[]]
    for r in evo[evo["territoire"] == terr].sort_values("annee").to_dict("records"):
        if r["statut"] == "ok" and not pd.isna(r["valeur"]):
            runs[-1].append(r)
        elif runs[-1]:
            runs.append([])
    return [run for run in runs if run]


def _panneau_svg(ind: Indicateur, evo: pd.DataFrame, order: list[str], colours: Mapping[str, str],
                 titre_panneau: str) -> str:
    years = sorted(int(y) for y in evo["annee"].unique())
    ok = evo[(evo["statut"] == "ok") & evo["valeur"].notna()]
    x0, x1 = MARGES["gauche"], PANNEAU_L - MARGES["droite"]
    y0, y1 = MARGES["haut"], PANNEAU_H - MARGES["bas"]
    if len(ok):
        vmin, vmax = float(ok["valeur"].min()), float(ok["valeur"].max())
    else:
        vmin, vmax = 0.0, 1.0
    if vmax - vmin < 1e-9:
        vmin, vmax = vmin - 1, vmax + 1
    ticks = [float(t) for t in MaxNLocator(nbins=5).tick_values(vmin, vmax)]
    ticks = [t for t in ticks if vmin - (vmax - vmin) * 0.08 <= t <= vmax + (vmax - vmin) * 0.08] or [vmin, vmax]
    lo, hi = min(ticks[0], vmin), max(ticks[-1], vmax)
    pad = (hi - lo) * 0.04
    lo, hi = lo - pad, hi + pad
    decimals = 1 if (vmax - vmin) < 20 else 0  # as the PNG's axis (charts.evolution_panels)

    def px(year: int) -> float:
        return x0 + (x1 - x0) * ((years.index(year) + 0.5) / len(years) if len(years) else 0.5)

    def py(v: float) -> float:
        return y1 - (y1 - y0) * (v - lo) / (hi - lo)

    parts = []
    for t in ticks:
        y = _nombre_svg(py(t))
        parts.append(f'<line class="osq-grille" x1="{_nombre_svg(x0)}" x2="{_nombre_svg(x1)}" y1="{y}" y2="{y}"/>'
                     f'<text class="osq-axe" x="{_nombre_svg(x0 - 6)}" y="{y}" text-anchor="end" '
                     f'dominant-baseline="middle">{esc(fr.nombre(t, decimals))}</text>')
    for year in years:
        parts.append(f'<text class="osq-axe" x="{_nombre_svg(px(year))}" y="{_nombre_svg(y1 + 18)}" '
                     f'text-anchor="middle">{year}</text>')
    lignes, points = [], []
    for terr in order:
        for run in _segments(evo, terr):
            if len(run) > 1:
                pts = " ".join(f"{_nombre_svg(px(int(r['annee'])))},{_nombre_svg(py(float(r['valeur'])))}" for r in run)
                lignes.append(f'<polyline points="{pts}" fill="none" stroke="{colours[terr]}" stroke-width="2.2"/>')
            for r in run:
                texte = f"{terr}, {int(r['annee'])} : {fr.valeur_observation(r, ind)}"
                points.append(f'<circle class="osq-point" cx="{_nombre_svg(px(int(r["annee"])))}" '
                              f'cy="{_nombre_svg(py(float(r["valeur"])))}" r="4.5" fill="{colours[terr]}" '
                              f'tabindex="0" role="img"{_attrs(aria_label=texte, data_osq_info=texte)}>'
                              f"<title>{esc(texte)}</title></circle>")
    return (f'<div class="osq-panneau"><p class="osq-panneau-titre">{esc(titre_panneau)}</p>'
            f'<svg class="osq-svg" viewBox="0 0 {_nombre_svg(PANNEAU_L)} {_nombre_svg(PANNEAU_H)}" role="group" '
            f'aria-label="{esc(titre_panneau)}">{"".join(parts)}{"".join(lignes)}{"".join(points)}</svg></div>')


def annees_sans_valeur(panneaux: Sequence[tuple[Indicateur, pd.DataFrame]]) -> list[str]:
    """« indicator, territory : nd 2017, secret 2015 » for each series with missing years (not drawn): the
    caption of the PNG (charts.evolution_panels) and the note under the interactive chart."""
    order = list(dict.fromkeys(t for _, evo in panneaux for t in evo["territoire"]))
    missing = []
    for ind, evo in panneaux:
        # Plain lists: a few rows per territory, read a handful of times per note.
        lignes = list(zip(evo["territoire"].tolist(), evo["statut"].tolist(), evo["annee"].tolist()))
        for terr in order:
            siennes = [(statut, annee) for t, statut, annee in lignes if t == terr]
            part = [(statut, annee) for statut, annee in siennes if statut != "ok"]
            if len(part) == len(siennes) and len(part):
                missing.append(f"{ind.libelle}, {terr} : non publié")
            elif len(part):
                secret = [annee for statut, annee in part if statut == "secret"]
                absent = [annee for statut, annee in part if statut != "secret"]
                bits = ([f"nd {fr.annees(absent)}"] if absent else []) + ([f"secret {fr.annees(secret)}"] if secret else [])
                missing.append(f"{ind.libelle}, {terr} : {', '.join(bits)}")
    return missing


def courbes_svg(panneaux: Sequence[tuple[Indicateur, pd.DataFrame]], *, titre: str, ident: str,
                donnees_href: str | None = None, source: str | None = None) -> str:
    """The interactive evolution chart (the data of charts.evolution_panels): one SVG panel per indicator
    (own scale, side by side, wrapping on narrow screens), one colour per territory, missing or secret years
    not drawn and never bridged, every point focusable with its territory, year and value as the note's table
    prints it. The « Données » link goes to `donnees_href` (the note's table of the chart's figures), else to a
    table under the chart."""
    order = list(dict.fromkeys(t for _, evo in panneaux for t in evo["territoire"]))
    colours = {terr: OKABE_ITO[i % len(OKABE_ITO)] for i, terr in enumerate(order)}
    panels = "".join(_panneau_svg(ind, evo, order, colours, titre_legende(ind)) for ind, evo in panneaux)
    legende = "".join(f'<li><span class="osq-pastille osq-pastille-ligne" style="background:{colours[t]}" '
                      f'aria-hidden="true"></span>{esc(t)}</li>' for t in order)
    missing = annees_sans_valeur(panneaux)
    note = (f'<p class="osq-note">Sans valeur publiée (non tracé) : {esc(" ; ".join(missing))}</p>' if missing else "")
    out = (f'<div class="osq-interactif osq-courbes" id="{esc(ident)}">'
           f'<p class="osq-figure-titre">{esc(titre)}</p>'
           f'<div class="osq-panneaux">{panels}</div>'
           f'<div class="osq-legende"><ul>{legende}</ul></div>{note}'
           + (f'<p class="osq-source">{esc(source)}</p>' if source else ""))
    if donnees_href:
        return out + _lien_donnees(ident, "Données du graphique", donnees_href) + "</div>"
    years = sorted({int(y) for _, evo in panneaux for y in evo.loc[evo["statut"] == "ok", "annee"]})
    head = "".join(f'<th scope="col">{y}</th>' for y in years)
    rows = []
    for ind, evo in panneaux:
        for terr in order:
            by_year = {int(r["annee"]): r for r in evo[evo["territoire"] == terr].to_dict("records")}
            if not by_year:
                continue
            cells = "".join(f"<td>{esc(fr.valeur_observation(by_year[y], ind) if y in by_year else fr.MARQUE_ABSENT)}</td>"
                            for y in years)
            rows.append(f'<tr><th scope="row">{esc(titre_legende(ind))}, {esc(terr)}</th>{cells}</tr>')
    table = (f'<table class="osq-table-donnees"><caption>{esc(titre)}</caption><thead><tr>'
             f'<th scope="col">Indicateur, territoire</th>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'
             f'<p class="osq-note">{esc(fr.LEGENDE_MARQUES)}</p>')
    return (out + _lien_donnees(ident, "Données du graphique")
            + _details(ident, "Données du graphique (tableau)", table) + "</div>")


# --- Links to other notes -------------------------------------------------------------------------------

_PLACEHOLDER = re.compile(r'<a data-osq-note="(?P<cible>[^"]*)"(?P<reste>[^>]*)>(?P<corps>.*?)</a>', re.S)


def resoudre_liens(texte: str, notes: Mapping[str, str]) -> str:
    """Link placeholders (`data-osq-note="niveau:code"`) → links to the notes the site publishes
    (`notes`: "niveau:code" → href); a zone whose note is not published stays focusable, without link;
    a name in a data table becomes plain text."""
    if "data-osq-note=" not in texte:
        return texte

    def remplace(m: re.Match) -> str:
        href = notes.get(html.unescape(m.group("cible")))
        reste, corps = m.group("reste"), m.group("corps")
        if href is not None:
            return f'<a href="{esc(href)}"{reste}>{corps}</a>'
        if "data-osq-info=" in reste:
            return f'<g tabindex="0" role="img"{reste}>{corps}</g>'
        return f"<span{reste}>{corps}</span>"

    return _PLACEHOLDER.sub(remplace, texte)
