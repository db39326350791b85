"""great-tables tables in French, with secret / missing marks and their legend."""

from __future__ import annotations

import hashlib

import pandas as pd
from great_tables import GT, html

from osq_utils.indicateurs import Glossaire
from osq_utils.present import fr


def _stable_id(text: str) -> str:
    """A deterministic table id (great-tables draws a random one): identical reruns give identical HTML."""
    return "osq-" + hashlib.sha1(text.encode()).hexdigest()[:10]


def comparison_table(comp: pd.DataFrame, glossaire: Glossaire, *, titre: str, source_note: str,
                     glossaire_href: str | None = None, par_theme: bool = False) -> GT:
    """Indicators in rows, territories in columns, values formatted in French.

    comp is the output of indicateurs.comparison(); with par_theme, rows are grouped
    under their glossary theme.
    """
    territories = list(dict.fromkeys(comp["territoire"]))
    rows = []
    for ind_code, part in comp.groupby("indicateur", sort=False):
        ind = glossaire[ind_code]
        label = ind.libelle
        if glossaire_href:
            label = f"[{label}]({glossaire_href}#{ind.code})"
        row = {"Thème": glossaire.themes.get(ind.theme, ind.theme), "Indicateur": label, "Année": str(int(part["annee"].iloc[0])) if pd.notna(part["annee"].iloc[0]) else fr.MARQUE_ABSENT}
        for _, r in part.iterrows():
            text = fr.valeur(r["valeur"], ind.unite, ind.decimales, r["statut"])
            if r.get("estime") and r["statut"] == "ok":
                text += "\u00a0(e)"
            row[r["territoire"]] = text
        rows.append(row)
    df = pd.DataFrame(rows, columns=["Thème", "Indicateur", "Année", *territories])
    if not par_theme:
        df = df.drop(columns="Thème")
    notes = [source_note, fr.LEGENDE_MARQUES]
    if comp.get("estime", pd.Series(dtype=bool)).fillna(False).any():
        notes.append("« (e) » : valeur estimée (IRIS peu peuplés absents de la source, ou commune issue d'une défusion).")
    gt = (
        GT(df, id=_stable_id(titre), groupname_col="Thème" if par_theme else None)
        .tab_header(title=titre)
        .fmt_markdown(columns="Indicateur")
        .cols_align(align="right", columns=[c for c in df.columns if c not in ("Indicateur", "Thème")])
        .cols_align(align="left", columns="Indicateur")
        .opt_table_font(font=["system-ui", "Segoe UI", "Roboto", "Helvetica", "Arial", "sans-serif"])
    )
    for note in notes:
        gt = gt.tab_source_note(html(note) if note.startswith("<") else note)
    return gt



# --- EPCI notes: communes side by side and rankings ------------------------------------

LEGENDE_RANG = (f"Rang : 1 = valeur la plus élevée, parmi les communes dont la valeur est publiée ; "
                f"« {fr.MARQUE_SANS_OBJET} » : non classée (valeur au secret, non disponible, ou intercommunalité).")
# Above this many communes the side-by-side table scrolls inside a fixed-height box: the
# reader keeps the page's thread (rankings, maps) and the whole table stays one scroll away.
LIGNES_SANS_DEFILEMENT = 30


def _valeur_cote(r, ind) -> str:
    text = fr.valeur(r["valeur"], ind.unite, ind.decimales, r["statut"])
    if r.get("estime") and r["statut"] == "ok":
        text += "\u00a0(e)"
    return text


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
    from great_tables import loc, md, style

    inds = list(dict.fromkeys(cote["indicateur"]))
    head = cote[cote["niveau"] == "epci"].drop_duplicates("code")["code"].tolist()
    codes = head + (ordre or cote[cote["niveau"] == "commune"].drop_duplicates("code")["code"].tolist())
    names = cote.drop_duplicates("code").set_index("code")["territoire"]
    df = pd.DataFrame({"Territoire": [names[c] for c in codes]})
    by = cote.set_index(["indicateur", "code"])
    for code in inds:
        ind = glossaire[code]
        rows = by.loc[code].reindex(codes)
        df[f"{code}__v"] = [_valeur_cote(r, ind) for _, r in rows.iterrows()]
        df[f"{code}__r"] = [_rang_text(x) for x in rows["rang"]]
    notes = [source_note, fr.LEGENDE_MARQUES, LEGENDE_RANG]
    if cote["estime"].fillna(False).any():
        notes.append("« (e) » : valeur estimée (IRIS peu peuplés absents de la source).")
    gt = (
        GT(df, id=_stable_id(titre))
        .tab_header(title=titre)
        .cols_align(align="right", columns=[c for c in df.columns if c != "Territoire"])
        .tab_style(style=style.text(weight="bold"), locations=loc.body(rows=list(range(len(head)))))
        .opt_table_font(font=["system-ui", "Segoe UI", "Roboto", "Helvetica", "Arial", "sans-serif"])
    )
    for code in inds:
        annee = cote.loc[cote["indicateur"] == code, "annee"].iloc[0]
        gt = gt.tab_spanner(label=md(_libelle_indicateur(glossaire[code], annee, glossaire_href)),
                            columns=[f"{code}__v", f"{code}__r"])
        gt = gt.cols_label(**{f"{code}__v": "Valeur", f"{code}__r": "Rang"})
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
    from great_tables import loc, md, style

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
        rows += [{"Rang": _rang_text(r["rang"]), "Commune": r["territoire"], "Valeur": _valeur_cote(r, ind)}
                 for _, r in block.iterrows()]
    ref = part[part["niveau"] == "epci"].iloc[0]
    rows.append({"Rang": fr.MARQUE_SANS_OBJET, "Commune": f"Ensemble : {ref['territoire']}", "Valeur": _valeur_cote(ref, ind)})
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
        GT(df, id=_stable_id(titre + indicateur))
        .tab_header(title=titre)
        .cols_label(Valeur="Valeur")
        .cols_align(align="right", columns=["Rang", "Valeur"])
        .tab_style(style=style.text(weight="bold"), locations=loc.body(rows=[len(df) - 1]))
        .opt_table_font(font=["system-ui", "Segoe UI", "Roboto", "Helvetica", "Arial", "sans-serif"])
    )
    gt = gt.tab_spanner(label=md(label), columns=["Rang", "Commune", "Valeur"])
    for note in notes:
        gt = gt.tab_source_note(note)
    return gt


def texte_departements(deps: list, epci) -> str:
    """A French sentence on the EPCI's département(s) (agglomeration.departements_of_epci)."""
    if not deps:
        return f"Le département de {epci.libelle} n'est pas connu de la base : la note le compare à la France seule."
    if len(deps) == 1:
        return (f"Toutes les communes de l'intercommunalité sont dans le même département, {deps[0].libelle} "
                f"({deps[0].code}), qui sert de référence avec la France métropolitaine.")
    poids = {"population": "de la population municipale", "nb_personnes_menages_fiscaux":
             "des personnes des ménages fiscaux", "communes": "des communes"}[deps[0].poids]
    detail = " ; ".join(f"{d.libelle} ({d.code}) : {fr.pourcent(d.part * 100, 0)}" for d in deps)
    return (f"{epci.libelle} s'étend sur {len(deps)} départements (part {poids} : {detail}). "
            f"Le département de référence de cette note est {deps[0].libelle}, qui en regroupe la plus grande part.")


def _communes(n: int, pluriel: str = "sont", singulier: str = "est") -> str:
    return f"{n} commune {singulier}" if n <= 1 else f"{n} communes {pluriel}"


def texte_classement(resume: dict, ind, glossaire_href: str | None = None) -> str:
    """Plain-French sentences on a ranking (agglomeration.resume_classement)."""
    label = f"[{ind.libelle}]({glossaire_href}#{ind.code})" if glossaire_href else ind.libelle
    annee = resume["annee"]
    if not resume["classees"]:
        return f"{label} : aucune valeur communale publiée, donc pas de classement.\n"
    haut, bas, ref = resume["haut"], resume["bas"], resume["epci"]

    def v(r):
        return fr.valeur(r["valeur"], ind.unite, ind.decimales, r["statut"])

    text = (f"{label} en {annee} : de {v(bas)} ({bas['territoire']}) à {v(haut)} ({haut['territoire']}), "
            f"{resume['classees']} communes classées.")
    if ref["statut"] == "ok":
        from osq_utils.indicateurs import DERIVED_SOURCE

        how = ("somme de ses communes" if ref["source"] == DERIVED_SOURCE
               else "valeur publiée pour l'intercommunalité elle-même, jamais une moyenne de communes")
        text += (f" Ensemble de l'intercommunalité : {v(ref)} ({how}). "
                 f"{_communes(resume['au_dessus'])} au-dessus de cette valeur.")
    else:
        text += " Cette valeur n'est pas disponible pour l'intercommunalité elle-même cette année-là."
    hidden = resume["secret"] + resume["absent"]
    if hidden:
        text += (f" {_communes(hidden, 'ne sont pas classées', 'n’est pas classée')} (valeur au secret statistique "
                 "ou non disponible, jamais comptée comme nulle).")
    return text + "\n"
