"""Plan the jobs (template × territory) of an observatory from its params file."""

from __future__ import annotations

import os
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from osq_utils import territoires
from osq_utils.errors import OsqError

PROJECT_ROOT = Path(__file__).resolve().parents[2]
def templates_dir() -> Path:
    """Templates folder: the project's notebooks/, or $OSQ_NOTEBOOKS (an observatory's own templates)."""
    return Path(os.environ.get("OSQ_NOTEBOOKS", PROJECT_ROOT / "notebooks"))
# template -> (territory level, papermill parameter holding the code, label, plural label)
TEMPLATES = {
    "note_communale": ("commune", "code_commune", "Note communale", "Notes communales"),
}


@dataclass(frozen=True)
class Job:
    modele: str
    niveau: str
    code: str
    libelle: str
    slug: str
    parametres: dict = field(hash=False, compare=False)

    @property
    def titre(self) -> str:
        return self.libelle

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
    for i, note in enumerate(data.get("notes") or []):
        modele = note.get("modele")
        node = _find_node(root, "notes", i, "modele")
        if modele not in TEMPLATES:
            line, col = _line_of(node) if node else (None, None)
            raise OsqError(f"modèle de note « {modele} » inconnu", fichier=params_file, ligne=line, colonne=col,
                           correction=f"modèles disponibles : {', '.join(TEMPLATES)}.")
        niveau, param, *_ = TEMPLATES[modele]
        codes = _codes_for(con, note, root, i, params_file)
        labels = territoires.libelles(con, niveau, codes)
        for code in codes:
            label = labels.get(code, code)
            jobs.append(Job(modele, niveau, code, label, f"{modele.replace('note_', '')}-{code}",
                            {param: code, **(note.get("parametres") or {})}))
    return Plan(str(obs["id"]), obs.get("titre", obs["id"]), obs.get("description", ""), Path(params_file), jobs)


def _codes_for(con, note: dict, root, i: int, params_file: Path) -> list[str]:
    terr = note.get("territoires") or {}
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
