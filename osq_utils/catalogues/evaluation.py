"""The observatory's own inputs to the evaluation of a contrat de ville: one folder, no code.

The folder (named by the `evaluation:` key of an evaluation_cdv note in the params file) holds:

    evaluation.yml          what was done and published, with the source of every figure (below)
    actions.csv | .xlsx     optional: the actions of the contract, one row per action
    questionnaires/*.csv    optional: answers to a questionnaire, one row per respondent
    constats/<volet>-<n>.md optional: the analyst's findings for question n of an angle (volet)

evaluation.yml:

    documents:                        # the documents figures come from, cited by their key
      aud-2023: {titre: "…", editeur: "…", annee: 2023}
    piliers: {cohesion_sociale: Cohésion sociale, …}   # default: the three pillars of the 2014 law
    contrats:                         # the contracts evaluated
      - {intitule: "…", signature: "2015-05-28", qpv: [QP062036], pilotage: "…", source: {…}}
    cooperation:
      objectif: {texte: "…", source: {…}}   # or a plain text
      questions: ["Dans quelle mesure … ?", …]
      source: {…}                     # where the questions are printed (also for observation, actions_structurantes)
      acteurs: ["Les communes : …", …]
      travaux:                        # meetings, workshops, questionnaires, conseils citoyens
        - {type: reunion, intitule: "…", nombre: 2, source: {…}}
        - {type: atelier, intitule: "…", nombre: 3, participants_moyenne: 13, dates: [], source: {…}}
        - {type: questionnaire, intitule: "…", repondants: 22, questionnaire: porteurs, source: {…}}
        - {type: conseil_citoyen, intitule: "…", participants: 6, qpv: [QP062037], source: {…}}
    observation:
      questions: [{question: "…", indicateurs: [taux_pauvrete, …]}]   # or the params' `questions`
    actions_structurantes:
      actions: [{intitule: "…", description: "…", piliers: [], activite: [{libelle, valeur, unite, annee,
                 effectif, source}], source: {…}}]
    bilan:                            # the actions of the contract by pillar
      fichier: actions.csv            # one row per action, or (where only totals are published):
      periode: [2015, 2021]
      totaux: [{pilier: cohesion_sociale, actions: 280, part_publiee: 70}]
      source: {document: …, page: "9"}
    questionnaires:
      - {id: porteurs, intitule: "…", repondants: 22, locuteur: partenaire, date: "2022", diffusion: public,
         seuil_prudence: 30, reponses: questionnaires/porteurs.csv, questions: [{id: q1, texte: "…",
         type: fermee, modalites: {"1": Oui, "2": Non}}, {id: q2, texte: "…", type: ouverte,
         theme: lien_social, diffusion: partenaires}], source: {…}}

A source is `{document: <key of documents>, page: "10", section: "…"}`. Every declared figure has
one. A share is never declared without its count; a blank or absent value is unknown, never 0.
Every error is an OsqError naming the file, the line, the column and the fix.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from osq_utils.catalogues.lecture_yaml import Document, lire_yaml
from osq_utils.catalogues.profils import PROFILS
from osq_utils.catalogues.tableaux import EXTENSIONS_CSV, EXTENSIONS_EXCEL, Tableau, lire_tableau
from osq_utils.catalogues.verbatims import LOCUTEURS
from osq_utils.catalogues.verbatims import load_themes as load_themes_verbatims
from osq_utils.errors import OsqError

FICHIER = "evaluation.yml"
DOSSIER_CONSTATS = "constats"
VOLETS = {"cooperation": "La coopération", "observation": "L'observation",
          "actions_structurantes": "Les actions structurantes"}
# The pillars of the contrats de ville (loi de programmation pour la ville et la cohésion urbaine, 2014).
PILIERS_NATIONAUX = {"cohesion_sociale": "Cohésion sociale",
                     "cadre_de_vie": "Cadre de vie et renouvellement urbain",
                     "developpement_economique": "Développement économique et emploi"}
TYPES_TRAVAUX = {"reunion": "Réunions", "atelier": "Ateliers", "questionnaire": "Questionnaires",
                 "conseil_citoyen": "Conseils citoyens", "rencontre": "Rencontres avec les habitants"}
TOUS_QPV = "tous"
# Below this many respondents, shares of a questionnaire are read with caution (a respondent weighs more
# than 3 points): the usual rule of thumb of survey practice, documented in
# docs/guides/evaluer-un-contrat-de-ville.md; a questionnaire may set its own (`seuil_prudence`).
SEUIL_REPONDANTS = 30
COLONNES_ACTIONS = ("annee", "pilier", "qpv", "porteur", "intitule", "montant", "public_touche")
COLONNES_ACTIONS_OBLIGATOIRES = ("annee", "pilier", "qpv", "intitule")
COLONNE_REPONDANT, COLONNE_QPV = "repondant", "qpv"
_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


@dataclass(frozen=True)
class DocumentSource:
    cle: str
    titre: str
    editeur: str | None = None
    annee: int | None = None


@dataclass(frozen=True)
class Reference:
    """Where a figure or a text is printed: a document, a page, a section."""

    document: DocumentSource
    page: str | None = None
    section: str | None = None

    def citation(self) -> str:
        """'AUD Saint-Omer, « L'observation… », 2023, p. 10 (« Zoom sur le volet coopération »)'."""
        d = self.document
        bits = [b for b in (d.editeur, f"«\u00a0{d.titre}\u00a0»", str(d.annee) if d.annee else None) if b]
        text = ", ".join(bits)
        if self.page:
            text += f", p.\u00a0{self.page}"
        if self.section:
            text += f" (section «\u00a0{self.section}\u00a0»)"
        return text

    def courte(self) -> str:
        """'AUD Saint-Omer, 2023, p. 10': the short form used in running text (the note lists the documents)."""
        d = self.document
        bits = [b for b in (d.editeur or d.titre, str(d.annee) if d.annee else None) if b]
        if self.page:
            bits.append(f"p.\u00a0{self.page}")
        return ", ".join(bits)


@dataclass(frozen=True)
class Contrat:
    intitule: str
    signature: str | None
    qpv: tuple[str, ...]
    pilotage: str | None
    source: Reference


@dataclass(frozen=True)
class QuestionEvaluative:
    """An evaluative question of an angle, and the analyst's findings (markdown, shown as theirs)."""

    volet: str
    numero: int
    texte: str
    constats: str | None  # None while the file is not written
    fichier_constats: str  # where the findings are written (relative to the evaluation folder)
    indicateurs: tuple[str, ...] = ()  # observation: glossary indicators published by QPV


@dataclass(frozen=True)
class Travail:
    """A piece of the cooperation work: meetings, workshops, a questionnaire, conseils citoyens."""

    type: str
    intitule: str
    source: Reference
    nombre: int | None = None
    participants: int | None = None
    participants_moyenne: float | None = None
    repondants: int | None = None
    dates: tuple[str, ...] = ()
    qpv: tuple[str, ...] = ()
    questionnaire: str | None = None


@dataclass(frozen=True)
class ChiffreActivite:
    libelle: str
    valeur: float
    unite: str | None
    annee: str | None
    source: Reference
    effectif: float | None = None  # the count a share is taken from (required with unite « % »)


@dataclass(frozen=True)
class ActionStructurante:
    numero: int
    intitule: str
    description: str | None
    piliers: tuple[str, ...]
    qpv: tuple[str, ...]
    activite: tuple[ChiffreActivite, ...]
    source: Reference
    constats: str | None
    fichier_constats: str


@dataclass(frozen=True)
class TotalPilier:
    pilier: str
    actions: int
    part_publiee: float | None = None  # the share as the document prints it (checked against the counts)
    montant: float | None = None
    public_touche: int | None = None


@dataclass(frozen=True)
class Bilan:
    """The actions of the contract: one row per action (`actions`), or declared totals by pillar."""

    source: Reference
    periode: tuple[int, int] | None
    totaux: tuple[TotalPilier, ...] = ()
    actions: pd.DataFrame | None = None  # annee, pilier, qpv, porteur, intitule, montant, public_touche
    fichier: str | None = None


@dataclass(frozen=True)
class QuestionQuestionnaire:
    id: str
    texte: str
    type: str  # fermee | ouverte
    modalites: tuple[tuple[str, str], ...] = ()  # (code, libellé), in the declared order
    theme: str | None = None  # open answers: theme of the verbatims
    diffusion: str | None = None  # open answers: public | partenaires


@dataclass(frozen=True)
class Questionnaire:
    id: str
    intitule: str
    source: Reference
    repondants: int | None
    locuteur: str | None
    date: str | None
    diffusion: str
    seuil_prudence: int
    questions: tuple[QuestionQuestionnaire, ...] = ()
    reponses: pd.DataFrame | None = None  # repondant, [qpv], one column per question (text; '' no answer)
    fichier: str | None = None

    @property
    def effectif(self) -> int | None:
        """Respondents: the rows of the answers file, else the declared count."""
        return len(self.reponses) if self.reponses is not None else self.repondants


@dataclass(frozen=True)
class EntreesEvaluation:
    """Everything the observatory declared about its evaluation, validated."""

    dossier: Path
    document: Document = field(repr=False)
    documents: dict[str, DocumentSource]
    piliers: dict[str, str]
    contrats: tuple[Contrat, ...]
    objectifs: dict[str, tuple[str, Reference | None]]  # volet -> its objective as printed, and where
    sources_volets: dict[str, Reference | None]  # volet -> where its evaluative questions are printed
    acteurs: tuple[str, ...]
    questions: dict[str, tuple[QuestionEvaluative, ...]]  # volet -> questions (observation: see below)
    travaux: tuple[Travail, ...]
    actions_structurantes: tuple[ActionStructurante, ...]
    bilan: Bilan | None
    questionnaires: tuple[Questionnaire, ...]
    questions_observation: list | None = None  # raw `observation.questions` ({question, indicateurs}), or None

    def questionnaire(self, ident: str) -> Questionnaire | None:
        return next((q for q in self.questionnaires if q.id == ident), None)

    def constats(self, volet: str, numero: int) -> tuple[str | None, str]:
        """The analyst's findings for question `numero` of `volet`, and the file they belong in."""
        return _constats(self.dossier, volet, numero)


# --- Reading ------------------------------------------------------------------------------------


def chemin_fichier(dossier: Path | str) -> Path:
    """The evaluation.yml of a folder (or the file itself when a .yml is named)."""
    dossier = Path(dossier)
    return dossier if dossier.suffix in (".yml", ".yaml") else dossier / FICHIER


def fichiers(dossier: Path | str) -> list[Path]:
    """Every file of an evaluation folder (for the build fingerprint)."""
    base = chemin_fichier(dossier).parent
    return sorted(p for p in base.rglob("*") if p.is_file())


def load_evaluation(dossier: Path | str, qpvs: Mapping[str, str], questions_parametres: int = 0) -> EntreesEvaluation:
    """Read and validate an evaluation folder.

    qpvs: code -> name of the QPV evaluated (the note's `qpv` parameter, checked against the store);
    a QPV named anywhere in the inputs must be one of them. questions_parametres: how many observation
    questions the params file gives (`questions`), when evaluation.yml declares none.
    """
    chemin = chemin_fichier(dossier)
    if not chemin.is_file():
        raise OsqError("fichier de l'évaluation introuvable", fichier=chemin,
                       correction=f"créez {FICHIER} dans le dossier nommé par la clé « evaluation » du fichier de "
                                  "paramètres (modèle : params/capso/evaluation/evaluation.yml).")
    doc = lire_yaml(chemin, quoi="fichier de l'évaluation")
    return _Lecteur(doc, chemin.parent, dict(qpvs), questions_parametres).lire()


def _constats(dossier: Path, volet: str, numero: int) -> tuple[str | None, str]:
    nom = f"{DOSSIER_CONSTATS}/{volet}-{numero}.md"
    path = dossier / nom
    try:
        text = path.read_text(encoding="utf-8").strip() if path.is_file() else ""
    except UnicodeDecodeError as exc:
        raise OsqError(f"constats illisibles : le fichier n'est pas encodé en UTF-8 (octet {exc.start})", fichier=path,
                       correction="enregistrez le fichier en UTF-8 depuis votre éditeur.") from None
    return (text or None), nom


class LecteurEntrees:
    """Walks an observatory's input file (YAML); every error points at the node (line, column) it is about.
    Shared by the evaluation inputs and the ABS plan d'actions."""

    def __init__(self, doc: Document, dossier: Path) -> None:
        self.doc, self.dossier = doc, dossier
        self.documents: dict[str, DocumentSource] = {}

    # --- generic checks -------------------------------------------------------------------

    def err(self, message: str, *chemin: Any, correction: str, cle: bool = False) -> OsqError:
        return self.doc.erreur(message, *chemin, correction=correction, cle=cle)

    def dict_(self, *chemin: Any, permises: tuple[str, ...], obligatoires: tuple[str, ...] = (),
              quoi: str) -> dict:
        value = self.doc.get(*chemin)
        if not isinstance(value, dict):
            raise self.err(f"{quoi} : une liste de champs « clé: valeur » est attendue", *chemin,
                           correction="écrivez un champ par ligne, sous la forme « champ: valeur ».")
        for key in value:
            if key not in permises:
                raise self.err(f"{quoi} : champ « {key} » inconnu", *chemin, key, cle=True,
                               correction=f"champs possibles : {', '.join(permises)}.")
        for key in obligatoires:
            if value.get(key) is None:
                raise self.err(f"{quoi} : champ « {key} » manquant", *chemin,
                               correction=f"ajoutez la ligne « {key}: … ».")
        return value

    def liste(self, *chemin: Any, quoi: str, vide: bool = True) -> list:
        value = self.doc.get(*chemin)
        if value is None and vide:
            return []
        if not isinstance(value, list) or (not value and not vide):
            raise self.err(f"{quoi} : une liste est attendue", *chemin,
                           correction="écrivez un élément par ligne, chacun commençant par « - ».")
        return value

    def texte(self, *chemin: Any, quoi: str, obligatoire: bool = True) -> str | None:
        value = self.doc.get(*chemin)
        if value is None and not obligatoire:
            return None
        if not isinstance(value, str) or not value.strip():
            raise self.err(f"{quoi} : texte manquant ou mal formé", *chemin,
                           correction="écrivez le texte tel que le document l'imprime, entre guillemets.")
        return " ".join(value.split())

    def entier(self, *chemin: Any, quoi: str, obligatoire: bool = False) -> int | None:
        value = self.doc.get(*chemin)
        if value is None and not obligatoire:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise self.err(f"{quoi} : « {self.doc.ecrit(*chemin) or value} » n'est pas un effectif", *chemin,
                           correction="écrivez un nombre entier positif, sans guillemets ni unité (par exemple 22), "
                                      "ou retirez la ligne si le document ne le donne pas (jamais 0 à la place).")
        return value

    def nombre(self, *chemin: Any, quoi: str, obligatoire: bool = False) -> float | None:
        value = self.doc.get(*chemin)
        if value is None and not obligatoire:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise self.err(f"{quoi} : « {self.doc.ecrit(*chemin) or value} » n'est pas un nombre", *chemin,
                           correction="écrivez un nombre positif avec un point décimal (par exemple 13 ou 12.5), "
                                      "sans guillemets ni unité.")
        return float(value)

    def date(self, *chemin: Any, quoi: str) -> str | None:
        value = self.doc.get(*chemin)
        if value is None:
            return None
        if isinstance(value, dt.date):
            return value.isoformat()
        text = str(value).strip()
        m = _DATE.match(text)
        try:
            if not m:
                raise ValueError
            dt.date(int(m.group(1)), int(m.group(2) or 1), int(m.group(3) or 1))
        except ValueError:
            raise self.err(f"{quoi} : date « {text} » non reconnue", *chemin,
                           correction='écrivez "2022", "2022-03" ou "2022-03-15", ou retirez la ligne si le '
                                      "document ne la donne pas.") from None
        return text

    def source(self, *chemin: Any, quoi: str) -> Reference:
        if self.doc.get(*chemin) is None:
            raise self.err(f"{quoi} : source manquante", *chemin[:-1],
                           correction="ajoutez « source: {document: <clé de documents>, page: \"10\"} » : chaque "
                                      "chiffre déclaré cite le document qui le publie.")
        spec = self.dict_(*chemin, permises=("document", "page", "section"), obligatoires=("document",),
                          quoi=f"{quoi}, source")
        cle = str(spec["document"])
        if cle not in self.documents:
            raise self.err(f"{quoi} : document « {cle} » non déclaré", *chemin, "document",
                           correction=f"déclarez-le sous « documents: » ; documents déclarés : "
                                      f"{', '.join(self.documents) or 'aucun'}.")
        page = spec.get("page")
        section = spec.get("section")
        return Reference(self.documents[cle], None if page is None else str(page),
                         None if section is None else " ".join(str(section).split()))

    def lire_documents(self) -> None:
        raw = self.doc.get("documents")
        if not isinstance(raw, dict) or not raw:
            raise self.err("aucun document source déclaré", "documents",
                           correction="déclarez sous « documents: » chaque document d'où viennent les chiffres, "
                                      "par exemple « aud-2023: {titre: \"…\", editeur: \"…\", annee: 2023} ».")
        for cle in raw:
            spec = self.dict_("documents", cle, permises=("titre", "editeur", "annee"), obligatoires=("titre",),
                              quoi=f"document « {cle} »")
            annee = spec.get("annee")
            if annee is not None and (isinstance(annee, bool) or not isinstance(annee, int) or not 1900 <= annee <= 2100):
                raise self.err(f"document « {cle} » : année « {annee} » invalide", "documents", cle, "annee",
                               correction="écrivez l'année imprimée sur le document (par exemple 2023), ou null.")
            self.documents[str(cle)] = DocumentSource(
                str(cle), self.texte("documents", cle, "titre", quoi=f"document « {cle} », titre") or "",
                self.texte("documents", cle, "editeur", quoi=f"document « {cle} », editeur", obligatoire=False),
                annee)


class _Lecteur(LecteurEntrees):
    """Walks evaluation.yml."""

    CLES = ("documents", "piliers", "contrats", "cooperation", "observation", "actions_structurantes", "bilan",
            "questionnaires")

    def __init__(self, doc: Document, dossier: Path, qpvs: dict[str, str], questions_parametres: int = 0) -> None:
        super().__init__(doc, dossier)
        self.qpvs = qpvs
        self.questions_parametres = questions_parametres
        self.piliers: dict[str, str] = dict(PILIERS_NATIONAUX)

    def qpv(self, code: Any, *chemin: Any, quoi: str, tous: bool = False) -> str:
        text = str(code).strip() if code is not None else ""
        if tous and text.lower() == TOUS_QPV:
            return TOUS_QPV
        if text not in self.qpvs:
            raise self.err(f"{quoi} : quartier « {text} » inconnu de cette évaluation", *chemin,
                           correction=self.correction_qpv(tous))
        return text

    def correction_qpv(self, tous: bool) -> str:
        quartiers = ", ".join(f"{c} ({n})" for c, n in self.qpvs.items()) or "aucun"
        return (f"quartiers évalués (paramètre « qpv » de la note) : {quartiers}"
                + (f" ; ou « {TOUS_QPV} » pour une action de tous les quartiers" if tous else "") + ".")

    def qpv_liste(self, *chemin: Any, quoi: str) -> tuple[str, ...]:
        values = self.doc.get(*chemin)
        if values is None:
            return ()
        if not isinstance(values, list):
            values, chemins = [values], [chemin]
        else:
            chemins = [(*chemin, j) for j in range(len(values))]
        return tuple(self.qpv(v, *c, quoi=quoi) for v, c in zip(values, chemins))

    def pilier(self, code: Any, *chemin: Any, quoi: str) -> str:
        text = str(code).strip() if code is not None else ""
        if text not in self.piliers:
            raise self.err(f"{quoi} : pilier « {text} » inconnu", *chemin, correction=self.correction_pilier())
        return text

    def correction_pilier(self) -> str:
        return (f"piliers déclarés : {', '.join(self.piliers)} (la liste « piliers: » du fichier "
                f"{FICHIER}, sinon les trois piliers nationaux).")

    # --- the file -------------------------------------------------------------------------

    def lire(self) -> EntreesEvaluation:
        if not isinstance(self.doc.donnees, dict):
            raise self.err("fichier de l'évaluation vide ou mal formé",
                           correction="commencez par « documents: », puis les volets (voir le guide "
                                      "docs/guides/evaluer-un-contrat-de-ville.md).")
        self.dict_(permises=self.CLES, quoi="fichier de l'évaluation")
        self.lire_documents()
        self.lire_piliers()
        contrats = tuple(self.contrat(i) for i in range(len(self.liste("contrats", quoi="contrats"))))
        objectifs: dict[str, tuple[str, Reference | None]] = {}
        sources: dict[str, Reference | None] = {}
        questions: dict[str, tuple[QuestionEvaluative, ...]] = {}
        acteurs: tuple[str, ...] = ()
        travaux: tuple[Travail, ...] = ()
        questionnaires = tuple(self.questionnaire(i)
                               for i in range(len(self.liste("questionnaires", quoi="questionnaires"))))
        ids = [q.id for q in questionnaires]
        for i, ident in enumerate(ids):
            if ident in ids[:i]:
                raise self.err(f"questionnaire « {ident} » déclaré deux fois", "questionnaires", i, "id",
                               correction="donnez à chaque questionnaire un identifiant unique.")
        permises = {"cooperation": ("acteurs", "travaux"), "observation": (), "actions_structurantes": ("actions",)}
        for volet, propres in permises.items():
            if volet not in self.doc.donnees:
                continue
            self.dict_(volet, permises=("objectif", "questions", "source", *propres), quoi=volet)
            objectif = self.objectif(volet)
            if objectif is not None:
                objectifs[volet] = objectif
            sources[volet] = self.source(volet, "source", quoi=volet) if self.doc.get(volet, "source") is not None else None
        if "cooperation" in self.doc.donnees:
            questions["cooperation"] = self.questions_texte("cooperation")
            acteurs = tuple(self.texte("cooperation", "acteurs", j, quoi="cooperation, acteur") or ""
                            for j in range(len(self.liste("cooperation", "acteurs", quoi="cooperation, acteurs"))))
            travaux = tuple(self.travail(j, set(ids))
                            for j in range(len(self.liste("cooperation", "travaux", quoi="cooperation, travaux"))))
        brut_observation = None
        if self.doc.get("observation", "questions") is not None:
            brut_observation = self.liste("observation", "questions", quoi="observation, questions", vide=False)
        actions: tuple[ActionStructurante, ...] = ()
        if "actions_structurantes" in self.doc.donnees:
            if self.doc.get("actions_structurantes", "questions") is not None:
                raise self.err("actions_structurantes : les actions tiennent lieu de questions", "actions_structurantes",
                               "questions", cle=True,
                               correction="décrivez chaque action sous « actions: » ; ses constats vont dans "
                                          "constats/actions_structurantes-<n>.md.")
            n = len(self.liste("actions_structurantes", "actions", quoi="actions structurantes"))
            actions = tuple(self.action_structurante(j) for j in range(n))
        bilan = self.bilan() if "bilan" in self.doc.donnees else None
        self.verifier_constats(questions, brut_observation, actions)
        return EntreesEvaluation(
            dossier=self.dossier, document=self.doc, documents=self.documents, piliers=self.piliers,
            contrats=contrats, objectifs=objectifs, sources_volets=sources, acteurs=acteurs, questions=questions,
            travaux=travaux,
            actions_structurantes=actions, bilan=bilan, questionnaires=questionnaires,
            questions_observation=brut_observation,
        )

    def lire_piliers(self) -> None:
        raw = self.doc.get("piliers")
        if raw is None:
            return
        if not isinstance(raw, dict) or not raw:
            raise self.err("« piliers » doit associer un code à chaque libellé", "piliers",
                           correction="écrivez une ligne par pilier, sous la forme « code: Libellé ».")
        self.piliers = {}
        for code in raw:
            if not re.fullmatch(r"[a-z0-9_]+", str(code)):
                raise self.err(f"code de pilier « {code} » mal formé", "piliers", code, cle=True,
                               correction="écrivez le code en minuscules sans accent, par exemple cohesion_sociale.")
            self.piliers[str(code)] = self.texte("piliers", code, quoi=f"pilier « {code} »") or ""

    def objectif(self, volet: str) -> tuple[str, Reference | None] | None:
        """A volet's objective: a text, or {texte, source}."""
        raw = self.doc.get(volet, "objectif")
        if raw is None:
            return None
        if isinstance(raw, str):
            return self.texte(volet, "objectif", quoi=f"{volet}, objectif") or "", None
        self.dict_(volet, "objectif", permises=("texte", "source"), obligatoires=("texte",), quoi=f"{volet}, objectif")
        return (self.texte(volet, "objectif", "texte", quoi=f"{volet}, objectif") or "",
                self.source(volet, "objectif", "source", quoi=f"{volet}, objectif"))

    def contrat(self, i: int) -> Contrat:
        here = ("contrats", i)
        quoi = f"contrat n° {i + 1}"
        self.dict_(*here, permises=("intitule", "signature", "qpv", "pilotage", "source"),
                   obligatoires=("intitule", "qpv"), quoi=quoi)
        return Contrat(self.texte(*here, "intitule", quoi=f"{quoi}, intitule") or "",
                       self.date(*here, "signature", quoi=f"{quoi}, signature"),
                       self.qpv_liste(*here, "qpv", quoi=quoi),
                       self.texte(*here, "pilotage", quoi=f"{quoi}, pilotage", obligatoire=False),
                       self.source(*here, "source", quoi=quoi))

    def questions_texte(self, volet: str) -> tuple[QuestionEvaluative, ...]:
        out = []
        for j, _ in enumerate(self.liste(volet, "questions", quoi=f"{volet}, questions")):
            texte = self.texte(volet, "questions", j, quoi=f"{volet}, question n° {j + 1}") or ""
            constats, nom = _constats(self.dossier, volet, j + 1)
            out.append(QuestionEvaluative(volet, j + 1, texte, constats, nom))
        return tuple(out)

    def travail(self, j: int, questionnaires: set[str]) -> Travail:
        here = ("cooperation", "travaux", j)
        quoi = f"travail de coopération n° {j + 1}"
        spec = self.dict_(*here, permises=("type", "intitule", "nombre", "participants", "participants_moyenne",
                                           "repondants", "dates", "qpv", "questionnaire", "source"),
                          obligatoires=("type", "intitule"), quoi=quoi)
        kind = str(spec["type"])
        if kind not in TYPES_TRAVAUX:
            raise self.err(f"{quoi} : type « {kind} » inconnu", *here, "type",
                           correction=f"types possibles : {', '.join(TYPES_TRAVAUX)}.")
        if not any(spec.get(k) is not None for k in ("nombre", "participants", "participants_moyenne", "repondants")):
            raise self.err(f"{quoi} : aucun effectif", *here,
                           correction="donnez au moins « nombre », « participants », « participants_moyenne » ou "
                                      "« repondants », tel que le document l'imprime.")
        ident = spec.get("questionnaire")
        if ident is not None and str(ident) not in questionnaires:
            raise self.err(f"{quoi} : questionnaire « {ident} » non déclaré", *here, "questionnaire",
                           correction=f"déclarez-le sous « questionnaires: » ; déclarés : "
                                      f"{', '.join(sorted(questionnaires)) or 'aucun'}.")
        dates = tuple(d for d in (self.date(*here, "dates", k, quoi=f"{quoi}, date")
                                  for k in range(len(self.liste(*here, "dates", quoi=f"{quoi}, dates")))) if d)
        return Travail(kind, self.texte(*here, "intitule", quoi=f"{quoi}, intitule") or "",
                       self.source(*here, "source", quoi=quoi),
                       nombre=self.entier(*here, "nombre", quoi=f"{quoi}, nombre"),
                       participants=self.entier(*here, "participants", quoi=f"{quoi}, participants"),
                       participants_moyenne=self.nombre(*here, "participants_moyenne",
                                                        quoi=f"{quoi}, participants_moyenne"),
                       repondants=self.entier(*here, "repondants", quoi=f"{quoi}, repondants"),
                       dates=dates, qpv=self.qpv_liste(*here, "qpv", quoi=quoi),
                       questionnaire=None if ident is None else str(ident))

    def action_structurante(self, j: int) -> ActionStructurante:
        here = ("actions_structurantes", "actions", j)
        quoi = f"action structurante n° {j + 1}"
        self.dict_(*here, permises=("intitule", "description", "piliers", "qpv", "activite", "source"),
                   obligatoires=("intitule",), quoi=quoi)
        piliers = self.doc.get(*here, "piliers") or []
        if not isinstance(piliers, list):
            piliers = [piliers]
        activite = tuple(self.chiffre_activite(here, k, quoi)
                         for k in range(len(self.liste(*here, "activite", quoi=f"{quoi}, activite"))))
        constats, nom = _constats(self.dossier, "actions_structurantes", j + 1)
        return ActionStructurante(
            j + 1, self.texte(*here, "intitule", quoi=f"{quoi}, intitule") or "",
            self.texte(*here, "description", quoi=f"{quoi}, description", obligatoire=False),
            tuple(self.pilier(p, *here, "piliers", k, quoi=quoi) for k, p in enumerate(piliers)),
            self.qpv_liste(*here, "qpv", quoi=quoi), activite, self.source(*here, "source", quoi=quoi), constats, nom)

    def chiffre_activite(self, here: tuple, k: int, action: str) -> ChiffreActivite:
        at = (*here, "activite", k)
        quoi = f"{action}, chiffre d'activité n° {k + 1}"
        spec = self.dict_(*at, permises=("libelle", "valeur", "unite", "annee", "effectif", "source"),
                          obligatoires=("libelle", "valeur"), quoi=quoi)
        unite = spec.get("unite")
        if unite is not None and not isinstance(unite, str):
            raise self.err(f"{quoi} : unité mal formée", *at, "unite", correction="écrivez l'unité en texte (%, €, personnes…).")
        effectif = self.nombre(*at, "effectif", quoi=f"{quoi}, effectif")
        if unite is not None and unite.strip() == "%" and effectif is None:
            raise self.err(f"{quoi} : pourcentage sans son effectif", *at, "valeur",
                           correction="ajoutez « effectif: » (le nombre de personnes ou d'actions sur lequel porte la "
                                      "part) : un pourcentage ne se publie jamais sans son effectif.")
        return ChiffreActivite(self.texte(*at, "libelle", quoi=f"{quoi}, libelle") or "",
                               self.nombre(*at, "valeur", quoi=f"{quoi}, valeur", obligatoire=True) or 0.0,
                               unite.strip() if isinstance(unite, str) else None,
                               None if spec.get("annee") is None else str(spec["annee"]),
                               self.source(*at, "source", quoi=quoi), effectif)

    # --- bilan des actions ----------------------------------------------------------------

    def bilan(self) -> Bilan:
        spec = self.dict_("bilan", permises=("fichier", "periode", "totaux", "source"), quoi="bilan")
        source = self.source("bilan", "source", quoi="bilan")
        periode = None
        if spec.get("periode") is not None:
            raw = spec["periode"]
            if (not isinstance(raw, list) or len(raw) != 2 or not all(isinstance(y, int) and not isinstance(y, bool)
                                                                      for y in raw) or raw[0] > raw[1]):
                raise self.err("bilan : période mal formée", "bilan", "periode",
                               correction="écrivez la première et la dernière année, par exemple « periode: [2015, 2021] ».")
            periode = (int(raw[0]), int(raw[1]))
        if spec.get("fichier") is None and spec.get("totaux") is None:
            raise self.err("bilan : ni fichier des actions ni totaux déclarés", "bilan",
                           correction="donnez « fichier: actions.csv » (une ligne par action) ou, si seuls les totaux "
                                      "sont publiés, « totaux: » par pilier avec leur « periode: ».")
        if spec.get("fichier") is not None and spec.get("totaux") is not None:
            raise self.err("bilan : un fichier des actions et des totaux déclarés à la fois", "bilan", "totaux",
                           correction="gardez le fichier des actions (les totaux en sont calculés), ou les totaux seuls.")
        if spec.get("totaux") is not None:
            if periode is None:
                raise self.err("bilan : totaux sans période", "bilan",
                               correction="ajoutez « periode: [première année, dernière année] ».")
            n = len(self.liste("bilan", "totaux", quoi="bilan, totaux", vide=False))
            totaux = tuple(self.total(k) for k in range(n))
            vus = [t.pilier for t in totaux]
            for k, p in enumerate(vus):
                if p in vus[:k]:
                    raise self.err(f"bilan : pilier « {p} » compté deux fois", "bilan", "totaux", k, "pilier",
                                   correction="gardez une ligne par pilier.")
            self.verifier_parts(totaux)
            return Bilan(source, periode, totaux=totaux)
        fichier = str(spec["fichier"])
        return Bilan(source, periode, actions=self.lire_actions(fichier, periode), fichier=fichier)

    def total(self, k: int) -> TotalPilier:
        at = ("bilan", "totaux", k)
        quoi = f"bilan, total n° {k + 1}"
        spec = self.dict_(*at, permises=("pilier", "actions", "part_publiee", "montant", "public_touche"),
                          obligatoires=("pilier",), quoi=quoi)
        if spec.get("actions") is None:
            if spec.get("part_publiee") is not None:
                raise self.err(f"{quoi} : part publiée sans le nombre d'actions", *at, "part_publiee",
                               correction="ajoutez « actions: » (le nombre d'actions du pilier) : une part ne se "
                                          "publie jamais sans son effectif.")
            raise self.err(f"{quoi} : nombre d'actions manquant", *at,
                           correction="ajoutez « actions: » (le nombre d'actions du pilier, tel que publié).")
        part = self.nombre(*at, "part_publiee", quoi=f"{quoi}, part_publiee")
        if part is not None and part > 100:
            raise self.err(f"{quoi} : part publiée supérieure à 100", *at, "part_publiee",
                           correction="écrivez la part en pourcentage, entre 0 et 100, sans le signe %.")
        return TotalPilier(self.pilier(spec["pilier"], *at, "pilier", quoi=quoi),
                           self.entier(*at, "actions", quoi=f"{quoi}, actions", obligatoire=True) or 0, part,
                           self.nombre(*at, "montant", quoi=f"{quoi}, montant"),
                           self.entier(*at, "public_touche", quoi=f"{quoi}, public_touche"))

    def verifier_parts(self, totaux: tuple[TotalPilier, ...]) -> None:
        """A printed share must be the count's share of the total, to the precision it is printed with."""
        total = sum(t.actions for t in totaux)
        for k, t in enumerate(totaux):
            if t.part_publiee is None:
                continue
            calcul = 100 * t.actions / total if total else 0.0
            ecrit = self.doc.ecrit("bilan", "totaux", k, "part_publiee") or str(t.part_publiee)
            decimales = len(ecrit.split(".")[1]) if "." in ecrit else 0
            if abs(calcul - t.part_publiee) > 0.5 * 10 ** -decimales + 1e-9:
                raise self.err(f"bilan, total n° {k + 1} : part publiée {ecrit} % incohérente avec les effectifs "
                               f"({t.actions} actions sur {total}, soit {calcul:.1f} %)".replace(".", ","),
                               "bilan", "totaux", k, "part_publiee",
                               correction="vérifiez le nombre d'actions et la part recopiés du document ; la part est "
                                          "calculée sur le total des piliers déclarés.")

    def dans_dossier(self, fichier: str, *chemin: Any) -> Path:
        """A file named in evaluation.yml: inside the evaluation folder (no `../`, no absolute path)."""
        path = Path(os.path.normpath(self.dossier.absolute() / fichier))
        if not path.is_relative_to(Path(os.path.normpath(self.dossier.absolute()))):
            raise self.err(f"chemin « {fichier} » hors du dossier de l'évaluation", *chemin,
                           correction=f"le chemin est relatif au dossier {self.dossier.name}/ : placez-y le fichier, "
                                      "par exemple « questionnaires/porteurs.csv ».")
        return path

    def lire_actions(self, fichier: str, periode: tuple[int, int] | None) -> pd.DataFrame:
        path = self.dans_dossier(fichier, "bilan", "fichier")
        if path.suffix.lower() not in EXTENSIONS_CSV + EXTENSIONS_EXCEL:
            raise self.err(f"bilan : fichier des actions « {fichier} » : format non pris en charge", "bilan", "fichier",
                           correction="un tableau CSV (séparateur point-virgule) ou Excel (.xlsx).")
        if not path.is_file():
            raise self.err(f"bilan : fichier des actions « {fichier} » introuvable", "bilan", "fichier",
                           correction=f"le chemin est relatif au dossier {self.dossier.name}/ ; créez le fichier ou "
                                      "corrigez son nom.")
        t = lire_tableau(path, quoi="tableau des actions")
        t.exiger(COLONNES_ACTIONS_OBLIGATOIRES)
        t.refuser_inconnues(COLONNES_ACTIONS)
        rows = []
        for i, row in t.lignes():
            annee = t.nombre(i, "annee", entier=True)
            if annee is None:
                raise t.erreur("tableau des actions : année manquante", i, "annee", "écrivez l'année de l'action (2016).")
            if periode and not periode[0] <= annee <= periode[1]:
                raise t.erreur(f"tableau des actions : année {int(annee)} hors de la période {periode[0]}-{periode[1]}",
                               i, "annee", "corrigez l'année, ou la « periode » du bilan dans evaluation.yml.")
            pilier = row["pilier"].strip()
            if pilier not in self.piliers:
                raise t.erreur(f"tableau des actions : pilier « {pilier} » inconnu", i, "pilier", self.correction_pilier())
            qpv = row["qpv"].strip()
            if qpv.lower() != TOUS_QPV and qpv not in self.qpvs:
                raise t.erreur(f"tableau des actions : quartier « {qpv} » inconnu de cette évaluation", i, "qpv",
                               self.correction_qpv(True))
            if not row["intitule"].strip():
                raise t.erreur("tableau des actions : intitulé manquant", i, "intitule",
                               "écrivez l'intitulé de l'action tel que le bilan le donne.")
            rows.append({"annee": int(annee), "pilier": pilier, "qpv": TOUS_QPV if qpv.lower() == TOUS_QPV else qpv,
                         "porteur": row.get("porteur", "").strip() or None, "intitule": row["intitule"].strip(),
                         "montant": t.nombre(i, "montant"), "public_touche": t.nombre(i, "public_touche", entier=True),
                         "ligne": t.numeros[i]})
        if not rows:
            raise t.erreur("tableau des actions vide", None, None, "écrivez une ligne par action sous l'en-tête.")
        return pd.DataFrame(rows)

    # --- questionnaires -------------------------------------------------------------------

    def questionnaire(self, i: int) -> Questionnaire:
        here = ("questionnaires", i)
        spec = self.dict_(*here, permises=("id", "intitule", "repondants", "locuteur", "date", "diffusion",
                                           "seuil_prudence", "reponses", "questions", "source"),
                          obligatoires=("id", "intitule"), quoi=f"questionnaire n° {i + 1}")
        ident = str(spec["id"]).strip()
        quoi = f"questionnaire « {ident} »"
        locuteur = spec.get("locuteur")
        if locuteur is not None and locuteur not in LOCUTEURS:
            raise self.err(f"{quoi} : type de répondant « {locuteur} » inconnu", *here, "locuteur",
                           correction=f"types possibles : {', '.join(LOCUTEURS)}.")
        diffusion = spec.get("diffusion", "public")
        if diffusion not in PROFILS:
            raise self.err(f"{quoi} : niveau de diffusion « {diffusion} » invalide", *here, "diffusion",
                           correction="public (résultats publiés sur le site public) ou partenaires (site des "
                                      "partenaires seulement).")
        seuil = self.entier(*here, "seuil_prudence", quoi=f"{quoi}, seuil_prudence")
        repondants = self.entier(*here, "repondants", quoi=f"{quoi}, repondants")
        questions: tuple[QuestionQuestionnaire, ...] = ()
        reponses, fichier = None, None
        if spec.get("reponses") is not None:
            n = len(self.liste(*here, "questions", quoi=f"{quoi}, questions", vide=False))
            questions = tuple(self.question_questionnaire(here, k, quoi) for k in range(n))
            ids = [q.id for q in questions]
            for k, q in enumerate(ids):
                if q in ids[:k] or q in (COLONNE_REPONDANT, COLONNE_QPV):
                    raise self.err(f"{quoi} : identifiant de question « {q} » déjà pris", *here, "questions", k, "id",
                                   correction="donnez à chaque question un identifiant unique, autre que « repondant » "
                                              "et « qpv ».")
            fichier = str(spec["reponses"])
            reponses = self.lire_reponses(fichier, questions, quoi, (*here, "reponses"))
            if repondants is not None and repondants != len(reponses):
                raise self.err(f"{quoi} : {repondants} répondants déclarés, {len(reponses)} lignes dans {fichier}",
                               *here, "repondants",
                               correction="corrigez le nombre déclaré ou complétez le fichier des réponses : les deux "
                                          "doivent compter les mêmes répondants.")
        elif spec.get("questions") is not None:
            raise self.err(f"{quoi} : questions déclarées sans fichier de réponses", *here, "questions",
                           correction="ajoutez « reponses: questionnaires/<fichier>.csv » (une ligne par répondant), "
                                      "ou retirez les questions.")
        elif repondants is None:
            raise self.err(f"{quoi} : ni nombre de répondants ni fichier de réponses", *here,
                           correction="donnez « repondants: » (tel que publié) ou « reponses: » (le fichier).")
        return Questionnaire(ident, self.texte(*here, "intitule", quoi=f"{quoi}, intitule") or "",
                             self.source(*here, "source", quoi=quoi), repondants, locuteur,
                             self.date(*here, "date", quoi=f"{quoi}, date"), str(diffusion),
                             SEUIL_REPONDANTS if seuil is None else seuil, questions, reponses, fichier)

    def question_questionnaire(self, here: tuple, k: int, questionnaire: str) -> QuestionQuestionnaire:
        at = (*here, "questions", k)
        quoi = f"{questionnaire}, question n° {k + 1}"
        spec = self.dict_(*at, permises=("id", "texte", "type", "modalites", "theme", "diffusion"),
                          obligatoires=("id", "texte", "type"), quoi=quoi)
        ident = str(spec["id"]).strip()
        kind = spec["type"]
        if kind not in ("fermee", "ouverte"):
            raise self.err(f"{quoi} : type « {kind} » inconnu", *at, "type",
                           correction="fermee (réponses codées, comptées) ou ouverte (texte libre, cité en verbatim).")
        texte = self.texte(*at, "texte", quoi=f"{quoi}, texte") or ""
        if kind == "fermee":
            raw = spec.get("modalites")
            if not isinstance(raw, dict) or not raw:
                raise self.err(f"{quoi} : modalités manquantes", *at,
                               correction='associez chaque code de réponse à son libellé : « modalites: {"1": Oui, '
                                          '"2": Non} ».')
            modalites = tuple((str(c).strip(), str(v)) for c, v in raw.items())
            return QuestionQuestionnaire(ident, texte, "fermee", modalites)
        theme = spec.get("theme")
        themes = load_themes_verbatims()
        if theme not in themes:
            raise self.err(f"{quoi} : thème « {theme} » inconnu", *at, "theme",
                           correction=f"les réponses ouvertes sont citées comme verbatims : thèmes de "
                                      f"data/verbatims/themes.yml : {', '.join(themes)}.")
        diffusion = spec.get("diffusion")
        if diffusion not in PROFILS:
            quel = "absent" if diffusion is None else f"« {diffusion} » invalide"
            raise self.err(f"{quoi} : niveau de diffusion des réponses {quel}", *at,
                           correction="« diffusion: public » (réponses publiables) ou « diffusion: partenaires » "
                                      "(site des partenaires seulement).")
        return QuestionQuestionnaire(ident, texte, "ouverte", theme=str(theme), diffusion=str(diffusion))

    def lire_reponses(self, fichier: str, questions: tuple[QuestionQuestionnaire, ...], quoi: str,
                      chemin: tuple) -> pd.DataFrame:
        path = self.dans_dossier(fichier, *chemin)
        if not path.is_file():
            raise self.err(f"{quoi} : fichier des réponses « {fichier} » introuvable", *chemin,
                           correction=f"le chemin est relatif au dossier {self.dossier.name}/.")
        t: Tableau = lire_tableau(path, quoi=f"réponses au {quoi}")
        ids = [q.id for q in questions]
        t.exiger([COLONNE_REPONDANT, *ids])
        t.refuser_inconnues([COLONNE_REPONDANT, COLONNE_QPV, *ids])
        vus: dict[str, int] = {}
        for i, row in t.lignes():
            rid = row[COLONNE_REPONDANT].strip()
            if not rid:
                raise t.erreur(f"réponses au {quoi} : répondant sans identifiant", i, COLONNE_REPONDANT,
                               "numérotez chaque répondant (1, 2, 3…) sans nom ni adresse.")
            if rid in vus:
                raise t.erreur(f"réponses au {quoi} : répondant « {rid} » en double (déjà ligne {vus[rid]})", i,
                               COLONNE_REPONDANT, "gardez une ligne par répondant.")
            vus[rid] = t.numeros[i]
            if COLONNE_QPV in row and row[COLONNE_QPV].strip() and row[COLONNE_QPV].strip() not in self.qpvs:
                raise t.erreur(f"réponses au {quoi} : quartier « {row[COLONNE_QPV].strip()} » inconnu de cette "
                               "évaluation", i, COLONNE_QPV, self.correction_qpv(False) + " Laissez vide si le "
                               "répondant n'est pas rattaché à un quartier.")
            for q in questions:
                if q.type != "fermee":
                    continue
                code = row[q.id].strip()
                codes = [c for c, _ in q.modalites]
                if code and code not in codes:
                    raise t.erreur(f"réponses au {quoi} : réponse « {code} » inconnue pour la question « {q.id} »",
                                   i, q.id, f"codes déclarés pour cette question : "
                                   f"{', '.join(f'{c} ({v})' for c, v in q.modalites)} ; laissez la cellule vide "
                                   "pour une non-réponse.")
        out = t.donnees.copy()
        out["ligne"] = t.numeros
        return out

    # --- findings -------------------------------------------------------------------------

    def verifier_constats(self, questions: dict[str, tuple[QuestionEvaluative, ...]], observation: list | None,
                          actions: tuple[ActionStructurante, ...]) -> None:
        """Every findings file must belong to a question: a misnamed file would never be shown."""
        dossier = self.dossier / DOSSIER_CONSTATS
        if not dossier.is_dir():
            return
        attendus = {q.fichier_constats.split("/")[-1] for qs in questions.values() for q in qs}
        attendus |= {a.fichier_constats.split("/")[-1] for a in actions}
        n_observation = len(observation) if observation is not None else self.questions_parametres
        attendus |= {f"observation-{n}.md" for n in range(1, n_observation + 1)}
        for path in sorted(dossier.iterdir()):
            if path.is_file() and path.name not in attendus and not path.name.startswith("."):
                raise OsqError(f"fichier de constats « {path.name} » sans question correspondante", fichier=path,
                               correction="nommez-le <volet>-<numéro de la question>.md ; fichiers attendus : "
                                          f"{', '.join(sorted(attendus)) or 'aucun (aucune question déclarée)'}.")
