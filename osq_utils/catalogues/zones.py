"""An observatory's zones made of IRIS or of communes (data/zones/*.yml): territories no producer publishes.

    zones:
      - code: ZE-CENTRE
        libelle: "Zone de chalandise de l'épicerie sociale du centre"
        iris: ["422180101", "422180102"]       # IRIS (9 characters)…
        communes: ["42095"]                    # …and/or whole communes (5 characters)
      - code: ZE-SUD
        libelle: "Secteur du centre social Sud"
        polygone: perimetres/secteur-sud.geojson   # a perimeter drawn on a map (GeoJSON, next to this file)
        seuil: 0.5                                 # IRIS kept: share of its area inside >= seuil
    grands_quartiers:                          # INSEE's grands quartiers of a commune, one zone each
      - commune: "42218"
        source: ign-contours-iris-42
        fichier: iris_grd_quartier.csv

This loader only reads the declarations. Turning them into IRIS (a polygon's IRIS from their contours, a
table's rows) needs the store and the fetched sources: `osq_utils.indicateurs.zones`. Codes are text: an
unquoted code is read as a number and loses its leading zero.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from osq_utils.catalogues.lecture_yaml import Document, lire_yaml
from osq_utils.catalogues.racine import chemin_donnees
from osq_utils.errors import OsqError

SEUIL_DEFAUT = 0.5  # an IRIS belongs to a polygon zone when at least half of its area lies inside
CLES_ZONE = ("code", "libelle", "description", "iris", "communes", "polygone", "seuil")
CLES_TABLE = ("commune", "source", "fichier")
CLES_FICHIER = ("zones", "grands_quartiers")
QUOI = "fichier de zones"


@dataclass(frozen=True)
class ZoneDeclaree:
    """One zone as written: lists of IRIS and communes, or a polygon (path resolved) and its threshold."""

    code: str
    libelle: str
    iris: tuple[str, ...] = ()
    communes: tuple[str, ...] = ()
    polygone: Path | None = None
    seuil: float = SEUIL_DEFAUT
    description: str | None = None
    fichier: str = ""
    index: int = 0  # position under `zones:` (to locate an error found later)


@dataclass(frozen=True)
class TableGrandsQuartiers:
    """One commune's grands quartiers, read from a fetched source file (IRIS -> grand quartier)."""

    commune: str
    source: str
    fichier_source: str
    fichier: str = ""
    index: int = 0


@dataclass(frozen=True)
class FichierZones:
    chemin: Path
    zones: tuple[ZoneDeclaree, ...]
    grands_quartiers: tuple[TableGrandsQuartiers, ...]


def dossier_zones() -> Path:
    return chemin_donnees("zones")


def fichiers() -> list[Path]:
    """The files this loader reads (for the build fingerprint), polygons included."""
    out: list[Path] = []
    for path in sorted(dossier_zones().glob("*.yml")):
        out.append(path)
        try:
            out += [z.polygone for z in load_zones(path).zones if z.polygone is not None]
        except OsqError:  # a broken file is reported by `osq check`, not by the fingerprint
            continue
    return out


def load_zones(path: Path | str) -> FichierZones:
    """The zones declared in one file; every mistake is a French error naming the line and the fix."""
    path = Path(path).resolve()
    try:
        mtime = path.stat().st_mtime_ns
    except FileNotFoundError:
        mtime = 0  # lire_yaml gives the French error
    return _load_cached(str(path), mtime)


def document(path: Path | str) -> Document:
    """The file's YAML document (to locate an error found when the zones are resolved)."""
    return lire_yaml(path, quoi=QUOI)


def _codes(doc: Document, raw: dict, i: int, key: str, longueur: int, exemple: str) -> tuple[str, ...]:
    values = raw.get(key)
    if values is None:
        return ()
    if not isinstance(values, list) or not values:
        raise doc.erreur(f"« {key} » de la zone n° {i + 1} doit être une liste non vide", "zones", i, key,
                         correction=f'écrivez par exemple {key}: ["{exemple}"].')
    out = []
    for j, value in enumerate(values):
        if not doc.est_texte("zones", i, key, j):
            raise doc.erreur(f"code {doc.ecrit('zones', i, key, j)} écrit sans guillemets : il est lu comme un nombre et "
                             "peut perdre son zéro initial", "zones", i, key, j,
                             correction=f'écrivez le code entre guillemets, par exemple "{exemple}".')
        code = str(value).strip()
        if len(code) != longueur:
            raise doc.erreur(f"code « {code} » de {longueur} caractères attendu", "zones", i, key, j,
                             correction=f'écrivez le code INSEE complet, par exemple "{exemple}".')
        if code in out:
            raise doc.erreur(f"code « {code} » écrit deux fois", "zones", i, key, j, correction="gardez-le une fois.")
        out.append(code)
    return tuple(out)


def _zone(doc: Document, raw, i: int) -> ZoneDeclaree:
    if not isinstance(raw, dict):
        raise doc.erreur(f"zone n° {i + 1} mal formée", "zones", i, correction="commencez chaque zone par « - code: … ».")
    for key in raw:
        if key not in CLES_ZONE:
            raise doc.erreur(f"clé « {key} » inconnue dans la zone n° {i + 1}", "zones", i, key, cle=True,
                             correction=f"clés possibles : {', '.join(CLES_ZONE)}.")
    for key in ("code", "libelle"):
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            raise doc.erreur(f"zone n° {i + 1} sans « {key} »", "zones", i,
                             correction="chaque zone déclare un code (texte) et un libellé.")
    iris = _codes(doc, raw, i, "iris", 9, "422180101")
    communes = _codes(doc, raw, i, "communes", 5, "42218")
    polygone = raw.get("polygone")
    if polygone is None and not iris and not communes:
        raise doc.erreur(f"zone « {raw['code']} » vide", "zones", i,
                         correction="listez ses IRIS (iris:), ses communes (communes:) ou donnez son périmètre "
                                    "(polygone: fichier GeoJSON).")
    if polygone is not None and (iris or communes):
        raise doc.erreur(f"zone « {raw['code']} » : un polygone ou des listes, pas les deux", "zones", i, "polygone",
                         correction="faites deux zones, ou retirez le polygone.")
    for j, code in enumerate(iris):
        if code[:5] in communes:
            raise doc.erreur(f"IRIS « {code} » compté deux fois : sa commune {code[:5]} est déjà dans la zone",
                             "zones", i, "iris", j, correction="retirez l'IRIS, ou la commune entière.")
    chemin = None
    if polygone is not None:
        if not isinstance(polygone, str) or not polygone.endswith((".geojson", ".json")):
            raise doc.erreur(f"polygone de la zone « {raw['code']} » : fichier GeoJSON attendu", "zones", i, "polygone",
                             correction="indiquez un fichier .geojson, relatif au dossier de ce fichier de zones.")
        chemin = (doc.chemin.parent / polygone).resolve()
        if not chemin.is_file():
            raise doc.erreur(f"polygone « {polygone} » introuvable", "zones", i, "polygone",
                             correction=f"le chemin est relatif au dossier {doc.chemin.parent} ; vérifiez-le.")
    seuil = raw.get("seuil", SEUIL_DEFAUT)
    if "seuil" in raw and polygone is None:
        raise doc.erreur("« seuil » ne sert qu'à une zone tracée par un polygone", "zones", i, "seuil", cle=True,
                         correction="retirez « seuil: » ou donnez un « polygone: ».")
    if isinstance(seuil, bool) or not isinstance(seuil, (int, float)) or not 0 < seuil <= 1:
        raise doc.erreur(f"seuil « {seuil} » invalide", "zones", i, "seuil",
                         correction="écrivez la part de la surface de l'IRIS dans le polygone, entre 0 et 1 "
                                    "(0.5 : au moins la moitié).")
    description = raw.get("description")
    return ZoneDeclaree(raw["code"].strip(), raw["libelle"].strip(), iris, communes, chemin, float(seuil),
                        str(description) if description else None, str(doc.chemin), i)


def _table(doc: Document, raw, i: int) -> TableGrandsQuartiers:
    here = ("grands_quartiers", i)
    if not isinstance(raw, dict):
        raise doc.erreur(f"entrée n° {i + 1} de « grands_quartiers » mal formée", *here,
                         correction='écrivez « - commune: "42218" » suivi de « source: » et « fichier: ».')
    for key in raw:
        if key not in CLES_TABLE:
            raise doc.erreur(f"clé « {key} » inconnue sous « grands_quartiers »", *here, key, cle=True,
                             correction=f"clés possibles : {', '.join(CLES_TABLE)}.")
    for key in CLES_TABLE:
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            raise doc.erreur(f"« {key} » manquant ou écrit sans guillemets sous « grands_quartiers »", *here,
                             *((key,) if key in raw else ()),
                             correction='écrivez par exemple commune: "42218", source: ign-contours-iris-42, '
                                        "fichier: iris_grd_quartier.csv.")
    if len(raw["commune"]) != 5:
        raise doc.erreur(f"code commune « {raw['commune']} » de 5 caractères attendu", *here, "commune",
                         correction='écrivez le code INSEE entre guillemets, par exemple "42218".')
    return TableGrandsQuartiers(raw["commune"], raw["source"], raw["fichier"], str(doc.chemin), i)


@lru_cache(maxsize=16)
def _load_cached(path: str, _mtime: int) -> FichierZones:
    doc = lire_yaml(path, quoi=QUOI)
    data = doc.donnees
    if not isinstance(data, dict) or not any(k in data for k in CLES_FICHIER):
        raise doc.erreur("ni « zones: » ni « grands_quartiers: » dans ce fichier",
                         correction="commencez le fichier par « zones: » (voir docs/guides/zones-iris.md).")
    for key in data:
        if key not in CLES_FICHIER:
            raise doc.erreur(f"clé « {key} » inconnue", key, cle=True, correction=f"clés possibles : {', '.join(CLES_FICHIER)}.")
    for key in CLES_FICHIER:
        if key in data and not isinstance(data[key], list):
            raise doc.erreur(f"« {key}: » doit être une liste", key, correction="commencez chaque entrée par « - ».")
    zones = tuple(_zone(doc, raw, i) for i, raw in enumerate(data.get("zones") or []))
    seen: dict[str, int] = {}
    for z in zones:
        if z.code in seen:
            raise doc.erreur(f"zone « {z.code} » déclarée deux fois", "zones", z.index, "code",
                             correction="donnez un code différent à chaque zone.")
        seen[z.code] = z.index
    tables = tuple(_table(doc, raw, i) for i, raw in enumerate(data.get("grands_quartiers") or []))
    return FichierZones(Path(path), zones, tables)
