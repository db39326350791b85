"""Partner verbatims ("paroles d'acteurs"): loading, validation, pseudonymisation, selection.

A verbatims file is YAML with one list, `verbatims:`; each entry is a quote collected in a
workshop or taken from a published document:

    - id: aud-stomer-2023-abs-parc-prive        # unique in the file
      texte: "Un parc privé avec des loyers élevés…"
      theme: logement                           # a code of data/verbatims/themes.yml
      territoire: {niveau: epci, code: "200069037"}   # commune | epci | qpv | departement; code quoted
      locuteur: partenaire                      # partenaire | habitant | élu | technicien | conseil citoyen
                                                # (null: the source does not say who spoke)
      attribution: "Hélène, habitante de …"     # optional, the attribution as printed
      structure: "CCAS de Saint-Omer"           # or null
      date: "2022"                              # YYYY, YYYY-MM or YYYY-MM-DD, or null if unknown
      atelier: "atelier partenaires de l'ABS"   # the workshop, or how the quote was collected
      diffusion: public                         # public | partenaires (restricted to partners)
      source: {titre: "…", editeur: "…", annee: 2023, fichier: "002_….txt"}

Every field is required (null is allowed for locuteur, structure, date and atelier) except
`attribution`; `diffusion` can never be null. Errors are `OsqError`s located with the line
and column of the YAML node.

Names are removed at load time (`pseudonymise`), from `texte`, `attribution` and `atelier`.
`structure` is an organisation name (often named after a person: « centre social
Louise-Michel ») and is left as written. The rules, applied in this order:

1. a person followed by a role, after a comma or in parentheses, becomes that role with an
   article: « Hélène, habitante de X » -> « une habitante de X »; « M. Dupont, directeur du
   CCAS » -> « le directeur du CCAS » (definite article for a function followed by its
   complement); « Karim (conseil citoyen) » -> « un membre du conseil citoyen »;
2. a title and a capitalised name (M., Mme, Mlle, Madame, Monsieur, Mademoiselle, Dr,
   Docteur, Pr, Professeur + « Dupont », « Jean Dupont », « de Villepin ») -> « une personne »;
   « Monsieur le Maire » is a function, not a name, and is kept;
3. a first name from data/verbatims/prenoms.txt, alone or followed by a capitalised surname
   -> « une personne », unless it is part of a place name (after a hyphen, or after « rue »,
   « collège », « Saint »… : « collège Jean Moulin », « Saint-Étienne » are kept).

A person is either rule 2's title + name or a listed first name (+ surname). Names that
are neither (an unlisted first name alone) are not detected: the review report written by
`write_review_report` lists every change, for the analyst to check before publication.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from functools import lru_cache, partial
from pathlib import Path
from typing import Any, NamedTuple

import yaml

from osq_utils import atomic
from osq_utils.catalogues.lecture_yaml import lire_texte, lire_yaml, valeur
from osq_utils.catalogues.profils import PROFILS
from osq_utils.catalogues.profils import profil as profil_de
from osq_utils.catalogues.racine import chemin_donnees
from osq_utils.errors import OsqError

NIVEAUX = ("commune", "epci", "qpv", "departement")
LOCUTEURS = ("partenaire", "habitant", "élu", "technicien", "conseil citoyen")
DIFFUSIONS = PROFILS  # a verbatim is published on the sites of these profiles
FIELDS = ("id", "texte", "theme", "territoire", "locuteur", "structure", "date", "atelier", "diffusion", "source")
OPTIONAL_FIELDS = ("attribution",)
NULLABLE_FIELDS = ("locuteur", "structure", "date", "atelier")
SOURCE_FIELDS = ("titre", "editeur", "annee", "fichier")
# Fields cleaned of person names (free text written about people).
PSEUDONYMISED_FIELDS = ("texte", "attribution", "atelier")

CODE_FORMATS = {
    "commune": re.compile(r"^(?:\d{5}|2[AB]\d{3})$"),
    "epci": re.compile(r"^\d{9}$"),
    "qpv": re.compile(r"^Q[PN]\d{3}[0-9A-Z]{3,}$"),
    "departement": re.compile(r"^(?:\d{2}|2[AB]|97\d)$"),
}
DATE_FORMAT = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


@dataclass(frozen=True)
class Source:
    """The published document a verbatim comes from."""

    titre: str
    editeur: str | None = None
    annee: int | None = None
    fichier: str | None = None


@dataclass(frozen=True)
class Verbatim:
    id: str
    texte: str
    theme: str
    territoire: tuple[str, str]  # (niveau, code)
    locuteur: str | None
    structure: str | None
    date: str | None  # "YYYY", "YYYY-MM" or "YYYY-MM-DD"
    atelier: str | None
    diffusion: str | None  # None only when built by hand: never selected
    source: Source | None = None
    attribution: str | None = None
    ligne: int | None = field(default=None, compare=False)  # line in the YAML file, for messages


class Revision(NamedTuple):
    """One field changed by the pseudonymisation, for the analyst's review."""

    id: str
    champ: str
    avant: str
    apres: str


# --- Reference lists ----------------------------------------------------------


def dossier_verbatims() -> Path:
    return chemin_donnees("verbatims")


def fichiers_verbatims() -> list[Path]:
    """The verbatims files of the observatory (every .yml of data/verbatims but the themes list)."""
    return [p for p in sorted(dossier_verbatims().glob("*.yml")) if p.name != "themes.yml"]


def fichiers() -> list[Path]:
    """The files this loader reads (for the build fingerprint)."""
    return [*fichiers_verbatims(), dossier_verbatims() / "themes.yml", dossier_verbatims() / "prenoms.txt"]


def load_themes(path: Path | str | None = None) -> dict[str, str]:
    """Theme code -> libellé, from data/verbatims/themes.yml."""
    path = Path(path or dossier_verbatims() / "themes.yml")
    doc = lire_yaml(path, quoi="liste des thèmes des verbatims")
    raw = doc.donnees or {}
    if not isinstance(raw, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in raw.items()):
        raise doc.erreur("liste des thèmes mal formée", correction="une ligne par thème, sous la forme « code: Libellé ».")
    return raw


def load_prenoms(path: Path | str | None = None) -> dict[str, str]:
    """First name -> gender (F, M or X) from data/verbatims/prenoms.txt."""
    return dict(_load_prenoms_cached(str(Path(path or dossier_verbatims() / "prenoms.txt").resolve())))


@lru_cache(maxsize=4)
def _load_prenoms_cached(path: str) -> tuple[tuple[str, str], ...]:
    out = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, _, genre = line.partition(";")
        out.append((name.strip(), (genre.strip() or "X").upper()))
    return tuple(out)


# --- Reading and validation -----------------------------------------------------


def _one_line(text: str) -> str:
    # Join line breaks; keep no-break spaces (French typography).
    return re.sub(r"[ \t\r\n]+", " ", text).strip()


def read_verbatims(path: Path | str, existe: Callable[[str, str], bool] | None = None,
                   themes: dict[str, str] | None = None) -> list[Verbatim]:
    """Parse and validate a verbatims file (names NOT removed: use `load_verbatims`).

    existe(niveau, code): whether a territory is known (the store's table of territories), to
    refuse a quote about a mistyped territory; None skips that check.
    """
    path = Path(path)
    themes = load_themes() if themes is None else themes
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise OsqError("fichier de verbatims introuvable", fichier=path,
                       correction="vérifiez le chemin (les fichiers sont dans data/verbatims/).") from None
    doc = lire_texte(text, path)
    return _Reader(path, existe, themes).read(doc.racine)


class _Reader:
    """Walks the composed YAML nodes, so every error points at a line and a column."""

    def __init__(self, path: Path, existe: Callable[[str, str], bool] | None, themes: dict[str, str]):
        self.path, self.existe, self.themes = path, existe, themes
        self._known_territories: dict[tuple[str, str], bool] = {}

    def error(self, node, message: str, correction: str) -> OsqError:
        mark = node.start_mark if node is not None else None
        return OsqError(message, fichier=self.path, ligne=mark.line + 1 if mark else None,
                        colonne=mark.column + 1 if mark else None, correction=correction)

    def value(self, node):
        return valeur(node)

    def mapping(self, node, what: str) -> dict[str, tuple[yaml.Node, yaml.Node]]:
        if not isinstance(node, yaml.MappingNode):
            raise self.error(node, f"{what} : une liste de champs « clé: valeur » est attendue",
                             "écrivez chaque champ sur sa ligne, sous la forme « champ: valeur ».")
        out: dict[str, tuple[yaml.Node, yaml.Node]] = {}
        for key_node, value_node in node.value:
            key = str(self.value(key_node))
            if key in out:
                raise self.error(key_node, f"{what} : champ « {key} » écrit deux fois",
                                 "gardez une seule ligne pour ce champ.")
            out[key] = (key_node, value_node)
        return out

    def read(self, root) -> list[Verbatim]:
        if root is None:
            raise OsqError("fichier de verbatims vide", fichier=self.path,
                           correction="commencez le fichier par « verbatims: » suivi de la liste des citations.")
        top = self.mapping(root, "racine du fichier")
        if "verbatims" not in top:
            raise self.error(root, "liste « verbatims: » absente",
                             "commencez le fichier par « verbatims: » suivi de la liste des citations.")
        seq = top["verbatims"][1]
        if not isinstance(seq, yaml.SequenceNode):
            raise self.error(seq, "« verbatims » doit être une liste",
                             "écrivez chaque citation comme un élément de liste commençant par « - id: … ».")
        seen: dict[str, int | None] = {}
        out = []
        for item in seq.value:
            v = self.verbatim(item)
            if v.id in seen:
                raise self.error(self.mapping(item, "verbatim")["id"][1],
                                 f"identifiant « {v.id} » déjà utilisé (ligne {seen[v.id]})",
                                 "donnez à chaque verbatim un identifiant unique.")
            seen[v.id] = v.ligne
            out.append(v)
        return out

    def verbatim(self, node) -> Verbatim:
        fields = self.mapping(node, "verbatim")
        ident = self.value(fields["id"][1]) if "id" in fields else None
        label = f"verbatim « {ident} »" if ident is not None else "verbatim sans identifiant"
        for key, (key_node, _) in fields.items():
            if key not in FIELDS + OPTIONAL_FIELDS:
                raise self.error(key_node, f"{label} : champ « {key} » inconnu",
                                 f"champs possibles : {', '.join(FIELDS + OPTIONAL_FIELDS)}.")
        for key in FIELDS:
            if key not in fields:
                nullable = " (null si la source ne le précise pas)" if key in NULLABLE_FIELDS else ""
                fix = ("indiquez « diffusion: public » (déjà publié) ou « diffusion: partenaires » (diffusion restreinte)."
                       if key == "diffusion" else f"ajoutez la ligne « {key}: … »{nullable}.")
                raise self.error(node, f"{label} : champ « {key} » manquant", fix)
        get = {key: self.value(value_node) for key, (_, value_node) in fields.items()}
        at = {key: value_node for key, (_, value_node) in fields.items()}

        if not isinstance(ident, (str, int)) or isinstance(ident, bool) or str(ident).strip() == "":
            raise self.error(at["id"], "identifiant de verbatim vide ou mal formé",
                             "donnez un identifiant court et unique, par exemple « capso-2023-logement-1 ».")
        ident = str(ident).strip()
        for key in ("texte", "theme"):
            if not isinstance(get[key], str) or not get[key].strip():
                raise self.error(at[key], f"{label} : « {key} » vide ou mal formé", f"écrivez « {key} » en texte.")
        for key in ("structure", "atelier", "attribution"):
            if get.get(key) is not None and not isinstance(get[key], str):
                raise self.error(at[key], f"{label} : « {key} » doit être un texte", f"écrivez « {key} » entre guillemets.")

        theme = get["theme"].strip()
        if theme not in self.themes:
            raise self.error(at["theme"], f"{label} : thème « {theme} » inconnu",
                             f"thèmes déclarés dans data/verbatims/themes.yml : {', '.join(self.themes)}.")
        locuteur = get["locuteur"]
        if locuteur is not None and locuteur not in LOCUTEURS:
            raise self.error(at["locuteur"], f"{label} : type de locuteur « {locuteur} » inconnu",
                             f"types possibles : {', '.join(LOCUTEURS)} (ou null si la source ne le dit pas).")
        diffusion = get["diffusion"]
        if diffusion is None:
            raise self.error(at["diffusion"], f"{label} : niveau de diffusion absent",
                             "indiquez « diffusion: public » (déjà publié) ou « diffusion: partenaires » (diffusion restreinte).")
        if diffusion not in DIFFUSIONS:
            raise self.error(at["diffusion"], f"{label} : niveau de diffusion « {diffusion} » invalide",
                             "valeurs possibles : public (déjà publié) ou partenaires (diffusion restreinte).")
        return Verbatim(
            id=ident, texte=_one_line(get["texte"]), theme=theme,
            territoire=self.territoire(at["territoire"], label), locuteur=locuteur,
            structure=get["structure"], date=self.date(at["date"], get["date"], label), atelier=get["atelier"],
            diffusion=diffusion, source=self.source(at["source"], label), attribution=get.get("attribution"),
            ligne=node.start_mark.line + 1,
        )

    def territoire(self, node, label: str) -> tuple[str, str]:
        fields = self.mapping(node, f"{label}, territoire")
        for key in ("niveau", "code"):
            if key not in fields:
                raise self.error(node, f"{label} : territoire sans « {key} »",
                                 'écrivez par exemple « territoire: {niveau: commune, code: "62765"} ».')
        niveau = self.value(fields["niveau"][1])
        code_node = fields["code"][1]
        if niveau not in NIVEAUX:
            raise self.error(fields["niveau"][1], f"{label} : niveau de territoire « {niveau} » non prévu",
                             f"niveaux possibles : {', '.join(NIVEAUX)}.")
        if not (isinstance(code_node, yaml.ScalarNode) and code_node.tag == "tag:yaml.org,2002:str"):
            raw = getattr(code_node, "value", "")
            raise self.error(code_node, f"{label} : code territoire {raw} écrit sans guillemets (lu comme un nombre, "
                                        "les zéros en tête seraient perdus)", f'écrivez code: "{raw}".')
        code = code_node.value.strip()
        if not CODE_FORMATS[niveau].match(code):
            raise self.error(code_node, f"{label} : code « {code} » mal formé pour le niveau {niveau}",
                             "commune : 5 caractères (62765, 2A004) ; epci : SIREN à 9 chiffres ; "
                             "qpv : QP… ou QN… ; departement : 62, 2A, 974.")
        if self.existe is not None and not self.exists(niveau, code):
            raise self.error(code_node, f"{label} : territoire {niveau} « {code} » absent de la table des territoires",
                             "vérifiez le code et le niveau (COG Insee pour les communes, SIREN pour les EPCI, "
                             "code officiel pour les QPV).")
        return (niveau, code)

    def exists(self, niveau: str, code: str) -> bool:
        if self.existe is None:  # no table of territories: nothing to check against
            return True
        key = (niveau, code)
        if key not in self._known_territories:
            self._known_territories[key] = bool(self.existe(niveau, code))
        return self._known_territories[key]

    def date(self, node, value, label: str) -> str | None:
        if value is None:
            return None
        if isinstance(value, dt.date):
            return value.isoformat()
        text = str(value).strip()
        m = DATE_FORMAT.match(text)
        try:
            if not m:
                raise ValueError
            month, day = (int(g) if g else None for g in m.groups()[1:])
            dt.date(int(m.group(1)), month or 1, day or 1)
        except ValueError:
            raise self.error(node, f"{label} : date « {text} » non reconnue",
                             'écrivez "2022", "2022-03" ou "2022-03-15", ou null si la source ne la donne pas.') from None
        return text

    def source(self, node, label: str) -> Source:
        fields = self.mapping(node, f"{label}, source")
        for key, (key_node, _) in fields.items():
            if key not in SOURCE_FIELDS:
                raise self.error(key_node, f"{label} : champ de source « {key} » inconnu",
                                 f"champs possibles : {', '.join(SOURCE_FIELDS)}.")
        if "titre" not in fields or not isinstance(self.value(fields["titre"][1]), str):
            raise self.error(node, f"{label} : source sans titre",
                             "indiquez le titre du document tel qu'il est imprimé.")
        get = {key: self.value(v) for key, (_, v) in fields.items()}
        annee = get.get("annee")
        if annee is not None and (not isinstance(annee, int) or isinstance(annee, bool) or not 1900 <= annee <= 2100):
            raise self.error(fields["annee"][1], f"{label} : année de source « {annee} » invalide",
                             "écrivez l'année imprimée sur le document (par exemple 2023), ou null.")
        return Source(titre=get["titre"], editeur=get.get("editeur"), annee=annee,
                      fichier=None if get.get("fichier") is None else str(get["fichier"]))


# --- Pseudonymisation -------------------------------------------------------------

_UP = "A-ZÀÂÄÇÉÈÊËÎÏÔÖÙÛÜŸ"
_LOW = "a-zàâäçéèêëîïôöùûüÿœæ"
_SURNAME = rf"[{_UP}](?:[{_LOW}'’]+|[{_UP}]+)(?:-[{_UP}](?:[{_LOW}'’]+|[{_UP}]+))*"
_PARTICLE = r"(?:(?:de|du|des|van|von|ben|el)\s+|d['’])"
_TITLES = {"M.": "M", "MM.": "M", "Monsieur": "M", "Mme": "F", "Mmes": "F", "Mlle": "F", "Madame": "F",
           "Mademoiselle": "F", "Dr.": "X", "Dr": "X", "Docteur": "X", "Docteure": "F", "Pr.": "X", "Pr": "X",
           "Professeur": "X", "Professeure": "F"}
_TITLE = "|".join(re.escape(t) for t in sorted(_TITLES, key=len, reverse=True))

# Role noun -> (gender, is a function). A function followed by its complement takes the
# definite article (« le directeur du CCAS »), anything else the indefinite one.
ROLES: dict[str, tuple[str, bool]] = {
    "habitant": ("M", False), "habitante": ("F", False), "résident": ("M", False), "résidente": ("F", False),
    "locataire": ("X", False), "élu": ("M", False), "élue": ("F", False), "adjoint": ("M", False),
    "adjointe": ("F", False), "conseiller": ("M", False), "conseillère": ("F", False), "maire": ("X", True),
    "directeur": ("M", True), "directrice": ("F", True), "président": ("M", True), "présidente": ("F", True),
    "responsable": ("X", True), "coordinateur": ("M", True), "coordinatrice": ("F", True),
    "chef": ("M", True), "cheffe": ("F", True), "principal": ("M", True), "principale": ("F", True),
    "animateur": ("M", False), "animatrice": ("F", False), "éducateur": ("M", False), "éducatrice": ("F", False),
    "médiateur": ("M", False), "médiatrice": ("F", False), "technicien": ("M", False), "technicienne": ("F", False),
    "agent": ("M", False), "agente": ("F", False), "assistant": ("M", False), "assistante": ("F", False),
    "travailleur": ("M", False), "travailleuse": ("F", False), "chargé": ("M", False), "chargée": ("F", False),
    "bénévole": ("X", False), "membre": ("M", False), "salarié": ("M", False), "salariée": ("F", False),
    "infirmier": ("M", False), "infirmière": ("F", False), "médecin": ("X", False), "secrétaire": ("X", False),
    "délégué": ("M", False), "déléguée": ("F", False), "représentant": ("M", False), "représentante": ("F", False),
    "parent": ("M", False), "mère": ("F", False), "père": ("M", False), "jeune": ("X", False),
    "retraité": ("M", False), "retraitée": ("F", False), "commerçant": ("M", False), "commerçante": ("F", False),
    "gardien": ("M", False), "gardienne": ("F", False), "professeur": ("M", False), "professeure": ("F", False),
    "enseignant": ("M", False), "enseignante": ("F", False),
}
# Bodies a person belongs to -> preposition: « Karim (conseil citoyen) » -> « un membre du conseil citoyen ».
GROUPS = {"conseil": "du", "collectif": "du", "comité": "du", "centre social": "du", "bureau": "du",
          "ccas": "du", "cias": "du", "association": "de l'", "amicale": "de l'"}
# A first name right after one of these words is part of a place or building name.
PLACE_WORDS = {
    "rue", "avenue", "av", "bd", "boulevard", "place", "allée", "impasse", "chemin", "route", "quai", "cours",
    "square", "parc", "jardin", "jardins", "cité", "résidence", "quartier", "collège", "lycée", "école", "groupe",
    "scolaire", "centre", "social", "salle", "gymnase", "stade", "maison", "espace", "médiathèque", "bibliothèque",
    "hôpital", "clinique", "foyer", "pont", "saint", "sainte", "st", "ste", "ehpad", "crèche", "halle", "mail",
    "esplanade", "port", "tour", "bâtiment", "immeuble", "piscine", "théâtre", "institut", "fondation",
}
_ROLE = "|".join(sorted(ROLES, key=len, reverse=True))
_GROUP = "|".join(re.escape(g) for g in sorted(GROUPS, key=len, reverse=True))
_SEP_COMMA = r"\s*,\s*"
_PERSON_END = r"(?![\w-])"


class _Patterns(NamedTuple):
    with_role: re.Pattern
    in_parens: re.Pattern
    titled: re.Pattern
    first_name: re.Pattern


@lru_cache(maxsize=4)
def _patterns(prenoms: tuple[str, ...]) -> _Patterns:
    first = "|".join(re.escape(p) for p in sorted(prenoms, key=len, reverse=True))
    first_name = rf"(?:{first})(?:-[{_UP}][{_LOW}]+)*"
    person = (rf"(?<![\w.-])(?:(?P<title>{_TITLE})\s+(?:(?:{first_name})\s+)?{_PARTICLE}?{_SURNAME}"
              rf"|(?P<first>{first_name})(?:\s+{_SURNAME})?){_PERSON_END}")
    role_or_group = rf"(?:(?P<role>(?i:{_ROLE}))|(?P<group>(?i:{_GROUP})))(?![\w-])"
    return _Patterns(
        with_role=re.compile(rf"{person}{_SEP_COMMA}(?={role_or_group})"),
        in_parens=re.compile(rf"{person}\s*\(\s*(?P<inner>{role_or_group}[^()]*?)\s*\)"),
        titled=re.compile(rf"(?<![\w.-])(?P<title>{_TITLE})\s+(?:(?:{first_name})\s+)?{_PARTICLE}?{_SURNAME}{_PERSON_END}"),
        first_name=re.compile(rf"(?<![\w.-])(?P<first>{first_name})(?:\s+{_SURNAME})?{_PERSON_END}"),
    )


def _gender(match: re.Match, role_gender: str, prenoms: dict[str, str]) -> str:
    if role_gender in ("M", "F"):
        return role_gender
    if match.group("title"):
        g = _TITLES[match.group("title")]
        if g != "X":
            return g
    if match.group("first"):
        g = prenoms.get(match.group("first").split("-")[0], "X")
        if g != "X":
            return g
    return "M"  # generic masculine when nothing says otherwise


def _article(role: str, gender: str, rest: str) -> str:
    is_function = ROLES.get(role.lower(), ("X", False))[1]
    if is_function and re.match(r"\s*(?:du|de|des|d['’]|au|aux|à)\b", rest):
        if role[0].lower() in "aeiouyéèêàâîôûh":
            return "l'"
        return "la " if gender == "F" else "le "
    return "une " if gender == "F" else "un "


def _membre(group: str) -> str:
    key = next(g for g in sorted(GROUPS, key=len, reverse=True) if group.lower().startswith(g))
    prep = GROUPS[key]
    return f"un membre {prep}" + ("" if prep.endswith("'") else " ")


def _in_place_name(text: str, start: int) -> bool:
    words = re.findall(r"\w+", text[max(0, start - 30):start].lower())
    return bool(words) and words[-1] in PLACE_WORDS


def _sentence_start(text: str, start: int) -> bool:
    before = text[:start].rstrip(" \u00a0\u202f«\"“—–-")
    return before == "" or before[-1] in ".!?…"


def pseudonymise_text(text: str | None, prenoms: dict[str, str] | None = None, capitalise: bool = True) -> str | None:
    """Remove person names from a text (rules in the module docstring).

    capitalise: restore a capital when a replacement opens a sentence (not wanted for an
    attribution, which is printed after a dash: « — une habitante de … »).
    """
    if not text:
        return text
    prenoms = load_prenoms() if prenoms is None else prenoms
    pats = _patterns(tuple(prenoms))

    def finish(new: str, m: re.Match, source: str) -> str:
        if capitalise and _sentence_start(source, m.start()):
            return new[0].upper() + new[1:]
        return new

    def skip(m: re.Match, source: str) -> bool:
        # A first name without title inside a place name (« collège Jean Moulin ») is not a person.
        return not m.group("title") and _in_place_name(source, m.start())

    def with_role(m: re.Match, source: str) -> str:
        if skip(m, source):
            return m.group(0)
        after = source[m.end():]
        role = re.match(rf"(?i:{_ROLE})(?![\w-])", after)
        if role:
            word = role.group(0)
            return finish(_article(word, _gender(m, ROLES[word.lower()][0], prenoms), after[len(word):]), m, source)
        return finish(_membre(after), m, source)

    def in_parens(m: re.Match, source: str) -> str:
        if skip(m, source):
            return m.group(0)
        inner = m.group("inner")
        if m.group("role"):
            word = m.group("role")
            inner = inner[0].lower() + inner[1:]
            if word.lower() == "membre":
                return finish("un " + inner, m, source)
            return finish(_article(word, _gender(m, ROLES[word.lower()][0], prenoms), inner[len(word):]) + inner, m, source)
        return finish(_membre(inner) + inner, m, source)

    def titled(m: re.Match, source: str) -> str:
        return finish("une personne", m, source)

    def first_name(m: re.Match, source: str) -> str:
        return m.group(0) if _in_place_name(source, m.start()) else finish("une personne", m, source)

    for pattern, repl in ((pats.in_parens, in_parens), (pats.with_role, with_role),
                          (pats.titled, titled), (pats.first_name, first_name)):
        text = pattern.sub(partial(repl, source=text), text)
    return text


def pseudonymise(verbatims: Iterable[Verbatim], prenoms: dict[str, str] | None = None
                 ) -> tuple[list[Verbatim], list[Revision]]:
    """Remove person names from the free-text fields; returns the cleaned verbatims and the review report."""
    prenoms = load_prenoms() if prenoms is None else prenoms
    cleaned, report = [], []
    for v in verbatims:
        changes: dict[str, Any] = {}  # field name -> new value, for dataclasses.replace
        for champ in PSEUDONYMISED_FIELDS:
            before = getattr(v, champ)
            after = pseudonymise_text(before, prenoms, capitalise=champ == "texte")
            if after is not None and after != before:  # None only when before is None
                changes[champ] = after
                report.append(Revision(v.id, champ, before, after))
        cleaned.append(replace(v, **changes) if changes else v)
    return cleaned, report


def write_review_report(report: Iterable[Revision], path: Path | str) -> Path:
    """Write the pseudonymisation report as CSV (UTF-8, `;`), atomically."""
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, delimiter=";")
    writer.writerow(Revision._fields)
    writer.writerows(report)
    return atomic.write_text(Path(path), buf.getvalue())


def load_verbatims(path: Path | str | None = None, existe: Callable[[str, str], bool] | None = None,
                   themes: dict[str, str] | None = None,
                   prenoms: dict[str, str] | None = None) -> tuple[list[Verbatim], list[Revision]]:
    """Read, validate and pseudonymise a verbatims file (default: the demo file)."""
    path = Path(path or dossier_verbatims() / "demo.yml")
    if existe is None and themes is None and prenoms is None:
        try:
            return _load_cached(str(path.resolve()), path.stat().st_mtime_ns)
        except FileNotFoundError:
            pass  # read_verbatims gives the French error
    return pseudonymise(read_verbatims(path, existe=existe, themes=themes), prenoms)


@lru_cache(maxsize=32)
def _load_cached(path: str, _mtime: int) -> tuple[list[Verbatim], list[Revision]]:
    return pseudonymise(read_verbatims(path), None)


def load_all() -> list[Verbatim]:
    """Every validated, pseudonymised verbatim of the observatory's files (read once per file version)."""
    return [v for path in fichiers_verbatims() for v in load_verbatims(path)[0]]


# --- Selection ---------------------------------------------------------------------


def _rank(ident: str) -> str:
    # A hash of the id alone: adding a verbatim never reshuffles the others.
    return hashlib.sha256(ident.encode("utf-8")).hexdigest()


def select(verbatims: Iterable[Verbatim], theme: str | None = None,
           territoires: Iterable[tuple[str, str]] | None = None, profil: str = "public",
           max_n: int = 4) -> list[Verbatim]:
    """At most `max_n` verbatims for a theme and territories, the same on every build.

    territoires: (niveau, code) pairs, most specific first (the note's own territory, then
    its EPCI…); quotes about an earlier territory come first, then by a hash of the id.
    None means any territory, theme None any theme. profil « public » keeps `diffusion:
    public` only, « partenaires » keeps public and partenaires; a verbatim without a
    diffusion level is never kept. The order of `verbatims` does not matter.
    """
    allowed = profil_de(profil).diffusions
    if isinstance(max_n, bool) or not isinstance(max_n, int) or max_n < 0:
        raise OsqError(f"nombre maximal de verbatims invalide : {max_n!r}", correction="donnez un entier positif ou nul.")
    priority: dict[tuple[str, str], int] | None = None
    if territoires is not None:
        priority = {}
        for niveau, code in territoires:
            priority.setdefault((niveau, str(code)), len(priority))
    keep: dict[str, tuple] = {}
    for v in verbatims:
        if v.diffusion not in allowed or (theme is not None and v.theme != theme):
            continue
        if priority is not None and v.territoire not in priority:
            continue
        key = (priority[v.territoire] if priority is not None else 0, _rank(v.id), v.id, v.texte)
        if v.id not in keep or key < keep[v.id][0]:  # duplicate ids: keep one, whatever the input order
            keep[v.id] = (key, v)
    return [v for _, v in sorted(keep.values(), key=lambda kv: kv[0])][:max_n]


def choisir(verbatims: Iterable[Verbatim], themes: Iterable[str | None] | None,
            territoires: list[tuple[str, str]], profil: str = "public", max_n: int = 4) -> list[Verbatim]:
    """The verbatims a note shows: `select` for each theme (None: any theme), most specific territory
    first whatever the theme, at most max_n in all."""
    verbatims = list(verbatims)
    chosen = [v for theme in (themes or [None])
              for v in select(verbatims, theme=theme, territoires=territoires, profil=profil, max_n=max_n)]
    rank = {key: i for i, key in enumerate(territoires)}
    unique = list({v.id: v for v in chosen}.values())
    return sorted(unique, key=lambda v: rank.get(v.territoire, len(rank)))[:max_n]
