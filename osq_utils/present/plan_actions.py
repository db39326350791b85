"""The plan d'actions of an ABS in words: an action card for the ABS notes, and the table of every action.

What the analyst did not declare (partners, calendar, follow-up indicator) is written « à préciser »,
never filled in.
"""

from __future__ import annotations

import pandas as pd
from great_tables import GT

from osq_utils.catalogues.plan_actions import ActionPlan, PlanActions
from osq_utils.present import fr
from osq_utils.present.tables import FONT, identifiant_stable, table_gt
from osq_utils.present.verbatims import markdown_text

A_PRECISER = "à préciser (non déclaré dans le plan)"


def qui(action: ActionPlan, plan: PlanActions) -> str:
    """« Action commune aux 3 CCAS (…) » or « CCAS d'Arques »."""
    if action.commune:
        return f"Action commune aux {len(plan.ccas)} CCAS ({', '.join(plan.ccas.values())})"
    return ", ".join(plan.ccas[c] for c in action.ccas)


def fiche(action: ActionPlan, plan: PlanActions, niveau: int = 3) -> str:
    """One action as markdown: heading, CCAS, enjeux, what it consists of, partners, calendar, follow-up, source."""
    lines = [f"{'#' * niveau} Action {action.numero} : {markdown_text(action.action)}", "", f"*{qui(action, plan)}.*", ""]
    themes = ", ".join(plan.themes.get(t, t) for t in action.themes)
    enjeux = "\n".join(f"    - *{markdown_text(e)}*" for e in action.enjeux)
    lines.append(f"- **Thème{'s' if len(action.themes) > 1 else ''}** : {themes}")
    lines.append(f"- **Enjeu{'x' if len(action.enjeux) > 1 else ''} au{'x' if len(action.enjeux) > 1 else ''}quel"
                 f"{'s' if len(action.enjeux) > 1 else ''} elle répond** :\n{enjeux}")
    if action.detail:
        lines.append("- **En pratique** :\n" + "\n".join(f"    - {markdown_text(d)}" for d in action.detail))
    partenaires = ", ".join(markdown_text(p) for p in action.partenaires) if action.partenaires else A_PRECISER
    lines.append(f"- **Partenaires** : {partenaires}")
    lines.append(f"- **Calendrier** : {markdown_text(action.calendrier) if action.calendrier else A_PRECISER}")
    suivi = markdown_text(action.indicateur_suivi) if action.indicateur_suivi else A_PRECISER
    lines.append(f"- **Indicateur de suivi** : {suivi}")
    if action.source is not None:
        lines += ["", f"Source{fr.NBSP}: {action.source.courte()}."]
    return "\n".join(lines) + "\n"


def section_abs(plan: PlanActions | None, ccas: str, nom_commune: str, theme: str, libelle_theme: str,
                fichier: str = "", page: str = "") -> str:
    """The « Plan d'actions » block of an ABS note: the actions of this CCAS answering this theme's enjeux."""
    if plan is None:
        where = f" dans le fichier `{fichier}`" if fichier else (" dans le fichier nommé par la clé « plan_actions » "
                                                                 "du fichier de paramètres")
        return ('::: {.callout-note title="Plan d\'actions : à construire"}\n'
                "Aucun plan d'actions n'est encore déclaré pour cette analyse des besoins sociaux. Les actions, "
                f"chacune reliée aux enjeux qu'elle sert, s'écrivent{where} (guide « Évaluer un contrat de ville », "
                "partie plan d'actions).\n:::\n")
    lien = f" La [note de synthèse du plan d'actions]({page}) les liste toutes." if page else ""
    if ccas not in plan.ccas:
        return (f"Le CCAS {fr.de_nom(nom_commune)} ne figure pas dans le plan d'actions de l'observatoire "
                f"({', '.join(plan.ccas.values())}).{lien}\n")
    nom = plan.ccas[ccas]
    siennes = plan.pour(ccas=ccas, theme=theme)
    autres = [a for a in plan.pour(ccas=ccas) if a not in siennes]
    parts = []
    if siennes:
        n = len(siennes)
        parts.append(f"Le plan d'actions de l'analyse des besoins sociaux compte {n} action{'s' if n > 1 else ''} qui "
                     f"répond{'ent' if n > 1 else ''} aux enjeux du thème « {libelle_theme} » pour le {nom}. "
                     "Chaque action est celle que l'analyste a déclarée ; ce qui n'est pas encore décidé "
                     "est marqué « à préciser ».\n")
        parts += [fiche(a, plan) for a in siennes]
    else:
        parts.append(f"Aucune action du plan ne répond encore aux enjeux du thème « {libelle_theme} » pour le {nom}.\n")
    if autres:
        themes = sorted({plan.themes.get(t, t) for a in autres for t in a.themes if t != theme})
        parts.append(f"Le plan compte aussi {len(autres)} autre{'s' if len(autres) > 1 else ''} action"
                     f"{'s' if len(autres) > 1 else ''} pour ce CCAS, sur d'autres thèmes ({', '.join(themes)}) : "
                     + " ; ".join(f"« {markdown_text(a.action)} »" for a in autres) + f".{lien}\n")
    elif lien:
        parts.append(lien.strip() + "\n")
    return "\n".join(parts)


def cellules_synthese(plan: PlanActions) -> pd.DataFrame:
    """N° | Action | CCAS concernés | Thèmes: every action of the plan."""
    rows = [{"N°": str(a.numero), "Action": a.action,
             "CCAS concernés": "Commune à tous" if a.commune else ", ".join(plan.ccas[c] for c in a.ccas),
             "Thèmes": ", ".join(plan.themes.get(t, t) for t in a.themes)} for a in plan.actions]
    return pd.DataFrame(rows, columns=["N°", "Action", "CCAS concernés", "Thèmes"])


def tableau_synthese(plan: PlanActions, *, titre: str, source_note: str) -> GT:
    cells = cellules_synthese(plan)
    gt = (table_gt(cells, id=identifiant_stable(titre)).tab_header(title=titre)
          .cols_align(align="left", columns=["Action", "CCAS concernés", "Thèmes"])
          .cols_align(align="right", columns="N°")
          .opt_table_font(font=FONT))
    return gt.tab_source_note(source_note)


def texte_repartition(plan: PlanActions) -> str:
    """One sentence per CCAS: how many actions concern it, how many are common."""
    communes = sum(1 for a in plan.actions if a.commune)
    lines = [f"Le plan compte {len(plan.actions)} action{'s' if len(plan.actions) > 1 else ''}, dont {communes} "
             f"commune{'s' if communes > 1 else ''} à tous les CCAS."]
    for code, nom in plan.ccas.items():
        n = len(plan.pour(ccas=code))
        propres = sum(1 for a in plan.pour(ccas=code) if not a.commune)
        lines.append(f"- {nom} : {n} action{'s' if n > 1 else ''}"
                     + (f", dont {propres} qui lui {'sont propres' if propres > 1 else 'est propre'}" if propres else
                        ", toutes communes"))
    return lines[0] + "\n\n" + "\n".join(lines[1:]) + "\n"


def sources(plan: PlanActions) -> str:
    """The plan is the analyst's declaration; the documents its actions are taken from, when it cites some."""
    cites = list(dict.fromkeys(a.source.citation() for a in plan.actions if a.source is not None))
    base = "Plan d'actions déclaré par l'observatoire"
    return f"Source{fr.NBSP}: {base}" + (f", d'après {' ; '.join(cites)}." if cites else ".")
