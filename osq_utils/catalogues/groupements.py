"""An observatory's own territories: groupings of communes declared in YAML (data/territoires/*.yml).

    groupements:
      - code: TI-94-01
        libelle: "Territoire d'action sociale 1"
        communes: ["94002", "94003"]

Commune codes are text (quoted): an unquoted code is read as a number and loses its leading
zero. With the set of known commune codes, every code is checked too.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from osq_utils.catalogues.lecture_yaml import lire_yaml
from osq_utils.catalogues.racine import chemin_donnees


@dataclass(frozen=True)
class Groupement:
    code: str
    libelle: str
    communes: tuple[str, ...]
    description: str | None = None


def dossier_groupements() -> Path:
    return chemin_donnees("territoires")


def fichiers() -> list[Path]:
    """The files this loader reads (for the build fingerprint)."""
    return sorted(dossier_groupements().glob("*.yml"))


def load_groupements(path: Path | str, communes_connues: Iterable[str] | None = None) -> dict[str, Groupement]:
    """The groupings of one file; with `communes_connues`, an unknown commune code is a located error."""
    path = Path(path).resolve()
    try:
        mtime = path.stat().st_mtime_ns
    except FileNotFoundError:
        mtime = 0  # lire_yaml gives the French error
    groupes = dict(_load_cached(str(path), mtime))
    if communes_connues is not None:
        known = set(communes_connues)
        doc = lire_yaml(path, quoi="fichier de territoires")
        for i, g in enumerate(groupes.values()):
            for j, code in enumerate(g.communes):
                if code not in known:
                    raise doc.erreur(f"commune « {code} » du groupement « {g.code} » inconnue du code officiel "
                                     "géographique", "groupements", i, "communes", j,
                                     correction='écrivez le code INSEE à 5 caractères entre guillemets, par exemple "62040".')
    return groupes


@lru_cache(maxsize=16)
def _load_cached(path: str, _mtime: int) -> tuple[tuple[str, Groupement], ...]:
    doc = lire_yaml(path, quoi="fichier de territoires")
    raw = doc.get("groupements")
    if not isinstance(raw, list):
        raise doc.erreur("liste « groupements: » absente", correction="commencez le fichier par « groupements: ».")
    out: dict[str, Groupement] = {}
    for i, g in enumerate(raw):
        if not isinstance(g, dict):
            raise doc.erreur(f"groupement n° {i + 1} mal formé", "groupements", i,
                             correction="commencez chaque groupement par « - code: … ».")
        for key in ("code", "libelle", "communes"):
            if key not in g:
                raise doc.erreur(f"groupement n° {i + 1} sans clé « {key} »", "groupements", i,
                                 correction="chaque groupement déclare un code, un libellé et sa liste de communes.")
        if not isinstance(g["communes"], list) or not g["communes"]:
            raise doc.erreur(f"groupement « {g['code']} » sans commune", "groupements", i, "communes",
                             correction='listez ses communes : communes: ["62040", "62765"].')
        for j in range(len(g["communes"])):
            if not doc.est_texte("groupements", i, "communes", j):
                raise doc.erreur(
                    f"code commune {doc.ecrit('groupements', i, 'communes', j)} du groupement « {g['code']} » écrit "
                    "sans guillemets : il est lu comme un nombre et perd son zéro initial",
                    "groupements", i, "communes", j, correction='écrivez le code INSEE entre guillemets, par exemple "01001".')
        code = str(g["code"])
        if code in out:
            raise doc.erreur(f"groupement « {code} » déclaré deux fois", "groupements", i, "code",
                             correction="donnez un code différent à chaque groupement.")
        out[code] = Groupement(code, str(g["libelle"]), tuple(g["communes"]), g.get("description"))
    return tuple(out.items())
