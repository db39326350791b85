"""The evaluation of a contrat de ville in words: its approach, its three angles (volets), the bilan des actions,
and the analyst's findings, as Quarto markdown that also renders under the pandoc fallback.

Everything here formats what the observatory declared (catalogues.evaluation): each figure with the
document that publishes it, each finding as the analyst's own text. No drawing library is loaded (the
tables and charts are in present.evaluation).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pandas as pd

from osq_utils.catalogues.evaluation import (
    VOLETS,
    ActionStructurante,
    Bilan,
    EntreesEvaluation,
    QuestionEvaluative,
    Questionnaire,
    Reference,
    Travail,
)
from osq_utils.catalogues.glossaire import Indicateur
from osq_utils.catalogues.verbatims import Source, Verbatim, pseudonymise, select
from osq_utils.indicateurs.bilan import sous_seuil
from osq_utils.present import fr
from osq_utils.present.verbatims import bloc_verbatims, date_fr, markdown_text


@dataclass(frozen=True)
class EcartIndicateur:
    """One indicator of an observation question: its gaps by year (formatted cells), and the rows its chart draws."""

    indicateur: Indicateur
    titre: str
    cellules: pd.DataFrame
    donnees: pd.DataFrame  # notes.evaluation.ecarts rows
    agglomeration: str | None  # the agglomeration's name when the indicator is compared with it
    source_note: str
    legende: str
    texte_alternatif: str
    ident: str


@dataclass(frozen=True)
class QuestionObservation:
    """What the note shows for an observation question: its text (heading, findings, answer) and each indicator."""

    texte: str
    ecarts: list[EcartIndicateur] = field(default_factory=list)


def source(ref: Reference | None) -> str:
    """The full citation, for a table or a chart read on its own."""
    return f"Source{fr.NBSP}: {ref.citation()}." if ref is not None else ""


def cite(ref: Reference | None) -> str:
    """The short citation of running text: « (AUD Saint-Omer, 2023, p. 10) »; the note lists the documents."""
    return f"({ref.courte()})" if ref is not None else ""


def date_longue(date: str | None) -> str:
    """'2015-05-28' -> '28 mai 2015'."""
    return date_fr(date) if date else ""


def decaler_titres(texte: str, niveau: int) -> str:
    """The analyst's headings pushed to `niveau` at least (the note's own sections stay above them)."""
    titre = re.compile(r"^(#{1,6})(\s)")
    niveaux = [len(m.group(1)) for m in map(titre.match, texte.splitlines()) if m]
    decalage = max(0, niveau - min(niveaux)) if niveaux else 0
    return "\n".join(("#" * decalage + line) if titre.match(line) else line for line in texte.splitlines())


# --- The approach ------------------------------------------------------------------------------


def demarche(entrees: EntreesEvaluation | None, questions_observation: list[str], quartiers: dict[str, str]) -> str:
    """The contracts evaluated and the three angles with their evaluative questions.

    quartiers: QPV code -> name."""
    if entrees is None:
        return ('::: {.callout-note title="Entrées de l\'évaluation : à renseigner"}\n'
                "Cette note ne montre que le volet observation : les entrées propres à l'évaluation (contrats, "
                "travaux de coopération, bilan des actions, actions structurantes, constats) s'écrivent dans le "
                "dossier nommé par la clé « evaluation » du fichier de paramètres (guide « Évaluer un contrat de "
                "ville »).\n:::\n")
    parts = []
    if entrees.contrats:
        lines = []
        for c in entrees.contrats:
            bits = [f"**{markdown_text(c.intitule)}**"]
            if c.signature:
                bits.append(f"signé le {date_longue(c.signature)}")
            if c.pilotage:
                bits.append(markdown_text(c.pilotage))
            noms = ", ".join(f"{quartiers.get(q, q)} ({q})" for q in c.qpv)
            bits.append(f"quartier{'s' if len(c.qpv) > 1 else ''} prioritaire{'s' if len(c.qpv) > 1 else ''} : {noms}")
            lines.append(f"- {' ; '.join(bits)} {cite(c.source)}.")
        n = len(entrees.contrats)
        parts.append(f"{'Les contrats évalués' if n > 1 else 'Le contrat évalué'} :\n\n" + "\n".join(lines) + "\n")
    angles = []
    textes = {
        "cooperation": [q.texte for q in entrees.questions.get("cooperation", ())],
        "observation": questions_observation,
        "actions_structurantes": [a.intitule for a in entrees.actions_structurantes],
    }
    for volet, titre in VOLETS.items():
        items = textes[volet]
        if not items:
            continue
        liste = "\n".join(f"    - {markdown_text(t)}" for t in items)
        quoi = "actions étudiées" if volet == "actions_structurantes" else "questions évaluatives"
        angles.append(f"- **{titre}** ({quoi}) :\n{liste}")
    if angles:
        cites = list(dict.fromkeys(r.courte() for v, r in entrees.sources_volets.items() if r is not None and textes[v]))
        ou = f" Les questions sont celles du document de l'observatoire ({' ; '.join(cites)})." if cites else ""
        parts.append(f"L'évaluation étudie {len(angles)} angle{'s' if len(angles) > 1 else ''} du contrat de ville, "
                     f"chacun guidé par ses questions évaluatives ; la note leur consacre une partie chacun.{ou}\n\n"
                     + "\n".join(angles) + "\n")
    return "\n".join(parts)


def objectif(entrees: EntreesEvaluation | None, volet: str) -> str:
    """A volet's objective as its document words it, quoted and cited."""
    if entrees is None or volet not in entrees.objectifs:
        return ""
    texte, ref = entrees.objectifs[volet]
    return f"Le document de l'observatoire présente ce volet ainsi : « {markdown_text(texte)} » {cite(ref)}\n"


def constats(texte: str | None, fichier: str, dossier: str = "") -> str:
    """The analyst's findings for one question, shown as theirs; a callout saying where to write them if not yet.

    dossier: the evaluation folder as the analyst sees it (params/capso/evaluation)."""
    where = f"`{dossier}/{fichier}`" if dossier else f"`{fichier}` du dossier de l'évaluation"
    if not texte:
        return ('::: {.callout-note title="Constats de l\'observatoire : à rédiger"}\n'
                "L'observatoire n'a pas encore rédigé de constat pour cette question. Ils s'écrivent en Markdown "
                f"dans le fichier {where}, et sont repris à la prochaine construction du site.\n:::\n")
    return ('::: {.callout-tip title="Constats de l\'observatoire"}\n'
            "*Texte rédigé par l'observatoire, repris tel quel : ce n'est pas un calcul d'OSQ.*\n\n"
            f"{decaler_titres(texte.strip(), 5)}\n:::\n")


# --- The bilan des actions ----------------------------------------------------------------------


def titre_bilan(entrees: EntreesEvaluation | None) -> str:
    """« Actions des contrats de ville par pilier, 2015-2021 »."""
    pluriel = entrees is not None and len(entrees.contrats) > 1
    titre = f"Actions {'des contrats' if pluriel else 'du contrat'} de ville par pilier"
    periode = entrees.bilan.periode if entrees is not None and entrees.bilan is not None else None
    return titre + (f", {periode[0]}-{periode[1]}" if periode else "")


def texte_bilan(bilan: Bilan | None, par_pilier: pd.DataFrame | None, contrats: int = 1) -> str:
    if bilan is None or par_pilier is None:
        return ("Aucun bilan des actions n'est déclaré : le nombre d'actions par pilier s'écrit dans le fichier de "
                "l'évaluation (clé « bilan »), une ligne par action ou les totaux publiés.\n")
    total = int(par_pilier["actions"].sum())
    periode = f"entre {bilan.periode[0]} et {bilan.periode[1]}" if bilan.periode else ""
    if bilan.actions is not None and len(bilan.actions):
        annees = sorted(bilan.actions["annee"].unique())
        periode = periode or f"entre {annees[0]} et {annees[-1]}"
    premier = par_pilier.sort_values("actions", ascending=False).iloc[0]
    cadre = "des contrats de ville" if contrats > 1 else "du contrat de ville"
    text = (f"{fr.nombre(total)} actions ont été menées {periode} dans le cadre {cadre} {cite(bilan.source)}, "
            f"d'après les effectifs par pilier du bilan. Le pilier « {premier['libelle']} » en compte le plus : "
            f"{fr.nombre(premier['actions'])} actions, soit {fr.pourcent(premier['part'], 0)} du total.\n")
    if bilan.totaux:
        publiees = [t for t in bilan.totaux if t.part_publiee is not None]
        text += ("\nLe bilan publie seulement le nombre d'actions de chaque pilier sur la période : la note ne peut "
                 "le détailler ni par année, ni par quartier, ni par porteur.")
        if publiees:
            text += (" Les parts que le document imprime ("
                     + ", ".join(fr.pourcent(t.part_publiee, 0) for t in publiees)
                     + ") sont bien celles que donnent ses effectifs ; la note les recalcule à partir des effectifs.")
        text += "\n"
    return text


# --- Cooperation --------------------------------------------------------------------------------


def _kpi(valeur: str, libelle: str, detail: str | None, ref: Reference) -> str:
    lines = [f"[{valeur}]{{.kpi-valeur}}", f"[{markdown_text(libelle)}]{{.kpi-libelle}}"]
    if detail:
        lines.append(f"[{detail}]{{.kpi-comparaison}}")
    lines.append(f"[Source{fr.NBSP}: {markdown_text(ref.courte())}]{{.kpi-source}}")
    return "::: {.kpi}\n" + "\\\n".join(lines) + "\n:::"


def chiffre_travail(t: Travail) -> tuple[str, str | None]:
    """The key figure of a piece of cooperation work and its detail line: 3 (ateliers), « 13 participants en moyenne »."""
    details = []
    if t.nombre is not None:
        valeur = fr.nombre(t.nombre)
        if t.participants is not None:
            details.append(f"{fr.nombre(t.participants)} participants")
        if t.repondants is not None:
            details.append(f"{fr.nombre(t.repondants)} répondants")
    elif t.repondants is not None:
        valeur = fr.nombre(t.repondants)
        if t.participants is not None:
            details.append(f"{fr.nombre(t.participants)} participants")
    elif t.participants is not None:
        valeur = fr.nombre(t.participants)
    else:
        valeur = fr.nombre(t.participants_moyenne, 0 if float(t.participants_moyenne or 0).is_integer() else 1)
        return valeur, "participants en moyenne"
    if t.participants_moyenne is not None:
        moyenne = t.participants_moyenne
        details.append(f"{fr.nombre(moyenne, 0 if float(moyenne).is_integer() else 1)} participants en moyenne")
    if t.dates:
        details.append(", ".join(date_longue(d) for d in t.dates))
    return valeur, " ; ".join(details) or None


def chiffres_cooperation(entrees: EntreesEvaluation | None) -> str:
    """The cooperation work as key figures, each with its source."""
    if entrees is None or not entrees.travaux:
        return ("Aucun travail de coopération n'est déclaré (réunions, ateliers, questionnaires, conseils "
                "citoyens) : ils s'écrivent sous « cooperation: travaux: » dans le fichier de l'évaluation.\n")
    blocks = []
    for t in entrees.travaux:
        valeur, detail = chiffre_travail(t)
        blocks.append(_kpi(valeur, t.intitule, detail, t.source))
    return "::: {.kpi-grid}\n" + "\n\n".join(blocks) + "\n:::\n"


def acteurs(entrees: EntreesEvaluation | None) -> str:
    if entrees is None or not entrees.acteurs:
        return ""
    return ("Les acteurs rencontrés :\n\n" + "\n".join(f"- {markdown_text(a)}" for a in entrees.acteurs) + "\n")


def texte_questionnaire(q: Questionnaire, profil: str) -> str:
    """What the note can say of a questionnaire: its respondents, and why its results are (not) shown."""
    n = q.effectif
    qui = f"{fr.nombre(n)} répondant{'s' if n and n > 1 else ''}" if n is not None else "un nombre de répondants non publié"
    text = f"**{markdown_text(q.intitule)}** : {qui}"
    if q.date:
        text += f", en {date_longue(q.date)}"
    text += f" {cite(q.source)}.\n"
    if q.reponses is None:
        text += ("\nLes réponses individuelles ne figurent pas dans les fichiers de l'observatoire : la note ne peut "
                 "pas en donner les résultats question par question.\n")
    elif q.diffusion == "partenaires" and profil != "partenaires":
        text += "\nLes résultats de ce questionnaire sont réservés au site des partenaires.\n"
    return text


def prudence(q: Questionnaire) -> str | None:
    """The caveat under the documented threshold of respondents."""
    if not sous_seuil(q.effectif, q.seuil_prudence):
        return None
    return (f"Moins de {q.seuil_prudence} répondants ({q.effectif}) : chaque répondant pèse plus de "
            f"{fr.nombre(100 / max(q.effectif or 1, 1), 0)} points de pourcentage ; lisez d'abord les effectifs, les "
            "parts sont fragiles.")


def resultats_visibles(q: Questionnaire, profil: str) -> bool:
    return q.reponses is not None and (q.diffusion == "public" or profil == "partenaires")


def verbatims_reponses(q: Questionnaire, niveau: str, code: str, profil: str, max_n: int = 6) -> dict[str, str]:
    """The open answers of a questionnaire as verbatims (pseudonymised, at the profile's diffusion level),
    by question id: a markdown block each."""
    if q.reponses is None:
        return {}
    out = {}
    for question in q.questions:
        if question.type != "ouverte":
            continue
        items = []
        for _, row in q.reponses.iterrows():
            texte = str(row[question.id]).strip()
            if not texte:
                continue
            qpv = str(row.get("qpv", "") or "").strip()
            items.append(Verbatim(
                id=f"{q.id}-{question.id}-{row['repondant']}", texte=" ".join(texte.split()), theme=question.theme or "",
                territoire=("qpv", qpv) if qpv else (niveau, code), locuteur=q.locuteur, structure=None, date=q.date,
                atelier=q.intitule, diffusion=question.diffusion,
                source=Source(titre=q.intitule, editeur=None, annee=None)))
        propres, _ = pseudonymise(items)
        chosen = select(propres, profil=profil, max_n=max_n)
        if chosen:
            out[question.id] = bloc_verbatims(chosen, titre=None, profil=profil)
        elif items:
            out[question.id] = "Les réponses à cette question sont réservées au site des partenaires.\n"
        else:
            out[question.id] = "Aucune réponse à cette question.\n"
    return out


# --- Actions structurantes ----------------------------------------------------------------------


def questions_volet(questions: tuple[QuestionEvaluative, ...] | list[QuestionEvaluative], dossier: str = "") -> str:
    """A volet's evaluative questions with the analyst's findings. While none is written, the questions are listed
    once, with one note saying where their findings go (rather than a callout per question)."""
    if not questions:
        return ""
    if all(q.constats is None for q in questions):
        liste = "\n".join(f"{q.numero}. {markdown_text(q.texte)}" for q in questions)
        premier, dernier = questions[0].fichier_constats, questions[-1].fichier_constats
        fichiers = f"`{premier}`" + (f" à `{dernier}`" if len(questions) > 1 else "")
        where = f" du dossier `{dossier}`" if dossier else " du dossier de l'évaluation"
        return (f"{liste}\n\n" + '::: {.callout-note title="Constats de l\'observatoire : à rédiger"}\n'
                f"L'observatoire n'a pas encore rédigé de constat pour ces questions. Ils s'écrivent en Markdown, un "
                f"fichier par question ({fichiers}{where}), et sont repris à la prochaine construction du site.\n:::\n")
    return "\n".join(f"#### Question {q.numero} : {markdown_text(q.texte)}\n\n"
                     + constats(q.constats, q.fichier_constats, dossier) for q in questions)


def _renseignee(a: ActionStructurante) -> bool:
    return bool(a.description or a.activite or a.constats or a.piliers or a.qpv)


def actions_structurantes(entrees: EntreesEvaluation | None, dossier: str = "") -> str:
    """The actions structurantes: a part for each one the observatory describes (its activity figures, its
    findings); those only named are listed together, with what is missing said once."""
    if entrees is None or not entrees.actions_structurantes:
        return ("Aucune action structurante n'est déclarée : elles s'écrivent sous « actions_structurantes: » dans le "
                "fichier de l'évaluation.\n")
    parts = [action_structurante(a, entrees.piliers, dossier) for a in entrees.actions_structurantes if _renseignee(a)]
    nommees = [a for a in entrees.actions_structurantes if not _renseignee(a)]
    if nommees:
        cites = list(dict.fromkeys(a.source.courte() for a in nommees))
        liste = "\n".join(f"- {markdown_text(a.intitule)}" for a in nommees)
        autres = "Les autres actions étudiées" if parts else "Les actions étudiées"
        parts.append(
            f"{autres} sont nommées par le document de l'observatoire ({' ; '.join(cites)}), sans description, "
            f"chiffre d'activité ni constat :\n\n{liste}\n\n"
            '::: {.callout-note title="Activité et constats : à renseigner"}\n'
            "Les chiffres d'activité (personnes suivies, rencontres…, chacun avec sa source) s'ajoutent sous "
            "« activite: » de chaque action dans le fichier de l'évaluation ; les constats s'écrivent en Markdown dans "
            f"`constats/actions_structurantes-<n>.md`{f' du dossier `{dossier}`' if dossier else ''}. Un pourcentage "
            "s'y déclare toujours avec son effectif.\n:::\n")
    return "\n".join(parts)


def action_structurante(a: ActionStructurante, piliers: dict[str, str], dossier: str = "") -> str:
    parts = [f"### {a.numero}. {markdown_text(a.intitule)}\n"]
    if a.description:
        parts.append(f"{markdown_text(a.description)} {cite(a.source)}\n")
    bits = []
    if a.piliers:
        bits.append(f"pilier{'s' if len(a.piliers) > 1 else ''} : {', '.join(piliers[p] for p in a.piliers)}")
    if a.qpv:
        bits.append(f"quartier{'s' if len(a.qpv) > 1 else ''} : {', '.join(a.qpv)}")
    if bits:
        text = " ; ".join(bits)
        parts.append(text[0].upper() + text[1:] + ".\n")
    if a.activite:
        lines = []
        for c in a.activite:
            decimales = 0 if float(c.valeur).is_integer() else 1
            valeur = fr.valeur(c.valeur, c.unite or "", decimales)
            if c.unite and c.unite not in ("%", "€", "‰"):
                valeur = f"{fr.nombre(c.valeur, decimales)} {markdown_text(c.unite)}"
            if c.effectif is not None:
                valeur += f" (sur {fr.nombre(c.effectif)})"
            when = f" ({c.annee})" if c.annee else ""
            lines.append(f"- {markdown_text(c.libelle)}{when} : **{valeur}** {cite(c.source)}")
        parts.append("**Chiffres d'activité déclarés**\n\n" + "\n".join(lines) + "\n")
    else:
        parts.append("**Chiffres d'activité déclarés** : aucun ; ils s'ajoutent sous « activite: » dans le fichier de "
                     "l'évaluation quand l'observatoire les connaît.\n")
    parts.append(constats(a.constats, a.fichier_constats, dossier))
    return "\n".join(parts)


def documents(entrees: EntreesEvaluation | None) -> str:
    """The observatory's documents the note cites."""
    if entrees is None:
        return ""
    lines = []
    for d in entrees.documents.values():
        bits = [f"**{markdown_text(d.titre)}**"]
        if d.editeur:
            bits.append(markdown_text(d.editeur))
        if d.annee:
            bits.append(str(d.annee))
        lines.append("- " + ", ".join(bits))
    return ("Documents de l'observatoire cités par la note (chiffres déclarés, questions évaluatives, constats) :\n\n"
            + "\n".join(lines) + "\n")
