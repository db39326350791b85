"""Partner conventions (data/conventions/<fournisseur>.yml): who delivers what, how often, at which
scale, under which secrecy clauses, and how to read each delivered table.

Reading a delivery with its convention is `osq_utils.ingest.livraisons`; this module reads and
validates the conventions themselves.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import pandas as pd

from osq_utils.catalogues.glossaire import FACTEURS, Glossaire, load_glossaire
from osq_utils.catalogues.lecture_yaml import lire_yaml
from osq_utils.catalogues.profils import PROFILS
from osq_utils.catalogues.racine import chemin_donnees
from osq_utils.errors import OsqError

PERIODICITES = {"mensuelle": 1, "trimestrielle": 3, "semestrielle": 6, "annuelle": 12}
FORMATS = ("xlsx", "csv")
ECHELLES = ("iris", "commune", "qpv", "epci")
ESPACES = re.compile(r"[\s\u00a0\u202f]+")  # every kind of space, no-break ones included


def normalise_entete(text) -> str:
    """Header text with spaces, line breaks and no-break spaces collapsed."""
    return ESPACES.sub(" ", str(text)).strip()


# --------------------------------------------------------------------------- convention


@dataclass(frozen=True)
class Colonne:
    """One delivered indicator: a count column, or the numerator and denominator of a rate."""

    indicateur: str
    type: str  # glossary type
    entete: str | None  # column read as the value (compte, non_additif)
    numerateur: str | None = None
    denominateur: str | None = None

    def entetes(self) -> list[str]:
        return [c for c in (self.entete, self.numerateur, self.denominateur) if c]


@dataclass(frozen=True)
class Fichier:
    """How to read one delivered table (one sheet of a workbook, or one CSV)."""

    motif: str  # glob on the delivered file name
    feuille: str | int | None  # sheet name, or 1-based sheet number
    echelle: str
    lignes_a_sauter: int
    lignes_entete: int
    colonne_code: str
    annee: int | None
    colonne_annee: str | None
    annee_dans_nom: bool
    decimale: str
    separateur: str
    encodage: str
    marques_total: tuple[str, ...]
    marques_note: tuple[str, ...]
    marques_secret: tuple[str, ...]
    cellule_vide: str  # secret | absent
    zeros_initiaux: str  # restaurer | refuser
    colonnes: tuple[Colonne, ...]
    premiere_annee: int = 2000  # oldest year a delivery may hold; the latest is the current year
    effectifs_ponderes: bool = False  # counts are weighted estimates (census), not whole numbers

    def annees_possibles(self) -> tuple[int, int]:
        return (self.premiere_annee, date.today().year)


@dataclass(frozen=True)
class Convention:
    source: str
    fournisseur: str
    role_contact: str
    periodicite: str
    format: str
    echelle: str
    clauses_secret: dict
    derniere_livraison: date | None
    fichiers: tuple[Fichier, ...]
    chemin: str = ""


def load_convention(path: Path | str, glossaire: Glossaire | Path | str | None = None) -> Convention:
    """Read and validate one provider convention; errors name the line, the column and the fix."""
    path = Path(path)
    glossaire = glossaire if isinstance(glossaire, Glossaire) else load_glossaire(glossaire)
    doc = lire_yaml(path, quoi="convention")
    data = doc.donnees

    def fail(message: str, where: tuple, correction: str):
        raise doc.erreur(message, *where, correction=correction)

    if not isinstance(data, dict):
        fail("le fichier doit décrire une convention (clés fournisseur, periodicite, format, echelle, fichiers…)", (),
             "partez d'un fichier existant de data/conventions/.")
    for key in ("fournisseur", "role_contact", "periodicite", "format", "echelle", "clauses_secret", "fichiers"):
        if key not in data:
            fail(f"clé « {key} » manquante", (), f"ajoutez « {key}: … » au premier niveau du fichier.")

    def choice(where: tuple, value, allowed) -> str:
        value = str(value)
        if value not in allowed:
            fail(f"« {where[-1]} » vaut « {value} » : valeur inconnue", where, f"choisissez parmi : {', '.join(allowed)}.")
        return value

    periodicite = choice(("periodicite",), data["periodicite"], list(PERIODICITES))
    fmt = choice(("format",), data["format"], FORMATS)
    echelle = choice(("echelle",), data["echelle"], ECHELLES)
    source = str(data.get("source") or f"livraison-{path.stem}")
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", source):
        fail(f"identifiant de source « {source} » invalide", ("source",),
             "écrivez un identifiant en minuscules, chiffres et tirets, ex. livraison-caf-pas-de-calais.")
    derniere = data.get("derniere_livraison")
    if derniere is not None and not isinstance(derniere, date):
        fail(f"date de dernière livraison « {derniere} » illisible", ("derniere_livraison",),
             "écrivez la date au format AAAA-MM-JJ, ex. 2024-06-30, ou « null » si rien n'a encore été livré.")
    clauses = _check_clauses(data["clauses_secret"], glossaire, fail)
    if not isinstance(data["fichiers"], list) or not data["fichiers"]:
        fail("« fichiers » doit être une liste non vide", ("fichiers",),
             "décrivez chaque tableau livré sous « fichiers: » en commençant par « - motif: … ».")
    fichiers_lus = tuple(_check_fichier(raw, ("fichiers", i), fmt, echelle, glossaire, fail)
                         for i, raw in enumerate(data["fichiers"]))
    return Convention(source=source, fournisseur=str(data["fournisseur"]), role_contact=str(data["role_contact"]),
                      periodicite=periodicite, format=fmt, echelle=echelle, clauses_secret=clauses,
                      derniere_livraison=derniere.date() if isinstance(derniere, datetime) else derniere,
                      fichiers=fichiers_lus, chemin=str(path))


def _check_clauses(raw, glossaire: Glossaire, fail) -> dict:
    """Secrecy clauses: a text and rules shaped like data/secret/*.yml (thresholds per profile)."""
    here = ("clauses_secret",)
    if not isinstance(raw, dict) or "texte" not in raw:
        fail("« clauses_secret » doit contenir au moins « texte » (la clause de la convention)", here,
             "recopiez la clause de secret de la convention sous « texte: » et ses seuils sous « regles: ».")
    for i, regle in enumerate(raw.get("regles") or []):
        where = here + ("regles", i)
        if not isinstance(regle, dict):
            fail("chaque règle de secret doit être un dictionnaire", where, "commencez la règle par « - id: … ».")
        for key in ("id", "indicateurs", "variable", "seuils"):
            if key not in regle:
                fail(f"règle de secret n° {i + 1} : clé « {key} » manquante", where, f"ajoutez « {key}: … » (voir data/secret/README.md).")
        for j, code in enumerate(regle["indicateurs"] or []):
            if str(code) not in glossaire:
                fail(f"règle de secret : indicateur « {code} » absent du glossaire", where + ("indicateurs", j),
                     "utilisez un code de data/glossaire.yml.")
        seuils = regle["seuils"]
        for profil in PROFILS:
            value = seuils.get(profil) if isinstance(seuils, dict) else None
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                fail(f"règle de secret « {regle['id']} » : seuil « {profil} » manquant ou non numérique", where + ("seuils",),
                     "écrivez « seuils: {public: 5, partenaires: 5} ».")
    return raw


def _check_fichier(raw, here: tuple, fmt: str, echelle: str, glossaire: Glossaire, fail) -> Fichier:
    if not isinstance(raw, dict):
        fail("chaque fichier doit être un dictionnaire", here, "commencez sa description par « - motif: … ».")
    for key in ("colonne_code", "colonnes"):
        if key not in raw:
            fail(f"clé « {key} » manquante pour ce fichier", here, f"ajoutez « {key}: … » à ce fichier.")
    echelle = str(raw.get("echelle", echelle))
    if echelle not in ECHELLES:
        fail(f"échelle « {echelle} » inconnue", here + ("echelle",), f"choisissez parmi : {', '.join(ECHELLES)}.")
    feuille = raw.get("feuille")
    if fmt == "xlsx" and feuille is None:
        fail("feuille non précisée pour un classeur Excel", here,
             "ajoutez « feuille: <nom de l'onglet> » ou « feuille: 1 » (première feuille).")
    if isinstance(feuille, int) and feuille < 1:
        fail(f"numéro de feuille {feuille} invalide", here + ("feuille",), "les feuilles se comptent à partir de 1.")

    def integer(key: str, default: int, minimum: int) -> int:
        value = raw.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            fail(f"« {key} » doit être un entier d'au moins {minimum}", here + (key,),
                 f"écrivez un nombre entier, ex. {max(default, minimum)}.")
        return value

    annee, colonne_annee, dans_nom = raw.get("annee"), raw.get("colonne_annee"), bool(raw.get("annee_dans_nom", False))
    if sum(x is not None and x is not False for x in (annee, colonne_annee, dans_nom or None)) != 1:
        fail("l'année doit être donnée d'une seule façon", here,
             "écrivez « annee: 2024 », « colonne_annee: <en-tête> » ou « annee_dans_nom: true » (une seule des trois).")
    if annee is not None and (isinstance(annee, bool) or not isinstance(annee, int) or not 1990 <= annee <= 2100):
        fail(f"année « {annee} » invalide", here + ("annee",), "écrivez l'année sur quatre chiffres, ex. 2023.")
    decimale = str(raw.get("decimale", ","))
    if decimale not in (",", "."):
        fail(f"séparateur décimal « {decimale} » inconnu", here + ("decimale",), "écrivez « decimale: ',' » ou « decimale: '.' ».")
    encodage = str(raw.get("encodage", "utf-8-sig"))
    try:
        "é".encode(encodage)
    except LookupError:
        fail(f"encodage « {encodage} » inconnu", here + ("encodage",), "écrivez par exemple utf-8 ou latin-1.")
    ponderes = raw.get("effectifs_ponderes", False)
    if not isinstance(ponderes, bool):
        fail("« effectifs_ponderes » doit valoir true ou false", here + ("effectifs_ponderes",),
             "écrivez « effectifs_ponderes: true » pour des effectifs pondérés (recensement), sinon supprimez la ligne.")
    cellule_vide = str(raw.get("cellule_vide", "secret"))
    if cellule_vide not in ("secret", "absent"):
        fail(f"« cellule_vide » vaut « {cellule_vide} »", here + ("cellule_vide",), "écrivez secret (par défaut) ou absent.")
    zeros = str(raw.get("zeros_initiaux", "restaurer"))
    if zeros not in ("restaurer", "refuser"):
        fail(f"« zeros_initiaux » vaut « {zeros} »", here + ("zeros_initiaux",), "écrivez restaurer (par défaut) ou refuser.")

    colonnes_raw = raw["colonnes"]
    if not isinstance(colonnes_raw, dict) or not colonnes_raw:
        fail("« colonnes » doit associer des en-têtes à des indicateurs", here + ("colonnes",),
             "écrivez « colonnes: » puis une ligne « En-tête de la colonne: code_indicateur » par colonne.")
    colonnes = []
    for entete, target in colonnes_raw.items():
        where = here + ("colonnes", entete)
        spec = target if isinstance(target, dict) else {"indicateur": target}
        code = str(spec.get("indicateur"))
        if code not in glossaire:
            fail(f"indicateur « {code} » absent du glossaire", where,
                 "ajoutez d'abord l'indicateur à data/glossaire.yml (définition, type, niveaux, sources), ou corrigez son code.")
        kind = glossaire[code].type
        niveaux = glossaire[code].niveaux
        if niveaux and echelle not in niveaux:
            fail(f"l'indicateur « {code} » n'est pas déclaré à l'échelle « {echelle} » dans le glossaire", where,
                 f"ajoutez « {echelle} » à la liste « niveaux » de « {code} » dans data/glossaire.yml.")
        if kind in FACTEURS:
            num, den = spec.get("numerateur"), spec.get("denominateur")
            if not num or not den:
                fail(f"« {code} » est un {kind} : il est recalculé à partir de son numérateur et de son dénominateur", where,
                     f"écrivez « {entete}: {{indicateur: {code}, numerateur: <en-tête>, denominateur: <en-tête>}} ».")
            colonnes.append(Colonne(code, kind, None, normalise_entete(num), normalise_entete(den)))
        else:
            colonnes.append(Colonne(code, kind, normalise_entete(entete)))
    return Fichier(
        motif=str(raw.get("motif", "*")), feuille=feuille, echelle=echelle,
        lignes_a_sauter=integer("lignes_a_sauter", 0, 0), lignes_entete=integer("lignes_entete", 1, 1),
        colonne_code=normalise_entete(raw["colonne_code"]), annee=annee,
        colonne_annee=normalise_entete(colonne_annee) if colonne_annee else None,
        annee_dans_nom=dans_nom, decimale=decimale, separateur=str(raw.get("separateur", ";")), encodage=encodage,
        marques_total=tuple(str(m) for m in raw.get("marques_total", ["Total", "Ensemble"])),
        marques_note=tuple(str(m) for m in raw.get("marques_note", ["Source", "Note", "Champ", "Lecture", "("])),
        marques_secret=tuple(str(m) for m in raw.get("marques_secret", ["s", "secret", "nd"])),
        cellule_vide=cellule_vide, zeros_initiaux=zeros, colonnes=tuple(colonnes),
        premiere_annee=integer("premiere_annee", PREMIERE_ANNEE, 1900),
        effectifs_ponderes=ponderes,
    )


# Oldest year of a delivery unless its convention declares « premiere_annee » (a longer series).
PREMIERE_ANNEE = 2000


def dossier_conventions() -> Path:
    return chemin_donnees("conventions")


def fichiers() -> list[Path]:
    """The files this loader reads (for the build fingerprint)."""
    return sorted(dossier_conventions().glob("*.yml"))


def load_conventions(folder: Path | str | None = None, glossaire: Glossaire | Path | str | None = None) -> dict[str, Convention]:
    """Every data/conventions/*.yml, by source id."""
    folder = Path(folder or dossier_conventions())
    glossaire = glossaire if isinstance(glossaire, Glossaire) else load_glossaire(glossaire)
    out: dict[str, Convention] = {}
    for path in sorted(folder.glob("*.yml")):
        conv = load_convention(path, glossaire)
        if conv.source in out:
            raise OsqError(f"source « {conv.source} » déjà déclarée par {out[conv.source].chemin}", fichier=path,
                           correction="donnez à chaque convention un identifiant « source » différent.")
        out[conv.source] = conv
    return out


def fraicheur(conventions: dict[str, Convention] | list[Convention], aujourdhui: date) -> pd.DataFrame:
    """One row per convention: last delivery, next expected delivery, late or not (for a freshness page)."""
    rows = []
    for conv in (conventions.values() if isinstance(conventions, dict) else conventions):
        prochaine = None
        if conv.derniere_livraison is not None:
            prochaine = (pd.Timestamp(conv.derniere_livraison) + pd.DateOffset(months=PERIODICITES[conv.periodicite])).date()
        rows.append({"source": conv.source, "fournisseur": conv.fournisseur, "periodicite": conv.periodicite,
                     "derniere_livraison": conv.derniere_livraison, "prochaine_livraison": prochaine,
                     "en_retard": prochaine is not None and prochaine < aujourdhui})
    return pd.DataFrame(rows, columns=["source", "fournisseur", "periodicite", "derniere_livraison",
                                       "prochaine_livraison", "en_retard"])

