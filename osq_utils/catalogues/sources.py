"""The catalogue of public sources (data/sources.yml): producer, official page, licence, files.

Fetching the files (mirror or download) is `osq_utils.sources`; this module only reads the
catalogue. `$OSQ_CATALOGUE` points to an observatory's own catalogue.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from osq_utils.catalogues.glossaire import Glossaire
from osq_utils.catalogues.lecture_yaml import lire_yaml, version
from osq_utils.catalogues.racine import chemin_donnees
from osq_utils.errors import OsqError


@dataclass(frozen=True)
class SourceFile:
    chemin: str
    sha256: str | None
    octets: int | None = None
    url: str | None = None
    membre: str | None = None
    transforme: bool = False
    note: str | None = None


@dataclass(frozen=True)
class Source:
    id: str
    titre: str
    producteur: str
    lecteur: str
    licence: str
    page_officielle: str | None
    millesimes: str
    niveaux: tuple[str, ...]
    fichiers: tuple[SourceFile, ...]
    diffuseur: str | None = None
    citation: str | None = None
    licence_url: str | None = None
    format: str | None = None
    geographie: str | None = None
    # True when the producer lists every territory holding something (BPE, RPLS): a commune absent from
    # its files holds none, so sums over communes may count it as 0 (no zero is stored for it).
    exhaustif: bool = False
    # Sources this one supersedes (same observations): their rows are removed from the store when it is loaded.
    remplace: tuple[str, ...] = ()
    extra: dict = field(default_factory=dict, compare=False, hash=False)

    @property
    def annees(self) -> tuple[int, int] | None:
        """First and last year of the declared vintages (every year written in « millesimes »), None if it
        names none."""
        years = [int(y) for y in re.findall(r"(?<!\d)(?:19|20)\d\d(?!\d)", self.millesimes)]
        return (min(years), max(years)) if years else None

    def fichier(self, chemin: str) -> SourceFile:
        for f in self.fichiers:
            if f.chemin == chemin:
                return f
        raise OsqError(f"fichier « {chemin} » absent de la source {self.id} dans le catalogue",
                       fichier=chemin_catalogue(), correction="ajoutez-le sous « fichiers: » de cette source.")


REQUIRED = ("id", "titre", "producteur", "lecteur", "licence", "millesimes", "fichiers")


def chemin_catalogue() -> Path:
    """data/sources.yml, or $OSQ_CATALOGUE."""
    return Path(os.environ.get("OSQ_CATALOGUE") or chemin_donnees("sources.yml"))


def fichiers() -> list[Path]:
    """The files this loader reads (for the build fingerprint)."""
    return [chemin_catalogue()]


def load_catalogue(path: Path | str | None = None) -> dict[str, Source]:
    """Every source of the catalogue, by id (read once per version of the file)."""
    return dict(_load_cached(*version(path or chemin_catalogue(), quoi="catalogue des sources",
                                      correction="restaurez data/sources.yml depuis le dépôt.")))


def source(ident: str, catalogue: dict[str, Source] | None = None) -> Source:
    """One source of the catalogue, or a French error listing the known ids."""
    catalogue = catalogue if catalogue is not None else load_catalogue()
    if ident not in catalogue:
        raise OsqError(f"source « {ident} » inconnue du catalogue", fichier=chemin_catalogue(),
                       correction="identifiants possibles : " + ", ".join(sorted(catalogue)) + ".")
    return catalogue[ident]


@lru_cache(maxsize=4)
def _load_cached(path: str, _mtime: int) -> dict[str, Source]:
    doc = lire_yaml(path, quoi="catalogue des sources")
    entries = doc.get("sources")
    if not isinstance(entries, list):
        raise doc.erreur("liste « sources: » absente", correction="commencez le fichier par « sources: ».")
    out: dict[str, Source] = {}
    known = set(Source.__dataclass_fields__) - {"extra", "fichiers", "niveaux", "remplace"}
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise doc.erreur("chaque source doit être un dictionnaire", "sources", i,
                             correction="commencez la source par « - id: … ».")
        for key in REQUIRED:
            if key not in entry:
                raise doc.erreur(f"source n° {i + 1} ({entry.get('id', '?')}) sans champ « {key} »", "sources", i,
                                 correction=f"ajoutez « {key}: … » à cette source.")
        ident = str(entry["id"])
        if ident in out:
            raise doc.erreur(f"source « {ident} » déclarée deux fois", "sources", i, "id",
                             correction="gardez une seule entrée par identifiant.")
        files = []
        for j, f in enumerate(entry.get("fichiers") or []):
            if not isinstance(f, dict) or "chemin" not in f:
                raise doc.erreur(f"source « {ident} » : fichier n° {j + 1} sans « chemin »", "sources", i, "fichiers", j,
                                 correction="écrivez « - chemin: <chemin dans le dossier de la source> ».")
            files.append(SourceFile(chemin=str(f["chemin"]), sha256=f.get("sha256"), octets=f.get("octets"),
                                    url=f.get("url"), membre=f.get("membre"), transforme=bool(f.get("transforme", False)),
                                    note=f.get("note")))
        if not isinstance(entry.get("exhaustif", False), bool):
            raise doc.erreur(f"source « {ident} » : « exhaustif » doit valoir true ou false", "sources", i, "exhaustif",
                             correction="écrivez « exhaustif: true » si le producteur liste tous les territoires "
                             "qui ont quelque chose (une commune absente n'a rien), sinon retirez la ligne.")
        if not isinstance(entry.get("remplace") or [], list):
            raise doc.erreur(f"source « {ident} » : « remplace » doit être une liste d'identifiants", "sources", i,
                             "remplace", correction="écrivez « remplace: [identifiant-de-l-ancienne-source] ».")
        out[ident] = Source(
            **{k: entry[k] for k in known if k in entry},
            niveaux=tuple(entry.get("niveaux") or ()),
            remplace=tuple(str(r) for r in entry.get("remplace") or ()),
            fichiers=tuple(files),
            extra={k: v for k, v in entry.items() if k not in Source.__dataclass_fields__},
        )
    return out


def indicateurs_exhaustifs(glossaire: Glossaire, catalogue: dict[str, Source] | None = None) -> frozenset[str]:
    """Indicators whose every source lists each commune holding any (catalogue `exhaustif`): counts, and ratios
    whose numerator and denominator both come from such a file (a commune it does not list adds 0 to both);
    not a ratio to another source's count (a density: a commune without GP still has inhabitants).
    Sums over communes (derived levels, custom groupings) count a commune these files do not list as 0."""
    catalogue = catalogue if catalogue is not None else load_catalogue()
    return frozenset(i.code for i in glossaire if (i.type == "compte" or (i.derivable and i.calcul is None))
                     and i.sources and all(s in catalogue and catalogue[s].exhaustif for s in i.sources))
