"""Évaluation du contrat de ville: gaps between the QPV and their agglomeration, and their evolution.

The note answers evaluative questions written in the params file. For each indicator of a
question it takes, year by year, the gap between each QPV and the EPCI and how that gap evolved
between the first and the last year where both figures exist (indicateurs.ecarts: one computation
and one stability rule for every note). Each question opens with the answer of the figures
(`reponse_chiffres`): the cases whose gap narrowed, widened or reversed, named, then one overall
reading by one rule (indicateurs.ecarts.lecture_ensemble: the direction of strictly more than half of
the followed gaps, else no common trend). Figures describe; they never measure the effect of the
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
    SUIVIES,
    cas_par_tendance,
    ecarts_annuels,
    evolution_ecart,
    evolution_propre,
    lecture_ensemble,
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
                     glossaire_href: str | None = None, apres_reponse: bool = False) -> str:
    """A cautious answer in markdown, generated from the figures: a summary, then one bullet per indicator × QPV.

    donnees: indicator code -> ecarts_par_annee() rows. apres_reponse: reponse_chiffres() comes just before, so
    the summary does not repeat that nothing can be compared.
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
    elif apres_reponse:  # reponse_chiffres, just before, already said there is nothing to compare
        intro = ""
    else:
        intro = ("Aucun indicateur de cette question n'a de chiffre de l'agglomération dans les sources : "
                 "la note décrit l'évolution propre des quartiers, sans comparaison.")
    caution = ("Ces constats décrivent des évolutions ; ils ne suffisent pas à dire si la politique de la ville "
               "en est la cause.")
    return f"{intro} {caution}".strip() + "\n\n" + "\n".join(bullets) + "\n"


def _enumeration(bits: list[str]) -> str:
    if len(bits) <= 1:
        return "".join(bits)
    return ", ".join(bits[:-1]) + " et " + bits[-1]


# --- The answer of the figures ------------------------------------------------------------------

CAS_NOMMES = 3  # beyond, a direction gives counts by indicator (or in all) rather than the list of its cases

REGLE_LECTURE = (
    "La **réponse des chiffres**, qui ouvre « Ce que montrent les chiffres » à chaque question, nomme les écarts "
    "qui se sont réduits, creusés ou inversés. Elle lit un rapprochement des quartiers et de l'agglomération quand "
    "plus de la moitié des écarts que l'on peut suivre dans le temps se sont réduits, un éloignement quand plus de "
    "la moitié se sont creusés, un maintien des écarts quand plus de la moitié sont restés stables ; sinon, les "
    "chiffres ne dessinent pas de tendance commune. Elle décrit des évolutions, elle n'en donne pas la cause."
)


@dataclass(frozen=True)
class CasQuestion:
    """One indicator × QPV of a question and how it moved: its gap's tendance (evolution_ecart), or, without an
    agglomeration figure (propre), its own value's (evolution_propre)."""

    indicateur: str
    qpv: str
    quartier: str
    tendance: str
    propre: bool = False


def cas_question(question: Question, donnees: dict[str, pd.DataFrame], glossaire: Glossaire) -> list[CasQuestion]:
    """Every indicator × QPV of a question, in the order of its bullets and of its table of gaps."""
    out = []
    for code in question.indicateurs:
        ind, df = glossaire[code], donnees[code]
        propre = sans_reference(ind)
        for qpv, part in df.groupby("qpv", sort=False):
            tendance = evolution_propre(part, ind).tendance if propre else evolution_ecart(part, ind).tendance
            out.append(CasQuestion(code, str(qpv), part["quartier"].iloc[0], tendance, propre))
    return out


_PLURIELS = {"allocataires", "demandeurs", "enfants", "personnes", "habitants", "ménages", "familles"}
_FEMININS = {"part", "population", "proportion", "densité", "médiane"}


def nom_indicateur(ind: Indicateur) -> str:
    """The indicator's name in a sentence, with its article: « le taux de pauvreté », « la part des prestations
    sociales dans le revenu disponible », « l'indice de Gini » (article from the first word; « le » by default)."""
    premier = ind.libelle.split(" ", 1)[0]
    nom = ind.libelle if premier.isupper() and len(premier) > 1 else fr.minuscule(ind.libelle)
    premier = premier.lower()
    if premier in _PLURIELS:
        return "les " + nom
    if nom[:1] in "aeiouyéèêâî":
        return "l'" + nom
    return ("la " if premier in _FEMININS else "le ") + nom


def _a_quartier(nom: str) -> str:
    """« à Saint-Exupéry – Léon-Blum », « aux Tilleuls »."""
    return fr.a_nom(fr.nom_territoire(nom, "qpv"))


_EN_LETTRES = ("zéro", "un", "deux", "trois", "quatre", "cinq", "six", "sept", "huit", "neuf", "dix", "onze", "douze",
               "treize", "quatorze", "quinze", "seize")


def en_lettres(n: int) -> str:
    """A count in the answer, in letters up to seize: beside a quartier's name a « 3 » would read as one of its
    figures (and the secret audit takes it for one)."""
    return _EN_LETTRES[n] if 0 <= n < len(_EN_LETTRES) else fr.nombre(n)


def _quartiers(noms: list[str], sur: int) -> str:
    """A count of quartiers in place of their list: 'dans quatre quartiers', 'dans les cinq quartiers' (all those of
    the indicator); a single one is named."""
    if len(noms) == 1:
        return _a_quartier(noms[0])
    return f"dans les {en_lettres(len(noms))} quartiers" if len(noms) == sur else f"dans {en_lettres(len(noms))} quartiers"


def _cas_nommes(par_indicateur: dict[str, list[str]], glossaire: Glossaire, sur: dict[str, int]) -> str:
    """'pour le taux de pauvreté à A et à B et pour le niveau de vie médian à C'; beyond CAS_NOMMES cases, counts
    of quartiers by indicator, and beyond CAS_NOMMES indicators too, the count alone.

    sur: indicator code -> how many QPV the question's figures hold for it."""
    total = sum(len(noms) for noms in par_indicateur.values())
    if total <= CAS_NOMMES:
        return fr.liste([f"pour {nom_indicateur(glossaire[code])} {fr.liste([_a_quartier(n) for n in noms])}"
                         for code, noms in par_indicateur.items()])
    if len(par_indicateur) <= CAS_NOMMES:
        return fr.liste([f"pour {nom_indicateur(glossaire[code])} {_quartiers(noms, sur[code])}"
                         for code, noms in par_indicateur.items()])
    return f"dans {en_lettres(total)} cas, pour {en_lettres(len(par_indicateur))} indicateurs"


def _par_indicateur(cas: list[CasQuestion]) -> dict[str, int]:
    out: dict[str, int] = {}
    for c in cas:
        out[c.indicateur] = out.get(c.indicateur, 0) + 1
    return out


def _suite(parts: list[str]) -> str:
    """'A', 'A, et B', 'A, B, et C': directions whose own lists already use « et »."""
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + ", et " + parts[-1]


def _parmi(k: int, n: int) -> str:
    if n == 1:
        return "dans le seul cas suivi"
    return f"dans les {en_lettres(n)} cas suivis" if k == n else f"dans {en_lettres(k)} des {en_lettres(n)} cas suivis"


_LECTURES = {
    "rapprochement": ("d'un rapprochement des quartiers et de l'agglomération", "reduit", "réduit"),
    "eloignement": ("d'un éloignement des quartiers et de l'agglomération", "creuse", "creusé"),
    "maintien": ("d'un maintien des écarts entre les quartiers et l'agglomération", "stable", "resté stable"),
}


def _phrase_lecture(lecture: str, tendances: list[str]) -> str:
    """The overall reading (indicateurs.ecarts.lecture_ensemble) in one sentence, with its count."""
    suivis = sum(t in SUIVIES for t in tendances)
    if lecture == "sans_tendance":
        return ("Les chiffres publiés ne dessinent pas de tendance commune : aucun sens d'évolution ne concerne "
                f"plus de la moitié des {en_lettres(suivis)} écarts suivis.")
    sens, tendance, mot = _LECTURES[lecture]
    return f"Les chiffres publiés vont plutôt dans le sens {sens} (écart {mot} {_parmi(tendances.count(tendance), suivis)})."


def _phrase_propre(cas: list[CasQuestion], glossaire: Glossaire) -> str:
    """The QPV's own evolutions (no agglomeration figure to compare with), named like the gaps; '' when none."""
    groupes = cas_par_tendance((c.indicateur, c.quartier, c.tendance) for c in cas)
    parts = [f"{verbe} {_cas_nommes(groupes[t], glossaire, _par_indicateur(cas))}"
             for t, verbe in (("baisse", "a baissé"), ("hausse", "a augmenté")) if t in groupes]
    stables = sum(len(noms) for noms in groupes.get("stable", {}).values())
    if not parts and not stables:
        return ""
    if parts:
        text = "le chiffre du quartier " + _suite(parts) + (f" ; il est resté stable dans {en_lettres(stables)} cas" if stables else "")
    else:
        text = f"le chiffre du quartier est resté stable {_parmi(stables, stables)}"
    return f" Seule l'évolution propre des quartiers peut être décrite : {text}."


def reponse_chiffres(question: Question, donnees: dict[str, pd.DataFrame], glossaire: Glossaire) -> str:
    """What the figures answer to the question, in markdown, before the details of reponse_question().

    Names the indicator × QPV whose gap with the agglomeration narrowed, widened or reversed (evolution_ecart: the
    tendances of the bullets and of the table's « Évolution » column; beyond CAS_NOMMES cases in one direction,
    counts), counts the stable ones, then gives one overall reading by one rule (indicateurs.ecarts.lecture_ensemble,
    stated in the note by REGLE_LECTURE): a rapprochement when strictly more than half of the followed gaps
    narrowed, an éloignement when more than half widened, a maintien when more than half stayed stable, else no
    common trend. When no gap can be followed it says so, with the QPV's own evolutions when there are some.
    Describes; never names a cause (reponse_question's caution follows).

    donnees: indicator code -> ecarts_par_annee() rows.
    """
    cas = cas_question(question, donnees, glossaire)
    ecarts_ = [c for c in cas if not c.propre]
    tendances = [c.tendance for c in ecarts_]
    lecture = lecture_ensemble(tendances)
    if lecture == "aucune":
        if ecarts_:
            why = ("aucun écart entre un quartier et l'agglomération ne peut être suivi dans le temps, faute d'au "
                   "moins deux années où le quartier et l'agglomération sont tous deux connus")
        elif cas:
            why = "aucun de ses indicateurs n'a de chiffre de l'agglomération dans les sources"
        else:
            why = "aucune valeur n'est publiée pour ces quartiers dans les sources"
        return (f"**Réponse des chiffres** : les chiffres publiés ne permettent pas de répondre à cette question, car "
                f"{why}.{_phrase_propre([c for c in cas if c.propre], glossaire)}\n\n")
    groupes = cas_par_tendance((c.indicateur, c.quartier, c.tendance) for c in ecarts_)
    parts = [f"{verbe} {_cas_nommes(groupes[t], glossaire, _par_indicateur(ecarts_))}"
             for t, verbe in (("reduit", "s'est réduit"), ("creuse", "s'est creusé"), ("inverse", "s'est inversé"))
             if t in groupes]
    stables = tendances.count("stable")
    if parts:
        text = "l'écart avec l'agglomération " + _suite(parts) + (
            f" ; il est resté stable dans {en_lettres(stables)} cas" if stables else "")
        lecture_texte = _phrase_lecture(lecture, tendances)
    else:  # every followed gap stayed stable: the reading needs no count of its own
        text = f"l'écart avec l'agglomération est resté stable {_parmi(stables, stables)}"
        lecture_texte = f"Les chiffres publiés vont plutôt dans le sens {_LECTURES['maintien'][0]}."
    return f"**Réponse des chiffres** : {text}. {lecture_texte}\n\n"


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
    # The automatic text in a div of class osq-commentaire, like the other notes' commentary (style, snapshots).
    texte += ("::: {.osq-commentaire}\n#### Ce que montrent les chiffres\n\n" + reponse_chiffres(question, donnees, g)
              + reponse_question(question, donnees, g, href, apres_reponse=True) + "\n:::\n")
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
        f"- {REGLE_LECTURE}\n"
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
