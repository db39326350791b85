"""Évaluation du contrat de ville: gaps between the QPV and their agglomeration, and their evolution.

The note answers evaluative questions written in the params file. For each indicator of a
question it computes, year by year, the gap between each QPV and the EPCI (indicateurs.ecart:
points for rates, ratio otherwise), then words how that gap evolved between the first and
the last year where both figures exist. Figures describe; they never measure the effect of
the policy, and the wording never claims so.

This module sits with the note helpers (after present/ in the data flow): it reads the store
through indicateurs and words the figures with present.fr.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd

from osq_utils import indicateurs, territoires
from osq_utils.errors import OsqError
from osq_utils.indicateurs import Glossaire, Indicateur, Territoire
from osq_utils.present import fr

# Stability thresholds. Below them a change of the gap is called "stable":
# - rates: 0.5 point. Filosofi and ANCT publish QPV rates rounded to 0.1 point, on a few thousand
#   households, so moves of a few tenths of a point from one year to the next are not readable;
# - ratios (medians, deciles, Gini): 0.02, i.e. 2 % of the agglomeration's level (about 400 € of
#   a 19,000 € median), well above the 10 € rounding of QPV medians;
# - a QPV's own series (indicators published for QPV only): 0.5 point for rates, 2 % otherwise.
SEUIL_STABILITE_POINTS = 0.5
SEUIL_STABILITE_RAPPORT = 0.02
SEUIL_STABILITE_RELATIF = 0.02

# ANCT thematic tables (IPRO): the year is the publication vintage, not the reference year.
ANNEE_DE_PUBLICATION = {"taux_emploi", "demandeurs_emploi_abc"}

PARAMETRE_EPCI = "code_epci"
PARAMETRE_QPV = "qpv"
PARAMETRE_QUESTIONS = "questions"


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

    @property
    def refs_verbatims(self) -> list[Territoire]:
        """Most specific first: the QPV, their communes, then the EPCI."""
        return [*self.qpvs, *self.communes, self.epci]


# --- Parameters -------------------------------------------------------------------


def _error(parametre: str, message: str, correction: str) -> OsqError:
    return OsqError(f"paramètre « {parametre} » : {message}", correction=correction)


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
            raise _error(PARAMETRE_QUESTIONS, f"{where} : entrée illisible ({item!r})", forme)
        texte = item.get("question")
        if not isinstance(texte, str) or not texte.strip():
            raise _error(PARAMETRE_QUESTIONS, f"{where} : texte de la question manquant",
                         "écrivez la question sous la clé « question: », par exemple « La politique de la ville "
                         "a-t-elle permis de réduire les écarts entre les quartiers et l'agglomération ? ».")
        codes = item.get("indicateurs")
        if isinstance(codes, str):
            codes = [codes]
        if not isinstance(codes, (list, tuple)) or not codes:
            raise _error(PARAMETRE_QUESTIONS, f"{where} : aucun indicateur",
                         f"listez sous « indicateurs: » des codes du glossaire publiés par quartier : {possibles}.")
        for code in codes:
            if not isinstance(code, str) or code not in glossaire.indicateurs:
                raise _error(PARAMETRE_QUESTIONS, f"{where} : indicateur « {code} » absent du glossaire",
                             f"corrigez le code ; codes publiés par quartier prioritaire : {possibles}.")
            if "qpv" not in glossaire[code].niveaux:
                raise _error(PARAMETRE_QUESTIONS,
                             f"{where} : l'indicateur « {code} » n'est pas publié par quartier prioritaire",
                             f"choisissez un indicateur publié par quartier : {possibles}.")
        out.append(Question(n, " ".join(texte.split()), tuple(dict.fromkeys(codes))))
    return tuple(out)


def preparer(con, code_epci: str, qpv: list[str], questions, glossaire: Glossaire) -> Evaluation:
    """Check the note's parameters against the store and return what the note is about.

    A QPV belongs to the EPCI when one of its communes (2015 QPV geography) is a member of
    the EPCI in the latest COG on record.
    """
    code_epci = str(code_epci).strip()
    libelle_epci = territoires.libelle(con, "epci", code_epci)
    if not libelle_epci:
        raise _error(PARAMETRE_EPCI, f"intercommunalité « {code_epci} » inconnue",
                     "donnez le numéro SIREN à 9 chiffres de l'intercommunalité, entre guillemets "
                     "(par exemple \"200069037\" pour la CA du Pays de Saint-Omer).")
    if isinstance(qpv, str):
        qpv = [qpv]
    if not isinstance(qpv, (list, tuple)) or not qpv:
        raise _error(PARAMETRE_QPV, "aucun quartier prioritaire",
                     "donnez la liste des codes des quartiers évalués, par exemple [\"QP062036\", \"QP062037\"].")
    codes = [str(c).strip() for c in qpv]
    libelles = territoires.libelles(con, "qpv", codes)
    qpvs, communes, par_qpv = [], [], []
    for code in dict.fromkeys(codes):
        if code.startswith("QN"):
            raise _error(PARAMETRE_QPV, f"le quartier « {code} » est de la géographie 2024",
                         "les chiffres par quartier des sources (Insee, ANCT) portent sur la géographie 2015 : "
                         "donnez son code en QP… (par exemple \"QP062036\").")
        if code not in libelles:
            raise _error(PARAMETRE_QPV, f"quartier prioritaire « {code} » inconnu",
                         "corrigez le code : « QP » suivi de 6 chiffres, géographie 2015 (par exemple "
                         "\"QP062036\") ; la liste officielle est celle des contours de l'ANCT.")
        its = _communes_of_qpv(con, code)
        epcis = {territoires.parent(con, "commune", c, "epci") for c in its}
        if code_epci not in epcis:
            ailleurs = ", ".join(sorted(f"{territoires.libelle(con, 'epci', e) or e} ({e})" for e in epcis if e)) or "aucune"
            raise _error(PARAMETRE_QPV, f"le quartier « {code} » ({libelles[code]}) n'est pas dans l'intercommunalité "
                         f"{libelle_epci} ({code_epci}) ; il est dans : {ailleurs}",
                         "retirez ce quartier de la liste ou corrigez « code_epci ».")
        qpvs.append(Territoire("qpv", code, libelles[code]))
        par_qpv.append((code, tuple(its)))
        communes += [c for c in its if c not in communes]
    noms = territoires.libelles(con, "commune", communes)
    return Evaluation(
        epci=Territoire("epci", code_epci, libelle_epci),
        qpvs=tuple(qpvs),
        communes=tuple(Territoire("commune", c, noms.get(c, c)) for c in communes),
        questions=lire_questions(questions, glossaire),
        communes_qpv=tuple(par_qpv),
    )


def _communes_of_qpv(con, code: str) -> list[str]:
    rows = con.execute(
        "SELECT DISTINCT code_parent FROM appartenances WHERE niveau = 'qpv' AND code = ? AND niveau_parent = 'commune' "
        "ORDER BY code_parent", [code]).fetchall()
    return [r[0] for r in rows]


# --- Gaps by year -------------------------------------------------------------------

ECART_COLUMNS = ["qpv", "quartier", "indicateur", "annee", "valeur_qpv", "statut_qpv", "source_qpv",
                 "valeur_epci", "statut_epci", "source_epci", "ecart", "statut"]


def sans_reference(ind: Indicateur) -> bool:
    """No agglomeration figure to compare with: published for QPV only, or a count (sizes differ)."""
    return "epci" not in ind.niveaux or ind.type == "compte"


def ecarts_par_annee(obs_qpv: pd.DataFrame, obs_epci: pd.DataFrame, ind: Indicateur,
                     quartiers: dict[str, str]) -> pd.DataFrame:
    """One row per (QPV, year of the QPV series) with both figures and their gap.

    obs_qpv / obs_epci: observations (code, indicateur, annee, valeur, statut, source). Years
    are those the QPV source publishes for this indicator; a year the EPCI lacks is a hole
    (statut 'absent'), never 0. `statut` is the gap's: ok when both figures are, else secret
    when one is secret, else absent.
    """
    q = obs_qpv[obs_qpv["indicateur"] == ind.code]
    e = obs_epci[obs_epci["indicateur"] == ind.code]
    years = sorted(int(y) for y in q["annee"].unique())
    rows = []
    ref = {int(r.annee): r for r in e.itertuples()}
    for code, nom in quartiers.items():
        own = {int(r.annee): r for r in q[q["code"] == code].itertuples()}
        for year in years:
            rq, re_ = own.get(year), ref.get(year)
            sq = rq.statut if rq is not None else "absent"
            se = "absent" if sans_reference(ind) or re_ is None else re_.statut
            vq = float(rq.valeur) if sq == "ok" else np.nan
            ve = float(re_.valeur) if se == "ok" else np.nan
            gap = indicateurs.ecart(vq, ve, ind) if sq == se == "ok" else None
            statut = "ok" if gap is not None else ("secret" if "secret" in (sq, se) else "absent")
            rows.append({
                "qpv": code, "quartier": nom, "indicateur": ind.code, "annee": year,
                "valeur_qpv": vq, "statut_qpv": sq, "source_qpv": rq.source if rq is not None else None,
                "valeur_epci": ve, "statut_epci": se, "source_epci": re_.source if re_ is not None and se != "absent" else None,
                "ecart": np.nan if gap is None else gap, "statut": statut,
            })
    return pd.DataFrame(rows, columns=ECART_COLUMNS)


def ecarts(con, evaluation: Evaluation, code: str, glossaire: Glossaire) -> pd.DataFrame:
    """ecarts_par_annee() for one indicator, read from the store."""
    ind = glossaire[code]
    obs_q = indicateurs.observations_of(con, "qpv", [t.code for t in evaluation.qpvs], [code], glossaire)
    obs_e = indicateurs.observations_of(con, "epci", [evaluation.epci.code], [code], glossaire)
    return ecarts_par_annee(obs_q, obs_e, ind, {t.code: t.libelle for t in evaluation.qpvs})


def lignes_sources(df: pd.DataFrame) -> pd.DataFrame:
    """(indicateur, annee, source) of the figures actually used, for blocs.source_note."""
    parts = []
    for col, statut in (("source_qpv", "statut_qpv"), ("source_epci", "statut_epci")):
        part = df[df[col].notna() & (df[statut] == "ok")]
        parts.append(pd.DataFrame({"indicateur": part["indicateur"], "annee": part["annee"], "source": part[col]}))
    return pd.concat(parts, ignore_index=True).drop_duplicates() if parts else pd.DataFrame(columns=["indicateur", "annee", "source"])


# --- Evolution of the gap -------------------------------------------------------------


@dataclass(frozen=True)
class EvolutionEcart:
    """How a gap moved between the first and last years where it exists.

    tendance: 'reduit', 'creuse', 'stable', 'inverse' (the QPV passed the agglomeration),
    'une_annee' (one comparable year only) or 'aucune' (none).
    """

    tendance: str
    annee_debut: int | None = None
    annee_fin: int | None = None
    ecart_debut: float | None = None
    ecart_fin: float | None = None
    variation: float | None = None  # change of the gap's size (points, or ratio units)
    annees_manquantes: tuple[int, ...] = ()


def _taille(gap: float, ind: Indicateur) -> float:
    """Size of a gap: |points| for rates, |ratio - 1| otherwise."""
    return abs(gap) if ind.unite == "%" else abs(gap - 1)


def _cote(gap: float, ind: Indicateur) -> int:
    """+1 when the QPV is above the agglomeration, -1 below, 0 equal."""
    d = gap if ind.unite == "%" else gap - 1
    return 0 if abs(d) < 1e-12 else (1 if d > 0 else -1)


def decimales_ecart(ind: Indicateur) -> int:
    """Decimals a gap is shown with (fr.ecart): the rate's for points, 2 for a ratio."""
    return ind.decimales if ind.unite == "%" else 2


def _arrondi(x: float, decimales: int) -> float:
    """Half-up rounding, as the figures are printed (fr)."""
    return float(Decimal(str(x)).quantize(Decimal(1).scaleb(-decimales), rounding=ROUND_HALF_UP))


def seuil_stabilite(ind: Indicateur) -> float:
    return SEUIL_STABILITE_POINTS if ind.unite == "%" else SEUIL_STABILITE_RAPPORT


def evolution_ecart(rows: pd.DataFrame, ind: Indicateur, seuil: float | None = None) -> EvolutionEcart:
    """Evolution of one QPV's gap for one indicator (rows of ecarts_par_annee for that QPV).

    Computed on the gaps as printed (rounded like fr.ecart), so that the words match the
    figures the reader sees: "+28,7 to +30,2 points" is "creusé de 1,5 point".
    """
    seuil = seuil_stabilite(ind) if seuil is None else seuil
    rows = rows.sort_values("annee")
    ok = rows[rows["statut"] == "ok"]
    manquantes = tuple(int(y) for y in rows.loc[rows["statut"] != "ok", "annee"])
    if ok.empty:
        return EvolutionEcart("aucune", annees_manquantes=manquantes)
    first, last = ok.iloc[0], ok.iloc[-1]
    d = decimales_ecart(ind)
    a, b = _arrondi(float(first["ecart"]), d), _arrondi(float(last["ecart"]), d)
    if len(ok) == 1:
        return EvolutionEcart("une_annee", int(first["annee"]), int(first["annee"]), a, a, None, manquantes)
    variation = _arrondi(_taille(b, ind) - _taille(a, ind), d)
    if _cote(a, ind) * _cote(b, ind) < 0:
        tendance = "inverse"
    elif abs(variation) < seuil - 1e-9:
        tendance = "stable"
    else:
        tendance = "reduit" if variation < 0 else "creuse"
    return EvolutionEcart(tendance, int(first["annee"]), int(last["annee"]), a, b, variation, manquantes)


def _points_sans_signe(x: float, decimales: int = 1) -> str:
    text = fr.points(abs(x), decimales)
    return text.lstrip("+")


def phrase_evolution(evo: EvolutionEcart, ind: Indicateur) -> str:
    """'l'écart s'est réduit de 1,2 point entre 2016 et 2019' / 's'est creusé' / 'est resté stable'."""
    if evo.tendance == "aucune":
        return "l'écart ne peut être calculé pour aucune année (chiffre du quartier ou de l'agglomération non publié)"
    deb = fr.ecart(evo.ecart_debut, ind.unite, ind.decimales)
    fin = fr.ecart(evo.ecart_fin, ind.unite, ind.decimales)
    if evo.tendance == "une_annee":
        return (f"l'écart n'est connu que pour {evo.annee_debut} ({deb}) : son évolution ne peut pas être mesurée")
    periode = f"entre {evo.annee_debut} et {evo.annee_fin}"
    if ind.unite == "%":
        detail = f"(de {deb} à {fin})"
        montant = f" de {_points_sans_signe(evo.variation, ind.decimales)}"
    else:
        detail = f"(rapport au chiffre de l'agglomération passé de {deb} à {fin})"
        montant = f" de {fr.nombre(abs(evo.variation), 2)}"
    if evo.tendance == "inverse":
        return f"l'écart s'est inversé {periode} {detail}"
    if evo.tendance == "stable":
        seuil = (_points_sans_signe(SEUIL_STABILITE_POINTS) if ind.unite == "%"
                 else fr.nombre(SEUIL_STABILITE_RAPPORT, 2))
        return f"l'écart est resté stable {periode} {detail} : il a varié de moins de {seuil}"
    verbe = "s'est réduit" if evo.tendance == "reduit" else "s'est creusé"
    return f"l'écart {verbe}{montant} {periode} {detail}"


def position(gap: float, ind: Indicateur) -> str:
    """The QPV's situation compared with the agglomeration, worded with the glossary's `sens`.

    Empty for a 'neutre' indicator: a higher share of social benefits is neither good nor bad
    in itself. Describes a situation, never judges the policy.
    """
    cote = _cote(gap, ind)
    if cote == 0 or ind.sens not in ("favorable", "defavorable"):
        return ""
    bon = (cote > 0) == (ind.sens == "favorable")
    return "une situation " + ("plus favorable" if bon else "moins favorable") + " que dans l'agglomération"


# --- A QPV's own series (no agglomeration figure) -----------------------------------------


@dataclass(frozen=True)
class EvolutionPropre:
    tendance: str  # 'hausse', 'baisse', 'stable', 'une_annee', 'aucune'
    annee_debut: int | None = None
    annee_fin: int | None = None
    valeur_debut: float | None = None
    valeur_fin: float | None = None
    annees_manquantes: tuple[int, ...] = ()
    annees_secret: tuple[int, ...] = ()


def evolution_propre(rows: pd.DataFrame, ind: Indicateur) -> EvolutionPropre:
    """First and last published values of one QPV (rows of ecarts_par_annee for that QPV)."""
    rows = rows.sort_values("annee")
    ok = rows[rows["statut_qpv"] == "ok"]
    manquantes = tuple(int(y) for y in rows.loc[rows["statut_qpv"] == "absent", "annee"])
    secret = tuple(int(y) for y in rows.loc[rows["statut_qpv"] == "secret", "annee"])
    if ok.empty:
        return EvolutionPropre("aucune", annees_manquantes=manquantes, annees_secret=secret)
    a, b = float(ok.iloc[0]["valeur_qpv"]), float(ok.iloc[-1]["valeur_qpv"])
    y0, y1 = int(ok.iloc[0]["annee"]), int(ok.iloc[-1]["annee"])
    if len(ok) == 1:
        return EvolutionPropre("une_annee", y0, y1, a, b, manquantes, secret)
    if ind.unite == "%":
        stable = abs(b - a) < SEUIL_STABILITE_POINTS
    else:
        stable = a != 0 and abs(b / a - 1) < SEUIL_STABILITE_RELATIF
    tendance = "stable" if stable else ("hausse" if b > a else "baisse")
    return EvolutionPropre(tendance, y0, y1, a, b, manquantes, secret)


def phrase_evolution_propre(evo: EvolutionPropre, ind: Indicateur) -> str:
    """'en baisse, de 39,7 % en 2017 à 35,9 % en 2022 (-3,8 points)', with the years not shown."""
    trous = []
    if evo.annees_secret:
        trous.append(f"secret statistique en {fr.annees(list(evo.annees_secret))}")
    if evo.annees_manquantes:
        trous.append(f"non publié en {fr.annees(list(evo.annees_manquantes))}")
    suffixe = f" ; {', '.join(trous)}" if trous else ""
    return _phrase_propre(evo, ind) + suffixe


def _phrase_propre(evo: EvolutionPropre, ind: Indicateur) -> str:
    if evo.tendance == "aucune":
        return "aucune valeur publiée pour ce quartier"
    v0 = fr.valeur(evo.valeur_debut, ind.unite, ind.decimales)
    v1 = fr.valeur(evo.valeur_fin, ind.unite, ind.decimales)
    if evo.tendance == "une_annee":
        return f"{v0} en {evo.annee_debut}, seule année publiée"
    if ind.unite == "%":
        delta = fr.points(evo.valeur_fin - evo.valeur_debut, ind.decimales)
    else:
        delta = fr.nombre(evo.valeur_fin - evo.valeur_debut, ind.decimales, signe=True)
    mot = {"hausse": "en hausse", "baisse": "en baisse", "stable": "stable"}[evo.tendance]
    return f"{mot}, de {v0} en {evo.annee_debut} à {v1} en {evo.annee_fin} ({delta})"


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
    return sorted({int(y) for y in rows.loc[(rows["statut_qpv"] == "ok") & (rows["statut_epci"] != "ok"), "annee"]})


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
            vintage = (" Les années sont celles de publication des tableaux de l'ANCT, pas celles de l'observation."
                       if code in ANNEE_DE_PUBLICATION else "")
            lines = [f"- **{label}** ({why}).{vintage} Évolution propre de chaque quartier :"]
            for qpv, part in df.groupby("qpv", sort=False):
                evo = evolution_propre(part, ind)
                lines.append(f"    - {part['quartier'].iloc[0]} : {phrase_evolution_propre(evo, ind)}.")
            bullets.append("\n".join(lines))
            continue
        lines = [f"- **{label}** :"]
        for qpv, part in df.groupby("qpv", sort=False):
            evo = evolution_ecart(part, ind)
            nom = part["quartier"].iloc[0]
            if evo.tendance in ("aucune", "une_annee"):
                counts["non_suivi"] += 1
            else:
                counts[evo.tendance] += 1
            text = phrase_evolution(evo, ind)
            if evo.tendance != "aucune":
                last = part[(part["statut"] == "ok") & (part["annee"] == evo.annee_fin)].iloc[0]
                situation = position(evo.ecart_fin, ind)
                text = (f"{fr.valeur(last['valeur_qpv'], ind.unite, ind.decimales)} en {evo.annee_fin} contre "
                        f"{fr.valeur(last['valeur_epci'], ind.unite, ind.decimales)} dans l'agglomération"
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
        for qpv, part in df.groupby("qpv", sort=False):
            row = {"Quartier": part["quartier"].iloc[0], "Indicateur": label}
            by_year = {int(r["annee"]): r for _, r in part.iterrows()}
            for y in years:
                r = by_year.get(y)
                if r is None:
                    row[str(y)] = fr.MARQUE_SANS_OBJET
                elif propre:
                    row[str(y)] = fr.valeur(r["valeur_qpv"], ind.unite, ind.decimales, r["statut_qpv"])
                elif r["statut"] == "ok":
                    row[str(y)] = fr.ecart(r["ecart"], ind.unite, ind.decimales)
                else:
                    row[str(y)] = fr.MARQUE_SECRET if r["statut"] == "secret" else fr.MARQUE_ABSENT
            if propre:
                evo = evolution_propre(part, ind)
                row["Évolution"] = {"hausse": "en hausse", "baisse": "en baisse", "stable": "stable"}.get(
                    evo.tendance, "non mesurable")
            else:
                evo = evolution_ecart(part, ind)
                row["Évolution"] = _evolution_courte(evo, ind)
            rows.append(row)
    return pd.DataFrame(rows, columns=["Quartier", "Indicateur", *map(str, years), "Évolution"])


def _evolution_courte(evo: EvolutionEcart, ind: Indicateur) -> str:
    if evo.tendance in ("aucune", "une_annee"):
        return "non mesurable"
    periode = f"{evo.annee_debut}-{evo.annee_fin}"
    if evo.tendance == "stable":
        return f"stable ({periode})"
    if evo.tendance == "inverse":
        return f"inversé ({periode})"
    mot = "réduit" if evo.tendance == "reduit" else "creusé"
    if ind.unite == "%":
        return f"{mot} de {_points_sans_signe(evo.variation, ind.decimales)} ({periode})"
    return f"{mot} ({periode})"


@dataclass(frozen=True)
class Panneau:
    """One panel of the gap chart: its title (with unit), its rows and the agglomeration's level (or None)."""

    titre: str
    data: pd.DataFrame  # territoire (QPV), annee, valeur, statut
    reference: float | None
    libelle: str = ""


def panneaux_graphique(question: Question, donnees: dict[str, pd.DataFrame],
                       glossaire: Glossaire) -> list[Panneau]:
    """The gap by year for each QPV, one panel per indicator.

    Rates: gap in points (agglomeration = 0). Ratios: index, agglomeration = 100. Indicators
    without an agglomeration figure: the QPV's own values. Missing years keep their statut,
    so the chart does not draw them and never bridges them.
    """
    panels = []
    for code in question.indicateurs:
        ind, df = glossaire[code], donnees[code]
        if df.empty:
            continue
        if sans_reference(ind):
            unit = {"%": "en %", "€": "en euros"}.get(ind.unite, ind.unite)
            data = pd.DataFrame({"territoire": df["quartier"], "annee": df["annee"], "valeur": df["valeur_qpv"],
                                 "statut": df["statut_qpv"]})
            panels.append(Panneau(f"{ind.libelle}, valeur du quartier ({unit})", data, None, ind.libelle))
        elif ind.unite == "%":
            data = pd.DataFrame({"territoire": df["quartier"], "annee": df["annee"], "valeur": df["ecart"],
                                 "statut": df["statut"]})
            panels.append(Panneau(f"{ind.libelle} : écart avec l'agglomération (en points)", data, 0.0, ind.libelle))
        else:
            data = pd.DataFrame({"territoire": df["quartier"], "annee": df["annee"], "valeur": df["ecart"] * 100,
                                 "statut": df["statut"]})
            panels.append(Panneau(f"{ind.libelle} du quartier (agglomération = 100)", data, 100.0, ind.libelle))
    return panels


def _annees_sans_valeur(panels: list[Panneau]) -> list[str]:
    out = []
    for p in panels:
        for terr, part in p.data.groupby("territoire", sort=False):
            bad = part[part["statut"] != "ok"]
            if bad.empty:
                continue
            if len(bad) == len(part):
                out.append(f"{p.libelle or p.titre}, {terr} : aucune année")
                continue
            secret = bad.loc[bad["statut"] == "secret", "annee"].tolist()
            absent = bad.loc[bad["statut"] != "secret", "annee"].tolist()
            bits = ([f"nd {fr.annees(absent)}"] if absent else []) + ([f"secret {fr.annees(secret)}"] if secret else [])
            out.append(f"{p.libelle or p.titre}, {terr} : {', '.join(bits)}")
    return out


def graphique_ecarts(panels: list[Panneau], *, source_note: str):
    """plotnine chart: one panel per indicator (stacked, free scales), one Okabe-Ito colour per QPV.

    A grey line marks the agglomeration's level (gap 0, index 100). Years without a gap are
    not drawn, never bridged (charts.line_segments), and listed in the caption.
    """
    import textwrap

    from plotnine import (aes, element_text, facet_wrap, geom_hline, geom_line, geom_point, ggplot, labs,
                          scale_color_manual, scale_x_continuous, scale_y_continuous, theme)

    from osq_utils.present import charts

    titles = [textwrap.fill(p.titre, 100) for p in panels]
    data = pd.concat([p.data.assign(panneau=t) for p, t in zip(panels, titles)], ignore_index=True)
    order = list(dict.fromkeys(data["territoire"]))
    years = sorted(int(y) for y in data["annee"].unique())
    drawn = charts.line_segments(data)
    drawn["territoire"] = pd.Categorical(drawn["territoire"], categories=order)
    drawn["panneau"] = pd.Categorical(drawn["panneau"], categories=titles)
    refs = pd.DataFrame([{"panneau": t, "reference": p.reference} for p, t in zip(panels, titles)
                         if p.reference is not None])
    caption = source_note
    if not refs.empty:
        caption += ("\nLigne grise : niveau de l'agglomération (écart nul, ou 100 pour un rapport). Écart en points : "
                    "taux du quartier moins taux de l'agglomération.")
    missing = _annees_sans_valeur(panels)
    if missing:
        caption += "\nSans valeur (non tracé) : " + " ; ".join(missing)

    def labels(values):
        span = max(values) - min(values) if len(values) else 0
        return [fr.nombre(v, 1 if span < 5 else 0) for v in values]

    plot = ggplot(drawn, aes("annee", "valeur", color="territoire"))
    if not refs.empty:
        refs["panneau"] = pd.Categorical(refs["panneau"], categories=titles)
        plot += geom_hline(aes(yintercept="reference"), data=refs, color="#7F7F7F", linetype="dashed", size=0.6)
    lines = drawn[drawn["points_segment"] > 1]
    if not lines.empty:
        plot += geom_line(aes(group="segment"), data=lines, size=1)
    return (
        plot
        + geom_point(size=2.2)
        + facet_wrap("panneau", scales="free_y", ncol=1)
        + scale_color_manual(values=charts.OKABE_ITO[: len(order)], drop=False)
        + scale_x_continuous(breaks=years, labels=[str(y) for y in years], limits=(years[0] - 0.2, years[-1] + 0.2))
        + scale_y_continuous(labels=labels)
        + labs(x="Année", y="", caption=charts.wrap_text(caption, 120))
        + charts.theme_osq()
        + theme(figure_size=(8, 1.2 + 2.4 * len(panels)), strip_text=element_text(size=10, ha="left"))
    )


def _tout_sans_reference(question: Question, donnees: dict[str, pd.DataFrame], glossaire: Glossaire) -> bool:
    return all(sans_reference(glossaire[c]) for c in question.indicateurs if not donnees[c].empty)


def texte_alternatif(question: Question, evaluation: Evaluation, donnees: dict[str, pd.DataFrame],
                     glossaire: Glossaire) -> str:
    """What the chart shows, for readers who cannot see it."""
    years = sorted({int(y) for df in donnees.values() for y in df["annee"]})
    codes = [c for c in question.indicateurs if not donnees[c].empty]
    quartiers = ", ".join(t.libelle for t in evaluation.qpvs)
    periode = f", de {years[0]} à {years[-1]}" if years else ""
    comparés = [glossaire[c].libelle.lower() for c in codes if not sans_reference(glossaire[c])]
    propres = [glossaire[c].libelle.lower() for c in codes if sans_reference(glossaire[c])]
    parts = [f"Graphique en courbes, un panneau par indicateur, une couleur par quartier ({quartiers}){periode}."]
    if comparés:
        parts.append(f"Pour {', '.join(comparés)} : l'écart de chaque quartier avec l'agglomération "
                     f"{evaluation.epci.libelle}, en points pour les taux, en base 100 (agglomération = 100) pour les "
                     "montants et l'indice de Gini ; une ligne grise pointillée marque le niveau de l'agglomération.")
    if propres:
        parts.append(f"Pour {', '.join(propres)}, sans chiffre de l'agglomération : la valeur du quartier elle-même.")
    parts.append("Les années sans chiffre ne sont pas tracées.")
    return " ".join(parts)


def figure_markdown(png: bytes, legende: str, alt: str, ident: str) -> str:
    """A PNG as a Quarto figure in markdown (data URI), with its own alt text.

    Used when a cell draws a variable number of figures: cell options (`#| fig-alt`) are
    static, a markdown figure carries the alt text of each one.
    """
    data = base64.b64encode(png).decode("ascii")
    alt = " ".join(alt.split()).replace("\\", "\\\\").replace('"', '\\"')
    return f"![{legende}](data:image/png;base64,{data}){{#{ident} fig-alt=\"{alt}\"}}\n"


def table_ecarts(cells: pd.DataFrame, *, titre: str, source_note: str):
    """tableau_ecarts() as a great-tables table with its source and the legend of the marks."""
    from great_tables import GT

    gt = (
        GT(cells, id="osq-" + hashlib.sha1(titre.encode()).hexdigest()[:10])  # stable id: identical reruns
        .tab_header(title=titre)
        .fmt_markdown(columns="Indicateur")
        .cols_align(align="left", columns=["Quartier", "Indicateur", "Évolution"])
        .cols_align(align="right", columns=[c for c in cells.columns if c not in ("Quartier", "Indicateur", "Évolution")])
        .opt_table_font(font=["system-ui", "Segoe UI", "Roboto", "Helvetica", "Arial", "sans-serif"])
    )
    legende = (fr.LEGENDE_MARQUES + f" « {fr.MARQUE_SANS_OBJET} » : année hors de la série publiée pour cet "
               "indicateur. Écart en points : taux du quartier moins taux de l'agglomération. Rapport : chiffre du "
               "quartier divisé par celui de l'agglomération (× 0,62 : le quartier est à 62 % du niveau de "
               "l'agglomération).")
    for note in (source_note, legende):
        gt = gt.tab_source_note(note)
    return gt


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
    seuil_points = _points_sans_signe(SEUIL_STABILITE_POINTS)
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
        "sans chiffre de l'agglomération, la note décrit l'évolution propre de chaque quartier. Pour ces tableaux de "
        "l'ANCT, l'année est celle de la publication, pas celle de l'observation.\n"
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
    from osq_utils.present import blocs

    text = blocs.paroles_acteurs(ctx, evaluation.refs_verbatims)
    if text.strip():
        return text
    return ("Aucune parole d'acteur n'est encore enregistrée pour ces quartiers, leurs communes ou "
            f"{evaluation.epci.libelle}. Les verbatims des ateliers de coopération s'ajoutent dans les fichiers "
            "du dossier data/verbatims/.\n")


def elements_question(ctx, evaluation: Evaluation, question: Question, donnees: dict[str, pd.DataFrame]) -> list:
    """What the note shows for one question: heading and answer, table of gaps, chart (as markdown figure)."""
    from IPython.display import Markdown

    from osq_utils.present import blocs, images

    g, href = ctx.glossaire, ctx.glossaire_href
    sources = pd.concat([lignes_sources(df) for df in donnees.values()], ignore_index=True)
    note_source = blocs.source_note(ctx.catalogue, sources)
    out = [Markdown(f"## Question {question.numero} : {question.texte}\n\n### Ce que montrent les chiffres\n\n"
                    + reponse_question(question, donnees, g, href))]
    cells = tableau_ecarts(question, donnees, g, href)
    propre = _tout_sans_reference(question, donnees, g)
    quoi = ("valeur de chaque quartier" if propre else
            f"écart entre chaque quartier et l'agglomération {evaluation.epci.libelle}")
    if not cells.empty:
        out.append(Markdown("### " + ("Chiffres par année" if propre else "Écarts par année") + "\n"))
        out.append(table_ecarts(cells, titre=f"Question {question.numero} : {quoi}, par année",
                                source_note=note_source))
    panels = panneaux_graphique(question, donnees, g)
    if panels:
        png = images.ggplot_png(graphique_ecarts(panels, source_note=note_source)).data
        legende = f"Question {question.numero} : {quoi}, par année"
        out.append(Markdown(figure_markdown(png, legende, texte_alternatif(question, evaluation, donnees, g),
                                            f"fig-question-{question.numero}")))
    return out


__all__ = [
    "AVERTISSEMENT",
    "SEUIL_STABILITE_POINTS",
    "SEUIL_STABILITE_RAPPORT",
    "Evaluation",
    "EvolutionEcart",
    "EvolutionPropre",
    "Question",
    "ecarts",
    "ecarts_par_annee",
    "elements_question",
    "encadre_methode",
    "evolution_ecart",
    "evolution_propre",
    "figure_markdown",
    "graphique_ecarts",
    "lignes_sources",
    "lire_questions",
    "panneaux_graphique",
    "paroles_acteurs",
    "phrase_evolution",
    "phrase_evolution_propre",
    "position",
    "preparer",
    "presentation",
    "reponse_question",
    "sources_de",
    "table_ecarts",
    "tableau_ecarts",
    "texte_alternatif",
]
