"""great-tables tables in French, with secret / missing marks and their legend."""

from __future__ import annotations

import hashlib

import pandas as pd
from great_tables import GT, _tbl_data, html, loc, md, style

from osq_utils.catalogues.glossaire import Glossaire
from osq_utils.indicateurs import is_subject, lignes_du_territoire, lignes_sans_comparaison
from osq_utils.present import fr
from osq_utils.present.blocs import source_note

FONT = ["system-ui", "Segoe UI", "Roboto", "Helvetica", "Arial", "sans-serif"]
LEGENDE_ESTIME = ("« (e) » : valeur estimée (IRIS peu peuplés absents de la source, commune issue d'une défusion, "
                  "ou strate dont la source ne couvre pas toutes les communes).")
LEGENDE_SANS_OBJET = f"« {fr.MARQUE_SANS_OBJET} » : sans objet pour la strate (un effectif ne se compare pas)."


# Id prefix of the tables of figures without comparison (bench/cases_vides.py counts them apart).
PREFIXE_SANS_COMPARAISON = "osq-sc-"


def identifiant_stable(text: str, prefixe: str = "osq-") -> str:
    """A deterministic table id (great-tables draws a random one): identical reruns give identical HTML."""
    return prefixe + hashlib.sha1(text.encode()).hexdigest()[:10]


# great-tables reads and writes a pandas table one cell at a time, through `iloc`, when it renders: two thirds of
# a commune note's comparison table (about 70 ms). `iat` reads or writes the same one cell, about 4 times
# faster; registered for pandas frames only (tests/unitaires/test_tables.py renders both ways and compares).
LIRE_CELLULE_GT, ECRIRE_CELLULE_GT = _tbl_data._get_cell.dispatch(pd.DataFrame), _tbl_data._set_cell.dispatch(pd.DataFrame)


@_tbl_data._get_cell.register(pd.DataFrame)
def _lire_cellule(data: pd.DataFrame, row: int, col: str):
    position = data.columns.get_loc(col)
    if not isinstance(position, int):  # two columns of that name: great-tables' own error
        return LIRE_CELLULE_GT(data, row, col)
    return data.iat[row, position]


@_tbl_data._set_cell.register(pd.DataFrame)
def _ecrire_cellule(data: pd.DataFrame, row: int, column: str, value) -> None:
    data.iat[row, data.columns.get_loc(column)] = value


def table_gt(data: pd.DataFrame, **options) -> GT:
    """GT(data, **options) whose output frame holds Python strings: great-tables fills it cell by cell, and a
    pyarrow-backed string column (pandas 3's default) is copied whole at every cell (a note's comparison table:
    about 30 ms more per note)."""
    with pd.option_context("mode.string_storage", "python"):
        return GT(data, **options)


def comparison_table(comp: pd.DataFrame, glossaire: Glossaire, *, titre: str, source_note: str,
                     glossaire_href: str | None = None, par_theme: bool = False) -> GT:
    """Indicators in rows, territories in columns, values formatted in French.

    comp is the output of indicateurs.comparison(); with par_theme, rows are grouped under their
    glossary theme. A population stratum (level « strate ») compares rates only: its count cells read
    « - » (sans objet).
    """
    territories = list(dict.fromkeys(comp["territoire"]))
    by_indicator: dict[str, list[dict]] = {}
    for r in comp.to_dict("records"):  # rows read one by one: plain dicts, not pandas rows
        by_indicator.setdefault(r["indicateur"], []).append(r)
    rows = []
    sans_objet = False
    for ind_code, part in by_indicator.items():
        ind = glossaire[ind_code]
        label = ind.libelle
        if glossaire_href:
            label = f"[{label}]({glossaire_href}#{ind.code})"
        annee = part[0]["annee"]
        row = {"Thème": glossaire.themes.get(ind.theme, ind.theme), "Indicateur": label,
               "Année": str(int(annee)) if pd.notna(annee) else fr.MARQUE_ABSENT}
        for r in part:
            if r["niveau"] == "strate" and ind.type == "compte":
                row[r["territoire"]] = fr.MARQUE_SANS_OBJET
                sans_objet = True
            else:
                row[r["territoire"]] = fr.valeur_observation(r, ind)
        rows.append(row)
    df = pd.DataFrame(rows, columns=["Thème", "Indicateur", "Année", *territories])
    if not par_theme:
        df = df.drop(columns="Thème")
    notes = [source_note, fr.LEGENDE_MARQUES + (" " + LEGENDE_SANS_OBJET if sans_objet else "")]
    if comp.get("estime", pd.Series(dtype=bool)).fillna(False).any():
        notes.append(LEGENDE_ESTIME)
    gt = (
        table_gt(df, id=identifiant_stable(titre), groupname_col="Thème" if par_theme else None)
        .tab_header(title=titre)
        .fmt_markdown(columns="Indicateur")
        .cols_align(align="right", columns=[c for c in df.columns if c not in ("Indicateur", "Thème")])
        .cols_align(align="left", columns="Indicateur")
        .opt_table_font(font=FONT)
    )
    for note in notes:
        gt = gt.tab_source_note(html(note) if note.startswith("<") else note)
    return gt



def tableau_comparaison(ctx, comp: pd.DataFrame, *, titre: str, par_theme: bool = False) -> GT:
    """The comparison block of a note: comparison_table() with the note's glossary links and the
    sources of the figures it shows.

    Only rows that compare something are kept. An indicator the note's territory (the first one of comp) does
    not have is left out (a row of marks compares nothing): blocs.manquants lists it below, with the reason. A
    secret figure stays when another territory has the figure. A figure no reference has at that year is in
    tableau_sans_comparaison, with the reason said once per group."""
    comp = lignes_du_territoire(comp)
    return comparison_table(comp, ctx.glossaire, titre=titre, source_note=source_note(ctx.catalogue, comp),
                            glossaire_href=ctx.glossaire_href, par_theme=par_theme)


def _pourquoi(rows: pd.DataFrame, ind) -> str:
    """Why the references of one indicator have no figure, territory names grouped by reason."""
    by: dict[str, list[str]] = {}
    for _, r in rows.iterrows():
        if r["niveau"] == "strate" and ind.type == "compte":
            key = "sans objet pour la strate (un effectif ne se compare pas)"
        else:
            key = fr.raison(r["statut"], ind.publie_a(r["niveau"]))
        by.setdefault(key, []).append(r["territoire"])
    text = " ; ".join(f"{key} pour {fr.liste(names)}" for key, names in by.items())
    return text[0].upper() + text[1:]


def tableau_sans_comparaison(ctx, comp: pd.DataFrame, *, titre: str | None = None) -> GT | None:
    """The note territory's figures that no reference territory has at the same year, grouped by the reason
    (said once per group, in words); None when every figure is compared."""
    alone = lignes_sans_comparaison(comp)
    if alone.empty:
        return None
    sujet = is_subject(alone)
    nom = alone.loc[sujet, "territoire"].iloc[0]
    rows = []
    for code, part in alone.groupby("indicateur", sort=False):
        ind = ctx.glossaire[code]
        r = part[is_subject(part)].iloc[0]
        label = f"[{ind.libelle}]({ctx.glossaire_href}#{ind.code})" if ctx.glossaire_href else ind.libelle
        rows.append({"Pourquoi": _pourquoi(part[~is_subject(part)], ind), "Indicateur": label,
                     "Année": str(int(r["annee"])), nom: fr.valeur_observation(r, ind)})
    df = pd.DataFrame(rows, columns=["Pourquoi", "Indicateur", "Année", nom])
    titre = titre or f"{nom} : chiffres sans comparaison dans les sources de l'observatoire"
    gt = (
        table_gt(df, id=identifiant_stable(titre, PREFIXE_SANS_COMPARAISON), groupname_col="Pourquoi")
        .tab_header(title=titre, subtitle=("Aucun territoire de référence n'a ces chiffres pour la même année ; "
                                           "chaque groupe dit pourquoi."))
        .fmt_markdown(columns="Indicateur")
        .cols_align(align="right", columns=["Année", nom])
        .cols_align(align="left", columns="Indicateur")
        .tab_style(style=style.text(style="italic"), locations=loc.row_groups())
        .opt_table_font(font=FONT)
    )
    notes = [source_note(ctx.catalogue, alone[sujet])]
    if alone.loc[sujet, "estime"].fillna(False).any():
        notes.append(LEGENDE_ESTIME)
    for note in notes:
        gt = gt.tab_source_note(note)
    return gt


# --- EPCI notes: communes side by side and rankings ------------------------------------

LEGENDE_RANG = (f"Rang : 1 = valeur la plus élevée, parmi les communes dont la valeur est publiée ; "
                f"« {fr.MARQUE_SANS_OBJET} » : non classée (valeur au secret, non disponible, ou intercommunalité).")
# Above this many communes the side-by-side table scrolls inside a fixed-height box: the
# reader keeps the page's thread (rankings, maps) and the whole table stays one scroll away.
LIGNES_SANS_DEFILEMENT = 30




def _rang_text(x) -> str:
    return fr.MARQUE_SANS_OBJET if pd.isna(x) else str(int(x))


def _libelle_indicateur(ind, annee, glossaire_href: str | None) -> str:
    label = f"[{ind.libelle}]({glossaire_href}#{ind.code})" if glossaire_href else ind.libelle
    return f"{label} ({annee if pd.notna(annee) else fr.MARQUE_ABSENT})"


def cote_a_cote_table(cote: pd.DataFrame, glossaire: Glossaire, *, titre: str, source_note: str,
                      ordre: list[str] | None = None, glossaire_href: str | None = None) -> GT:
    """Every commune in a row (EPCI first, in bold), for each indicator its value and its rank.

    cote is agglomeration.communes_cote_a_cote(); `ordre` the commune codes in display order
    (agglomeration.ordre_population). Each indicator's year is in its column header.
    """
    inds = list(dict.fromkeys(cote["indicateur"]))
    head = cote[cote["niveau"] == "epci"].drop_duplicates("code")["code"].tolist()
    codes = head + (ordre or cote[cote["niveau"] == "commune"].drop_duplicates("code")["code"].tolist())
    names = cote.drop_duplicates("code").set_index("code")["territoire"]
    df = pd.DataFrame({"Territoire": [names[c] for c in codes]})
    by = cote.set_index(["indicateur", "code"])
    for code in inds:
        ind = glossaire[code]
        rows = by.loc[code].reindex(codes)
        df[f"{code}__v"] = [fr.valeur_observation(r, ind) for _, r in rows.iterrows()]
        df[f"{code}__r"] = [_rang_text(x) for x in rows["rang"]]
    notes = [source_note, fr.LEGENDE_MARQUES, LEGENDE_RANG]
    if cote["estime"].fillna(False).any():
        notes.append("« (e) » : valeur estimée (IRIS peu peuplés absents de la source).")
    gt = (
        table_gt(df, id=identifiant_stable(titre))
        .tab_header(title=titre)
        .cols_align(align="right", columns=[c for c in df.columns if c != "Territoire"])
        .tab_style(style=style.text(weight="bold"), locations=loc.body(rows=list(range(len(head)))))
        .opt_table_font(font=FONT)
    )
    for code in inds:
        annee = cote.loc[cote["indicateur"] == code, "annee"].iloc[0]
        gt = gt.tab_spanner(label=md(_libelle_indicateur(glossaire[code], annee, glossaire_href)),
                            columns=[f"{code}__v", f"{code}__r"])
        gt = gt.cols_label(cases={f"{code}__v": "Valeur", f"{code}__r": "Rang"})
    if len(df) > LIGNES_SANS_DEFILEMENT:
        gt = gt.tab_options(container_height="36rem", container_overflow_y="auto")
    for note in notes:
        gt = gt.tab_source_note(note)
    return gt


def classement_table(cote: pd.DataFrame, indicateur: str, glossaire: Glossaire, *, titre: str, source_note: str,
                     n: int = 10, glossaire_href: str | None = None) -> GT:
    """One indicator's ranking: the n highest and n lowest communes (all when 2n or fewer), then the EPCI.

    Communes without a published value are not ranked; their count is given under the table.
    """
    ind = glossaire[indicateur]
    part = cote[cote["indicateur"] == indicateur]
    com = part[part["niveau"] == "commune"]
    ranked = com[com["rang"].notna()].sort_values(["rang", "territoire"])
    if len(ranked) > 2 * n:
        shown = [ranked.head(n), None, ranked.tail(n)]
    else:
        shown = [ranked]
    rows = []
    for block in shown:
        if block is None:
            rows.append({"Rang": "…", "Commune": f"{len(ranked) - 2 * n} autres communes classées", "Valeur": "…"})
            continue
        rows += [{"Rang": _rang_text(r["rang"]), "Commune": r["territoire"], "Valeur": fr.valeur_observation(r, ind)}
                 for _, r in block.iterrows()]
    ref = part[part["niveau"] == "epci"].iloc[0]
    rows.append({"Rang": fr.MARQUE_SANS_OBJET, "Commune": f"Ensemble : {ref['territoire']}", "Valeur": fr.valeur_observation(ref, ind)})
    df = pd.DataFrame(rows, columns=["Rang", "Commune", "Valeur"])
    annee = part["annee"].iloc[0]
    label = _libelle_indicateur(ind, annee, glossaire_href)
    secret, absent = int((com["statut"] == "secret").sum()), int((com["statut"] == "absent").sum())
    notes = [source_note]
    if secret or absent:
        bits = ([f"{secret} au secret statistique (« {fr.MARQUE_SECRET} »)"] if secret else []) + \
               ([f"{absent} sans valeur disponible (« {fr.MARQUE_ABSENT} »)"] if absent else [])
        notes.append(f"Communes non classées : {' et '.join(bits)} ; leur valeur n'est jamais comptée comme nulle.")
    notes.append(f"Rang : 1 = valeur la plus élevée, parmi les {len(ranked)} communes classées sur {len(com)}.")
    gt = (
        table_gt(df, id=identifiant_stable(titre + indicateur))
        .tab_header(title=titre)
        .cols_label(Valeur="Valeur")
        .cols_align(align="right", columns=["Rang", "Valeur"])
        .tab_style(style=style.text(weight="bold"), locations=loc.body(rows=[len(df) - 1]))
        .opt_table_font(font=FONT)
    )
    gt = gt.tab_spanner(label=md(label), columns=["Rang", "Commune", "Valeur"])
    for note in notes:
        gt = gt.tab_source_note(note)
    return gt


# --- ABS notes: values by IRIS ---------------------------------------------------------------


def tableau_iris(df: pd.DataFrame, glossaire: Glossaire, *, titre: str, source_note: str,
                 glossaire_href: str | None = None, entete: str = "IRIS") -> GT:
    """IRIS (or a zone's parts, `entete` naming them) in rows, indicators (with their year) in columns, secret and
    missing marks, never 0."""
    codes = list(dict.fromkeys(df["indicateur"]))
    headers = {}
    for code in codes:
        ind = glossaire[code]
        annee = df.loc[df["indicateur"] == code, "annee"].dropna()
        unit = {"%": " (%)", "€": " (€)"}.get(ind.unite, "")
        headers[code] = f"{ind.libelle}{unit}, {int(annee.iloc[0]) if len(annee) else fr.MARQUE_ABSENT}"
    rows = []
    for (code_iris, libelle), part in df.groupby(["code", "libelle"], sort=False):
        row = {entete: f"{libelle} ({code_iris})"}
        for _, r in part.iterrows():
            ind = glossaire[r["indicateur"]]
            row[headers[r["indicateur"]]] = fr.valeur_observation(r, ind)
        rows.append(row)
    table = pd.DataFrame(rows, columns=[entete, *headers.values()])
    gt = (
        table_gt(table, id=identifiant_stable(titre)).tab_header(title=titre)
        .cols_align(align="right", columns=list(headers.values())).cols_align(align="left", columns=entete)
        .opt_table_font(font=FONT)
    )
    for note in (source_note, fr.LEGENDE_MARQUES):
        gt = gt.tab_source_note(note)
    return gt


# --- Evaluation notes: gaps by year ---------------------------------------------------------------


def tableau_ecarts(cells: pd.DataFrame, *, titre: str, source_note: str) -> GT:
    """Gaps by year (already formatted cells: Quartier, Indicateur, one column per year, Évolution) as a
    great-tables table with its source and the legend of the marks."""
    gt = (
        table_gt(cells, id=identifiant_stable(titre))
        .tab_header(title=titre)
        .fmt_markdown(columns="Indicateur")
        .cols_align(align="left", columns=["Quartier", "Indicateur", "Évolution"])
        .cols_align(align="right", columns=[c for c in cells.columns if c not in ("Quartier", "Indicateur", "Évolution")])
        .opt_table_font(font=FONT)
    )
    legende = (fr.LEGENDE_MARQUES + f" « {fr.MARQUE_SANS_OBJET} » : année hors de la série publiée pour cet "
               "indicateur. Écart en points : taux du quartier moins taux de l'agglomération. Rapport : chiffre du "
               "quartier divisé par celui de l'agglomération (× 0,62 : le quartier est à 62 % du niveau de "
               "l'agglomération).")
    for note in (source_note, legende):
        gt = gt.tab_source_note(note)
    return gt


# --- The figures an evolution chart draws -------------------------------------------------------------


def tableau_series(panneaux: list, *, titre: str, source_note: str) -> GT:
    """The figures of an evolution chart (panneaux: (indicator, indicateurs.evolution rows) as the chart takes
    them): one row per indicator and territory, one column per year, marks for secret or missing figures, never
    0; the years no territory has are left out."""
    years = sorted({int(y) for _, df in panneaux for y in df.loc[df["statut"] == "ok", "annee"]})
    rows = []
    for ind, df in panneaux:
        unit = {"%": " (%)", "€": " (€)"}.get(ind.unite, "")
        label = f"{ind.libelle}{unit}"
        for terr, part in df.groupby("territoire", sort=False):
            by_year = {int(r["annee"]): r for r in part.to_dict("records")}
            row = {"Indicateur": label, "Territoire": terr}
            for y in years:
                r = by_year.get(y)
                row[str(y)] = fr.valeur_observation(r, ind) if r is not None else fr.marque("absent", ind.publie_a(part["niveau"].iat[0]))
            rows.append(row)
    table = pd.DataFrame(rows, columns=["Indicateur", "Territoire", *map(str, years)])
    gt = (
        table_gt(table, id=identifiant_stable(titre), groupname_col="Indicateur").tab_header(title=titre)
        .cols_align(align="left", columns="Territoire").cols_align(align="right", columns=[str(y) for y in years])
        .opt_table_font(font=FONT)
    )
    for note in (source_note, fr.LEGENDE_MARQUES):
        gt = gt.tab_source_note(note)
    return gt
