"""The plan d'actions of an analyse des besoins sociaux (ABS): from each theme's enjeux to actions.

One YAML file per observatory (named by the `plan_actions:` key of its abs_ccas and plan_actions
notes in the params file), written by the analyst:

    documents:                         # optional: documents the actions are taken from
      aud-2023: {titre: "…", editeur: "…", annee: 2023}
    ccas:                              # the CCAS of the ABS: commune code -> name
      "62040": "CCAS d'Arques"
    themes:                            # optional: themes of the plan without a note of their own
      communication: Communication
    actions:
      - action: "Améliorer la connaissance du réseau de structures et d'actions locales"
        detail: ["…", "…"]             # optional: what the action consists of
        ccas: commun                   # « commun » (every CCAS of the plan) or ["62040", …]
        themes: [communication]        # ABS themes (data/abs/themes.yml), glossary themes or `themes:`
        enjeux: ["…"]                  # the enjeux it answers, as the ABS words them
        partenaires: ["CAF", …]        # or null: not said yet
        calendrier: "2023-2024"        # or null
        indicateur_suivi: "…"          # or null
        source: {document: aud-2023, page: "7", section: "…"}   # optional

Every error is an OsqError naming the file, the line, the column and the fix. An unsaid partner,
calendar or follow-up indicator is None, shown as « à préciser », never invented.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from osq_utils.catalogues.evaluation import LecteurEntrees, Reference
from osq_utils.catalogues.lecture_yaml import lire_yaml
from osq_utils.errors import OsqError

COMMUN = "commun"
_COMMUNE = re.compile(r"^(?:\d{5}|2[AB]\d{3})$")


@dataclass(frozen=True)
class ActionPlan:
    numero: int
    action: str
    detail: tuple[str, ...]
    ccas: tuple[str, ...]  # commune codes; every CCAS of the plan when commune
    commune: bool  # common to every CCAS of the plan
    themes: tuple[str, ...]
    enjeux: tuple[str, ...]
    partenaires: tuple[str, ...] | None
    calendrier: str | None
    indicateur_suivi: str | None
    source: Reference | None

    def concerne(self, ccas: str) -> bool:
        return ccas in self.ccas


@dataclass(frozen=True)
class PlanActions:
    chemin: Path
    ccas: dict[str, str]  # commune code -> name of the CCAS
    themes: dict[str, str]  # every theme code used -> label
    actions: tuple[ActionPlan, ...]

    def pour(self, ccas: str | None = None, theme: str | None = None) -> list[ActionPlan]:
        """The actions of one CCAS (None: any) and one theme (None: any), in the file's order."""
        return [a for a in self.actions
                if (ccas is None or a.concerne(ccas)) and (theme is None or theme in a.themes)]


def load_plan_actions(chemin: Path | str, themes_connus: Mapping[str, str],
                      commune_existe: Callable[[str], bool] | None = None) -> PlanActions:
    """Read and validate a plan d'actions.

    themes_connus: theme code -> label of the themes notes are built for (ABS and glossary themes);
    commune_existe: checks a CCAS's commune code against the territories of the store.
    """
    chemin = Path(chemin)
    doc = lire_yaml(chemin, quoi="plan d'actions")
    lecteur = LecteurEntrees(doc, chemin.parent)
    if not isinstance(doc.donnees, dict):
        raise doc.erreur("plan d'actions vide ou mal formé",
                         correction="écrivez « ccas: » (les CCAS du plan) puis « actions: » (voir l'en-tête de "
                                    "osq_utils/catalogues/plan_actions.py ou params/capso/plan-actions.yml).")
    lecteur.dict_(permises=("documents", "ccas", "themes", "actions"), obligatoires=("ccas", "actions"),
                  quoi="plan d'actions")
    if doc.get("documents") is not None:
        lecteur.lire_documents()
    ccas = _ccas(lecteur, commune_existe)
    themes = dict(themes_connus)
    propres = doc.get("themes") or {}
    if not isinstance(propres, dict):
        raise doc.erreur("« themes » doit associer un code à chaque libellé", "themes",
                         correction="écrivez une ligne par thème, sous la forme « code: Libellé ».")
    for code in propres:
        themes[str(code)] = lecteur.texte("themes", code, quoi=f"thème « {code} »") or str(code)
    n = len(lecteur.liste("actions", quoi="actions", vide=False))
    actions = tuple(_action(lecteur, k, ccas, themes) for k in range(n))
    utilises = {t for a in actions for t in a.themes}
    return PlanActions(chemin, ccas, {c: v for c, v in themes.items() if c in utilises}, actions)


def _ccas(lecteur: LecteurEntrees, commune_existe: Callable[[str], bool] | None) -> dict[str, str]:
    doc = lecteur.doc
    raw = doc.get("ccas")
    if not isinstance(raw, dict) or not raw:
        raise doc.erreur("« ccas » doit associer le code de chaque commune au nom de son CCAS", "ccas",
                         correction='écrivez une ligne par CCAS, par exemple « "62040": CCAS d\'Arques ».')
    out = {}
    for code in raw:
        ecrit = str(code)
        if not _COMMUNE.match(ecrit) or not isinstance(code, str):
            raise doc.erreur(f"code commune « {ecrit} » mal formé ou écrit sans guillemets", "ccas", code, cle=True,
                             correction='écrivez le code INSEE à 5 caractères entre guillemets, par exemple "62040".')
        if commune_existe is not None and not commune_existe(ecrit):
            raise doc.erreur(f"commune « {ecrit} » inconnue du code officiel géographique", "ccas", code, cle=True,
                             correction="corrigez le code INSEE de la commune du CCAS.")
        out[ecrit] = lecteur.texte("ccas", code, quoi=f"CCAS « {ecrit} »") or ecrit
    return out


def _liste_textes(lecteur: LecteurEntrees, *chemin, quoi: str, obligatoire: bool) -> tuple[str, ...] | None:
    value = lecteur.doc.get(*chemin)
    if value is None:
        if obligatoire:
            raise lecteur.err(f"{quoi} manquant", *chemin[:-1], correction=f"ajoutez « {chemin[-1]}: [\"…\"] ».")
        return None
    values = value if isinstance(value, list) else [value]
    paths = [(*chemin, j) for j in range(len(values))] if isinstance(value, list) else [chemin]
    return tuple(lecteur.texte(*p, quoi=quoi) or "" for p in paths)


def _action(lecteur: LecteurEntrees, k: int, ccas: dict[str, str], themes: dict[str, str]) -> ActionPlan:
    here = ("actions", k)
    quoi = f"action n° {k + 1}"
    spec = lecteur.dict_(*here, permises=("action", "detail", "ccas", "themes", "enjeux", "partenaires", "calendrier",
                                          "indicateur_suivi", "source"),
                         obligatoires=("action", "ccas", "themes", "enjeux"), quoi=quoi)
    raw_ccas = spec["ccas"]
    if raw_ccas == COMMUN:
        codes, commun = tuple(ccas), True
    else:
        values = raw_ccas if isinstance(raw_ccas, list) else [raw_ccas]
        paths = [(*here, "ccas", j) for j in range(len(values))] if isinstance(raw_ccas, list) else [(*here, "ccas")]
        for value, path in zip(values, paths):
            if str(value) not in ccas:
                raise lecteur.err(f"{quoi} : CCAS « {value} » inconnu du plan", *path,
                                  correction=f"« {COMMUN} » pour une action commune, ou des codes déclarés sous "
                                             f"« ccas: » : {', '.join(f'{c} ({n})' for c, n in ccas.items())}.")
        codes, commun = tuple(dict.fromkeys(str(v) for v in values)), len(set(map(str, values))) == len(ccas) > 1
    theme_list = _liste_textes(lecteur, *here, "themes", quoi=f"{quoi}, thème", obligatoire=True) or ()
    for j, theme in enumerate(theme_list):
        if theme not in themes:
            path = (*here, "themes", j) if isinstance(spec["themes"], list) else (*here, "themes")
            raise lecteur.err(f"{quoi} : thème « {theme} » inconnu", *path,
                              correction=f"thèmes des notes : {', '.join(themes)} ; un thème sans note (par exemple "
                                         "communication) se déclare sous « themes: » en tête du fichier.")
    return ActionPlan(
        numero=k + 1, action=lecteur.texte(*here, "action", quoi=f"{quoi}, intitulé") or "",
        detail=_liste_textes(lecteur, *here, "detail", quoi=f"{quoi}, détail", obligatoire=False) or (),
        ccas=codes, commune=commun, themes=tuple(dict.fromkeys(theme_list)),
        enjeux=_liste_textes(lecteur, *here, "enjeux", quoi=f"{quoi}, enjeu", obligatoire=True) or (),
        partenaires=_liste_textes(lecteur, *here, "partenaires", quoi=f"{quoi}, partenaire", obligatoire=False),
        calendrier=lecteur.texte(*here, "calendrier", quoi=f"{quoi}, calendrier", obligatoire=False),
        indicateur_suivi=lecteur.texte(*here, "indicateur_suivi", quoi=f"{quoi}, indicateur de suivi",
                                       obligatoire=False),
        source=lecteur.source(*here, "source", quoi=quoi) if spec.get("source") is not None else None,
    )


def verifier_chemin(chemin: Path | str) -> Path:
    """A plan d'actions file named in a params file must be a YAML file."""
    chemin = Path(chemin)
    if chemin.suffix not in (".yml", ".yaml") or not chemin.is_file():
        raise OsqError("plan d'actions : un fichier YAML est attendu", fichier=chemin,
                       correction="nommez le fichier du plan, par exemple params/capso/plan-actions.yml.")
    return chemin
