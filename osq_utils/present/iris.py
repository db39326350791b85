"""Presentation of an ABS note: IRIS map or table, and the comparison table with the population stratum.

IRIS contours exist in the store for CAPSO, the Loire and Val-de-Marne; elsewhere, or for a
commune with a single IRIS, the note shows a table by IRIS or a sentence instead of a map.
"""

from __future__ import annotations

import pandas as pd
from great_tables import GT

from osq_utils import abs as abs_mod
from osq_utils.abs import AgregatStrate
from osq_utils.indicateurs import Glossaire, Territoire
from osq_utils.present import fr
from osq_utils.present.images import figure_png
from osq_utils.present.maps import choropleth, load_geometries
from osq_utils.present.tables import _stable_id

LEGENDE_SANS_OBJET = f"« {fr.MARQUE_SANS_OBJET} » : non calculable pour la strate (raison sous le tableau)."
FONT = ["system-ui", "Segoe UI", "Roboto", "Helvetica", "Arial", "sans-serif"]


def tableau_comparaison(comp: pd.DataFrame, agregats: list[AgregatStrate], glossaire: Glossaire, *, titre: str,
                        source_note: str, glossaire_href: str | None = None) -> GT:
    """Indicators in rows; the commune, its reference territories and its stratum in columns (French figures)."""
    territories = list(dict.fromkeys(comp["territoire"]))
    by_code = {a.indicateur: a for a in agregats}
    strate_col = f"Moyenne nationale, {agregats[0].strate.libelle}" if agregats else None
    rows = []
    for code, part in comp.groupby("indicateur", sort=False):
        ind = glossaire[code]
        label = f"[{ind.libelle}]({glossaire_href}#{ind.code})" if glossaire_href else ind.libelle
        annee = part["annee"].iloc[0]
        row = {"Indicateur": label, "Année": str(int(annee)) if pd.notna(annee) else fr.MARQUE_ABSENT}
        for _, r in part.iterrows():
            text = fr.valeur(r["valeur"], ind.unite, ind.decimales, r["statut"])
            if r.get("estime") and r["statut"] == "ok":
                text += "\u00a0(e)"
            row[r["territoire"]] = text
        if strate_col:
            a = by_code.get(code)
            row[strate_col] = (fr.valeur(a.valeur, ind.unite, ind.decimales) if a is not None and a.statut == "ok"
                               else fr.MARQUE_SANS_OBJET)
        rows.append(row)
    columns = ["Indicateur", "Année", *territories, *([strate_col] if strate_col else [])]
    df = pd.DataFrame(rows, columns=columns)
    notes = [source_note, fr.LEGENDE_MARQUES + (" " + LEGENDE_SANS_OBJET if strate_col else "")]
    if comp.get("estime", pd.Series(dtype=bool)).fillna(False).any():
        notes.append("« (e) » : valeur estimée (IRIS peu peuplés absents de la source, ou commune issue d'une défusion).")
    gt = (
        GT(df, id=_stable_id(titre)).tab_header(title=titre).fmt_markdown(columns="Indicateur")
        .cols_align(align="right", columns=[c for c in columns if c != "Indicateur"])
        .cols_align(align="left", columns="Indicateur").opt_table_font(font=FONT)
    )
    for note in notes:
        gt = gt.tab_source_note(note)
    return gt


def note_strate(agregats: list[AgregatStrate], glossaire: Glossaire, commune: Territoire,
                population: float | None) -> str:
    """How the stratum figures were computed, which are not computable and why, and how many communes were left out."""
    if not agregats:
        return ('::: {.callout-note title="Strate de population"}\n'
                f"Les communes sont classées par taille selon {abs_mod.STRATE_POPULATION_TEXTE}. {commune.libelle} "
                "n'y figure pas : la comparaison avec sa strate n'est pas possible.\n:::\n")
    strate = agregats[0].strate
    lines = ['::: {.callout-note title="Comment lire la moyenne de la strate"}',
             (f"Pour classer toutes les communes de France par taille, la note utilise {abs_mod.STRATE_POPULATION_TEXTE}. "
             f"{commune.libelle} en compte {fr.nombre(population)} : elle appartient à la strate des communes de "
             f"{strate.libelle}, qui regroupe {fr.nombre(agregats[0].communes)} communes de France métropolitaine "
             "(Paris, Lyon et Marseille comptées sans leurs arrondissements). La moyenne nationale de la strate "
             "additionne les numérateurs et les dénominateurs de toutes ces communes (par exemple, toutes les personnes "
             "pauvres divisées par toutes les personnes) : ce n'est jamais une moyenne de taux."), ""]
    left = [a for a in agregats if a.statut == "ok" and a.exclues]
    if left:
        groups: dict[tuple[int, int], list[str]] = {}
        for a in left:
            groups.setdefault((a.exclues, a.communes), []).append(glossaire[a.indicateur].libelle)
        bits = [f"{', '.join(labels)} : {fr.nombre(n)} sur {fr.nombre(total)}" for (n, total), labels in groups.items()]
        lines += ["Communes laissées de côté parce que leur valeur est couverte par le secret statistique ou "
                  "absente de la source : " + " ; ".join(bits) + ".", ""]
    reasons: dict[str, list[str]] = {}
    for a in agregats:
        if a.statut != "ok":
            reasons.setdefault(a.raison or "non calculable", []).append(glossaire[a.indicateur].libelle)
    if reasons:
        lines.append(f"« {fr.MARQUE_SANS_OBJET} » dans la colonne de la strate :")
        lines.append("")
        for reason, labels in reasons.items():
            lines.append(f"- {', '.join(labels)} : {reason}.")
    lines.append(":::")
    return "\n".join(lines) + "\n"


def tableau_iris(df: pd.DataFrame, glossaire: Glossaire, *, titre: str, source_note: str,
                 glossaire_href: str | None = None) -> GT:
    """IRIS in rows, indicators (with their year) in columns, secret and missing marks, never 0."""
    codes = list(dict.fromkeys(df["indicateur"]))
    headers = {}
    for code in codes:
        ind = glossaire[code]
        annee = df.loc[df["indicateur"] == code, "annee"].dropna()
        unit = {"%": " (%)", "€": " (€)"}.get(ind.unite, "")
        headers[code] = f"{ind.libelle}{unit}, {int(annee.iloc[0]) if len(annee) else fr.MARQUE_ABSENT}"
    rows = []
    for (code_iris, libelle), part in df.groupby(["code", "libelle"], sort=False):
        row = {"IRIS": f"{libelle} ({code_iris})"}
        for _, r in part.iterrows():
            ind = glossaire[r["indicateur"]]
            row[headers[r["indicateur"]]] = fr.valeur(r["valeur"], ind.unite, ind.decimales, r["statut"])
        rows.append(row)
    table = pd.DataFrame(rows, columns=["IRIS", *headers.values()])
    gt = (
        GT(table, id=_stable_id(titre)).tab_header(title=titre)
        .cols_align(align="right", columns=list(headers.values())).cols_align(align="left", columns="IRIS")
        .opt_table_font(font=FONT)
    )
    for note in (source_note, fr.LEGENDE_MARQUES):
        gt = gt.tab_source_note(note)
    return gt


def carte_iris(ctx, commune: Territoire, indicateur: str, iris_df: pd.DataFrame | None = None):
    """The commune's IRIS coloured by a rate (latest year with a value), secret IRIS hatched.

    Returns a PNG image, or a French Markdown sentence when the commune has a single IRIS,
    no contours in the store, or no value by IRIS.
    """
    from IPython.display import Markdown

    from osq_utils.present.blocs import citation, source_note

    ind = ctx.glossaire[indicateur]
    if iris_df is None:
        iris_df = abs_mod.tableau_iris(ctx.con, commune.code, [indicateur], ctx.glossaire)
    values = iris_df[iris_df["indicateur"] == indicateur]
    if values["code"].nunique() < 2:
        return Markdown(f"{commune.libelle} n'est pas découpée en plusieurs IRIS (commune de moins de 5 000 habitants "
                        "environ, ou IRIS unique) : ses chiffres sont ceux de la commune, il n'y a pas de carte infra-communale.\n")
    if not (values["statut"] == "ok").any():
        return Markdown(f"{ind.libelle} : aucune valeur n'est publiée par IRIS pour {commune.libelle} dans les sources "
                        "du projet (IRIS absents du fichier du producteur ou couverts par le secret statistique) : "
                        "pas de carte.\n")
    gdf = load_geometries(ctx.con, "iris", list(values["code"]))
    if len(gdf) < 2:
        return Markdown(f"Les contours des IRIS de {commune.libelle} ne figurent pas dans les sources du projet "
                        "(contours IRIS disponibles pour la CA du Pays de Saint-Omer, la Loire et le Val-de-Marne) : "
                        "les valeurs par IRIS sont données dans le tableau ci-dessous.\n")
    annee = int(values["annee"].dropna().iloc[0])
    contours = sorted({citation(ctx.catalogue, s) + f" {m}" for s, m in zip(gdf["source"], gdf["millesime"])})
    note = source_note(ctx.catalogue, values.assign(annee=annee).dropna(subset=["source"]),
                       extra=[f"{c} (contours)" for c in contours])
    missing = sorted(set(values["code"]) - set(gdf["code"]))
    if missing:
        note += f" IRIS sans contour : {', '.join(missing)}."
    fig = choropleth(gdf, values, ind, titre=f"{ind.libelle} par IRIS en {annee}, {commune.libelle}", source_note=note,
                     k=min(5, max(2, int((values["statut"] == "ok").sum()))))
    return figure_png(fig, dpi=110)
