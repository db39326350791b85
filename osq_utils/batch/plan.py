"""Plan the jobs (template × territory) of an observatory from its params file."""

from __future__ import annotations

import os
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import yaml

from osq_utils import territoires
from osq_utils.errors import OsqError

PROJECT_ROOT = Path(__file__).resolve().parents[2]
ABS_THEMES = PROJECT_ROOT / "data" / "abs" / "themes.yml"


def templates_dir() -> Path:
    """Templates folder: the project's notebooks/, or $OSQ_NOTEBOOKS (an observatory's own templates)."""
    return Path(os.environ.get("OSQ_NOTEBOOKS", PROJECT_ROOT / "notebooks"))


class Modele(NamedTuple):
    niveau: str  # territory level of one note
    parametre: str  # papermill parameter holding the territory code
    libelle: str
    pluriel: str
    prefixe: str  # of the note's slug


TEMPLATES = {
    "note_communale": Modele("commune", "code_commune", "Note communale", "Notes communales", "communale"),
    "note_quartier": Modele("qpv", "code_qpv", "Note de quartier", "Notes de quartier (QPV)", "quartier"),
    "note_epci": Modele("epci", "code_epci", "Note d'agglomération", "Notes d'agglomération", "epci"),
    "abs_ccas": Modele("commune", "code_commune", "Analyse des besoins sociaux",
                       "Analyses des besoins sociaux (CCAS)", "abs"),
    "evaluation_cdv": Modele("epci", "code_epci", "Évaluation du contrat de ville",
                             "Évaluations du contrat de ville", "evaluation"),
}
# Note entries' keys whose value is a project file or folder (relative to where osq runs).
PATH_KEYS = ("groupements", "enjeux")


def theme_labels() -> dict[str, str]:
    """Themes a note may be run for: the ABS themes (data/abs/themes.yml), then the glossary's."""
    from osq_utils.indicateurs import load_glossaire

    out: dict[str, str] = {}
    if ABS_THEMES.exists():
        raw = yaml.safe_load(ABS_THEMES.read_text(encoding="utf-8")) or {}
        raw = raw.get("themes", raw)
        items = raw.items() if isinstance(raw, dict) else ((t.get("id") or t.get("code"), t) for t in raw)
        for key, spec in items:
            out[str(key)] = spec.get("libelle", key) if isinstance(spec, dict) else str(spec)
    for key, label in load_glossaire().themes.items():
        out.setdefault(key, label)
    return out


@dataclass(frozen=True)
class Job:
    modele: str
    niveau: str
    code: str
    libelle: str
    slug: str
    parametres: dict = field(hash=False, compare=False)
    theme: str | None = None
    theme_libelle: str | None = None

    @property
    def titre(self) -> str:
        return self.libelle if not self.theme_libelle else f"{self.libelle} · {self.theme_libelle}"

    @property
    def template(self) -> Path:
        return templates_dir() / f"{self.modele}.ipynb"


@dataclass(frozen=True)
class Plan:
    id: str
    titre: str
    description: str
    params_file: Path
    jobs: list[Job]
    profils: tuple[str, ...] = ("public",)  # one published site per diffusion profile


def _line_of(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def _find_node(root: yaml.Node, *path) -> yaml.Node | None:
    node = root
    for key in path:
        if isinstance(node, yaml.MappingNode):
            node = next((v for k, v in node.value if k.value == key), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int):
            node = node.value[key] if key < len(node.value) else None
        else:
            return None
        if node is None:
            return None
    return node


def slugify(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")


def load_params(path: Path) -> tuple[dict, yaml.Node]:
    path = Path(path)
    if not path.exists():
        raise OsqError("fichier de paramètres introuvable", fichier=path,
                       correction="indiquez un fichier du dossier params/, par exemple params/capso.yml.")
    text = path.read_text(encoding="utf-8")
    try:
        node = yaml.compose(text)
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise OsqError(f"YAML invalide : {getattr(exc, 'problem', exc)}", fichier=path,
                       ligne=mark.line + 1 if mark else None, colonne=mark.column + 1 if mark else None,
                       correction="vérifiez l'indentation et les deux-points de cette ligne.") from exc
    return data, node


def plan(con, params_file: Path) -> Plan:
    """Read a params file and list its jobs; unknown codes are located French errors."""
    data, root = load_params(params_file)
    obs = data.get("observatoire") or {}
    if "id" not in obs:
        raise OsqError("clé « observatoire.id » manquante", fichier=params_file, ligne=1, colonne="observatoire",
                       correction="ajoutez un identifiant court, par exemple « id: capso ».")
    jobs: list[Job] = []
    themes_known = None
    for i, note in enumerate(data.get("notes") or []):
        modele = note.get("modele")
        node = _find_node(root, "notes", i, "modele")
        if modele not in TEMPLATES:
            line, col = _line_of(node) if node else (None, None)
            raise OsqError(f"modèle de note « {modele} » inconnu", fichier=params_file, ligne=line, colonne=col,
                           correction=f"modèles disponibles : {', '.join(TEMPLATES)}.")
        spec = TEMPLATES[modele]
        codes = _codes_for(con, note, root, i, params_file, spec.niveau)
        labels = territoires.libelles(con, spec.niveau, codes)
        extra = dict(note.get("parametres") or {})
        for key in PATH_KEYS:
            if key in note:
                extra[key] = str(_project_path(con, note[key], root, i, key, params_file))
        themes = [None]
        if "themes" in note:
            themes_known = themes_known or theme_labels()
            themes = [str(t) for t in _as_list(note["themes"])]
            for j, theme in enumerate(themes):
                if theme not in themes_known:
                    line, col = _position(root, params_file, "notes", i, "themes", j)
                    raise OsqError(f"thème « {theme} » inconnu", fichier=params_file, ligne=line, colonne=col,
                                   correction=f"thèmes disponibles : {', '.join(themes_known)}.")
        for code in codes:
            for theme in themes:
                params = {spec.parametre: code, **extra}
                slug = f"{spec.prefixe}-{code}"
                if theme:
                    params["theme"] = theme
                    slug += f"-{theme}"
                if "enjeux" in extra:
                    params["enjeux"], params["enjeux_fichier"] = _enjeux(Path(extra["enjeux"]), code, theme)
                jobs.append(Job(modele, spec.niveau, code, labels.get(code, code), slug, params, theme,
                                themes_known.get(theme) if theme and themes_known else None))
    return Plan(str(obs["id"]), obs.get("titre", obs["id"]), obs.get("description", ""), Path(params_file), jobs,
                _profils(obs, root, params_file))


PROFILS = ("public", "partenaires")


def _profils(obs: dict, root, params_file: Path) -> tuple[str, ...]:
    """observatoire.profils: the diffusion profiles to publish (public first); default public only."""
    profils = [str(p) for p in _as_list(obs.get("profils") or ["public"])]
    for j, profil in enumerate(profils):
        if profil not in PROFILS:
            node = _find_node(root, "observatoire", "profils")
            sub = node.value[j] if isinstance(node, yaml.SequenceNode) else node
            line, col = _line_of(sub) if sub is not None else (None, None)
            raise OsqError(f"profil de diffusion « {profil} » inconnu", fichier=params_file, ligne=line, colonne=col,
                           correction="profils possibles : public (site ouvert) et partenaires (site réservé).")
    return tuple(sorted(dict.fromkeys(profils), key=PROFILS.index))


def _position(root, params_file, *path) -> tuple[int | None, int | None]:
    node = _find_node(root, *path)
    return _line_of(node) if node is not None else (None, None)


def _project_path(con, value, root, i: int, key: str, params_file: Path) -> Path:
    """A file or folder named in a params file, relative to the project folder (where osq runs)."""
    path = Path(str(value))
    path = path if path.is_absolute() else Path.cwd() / path
    if not path.exists():
        line, col = _position(root, params_file, "notes", i, key)
        raise OsqError(f"« {key} » : {value} introuvable", fichier=params_file, ligne=line, colonne=col,
                       correction="indiquez un chemin relatif au dossier du projet, par exemple "
                                  + ("data/territoires/capso.yml." if key == "groupements" else "params/capso/enjeux."))
    if key == "groupements":
        territoires.load_groupements(path, con)  # a located error now, rather than a failed note per commune
    return path.resolve()


def _enjeux(folder: Path, code: str, theme: str | None) -> tuple[str, str]:
    """The analyst's « enjeux à retenir » for one note, and the file they belong in.

    <folder>/<code>-<theme>.md (or <code>.md without theme); text '' while the file is not written.
    """
    path = folder / (f"{code}-{theme}.md" if theme else f"{code}.md") if folder.is_dir() else folder
    text = path.read_text(encoding="utf-8").strip() if path.is_file() else ""
    try:
        shown = str(path.relative_to(Path.cwd()))
    except ValueError:
        shown = str(path)
    return text, shown


def _codes_for(con, note: dict, root, i: int, params_file: Path, niveau: str = "commune") -> list[str]:
    """Territory codes of one note entry, at the template's level.

    `territoires` may name communes, EPCI, départements or QPV; a QPV note of an EPCI
    covers the QPV of its communes, an EPCI note of a département the EPCI of its communes.
    """
    terr = note.get("territoires") or {}
    if niveau == "epci" and set(terr) <= {"epci"}:
        codes = [str(c) for c in _as_list(terr.get("epci") or [])]
        for j, code in enumerate(codes):
            if not territoires.communes_of(con, "epci", code):
                line, col = _position(root, params_file, "notes", i, "territoires", "epci", j) if isinstance(
                    terr.get("epci"), list) else _position(root, params_file, "notes", i, "territoires", "epci")
                raise OsqError(f"EPCI « {code} » inconnu (aucune commune membre dans les référentiels)",
                               fichier=params_file, ligne=line, colonne=col,
                               correction="indiquez le numéro SIREN à 9 chiffres de l'intercommunalité, entre guillemets.")
        return list(dict.fromkeys(codes))
    qpv_codes: list[str] = []
    if "qpv" in terr:
        node = _find_node(root, "notes", i, "territoires", "qpv")
        for j, code in enumerate(_as_list(terr["qpv"])):
            if territoires.libelle(con, "qpv", str(code)) is None:
                sub = node.value[j] if isinstance(node, yaml.SequenceNode) else node
                line, col = _line_of(sub) if sub is not None else (None, None)
                raise OsqError(f"quartier « {code} » inconnu de la géographie prioritaire 2015", fichier=params_file,
                               ligne=line, colonne=col,
                               correction="indiquez le code du quartier, par exemple \"QP062036\" (liste officielle des QPV 2015).")
            qpv_codes.append(str(code))
        if niveau != "qpv":
            raise OsqError(f"le modèle « {note.get('modele')} » ne porte pas sur des quartiers", fichier=params_file,
                           ligne=_position(root, params_file, "notes", i, "territoires", "qpv")[0], colonne="qpv",
                           correction="indiquez des communes, des EPCI ou des départements.")
    communes = _commune_codes(con, terr, root, i, params_file)
    if niveau == "commune":
        return communes
    if niveau == "qpv":
        found = {q for code in communes for q in territoires.qpv_of_commune(con, code)}
        return list(dict.fromkeys(qpv_codes + sorted(found - set(qpv_codes))))
    # EPCI of the listed communes or départements, in order of first appearance.
    return list(dict.fromkeys(e for e in (territoires.parent(con, "commune", c, "epci") for c in communes) if e))


def _commune_codes(con, terr: dict, root, i: int, params_file: Path) -> list[str]:
    codes: list[str] = []
    if "epci" in terr:
        for j, epci in enumerate(_as_list(terr["epci"])):
            found = territoires.communes_of(con, "epci", str(epci))
            if not found:
                node = _find_node(root, "notes", i, "territoires", "epci")
                if node is not None and isinstance(node, yaml.SequenceNode):
                    node = node.value[j]
                line, col = _line_of(node) if node else (None, None)
                raise OsqError(f"EPCI « {epci} » inconnu (aucune commune membre dans les référentiels)",
                               fichier=params_file, ligne=line, colonne=col,
                               correction="indiquez le numéro SIREN à 9 chiffres de l'intercommunalité, entre guillemets.")
            codes += found
    if "departements" in terr:
        for j, dep in enumerate(_as_list(terr["departements"])):
            found = territoires.communes_of(con, "departement", str(dep))
            if not found or not isinstance(dep, str):
                node = _find_node(root, "notes", i, "territoires", "departements")
                if node is not None and isinstance(node, yaml.SequenceNode):
                    node = node.value[j]
                line, col = _line_of(node) if node else (None, None)
                raise OsqError(f"département « {dep} » inconnu ou écrit sans guillemets", fichier=params_file,
                               ligne=line, colonne=col, correction='écrivez le code entre guillemets, par exemple "62" ou "2A".')
            codes += found
    if "communes" in terr:
        node = _find_node(root, "notes", i, "territoires", "communes")
        for j, code in enumerate(_as_list(terr["communes"])):
            code_str = str(code)
            if territoires.check_commune_codes(con, [code_str]):
                sub = node.value[j] if isinstance(node, yaml.SequenceNode) else node
                line, col = _line_of(sub) if sub else (None, None)
                hint = ""
                if isinstance(code, int) or (code_str.isdigit() and len(code_str) == 4):
                    hint = " Un code écrit sans guillemets est lu comme un nombre et perd son zéro initial."
                raise OsqError(f"code commune « {code_str} » inconnu du code officiel géographique.{hint}",
                               fichier=params_file, ligne=line, colonne=col,
                               correction='écrivez le code INSEE à 5 caractères entre guillemets, par exemple "62040" ou "2A004".')
            codes.append(code_str)
    return list(dict.fromkeys(codes))


def _as_list(value) -> list:
    return value if isinstance(value, list) else [value]
