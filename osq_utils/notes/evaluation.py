"""Évaluation du contrat de ville: gaps between the QPV and their agglomeration, and their evolution.

The note answers evaluative questions written in the params file. For each indicator of a
question it takes, year by year, the gap between each QPV and the EPCI and how that gap evolved
between the first and the last year where both figures exist (indicateurs.ecarts: one computation
and one stability rule for every note). Figures describe; they never measure the effect of the
policy, and the wording never claims so.

The parameters (QPV of the EPCI, questions with glossary indicators published by QPV) are checked
at plan time and by `osq check` (`valider`), so a wrong params file stops before any note runs.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from osq_utils import territoires
from osq_utils.catalogues.evaluation import EntreesEvaluation, load_evaluation
from osq_utils.catalogues.glossaire import Glossaire, Indicateur
from osq_utils.catalogues.racine import affichable
from osq_utils.indicateurs import Lecture, Territoire
from osq_utils.indicateurs.bilan import colonnes_qpv, croisement, par_pilier_actions, par_pilier_totaux
from osq_utils.indicateurs.ecarts import (
    COLONNES,
    SEUIL_STABILITE_POINTS,
    SEUIL_STABILITE_RAPPORT,
    ecarts_annuels,
    evolution_ecart,
    evolution_propre,
)
from osq_utils.notes.base import ParametreInvalide, Territoires, TypeNote
from osq_utils.present import blocs, fr, verbatims
from osq_utils.present.ecarts import (
    evolution_courte,
    phrase_evolution,
    phrase_evolution_propre,
    points_sans_signe,
    position,
    tendance_propre_courte,
)
from osq_utils.present.volets import EcartIndicateur, QuestionObservation, constats

PARAMETRE_EPCI = "code_epci"
PARAMETRE_QPV = "qpv"
PARAMETRE_QUESTIONS = "questions"
PARAMETRE_EVALUATION = "evaluation"  # a path key of the params file (batch.plan.CLES_CHEMINS): the inputs' folder


@dataclass(frozen=True)
class Question:
    numero: int
    texte: str
    indicateurs: tuple[str, ...]


@dataclass(frozen=True)
class Evaluation:
    """What the note is about: the agglomeration, its QPV, their communes and the questions."""

    epci: Territoire
    qpvs: tuple[Territoire, ...]
    communes: tuple[Territoire, ...]
    questions: tuple[Question, ...]
    communes_qpv: tuple[tuple[str, tuple[str, ...]], ...] = ()  # QPV code -> its communes' codes
    entrees: EntreesEvaluation | None = None  # the observatory's own inputs (catalogues.evaluation)

    @property
    def refs_verbatims(self) -> list[Territoire]:
        """Most specific first: the QPV, their communes, then the EPCI."""
        return [*self.qpvs, *self.communes, self.epci]


# --- Parameters (checked at plan time, by osq check, and in the note) -------------------------


def _error(parametre: str, message: str, correction: str, *chemin) -> ParametreInvalide:
    """A located error: `chemin` is the place under the entry's `parametres:` (plan adds the line)."""
    return ParametreInvalide(f"paramètre « {parametre} » : {message}", ("parametres", parametre, *chemin), correction)


def codes_qpv_possibles(glossaire: Glossaire) -> list[str]:
    return [i.code for i in glossaire if "qpv" in i.niveaux and i.code != "population"]


def lire_questions(questions, glossaire: Glossaire) -> tuple[Question, ...]:
    """Validate the `questions` parameter: a list of {question: text, indicateurs: [glossary codes]}."""
    possibles = ", ".join(codes_qpv_possibles(glossaire))
    forme = ("écrivez une liste d'entrées « - question: \"…\" » suivies de « indicateurs: [taux_pauvrete, …] ».")
    if not isinstance(questions, (list, tuple)) or not questions:
        raise _error(PARAMETRE_QUESTIONS, "aucune question évaluative", forme)
    out = []
    for n, item in enumerate(questions, start=1):
        where = f"question n° {n}"
        if not isinstance(item, dict):
            raise _error(PARAMETRE_QUESTIONS, f"{where} : entrée illisible ({item!r})", forme, n - 1)
        texte = item.get("question")
        if not isinstance(texte, str) or not texte.strip():
            raise _error(PARAMETRE_QUESTIONS, f"{where} : texte de la question manquant",
                         "écrivez la question sous la clé « question: », par exemple « La politique de la ville "
                         "a-t-elle permis de réduire les écarts entre les quartiers et l'agglomération ? ».", n - 1)
        codes = item.get("indicateurs")
        if isinstance(codes, str):
            codes = [codes]
        if not isinstance(codes, (list, tuple)) or not codes:
            raise _error(PARAMETRE_QUESTIONS, f"{where} : aucun indicateur",
                         f"listez sous « indicateurs: » des codes du glossaire publiés par quartier : {possibles}.",
                         n - 1)
        for j, code in enumerate(codes):
            if not isinstance(code, str) or code not in glossaire.indicateurs:
                raise _error(PARAMETRE_QUESTIONS, f"{where} : indicateur « {code} » absent du glossaire",
                             f"corrigez le code ; codes publiés par quartier prioritaire : {possibles}.",
                             n - 1, "indicateurs", j)
            if "qpv" not in glossaire[code].niveaux:
                raise _error(PARAMETRE_QUESTIONS,
                             f"{where} : l'indicateur « {code} » n'est pas publié par quartier prioritaire",
                             f"choisissez un indicateur publié par quartier : {possibles}.", n - 1, "indicateurs", j)
        out.append(Question(n, " ".join(texte.split()), tuple(dict.fromkeys(codes))))
    return tuple(out)


def lire_qpv(con, code_epci: str, qpv) -> list[tuple[str, str, tuple[str, ...]]]:
    """Validate the `qpv` parameter: (code, name, communes) of each QPV, every one in the EPCI.

    A QPV belongs to the EPCI when one of its communes (2015 QPV geography) is a member of the
    EPCI in the latest COG on record.
    """
    libelle_epci = territoires.libelle(con, "epci", code_epci)
    if not libelle_epci:
        raise ParametreInvalide(f"intercommunalité « {code_epci} » inconnue", ("territoires",),
                                "donnez le numéro SIREN à 9 chiffres de l'intercommunalité, entre guillemets "
                                "(par exemple \"200069037\" pour la CA du Pays de Saint-Omer).")
    if isinstance(qpv, str):
        qpv = [qpv]
    if not isinstance(qpv, (list, tuple)) or not qpv:
        raise _error(PARAMETRE_QPV, "aucun quartier prioritaire",
                     "donnez la liste des codes des quartiers évalués, par exemple [\"QP062036\", \"QP062037\"].")
    codes = [str(c).strip() for c in qpv]
    libelles = territoires.libelles(con, "qpv", codes)
    out: list[tuple[str, str, tuple[str, ...]]] = []
    for j, code in enumerate(codes):
        if code in {c for c, _, _ in out}:
            continue
        if code.startswith("QN"):
            raise _error(PARAMETRE_QPV, f"le quartier « {code} » est de la géographie 2024",
                         "les chiffres par quartier des sources (Insee, ANCT) portent sur la géographie 2015 : "
                         "donnez son code en QP… (par exemple \"QP062036\").", j)
        if code not in libelles:
            raise _error(PARAMETRE_QPV, f"quartier prioritaire « {code} » inconnu",
                         "corrigez le code : « QP » suivi de 6 chiffres, géographie 2015 (par exemple "
                         "\"QP062036\") ; la liste officielle est celle des contours de l'ANCT.", j)
        its = territoires.communes_of_qpv(con, code)
        epcis = {territoires.parent(con, "commune", c, "epci") for c in its}
        if code_epci not in epcis:
            ailleurs = ", ".join(sorted(f"{territoires.libelle(con, 'epci', e) or e} ({e})" for e in epcis if e)) or "aucune"
            raise _error(PARAMETRE_QPV, f"le quartier « {code} » ({libelles[code]}) n'est pas dans l'intercommunalité "
                         f"{libelle_epci} ({code_epci}) ; il est dans : {ailleurs}",
                         "retirez ce quartier de la liste ou corrigez l'intercommunalité de la note.", j)
        out.append((code, libelles[code], its))
    return out


def _questions_du_fichier(entrees: EntreesEvaluation, glossaire: Glossaire) -> tuple[Question, ...]:
    """The observation questions written in evaluation.yml, errors located in that file."""
    try:
        return lire_questions(entrees.questions_observation, glossaire)
    except ParametreInvalide as exc:
        message = exc.message.replace(f"paramètre « {PARAMETRE_QUESTIONS} » : ", "observation, ")
        raise entrees.document.erreur(message, "observation", "questions", *exc.chemin[2:],
                                      correction=exc.correction) from None


def charger_entrees(dossier: str, qpvs: dict[str, str], glossaire: Glossaire, questions=None) -> EntreesEvaluation:
    """The evaluation folder, validated: its QPV must be the note's, its observation questions publishable by QPV.

    questions: the params file's `questions` (the findings files are numbered after them when
    evaluation.yml has none)."""
    n = len(questions) if isinstance(questions, (list, tuple)) else 0
    entrees = load_evaluation(dossier, qpvs, n)
    if entrees.questions_observation is not None:
        _questions_du_fichier(entrees, glossaire)
    return entrees


def valider(con, code_epci: str, parametres: dict, glossaire: Glossaire) -> None:
    """Plan-time check of an evaluation entry (also run by osq check): its QPV (required: the template's
    default ones are the CAPSO's), its questions (the template's default ones when not given) and the
    folder of its inputs (`evaluation:`), whose errors name their own file."""
    found = lire_qpv(con, str(code_epci), parametres.get(PARAMETRE_QPV))
    if PARAMETRE_QUESTIONS in parametres:
        lire_questions(parametres[PARAMETRE_QUESTIONS], glossaire)
    if parametres.get(PARAMETRE_EVALUATION):
        entrees = charger_entrees(parametres[PARAMETRE_EVALUATION], {c: n for c, n, _ in found}, glossaire,
                                  parametres.get(PARAMETRE_QUESTIONS))
        if entrees.questions_observation is not None and PARAMETRE_QUESTIONS in parametres:
            raise _error(PARAMETRE_QUESTIONS, "les questions du volet observation sont écrites deux fois, ici et "
                         f"dans {entrees.document.chemin}",
                         "gardez-les à un seul endroit : sous « observation: questions: » du fichier de l'évaluation, "
                         "ou ici.")


def preparer(vue: Lecture, code_epci: str, qpv: list[str], questions, evaluation: str = "") -> Evaluation:
    """What the note is about, from its parameters (checked again: the template can be run by hand).

    evaluation: the folder of the observatory's inputs ('' when none: the note shows the observation
    angle only); its observation questions, when it has some, replace `questions`."""
    code_epci = str(code_epci).strip()
    found = lire_qpv(vue, code_epci, qpv)
    qpvs, communes, par_qpv = [], [], []
    for code, libelle, its in found:
        qpvs.append(Territoire("qpv", code, libelle))
        par_qpv.append((code, tuple(its)))
        communes += [c for c in its if c not in communes]
    noms = territoires.libelles(vue, "commune", communes)
    entrees = charger_entrees(evaluation, {c: n for c, n, _ in found}, vue.glossaire, questions) if evaluation else None
    if entrees is not None and entrees.questions_observation is not None:
        les_questions = _questions_du_fichier(entrees, vue.glossaire)
    else:
        les_questions = lire_questions(questions, vue.glossaire)
    return Evaluation(
        epci=Territoire("epci", code_epci, territoires.libelle(vue, "epci", code_epci) or code_epci),
        qpvs=tuple(qpvs),
        communes=tuple(Territoire("commune", c, noms.get(c, c)) for c in communes),
        questions=les_questions,
        communes_qpv=tuple(par_qpv),
        entrees=entrees,
    )


# --- Gaps by year (indicateurs.ecarts) ----------------------------------------------------------

# One row per (QPV, year): the QPV's figure (valeur, statut, source), the agglomeration's
# (valeur_reference…) and the gap (ecart, statut_ecart): indicateurs.ecarts.COLONNES.
ECART_COLUMNS = ["qpv", "quartier", "indicateur", *COLONNES]


def sans_reference(ind: Indicateur) -> bool:
    """No agglomeration figure to compare with: published for QPV only, or a count (sizes differ)."""
    return "epci" not in ind.niveaux or ind.type == "compte"


def ecarts_par_annee(obs_qpv: pd.DataFrame, obs_epci: pd.DataFrame, ind: Indicateur,
                     quartiers: dict[str, str]) -> pd.DataFrame:
    """One row per (QPV, year of the QPV series) with both figures and their gap (ECART_COLUMNS).

    obs_qpv / obs_epci: observations (code, indicateur, annee, valeur, statut, source). Years are
    those the QPV source publishes for this indicator; a year the EPCI lacks is a hole (statut
    'absent'), never 0.
    """
    q = obs_qpv[obs_qpv["indicateur"] == ind.code]
    e = obs_epci[obs_epci["indicateur"] == ind.code]
    years = sorted(int(y) for y in q["annee"].unique())
    frames = [ecarts_annuels(q[q["code"] == code], None if sans_reference(ind) else e, ind, years)
              .assign(qpv=code, quartier=nom, indicateur=ind.code)
              for code, nom in quartiers.items()]
    if not frames:
        return pd.DataFrame(columns=ECART_COLUMNS)
    return pd.concat(frames, ignore_index=True)[ECART_COLUMNS]


def ecarts(vue: Lecture, evaluation: Evaluation, code: str) -> pd.DataFrame:
    """ecarts_par_annee() for one indicator, read through the note's masked view."""
    ind = vue.glossaire[code]
    obs_q = vue.observations("qpv", [t.code for t in evaluation.qpvs], [code])
    obs_e = vue.observations("epci", [evaluation.epci.code], [code])
    return ecarts_par_annee(obs_q, obs_e, ind, {t.code: t.libelle for t in evaluation.qpvs})


def lignes_sources(df: pd.DataFrame) -> pd.DataFrame:
    """(indicateur, annee, source) of the figures actually used, for blocs.source_note."""
    parts = []
    for col, statut in (("source", "statut"), ("source_reference", "statut_reference")):
        part = df[df[col].notna() & (df[statut] == "ok")]
        parts.append(pd.DataFrame({"indicateur": part["indicateur"], "annee": part["annee"], "source": part[col]}))
    return pd.concat(parts, ignore_index=True).drop_duplicates() if parts else pd.DataFrame(columns=["indicateur", "annee", "source"])


# --- Reading of a question --------------------------------------------------------------------

AVERTISSEMENT = (
    "Ces chiffres décrivent l'évolution de la situation des quartiers et de leur écart avec "
    "l'agglomération ; ils ne mesurent pas l'effet de la politique de la ville. D'autres facteurs "
    "(conjoncture, arrivées et départs d'habitants, changements de règles des prestations) jouent sur ces "
    "chiffres, et une évaluation demande aussi un travail qualitatif avec les habitants et les partenaires."
)


def _libelle_lien(ind: Indicateur, glossaire_href: str | None) -> str:
    return f"[{ind.libelle}]({glossaire_href}#{ind.code})" if glossaire_href else ind.libelle


def _manque_reference(rows: pd.DataFrame) -> list[int]:
    return sorted({int(y) for y in rows.loc[(rows["statut"] == "ok") & (rows["statut_reference"] != "ok"), "annee"]})


def reponse_question(question: Question, donnees: dict[str, pd.DataFrame], glossaire: Glossaire,
                     glossaire_href: str | None = None) -> str:
    """A cautious answer in markdown, generated from the figures: a summary, then one bullet per indicator × QPV.

    donnees: indicator code -> ecarts_par_annee() rows.
    """
    counts = {"reduit": 0, "creuse": 0, "stable": 0, "inverse": 0, "non_suivi": 0}
    bullets = []
    for code in question.indicateurs:
        ind, df = glossaire[code], donnees[code]
        label = _libelle_lien(ind, glossaire_href)
        if df.empty:
            bullets.append(f"- **{label}** : aucune valeur publiée pour ces quartiers dans les sources.")
            continue
        if sans_reference(ind):
            why = ("publié pour les quartiers prioritaires seulement : les sources ne donnent aucun chiffre de "
                   "l'agglomération" if "epci" not in ind.niveaux else
                   "un effectif, qui dépend de la taille du territoire : il n'est pas comparé à l'agglomération")
            lines = [f"- **{label}** ({why}). Évolution propre de chaque quartier :"]
            for _, part in df.groupby("qpv", sort=False):
                propre = evolution_propre(part, ind)
                lines.append(f"    - {part['quartier'].iloc[0]} : {phrase_evolution_propre(propre, ind)}.")
            bullets.append("\n".join(lines))
            continue
        lines = [f"- **{label}** :"]
        for _, part in df.groupby("qpv", sort=False):
            evo = evolution_ecart(part, ind)
            nom = part["quartier"].iloc[0]
            if evo.tendance in ("aucune", "une_annee"):
                counts["non_suivi"] += 1
            else:
                counts[evo.tendance] += 1
            text = phrase_evolution(evo, ind)
            if evo.tendance != "aucune" and evo.ecart_fin is not None:  # set whenever the tendance is not "aucune"
                last = part[(part["statut_ecart"] == "ok") & (part["annee"] == evo.annee_fin)].iloc[0]
                situation = position(evo.ecart_fin, ind)
                text = (f"{fr.valeur(last['valeur'], ind.unite, ind.decimales)} en {evo.annee_fin} contre "
                        f"{fr.valeur(last['valeur_reference'], ind.unite, ind.decimales)} dans l'agglomération"
                        + (f", {situation}" if situation else "") + f" ; {text}")
            trous = _manque_reference(part)
            if trous:
                text += (f". Chiffre de l'agglomération non publié pour {fr.annees(trous)} : "
                         "ces années ne sont pas comparées")
            lines.append(f"    - {nom} : {text}.")
        bullets.append("\n".join(lines))
    suivis = counts["reduit"] + counts["creuse"] + counts["stable"] + counts["inverse"]
    if suivis:
        bits = []
        for key, words in (("reduit", "s'est réduit"), ("creuse", "s'est creusé"), ("stable", "est resté stable"),
                           ("inverse", "s'est inversé")):
            if counts[key]:
                bits.append(f"{words} dans {counts[key]} cas")
        intro = (f"D'après les chiffres publiés, sur {suivis} écart{'s' if suivis > 1 else ''} entre un quartier et "
                 f"l'agglomération que l'on peut suivre dans le temps, l'écart {_enumeration(bits)}.")
        if counts["non_suivi"]:
            intro += (f" {counts['non_suivi']} autre{'s' if counts['non_suivi'] > 1 else ''} ne "
                      f"peu{'vent' if counts['non_suivi'] > 1 else 't'} pas être suivi{'s' if counts['non_suivi'] > 1 else ''} "
                      "faute d'au moins deux années comparables.")
    elif counts["non_suivi"]:
        intro = ("Les chiffres publiés ne permettent de suivre aucun écart dans le temps : il manque, pour "
                 "chaque indicateur, au moins deux années où le quartier et l'agglomération sont tous deux connus.")
    else:
        intro = ("Aucun indicateur de cette question n'a de chiffre de l'agglomération dans les sources : "
                 "la note décrit l'évolution propre des quartiers, sans comparaison.")
    caution = ("Ces constats décrivent des évolutions ; ils ne suffisent pas à dire si la politique de la ville "
               "en est la cause.")
    return f"{intro} {caution}\n\n" + "\n".join(bullets) + "\n"


def _enumeration(bits: list[str]) -> str:
    if len(bits) <= 1:
        return "".join(bits)
    return ", ".join(bits[:-1]) + " et " + bits[-1]


# --- Table and chart data --------------------------------------------------------------------


def _cellule(r, ind: Indicateur, propre: bool, compacte: bool) -> str:
    """One year of one QPV: its own value, or its gap ('+41,1' in a table titled in points when compacte)."""
    if r is None:
        return fr.MARQUE_SANS_OBJET
    if propre:
        return fr.valeur(r["valeur"], ind.unite, ind.decimales, r["statut"])
    if r["statut_ecart"] != "ok":
        return fr.MARQUE_SECRET if r["statut_ecart"] == "secret" else fr.MARQUE_ABSENT
    if compacte and ind.unite == "%":
        return fr.nombre(r["ecart"], ind.decimales, signe=True)
    return fr.ecart(r["ecart"], ind.unite, ind.decimales)


def _ligne(part: pd.DataFrame, ind: Indicateur, years: list[int], propre: bool, compacte: bool = False) -> dict:
    by_year = {int(r["annee"]): r for _, r in part.iterrows()}
    row = {str(y): _cellule(by_year.get(y), ind, propre, compacte) for y in years}
    row["Évolution"] = (tendance_propre_courte(evolution_propre(part, ind)) if propre
                        else evolution_courte(evolution_ecart(part, ind), ind))
    return row


def tableau_ecarts(question: Question, donnees: dict[str, pd.DataFrame], glossaire: Glossaire,
                   glossaire_href: str | None = None) -> pd.DataFrame:
    """Formatted cells: one row per QPV × indicator, one column per year, then the evolution.

    A gap is shown in points (rates) or as a ratio (× 0,62); an indicator without an
    agglomeration figure shows the QPV's own value. 's' secret, 'nd' not available,
    '-' a year outside the indicator's series.
    """
    years = sorted({int(y) for df in donnees.values() for y in df["annee"]})
    rows = []
    for code in question.indicateurs:
        ind, df = glossaire[code], donnees[code]
        propre = sans_reference(ind)
        label = _libelle_lien(ind, glossaire_href)
        label += " (valeur du quartier)" if propre else (" (écart en points)" if ind.unite == "%" else " (rapport)")
        for _, part in df.groupby("qpv", sort=False):
            rows.append({"Quartier": part["quartier"].iloc[0], "Indicateur": label, **_ligne(part, ind, years, propre)})
    return pd.DataFrame(rows, columns=["Quartier", "Indicateur", *map(str, years), "Évolution"])


def cellules_indicateur(df: pd.DataFrame, ind: Indicateur) -> pd.DataFrame:
    """One indicator's table: one row per QPV, one column per year of its series, then the evolution. A gap
    in points is written '+41,1' (the table's title gives the unit), a ratio '× 0,62'."""
    years = sorted({int(y) for y in df["annee"]})
    propre = sans_reference(ind)
    rows = [{"Quartier": part["quartier"].iloc[0], **_ligne(part, ind, years, propre, compacte=True)}
            for _, part in df.groupby("qpv", sort=False)]
    return pd.DataFrame(rows, columns=["Quartier", *map(str, years), "Évolution"])


def titre_indicateur(ind: Indicateur, evaluation: Evaluation) -> str:
    if sans_reference(ind):
        return f"{ind.libelle} : valeur de chaque quartier, par année"
    quoi = "en points" if ind.unite == "%" else "rapport au chiffre de l'agglomération"
    return f"{ind.libelle} : écart entre chaque quartier et {evaluation.epci.libelle}, par année ({quoi})"


def legende_indicateur(ind: Indicateur) -> str:
    legende = fr.LEGENDE_MARQUES + f" « {fr.MARQUE_SANS_OBJET} » : année hors de la série publiée pour ce quartier."
    if sans_reference(ind):
        return legende + " Pas de chiffre de l'agglomération : la valeur est celle du quartier."
    if ind.unite == "%":
        return legende + " Écart en points : taux du quartier moins taux de l'agglomération la même année."
    return legende + (" Rapport : chiffre du quartier divisé par celui de l'agglomération la même année (× 0,62 : le "
                      "quartier est à 62 % du niveau de l'agglomération).")


def texte_alternatif_indicateur(ind: Indicateur, evaluation: Evaluation, df: pd.DataFrame) -> str:
    """What the chart of one indicator shows, for readers who cannot see it."""
    years = sorted({int(y) for y in df["annee"]})
    periode = f", de {years[0]} à {years[-1]}" if years else ""
    quartiers = ", ".join(dict.fromkeys(df["quartier"]))
    text = (f"Graphique en courbes : {ind.libelle.lower()} de chaque quartier ({quartiers}), une couleur par "
            f"quartier{periode}")
    if not sans_reference(ind):
        text += (f", et de l'agglomération {evaluation.epci.libelle} en gris foncé, trait pointillé : la distance "
                 "entre les courbes est l'écart du tableau")
    return text + ". Les années sans chiffre ne sont pas tracées."


def question_observation(ctx, evaluation: Evaluation, question: Question,
                         donnees: dict[str, pd.DataFrame]) -> QuestionObservation:
    """What the note shows for one observation question: its heading, the analyst's findings, the answer drawn from
    the figures, then each indicator's table of gaps and chart (present.evaluation.elements_question draws them)."""
    g, href = ctx.glossaire, ctx.glossaire_href
    texte = f"### Question {question.numero} : {question.texte}\n\n"
    if evaluation.entrees is not None:
        found, fichier = evaluation.entrees.constats("observation", question.numero)
        texte += constats(found, fichier, affichable(evaluation.entrees.dossier)) + "\n"
    texte += "#### Ce que montrent les chiffres\n\n" + reponse_question(question, donnees, g, href)
    ecarts_ = []
    for code in question.indicateurs:
        ind, df = g[code], donnees[code]
        if df.empty:
            continue
        ecarts_.append(EcartIndicateur(
            indicateur=ind, titre=titre_indicateur(ind, evaluation), cellules=cellules_indicateur(df, ind), donnees=df,
            agglomeration=None if sans_reference(ind) else evaluation.epci.libelle,
            source_note=blocs.source_note(ctx.catalogue, lignes_sources(df)), legende=legende_indicateur(ind),
            texte_alternatif=texte_alternatif_indicateur(ind, evaluation, df),
            ident=f"fig-question-{question.numero}-{code.replace('_', '-')}"))
    return QuestionObservation(texte, ecarts_)


# --- Blocks of the note ----------------------------------------------------------------------


def presentation(evaluation: Evaluation) -> str:
    """Markdown: the QPV evaluated (with their communes) and the agglomeration they are compared with."""
    noms = {t.code: t.libelle for t in evaluation.communes}
    lines = []
    for t, (_, communes) in zip(evaluation.qpvs, evaluation.communes_qpv):
        lines.append(f"- **{t.libelle}** (quartier prioritaire {t.code} ; "
                     f"{'communes' if len(communes) > 1 else 'commune'} : {', '.join(noms.get(c, c) for c in communes)})")
    e = evaluation.epci
    return (
        "Les quartiers prioritaires évalués (géographie 2015 de la politique de la ville) :\n\n" + "\n".join(lines)
        + f"\n\nIls sont comparés à leur agglomération, **{e.libelle}** (intercommunalité {e.code}) : ses chiffres "
        "sont ceux que l'Insee publie pour l'intercommunalité, dans son périmètre de chaque année. Une année où "
        "l'Insee ne publie pas le chiffre de l'agglomération (intercommunalité pas encore créée, ou indicateur non "
        "publié à ce niveau) est un manque : elle n'est pas comparée et elle est signalée, jamais comptée comme zéro.\n"
    )


def encadre_methode() -> str:
    """Markdown callout: what the figures say and do not say, how gaps and their evolution are read."""
    seuil_points = points_sans_signe(SEUIL_STABILITE_POINTS)
    return (
        '::: {.callout-important title="Décrire n\'est pas mesurer un effet"}\n'
        f"{AVERTISSEMENT}\n:::\n\n"
        "- **L'écart** compare chaque quartier à l'agglomération la même année. Pour un taux, c'est une différence "
        "en points (taux du quartier moins taux de l'agglomération) ; pour un montant (niveau de vie, déciles) ou "
        "l'indice de Gini, c'est un rapport (× 0,62 : le quartier est à 62 % du niveau de l'agglomération).\n"
        "- **L'évolution de l'écart** est lue entre la première et la dernière année où les deux chiffres existent. "
        f"L'écart est dit « resté stable » s'il a varié de moins de {seuil_points} pour un taux, ou de moins de "
        f"{fr.nombre(SEUIL_STABILITE_RAPPORT, 2)} pour un rapport (2 % du niveau de l'agglomération) : les chiffres "
        "par quartier portent sur quelques milliers de ménages et sont arrondis, de petits mouvements d'une année "
        "sur l'autre ne sont pas interprétables. Le calcul porte sur les écarts tels qu'ils sont affichés.\n"
        "- Les mots « plus favorable » et « moins favorable » suivent le sens de l'indicateur donné par le glossaire "
        "(un taux de pauvreté plus élevé est moins favorable) ; ils décrivent une situation, pas un résultat de la "
        "politique.\n"
        "- Le taux d'emploi et le nombre de demandeurs d'emploi ne sont publiés que pour les quartiers prioritaires : "
        "sans chiffre de l'agglomération, la note décrit l'évolution propre de chaque quartier.\n"
        "- Chaque année est celle des données (année des revenus, du recensement, des inscriptions à France Travail, "
        "situation des allocataires au 31 décembre), pas celle de la publication des tableaux de l'ANCT, parus deux "
        "à quatre ans plus tard : les revenus 2015 sont dans le tableau de 2019.\n"
    )


def sources_de(donnees: dict) -> list[str]:
    """Source ids of the figures used by the note (any nesting of {code: ecarts rows})."""
    frames = []
    for value in donnees.values():
        frames += list(value.values()) if isinstance(value, dict) else [value]
    ids = []
    for df in frames:
        ids += [s for s in lignes_sources(df)["source"] if s not in ids]
    return ids


def paroles_acteurs(ctx, evaluation: Evaluation) -> str:
    """Workshop verbatims about the QPV, their communes or the agglomeration; a plain sentence when there are none."""
    vide = ("Aucune parole d'acteur n'est encore enregistrée pour ces quartiers, leurs communes ou "
            f"{evaluation.epci.libelle}. Les verbatims des ateliers de coopération s'ajoutent dans les fichiers "
            "du dossier data/verbatims/.")
    return verbatims.paroles_acteurs(ctx, evaluation.refs_verbatims, vide=vide)


# --- Bilan des actions ---------------------------------------------------------------------------


def bilan_par_pilier(evaluation: Evaluation) -> pd.DataFrame | None:
    """Counts, shares and known sums of the contract's actions by pillar (indicateurs.bilan), or None."""
    entrees = evaluation.entrees
    if entrees is None or entrees.bilan is None:
        return None
    bilan = entrees.bilan
    if bilan.actions is not None:
        return par_pilier_actions(bilan.actions, entrees.piliers)
    return par_pilier_totaux(bilan.totaux, entrees.piliers)


def bilan_croise(evaluation: Evaluation, par: str) -> pd.DataFrame | None:
    """Actions by pillar and by year (par='annee') or quartier (par='qpv'), when the bilan lists every action."""
    entrees = evaluation.entrees
    if entrees is None or entrees.bilan is None or entrees.bilan.actions is None:
        return None
    actions = entrees.bilan.actions
    colonnes = colonnes_qpv(actions, [t.code for t in evaluation.qpvs]) if par == "qpv" else None
    return croisement(actions, entrees.piliers, par, colonnes)


# --- The kind ---------------------------------------------------------------------------------


def territoires_montres(con, code: str, parametres: dict) -> Territoires:
    """The agglomeration and the QPV of `parametres.qpv` (their figures are the note's), France not shown."""
    qpvs = {str(c).strip() for c in (parametres.get(PARAMETRE_QPV) or [])}
    communes = {c for q in qpvs for c in territoires.communes_of_qpv(con, q)}
    return {"epci": {code}, "qpv": qpvs, "commune": communes}


def parametres_apercu(con, code: str) -> dict:
    """`osq preview evaluation_cdv EPCI`: every QPV (2015 geography) of the EPCI's communes."""
    return {PARAMETRE_QPV: sorted({q for c in territoires.communes_of(con, "epci", code)
                                   for q in territoires.qpv_of_commune(con, c)})}


TYPE = TypeNote(
    modele="evaluation_cdv", niveau="epci", parametre="code_epci", libelle="Évaluation du contrat de ville",
    pluriel="Évaluations du contrat de ville", prefixe="evaluation", territoires=territoires_montres,
    parametres=(PARAMETRE_QPV, PARAMETRE_QUESTIONS), valider=valider, apercu=parametres_apercu,
)
