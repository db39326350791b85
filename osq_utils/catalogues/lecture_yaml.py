"""The one YAML reader of the project: plain Python values, and the line and column of every node.

Every file an analyst edits (glossary, sources catalogue, secret rules, conventions, themes,
groupings, verbatims, params) is read here, so that every error names the file, the line, the
column and the fix:

    doc = lire_yaml(path)
    doc.donnees                      # dict / list / scalars, as yaml.safe_load gives them
    doc.position("notes", 2, "modele")  # (line, column) of that node, or of its nearest parent
    raise doc.erreur("modèle inconnu", "notes", 2, "modele", correction="…")

A key written twice in a mapping is an error (YAML would silently keep the last one). A scalar
keeps how it was written (`doc.ecrit(...)`): unquoted `01001` is the integer 513 for YAML
(octal), and the message can quote what the analyst typed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from osq_utils.errors import OsqError

Chemin = tuple[Any, ...]
_STR_TAG = "tag:yaml.org,2002:str"
# The C parser when PyYAML has it: same nodes and marks, several times faster.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Illisible(Exception):
    """A node YAML composed but cannot turn into a value (unknown tag, bad !!float, list as a key)."""

    def __init__(self, node: yaml.Node, message: str, correction: str) -> None:
        super().__init__(message)
        self.node, self.message, self.correction = node, message, correction


def valeur(node: yaml.Node | None) -> Any:
    """The plain Python value of a composed node (mappings as dicts, sequences as lists)."""
    if node is None:
        return None
    if isinstance(node, yaml.MappingNode):
        out = {}
        for k, v in node.value:
            if not isinstance(k, yaml.ScalarNode):
                raise _Illisible(k, "clé écrite comme une liste ou un dictionnaire",
                                 "une clé est un simple mot suivi de deux-points, par exemple « territoires: ».")
            out[valeur(k)] = valeur(v)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [valeur(v) for v in node.value]
    if node.tag == _STR_TAG:
        return node.value
    try:
        return yaml.SafeLoader("").construct_object(node, deep=True)
    except (yaml.YAMLError, ValueError, TypeError):  # !!python/…, !!binary, !!float abc, 2015-13-45…
        tag = str(node.tag).replace("tag:yaml.org,2002:", "!!")
        raise _Illisible(node, f"valeur « {node.value} » illisible, lue comme « {tag} »",
                         "écrivez-la entre guillemets pour en faire un texte ; les étiquettes « !! » ne sont pas "
                         "permises.") from None


class Document:
    """A YAML file read once: its values and the position of each of its nodes."""

    def __init__(self, chemin: Path, racine: yaml.Node | None) -> None:
        self.chemin = Path(chemin)
        self.racine = racine
        self.donnees = valeur(racine)

    # --- nodes -------------------------------------------------------------------------

    def noeud(self, *chemin: Any, cle: bool = False) -> yaml.Node | None:
        """The node at `chemin` (mapping keys and list indices); with cle, the key node of its last step."""
        node = self.racine
        for i, step in enumerate(chemin):
            last = i == len(chemin) - 1
            if isinstance(node, yaml.MappingNode):
                pair = next(((k, v) for k, v in node.value if k.value == str(step)), None)
                if pair is None:
                    return None
                node = pair[0] if (cle and last) else pair[1]
            elif isinstance(node, yaml.SequenceNode) and isinstance(step, int) and not isinstance(step, bool):
                node = node.value[step] if 0 <= step < len(node.value) else None
            else:
                return None
            if node is None:
                return None
        return node

    def position(self, *chemin: Any, cle: bool = False) -> tuple[int | None, int | None]:
        """(line, column), 1-based, of the node at `chemin`, else of its nearest existing parent."""
        for n in range(len(chemin), -1, -1):
            node = self.noeud(*chemin[:n], cle=cle and n == len(chemin))
            if node is not None:
                return node.start_mark.line + 1, node.start_mark.column + 1
        return (1, 1) if self.racine is None else (self.racine.start_mark.line + 1, self.racine.start_mark.column + 1)

    def ecrit(self, *chemin: Any) -> str | None:
        """A scalar as the analyst wrote it (before YAML turned `01001` into 513)."""
        node = self.noeud(*chemin)
        return node.value if isinstance(node, yaml.ScalarNode) else None

    def est_texte(self, *chemin: Any) -> bool:
        """True when the scalar at `chemin` is text (quoted, or plain text YAML reads as a string)."""
        node = self.noeud(*chemin)
        return isinstance(node, yaml.ScalarNode) and node.tag == _STR_TAG

    def get(self, *chemin: Any, defaut: Any = None) -> Any:
        """The value at `chemin` in the plain data (defaut when a step is missing)."""
        data = self.donnees
        for step in chemin:
            if isinstance(data, dict) and step in data:
                data = data[step]
            elif isinstance(data, list) and isinstance(step, int) and 0 <= step < len(data):
                data = data[step]
            else:
                return defaut
        return data

    # --- errors ------------------------------------------------------------------------

    def erreur(self, message: str, *chemin: Any, correction: str | None = None, cle: bool = False) -> OsqError:
        """A located French error at `chemin` (or its nearest parent)."""
        ligne, colonne = self.position(*chemin, cle=cle)
        return OsqError(message, fichier=self.chemin, ligne=ligne, colonne=colonne, correction=correction)

    def erreur_noeud(self, node: yaml.Node | None, message: str, correction: str | None = None) -> OsqError:
        mark = node.start_mark if node is not None else None
        return OsqError(message, fichier=self.chemin, ligne=mark.line + 1 if mark else None,
                        colonne=mark.column + 1 if mark else None, correction=correction)


def _doublons(node: yaml.Node | None, chemin: Path) -> None:
    """Refuse a key written twice in a mapping (YAML would keep the last one without a word)."""
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, yaml.MappingNode):
            seen: dict[str, yaml.Node] = {}
            for key, value in current.value:
                if isinstance(key, yaml.ScalarNode):
                    if key.value in seen:
                        first = seen[key.value].start_mark.line + 1
                        raise OsqError(f"clé « {key.value} » écrite deux fois (déjà ligne {first})", fichier=chemin,
                                       ligne=key.start_mark.line + 1, colonne=key.start_mark.column + 1,
                                       correction="gardez une seule ligne pour cette clé.")
                    seen[key.value] = key
                stack.append(value)
        elif isinstance(current, yaml.SequenceNode):
            stack.extend(current.value)


def lire_texte(texte: str, chemin: Path | str) -> Document:
    """Parse YAML text (already read) as the file `chemin`."""
    chemin = Path(chemin)
    try:
        racine = yaml.compose(texte, Loader=_LOADER)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise OsqError(f"YAML illisible ({exc.problem or exc.context})", fichier=chemin,
                       ligne=mark.line + 1 if mark else None, colonne=mark.column + 1 if mark else None,
                       correction="vérifiez l'indentation, les deux-points et les guillemets à cet endroit.") from None
    except yaml.YAMLError as exc:
        raise OsqError(f"YAML illisible ({exc})", fichier=chemin,
                       correction="vérifiez l'indentation, les deux-points et les guillemets.") from None
    _doublons(racine, chemin)
    try:
        return Document(chemin, racine)
    except _Illisible as exc:
        mark = exc.node.start_mark
        raise OsqError(f"YAML illisible : {exc.message}", fichier=chemin, ligne=mark.line + 1, colonne=mark.column + 1,
                       correction=exc.correction) from None


def lire_yaml(chemin: Path | str, *, quoi: str = "fichier") -> Document:
    """Read a YAML file; a missing or unreadable file is a French error naming it."""
    chemin = Path(chemin)
    try:
        texte = chemin.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise OsqError(f"{quoi} introuvable", fichier=chemin,
                       correction="vérifiez le chemin ; les chemins sont relatifs au dossier du projet.") from None
    except UnicodeDecodeError as exc:
        raise OsqError(f"{quoi} illisible : il n'est pas encodé en UTF-8 (octet {exc.start})", fichier=chemin,
                       correction="enregistrez le fichier en UTF-8 depuis votre éditeur.") from None
    except IsADirectoryError:
        raise OsqError(f"{quoi} attendu, dossier trouvé", fichier=chemin,
                       correction="indiquez le fichier .yml lui-même, pas son dossier.") from None
    except OSError as exc:
        raise OsqError(f"{quoi} illisible ({exc.strerror})", fichier=chemin,
                       correction="vérifiez que le fichier existe et que vous avez le droit de le lire.") from None
    return lire_texte(texte, chemin)


def version(chemin: Path | str, *, quoi: str, correction: str) -> tuple[str, int]:
    """(resolved path, modification time) of a reference file, the key its loader caches by; a missing
    file is a French error naming it."""
    chemin = Path(chemin)
    try:
        return str(chemin.resolve()), chemin.stat().st_mtime_ns
    except FileNotFoundError:
        raise OsqError(f"{quoi} introuvable", fichier=chemin, correction=correction) from None
