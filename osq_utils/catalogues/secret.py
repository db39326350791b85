"""Secret statistique rules: data/secret/<source-id>.yml (documented in data/secret/README.md), and
the secrecy clauses of the partner conventions.

Each rule gives a threshold per diffusion profile (catalogues.profils). The algorithms that apply
them are `osq_utils.secret`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from osq_utils.catalogues.conventions import load_conventions
from osq_utils.catalogues.glossaire import Glossaire, load_glossaire
from osq_utils.catalogues.lecture_yaml import lire_yaml
from osq_utils.catalogues.profils import PROFILS
from osq_utils.catalogues.racine import chemin_donnees
from osq_utils.catalogues.sources import load_catalogue
from osq_utils.errors import OsqError

NATURES = ("secret", "prudence")
SI_ABSENTE = ("masquer", "garder")


@dataclass(frozen=True)
class Regle:
    id: str
    nature: str  # secret: masks; prudence: flags fragile figures, masks nothing
    indicateurs: tuple[str, ...]
    niveaux: tuple[str, ...] | None  # None: every level
    variable: str  # valeur | numerateur | denominateur | indicateur:<code>
    seuils: Mapping[str, float]  # profile -> threshold; masked when variable < threshold
    description: str
    si_absente: str = "masquer"  # when the variable is unknown for a row
    masquer_denominateur: bool = False
    fichier: str = ""
    ligne: int | None = None

    @property
    def indicateur_variable(self) -> str | None:
        return self.variable.split(":", 1)[1] if self.variable.startswith("indicateur:") else None


@dataclass(frozen=True)
class Regles:
    source: str
    description: str
    regles: tuple[Regle, ...]
    references: tuple[str, ...] = ()
    fichier: str = ""


def _parse_file(path: Path, sources: set[str], glossaire: Glossaire) -> Regles:
    doc = lire_yaml(path, quoi="fichier de règles de secret")
    data = doc.donnees

    def fail(message: str, where: tuple, correction: str):
        if where and where[-1] == "__key__":
            raise doc.erreur(message, *where[:-1], correction=correction, cle=True)
        raise doc.erreur(message, *where, correction=correction)

    if not isinstance(data, dict):
        fail("le fichier doit décrire une source (clés source, description, regles)", (),
             "partez d'un fichier existant de data/secret/.")
    for key in ("source", "description", "regles"):
        if key not in data:
            fail(f"clé « {key} » manquante", (), f"ajoutez « {key}: … » au premier niveau du fichier.")
    source = str(data["source"])
    if source not in sources:
        fail(f"source « {source} » inconnue du catalogue data/sources.yml", ("source",),
             "écrivez l'identifiant exact d'une source du catalogue (ex. cnaf-caf-iris-2016-2020).")
    if path.stem != source:
        fail(f"le fichier s'appelle « {path.name} » mais décrit la source « {source} »", ("source",),
             f"renommez le fichier en {source}.yml.")
    if not isinstance(data["regles"], list):
        fail("« regles » doit être une liste (éventuellement vide : regles: [])", ("regles",),
             "écrivez chaque règle sous « regles: » en commençant par « - id: … ».")
    regles = []
    seen = set()
    for i, raw in enumerate(data["regles"]):
        here = ("regles", i)
        if not isinstance(raw, dict):
            fail("chaque règle doit être un dictionnaire", here, "commencez la règle par « - id: … ».")
        for key in ("id", "indicateurs", "variable", "seuils", "description"):
            if key not in raw:
                fail(f"règle n° {i + 1} : clé « {key} » manquante", here, f"ajoutez « {key}: … » à cette règle.")
        rid = str(raw["id"])
        if rid in seen:
            fail(f"identifiant de règle « {rid} » en double", here + ("id",), "donnez un identifiant unique à chaque règle.")
        seen.add(rid)
        indicateurs = raw["indicateurs"]
        if not isinstance(indicateurs, list) or not indicateurs:
            fail(f"règle « {rid} » : « indicateurs » doit être une liste non vide", here + ("indicateurs",),
                 "écrivez par exemple « indicateurs: [allocataires_rsa] ».")
        for j, code in enumerate(indicateurs):
            if str(code) not in glossaire.indicateurs:
                fail(f"règle « {rid} » : indicateur « {code} » absent du glossaire", here + ("indicateurs", j),
                     "utilisez un code de data/glossaire.yml (ou ajoutez d'abord l'indicateur au glossaire).")
        variable = str(raw["variable"])
        if variable.startswith("indicateur:"):
            if variable.split(":", 1)[1] not in glossaire.indicateurs:
                fail(f"règle « {rid} » : indicateur de seuil « {variable} » absent du glossaire", here + ("variable",),
                     "écrivez « indicateur: » suivi d'un code du glossaire, ex. indicateur:nb_menages_fiscaux.")
        elif variable not in ("valeur", "numerateur", "denominateur"):
            fail(f"règle « {rid} » : variable « {variable} » inconnue", here + ("variable",),
                 "choisissez valeur, numerateur, denominateur ou indicateur:<code>.")
        seuils = raw["seuils"]
        if not isinstance(seuils, dict):
            fail(f"règle « {rid} » : « seuils » doit donner un seuil par profil", here + ("seuils",),
                 "écrivez « seuils: {public: 5, partenaires: 5} ».")
        for profil in PROFILS:
            if profil not in seuils:
                fail(f"règle « {rid} » : seuil du profil « {profil} » manquant", here + ("seuils",),
                     f"ajoutez « {profil}: <nombre> » sous « seuils ».")
            value = seuils[profil]
            if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value) or value < 0:
                fail(f"règle « {rid} » : le seuil « {profil} » vaut « {value} », ce n'est pas un nombre positif",
                     here + ("seuils", profil), "écrivez un nombre sans guillemets ni unité, ex. 5 ou 2000.")
        for profil in seuils:
            if profil not in PROFILS:
                fail(f"règle « {rid} » : profil « {profil} » inconnu", here + ("seuils", profil, "__key__"),
                     "les profils sont public et partenaires.")
        nature = str(raw.get("nature", "secret"))
        if nature not in NATURES:
            fail(f"règle « {rid} » : nature « {nature} » inconnue", here + ("nature",), "écrivez secret ou prudence.")
        si_absente = str(raw.get("si_absente", "masquer"))
        if si_absente not in SI_ABSENTE:
            fail(f"règle « {rid} » : si_absente « {si_absente} » inconnu", here + ("si_absente",),
                 "écrivez masquer (prudent) ou garder.")
        niveaux = raw.get("niveaux")
        if niveaux is not None and (not isinstance(niveaux, list) or not niveaux):
            fail(f"règle « {rid} » : « niveaux » doit être une liste", here + ("niveaux",),
                 "écrivez par exemple « niveaux: [iris, commune] » ou supprimez la clé.")
        regles.append(Regle(
            id=rid, nature=nature, indicateurs=tuple(str(c) for c in indicateurs),
            niveaux=tuple(str(n) for n in niveaux) if niveaux else None, variable=variable,
            seuils={p: float(seuils[p]) for p in PROFILS}, description=str(raw["description"]).strip(),
            si_absente=si_absente, masquer_denominateur=bool(raw.get("masquer_denominateur", False)),
            fichier=str(path), ligne=doc.position(*here)[0],
        ))
    refs = data.get("references") or []
    return Regles(source=source, description=str(data["description"]).strip(), regles=tuple(regles),
                  references=tuple(str(r) for r in refs), fichier=str(path))


def dossier_regles() -> Path:
    return chemin_donnees("secret")


def fichiers() -> list[Path]:
    """The files this loader reads (for the build fingerprint); the conventions' clauses are theirs."""
    return sorted(dossier_regles().glob("*.yml"))


def load_rules(folder: Path | str | None = None, glossaire: Glossaire | None = None) -> dict[str, Regles]:
    """Read and validate every data/secret/*.yml (one entry per source id), then the secrecy clauses
    of the partner conventions for the sources that have no file of their own."""
    default = folder is None
    folder = Path(folder or dossier_regles())
    if not folder.is_dir():
        raise OsqError("dossier des règles de secret introuvable", fichier=folder,
                       correction="créez data/secret/ avec un fichier <source>.yml par source.")
    glossaire = glossaire or load_glossaire()
    sources = set(load_catalogue())
    out: dict[str, Regles] = {}
    for path in sorted(folder.glob("*.yml")):
        regles = _parse_file(path, sources, glossaire)
        out[regles.source] = regles
    if default:
        out.update(_convention_rules(out, glossaire))
    return out


def _convention_rules(known: Mapping[str, Regles], glossaire: Glossaire) -> dict[str, Regles]:
    """The secrecy clauses of the partner conventions (data/conventions), validated when they are loaded."""
    out: dict[str, Regles] = {}
    for conv in load_conventions(glossaire=glossaire).values():
        clauses = conv.clauses_secret or {}
        texte = " ".join(str(clauses.get("texte", "")).split())
        regles = tuple(
            Regle(id=str(r["id"]), nature=str(r.get("nature", "secret")), indicateurs=tuple(str(c) for c in r["indicateurs"]),
                  niveaux=tuple(str(n) for n in r["niveaux"]) if r.get("niveaux") else None, variable=str(r["variable"]),
                  seuils={p: float(r["seuils"][p]) for p in PROFILS},
                  description=" ".join(str(r.get("description") or texte).split()),
                  si_absente=str(r.get("si_absente", "masquer")), fichier=conv.chemin)
            for r in clauses.get("regles") or [])
        if regles and conv.source not in known:
            out[conv.source] = Regles(conv.source, texte, regles, (f"convention {conv.fournisseur}",), conv.chemin)
    return out


def tableau_regles(rules: Mapping[str, Regles]) -> pd.DataFrame:
    """One row per (source, rule) for the glossary page: French description and thresholds."""
    rows: list[dict[str, object]] = []
    for regles in rules.values():
        if not regles.regles:
            rows.append({"source": regles.source, "regle": None, "nature": None, "indicateurs": "",
                         "description": regles.description, "seuil_public": None, "seuil_partenaires": None})
        for r in regles.regles:
            rows.append({"source": regles.source, "regle": r.id, "nature": r.nature,
                         "indicateurs": ", ".join(r.indicateurs), "description": r.description,
                         "seuil_public": r.seuils["public"], "seuil_partenaires": r.seuils["partenaires"]})
    return pd.DataFrame(rows)
