"""The home page's picture of the territory: its key figures and a map of its communes (and quartiers
prioritaires) where each area links to its note and shows its value on hover or focus.

Read through the profile's masked view, like the notes: a masked figure reads « secret statistique » and is
hatched, never a value. The map and its table (the keyboard and screen-reader equivalent) come from
present.interactif; the key figures are the EPCI note's (present.blocs.chiffres_cles).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd

from osq_utils import territoires
from osq_utils.batch.execute import JobResult
from osq_utils.batch.plan import Plan
from osq_utils.indicateurs import Territoire
from osq_utils.notes import epci as agglomeration
from osq_utils.present import blocs, fr, interactif, maps


def territoire_principal(vue, plan: Plan) -> list[Territoire]:
    """The observatory's territory and its references, for the key figures: its intercommunality when it
    publishes one EPCI note, else the one département of its communes (with France), else nothing."""
    epcis = list(dict.fromkeys(j.code for j in plan.jobs if j.niveau == "epci"))
    if len(epcis) == 1:
        return agglomeration.references_of_epci(vue, epcis[0])
    communes = {j.code for j in plan.jobs if j.niveau == "commune"}
    deps = set(territoires.parents(vue, "commune", sorted(communes), "departement").values()) - {None}
    if len(deps) == 1:
        dep = str(deps.pop())
        refs = [Territoire("departement", dep, territoires.libelle(vue, "departement", dep) or dep,
                           article=territoires.article(vue, "departement", dep))]
        if not territoires.est_outre_mer("departement", dep):
            refs.append(Territoire("france", territoires.FRANCE, "France métropolitaine"))
        return refs
    return agglomeration.references_of_epci(vue, epcis[0]) if epcis else []


def _derniere_annee(obs: pd.DataFrame) -> pd.DataFrame:
    """One year for the whole map: the latest with a published value, else the latest."""
    if obs.empty:
        return obs
    ok = obs["statut"] == "ok"
    year = obs.loc[ok, "annee"].max() if ok.any() else obs["annee"].max()
    return obs[obs["annee"] == year]


COMMUNES_MAX_CARTE = 400  # beyond, the home map shows the intercommunalities, each leading to its communes


def carte(ctx: blocs.Contexte, plan: Plan, results: list[JobResult], note_href: Callable[[JobResult], str]) -> str:
    """The home page's map section (markdown): the observatory's communes coloured by its headline indicator,
    its QPVs on top; for a région (more than COMMUNES_MAX_CARTE communes), its intercommunalities instead."""
    publies = [r for r in results if r.statut != "échec"]
    liens: dict[tuple[str, str], str] = {}
    for r in publies:  # the first note of a territory is its link (the commune note before an ABS)
        liens.setdefault((r.job.niveau, r.job.code), note_href(r))
    # The communes with a note, and every commune of an intercommunality with a note: the map shows the
    # whole territory, an area without a note of its own has no link.
    epcis = sorted({c for n, c in liens if n == "epci"})
    communes = sorted({c for n, c in liens if n == "commune"}
                      | {c for e in epcis for c in territoires.communes_of(ctx.vue, "epci", e)})
    if not communes:
        return ""
    ind = ctx.glossaire[plan.indicateur_accueil]
    par_epci = len(communes) > COMMUNES_MAX_CARTE and bool(epcis)
    gdf = maps.load_geometries(ctx.vue, "commune", communes)
    if gdf.empty:
        return ("## Carte des communes {#carte}\n\nLes contours des communes de l'observatoire ne figurent pas dans "
                "les sources du projet : pas de carte.\n")
    if par_epci:
        niveau, codes, quoi = "epci", epcis, "intercommunalités"
        appartenance = territoires.parents(ctx.vue, "commune", communes, "epci")
        gdf = gdf.assign(code=gdf["code"].map(appartenance))  # each commune becomes its intercommunality
        gdf = gdf[gdf["code"].isin(epcis)].dissolve(by="code", as_index=False)[["code", "geometry"]]
        libelles = territoires.libelles(ctx.vue, "epci", epcis)
        gdf["libelle"] = gdf["code"].map(libelles)
    else:
        niveau, codes, quoi = "commune", communes, "communes"
        libelles = dict(zip(gdf["code"], gdf["libelle"]))
        libelles.update(territoires.libelles(ctx.vue, "commune", communes))
    obs = _derniere_annee(ctx.vue.observations(niveau, codes, [ind.code]))
    year = int(obs["annee"].max()) if len(obs) else None
    superpositions = _quartiers(ctx, ind, liens)
    titre = f"{ind.libelle}{f' en {year}' if year is not None else ''}, {quoi} de l'observatoire"
    source = blocs.source_note(ctx.catalogue, obs, extra=[f"{blocs.citation(ctx.catalogue, maps.CONTOURS_COMMUNES)} "
                                                          "2018 (contours)"])
    figure = interactif.carte_choroplethe(
        gdf, obs, ind, libelles=libelles, liens={c: liens[(niveau, c)] for c in codes if (niveau, c) in liens},
        titre=titre, ident="carte-accueil", superpositions=superpositions, source=source, couche=niveau,
        legende_superpositions=[(maps.QPV_FILL, "Quartier prioritaire", False)] if superpositions else ())
    if par_epci:
        lecture = (f"Survolez une intercommunalité ou atteignez-la avec la touche Tab pour lire son "
                   f"{fr.minuscule(ind.libelle)} ; cliquez dessus pour ouvrir sa note, dont la carte mène à la note "
                   "de chacune de ses communes.")
    else:
        lecture = (f"Survolez une commune ou atteignez-la avec la touche Tab pour lire son "
                   f"{fr.minuscule(ind.libelle)} ; cliquez sur une commune qui a sa note pour l'ouvrir.")
    lecture += " Les quartiers prioritaires sont en orange." if superpositions else ""
    return "\n".join([f"## Carte des {quoi} {{#carte}}", "", lecture, "", "```{=html}", figure, "```", ""])


def _quartiers(ctx: blocs.Contexte, ind, liens: dict[tuple[str, str], str]) -> list[interactif.Zone]:
    """The QPVs with a note, drawn over the home map (orange), each with its value and link."""
    qpvs = sorted({c for n, c in liens if n == "qpv"})
    if not qpvs:
        return []
    contours = maps.load_geometries(ctx.vue, "qpv", qpvs)
    noms = territoires.libelles(ctx.vue, "qpv", qpvs)
    valeurs = _derniere_annee(ctx.vue.observations("qpv", qpvs, [ind.code]))
    zones = []
    for row in contours.itertuples():
        part = valeurs[valeurs["code"] == row.code]
        nom = noms.get(row.code) or row.libelle
        texte = f"{nom} (quartier prioritaire)"
        if len(part):
            texte += f" : {fr.valeur_observation(part.iloc[0], ind)}"
        zones.append(interactif.Zone(code=row.code, libelle=f"{nom} (quartier prioritaire)", geometrie=row.geometry,
                                     texte=texte, couleur=maps.QPV_FILL, lien=liens.get(("qpv", row.code)),
                                     couche="qpv"))
    return zones


def accueil_markdown(plan: Plan, results: list[JobResult], store_file: Path, ledger: Path | None, profil: str,
                     note_href: Callable[[JobResult], str]) -> str:
    """The territory's key figures and its map, read through the profile's masked view; markdown."""
    ctx = blocs.contexte(store_file, glossaire_href="glossaire.html", profil=profil, masques=ledger)
    try:
        refs = territoire_principal(ctx.vue, plan)
        parts = []
        if refs:
            parts += [f"## {refs[0].libelle} en chiffres clés {{#chiffres-cles}}", "",
                      blocs.chiffres_cles(ctx, refs, agglomeration.CHIFFRES_CLES), ""]
        parts.append(carte(ctx, plan, results, note_href))
        return "\n".join(parts)
    finally:
        ctx.close()

