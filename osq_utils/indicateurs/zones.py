"""Zones made of IRIS or of communes: the declarations of data/zones/*.yml (catalogues.zones) turned into
territories, their references and what a note says of how they were built.

- a list of IRIS and/or communes is taken as it is (every code checked against the store);
- a polygon keeps the IRIS whose share of area inside it is at least the zone's `seuil` (indicateurs.polygones,
  in Lambert-93, EPSG:2154): the rule and every IRIS it touched, kept or not, are listed in the note;
- `grands_quartiers:` makes one zone per INSEE grand quartier of a commune, from the fetched source table
  IRIS -> grand quartier (its publisher stripped the leading zeros: IRIS re-padded to 9 characters, grand
  quartier to 7). The table gives no name: a zone is « <commune> – grand quartier NN », its IRIS named.

A zone's figures are `indicateurs.zone_observations`: its IRIS and communes summed, never a median.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from osq_utils import store, territoires
from osq_utils.catalogues.racine import affichable
from osq_utils.catalogues.zones import (
    FichierZones,
    TableGrandsQuartiers,
    ZoneDeclaree,
    document,
    dossier_zones,
    load_zones,
)
from osq_utils.errors import OsqError
from osq_utils.indicateurs import Lecture, Territoire
from osq_utils.ingest.tabular import read_csv_text
from osq_utils.sources import source_file

COLONNES_TABLE = ("IRIS", "GRD_QUART")


@dataclass(frozen=True)
class Zone:
    """A zone resolved into IRIS and whole communes.

    regle: how it was built, in French (said by its note); selection: for a polygon, every IRIS it touched
    (code, libelle, part of its area inside, retenu).
    """

    code: str
    libelle: str
    iris: tuple[str, ...]
    communes: tuple[str, ...]
    fichier: str
    regle: str
    description: str | None = None
    seuil: float | None = None
    selection: pd.DataFrame | None = None

    @property
    def territoire(self) -> Territoire:
        return Territoire("zone", self.code, self.libelle, communes=self.communes, iris=self.iris)

    @property
    def communes_concernees(self) -> tuple[str, ...]:
        """Its whole communes and the communes of its IRIS (an IRIS code starts with its commune's)."""
        return tuple(dict.fromkeys([*self.communes, *sorted({c[:5] for c in self.iris})]))


# --- Resolution -------------------------------------------------------------------------------------


def _iris_connus(con) -> frozenset[str]:
    return frozenset(r[0] for r in con.execute(
        "SELECT DISTINCT code FROM appartenances WHERE niveau = 'iris' AND niveau_parent = 'commune'").fetchall())


def _verifier(con, z: ZoneDeclaree) -> None:
    """Every code of a listed zone is known to the store (an error names the file, the line and the fix)."""
    known = _iris_connus(con)
    communes = territoires.communes_connues(con)
    for key, codes, ok in (("iris", z.iris, known), ("communes", z.communes, communes)):
        for j, code in enumerate(codes):
            if code not in ok:
                raise document(z.fichier).erreur(
                    f"{'IRIS' if key == 'iris' else 'commune'} « {code} » de la zone « {z.code} » inconnu(e) de la base",
                    "zones", z.index, key, j,
                    correction="vérifiez le code INSEE (IRIS : 9 caractères, commune : 5), ou chargez la source de "
                               "ses contours (« osq ingest »).")


def _zone_listee(con, z: ZoneDeclaree) -> Zone:
    _verifier(con, z)
    parts = []
    if z.iris:
        parts.append(f"{len(z.iris)} IRIS")
    if z.communes:
        parts.append(f"{len(z.communes)} commune{'s' if len(z.communes) > 1 else ''} entière{'s' if len(z.communes) > 1 else ''}")
    regle = f"Zone déclarée par l'observatoire, liste à l'appui (fichier {Path(z.fichier).name}) : {' et '.join(parts)}."
    return Zone(z.code, z.libelle, z.iris, z.communes, z.fichier, regle, z.description)


def _zone_polygone(con, z: ZoneDeclaree) -> Zone:
    from osq_utils.indicateurs import polygones  # noqa: PLC0415 (geopandas only when a zone is a polygon)

    assert z.polygone is not None
    selection = polygones.iris_du_polygone(con, z.polygone, z.seuil)
    kept = tuple(selection.loc[selection["retenu"], "code"])
    if not kept:
        raise document(z.fichier).erreur(
            f"le polygone de la zone « {z.code} » ne retient aucun IRIS (aucun n'y a au moins "
            f"{round(z.seuil * 100)} % de sa surface)", "zones", z.index, "polygone",
            correction="vérifiez que le polygone est en longitude/latitude (EPSG:4326) et couvre des IRIS dont les "
                       "contours sont dans la base, ou abaissez « seuil: ».")
    regle = (f"Zone tracée par un polygone (fichier {z.polygone.name}) : un IRIS en fait partie quand au moins "
             f"{round(z.seuil * 100)} % de sa surface est dans le polygone (surfaces calculées en Lambert-93). "
             f"{len(kept)} IRIS retenus sur {len(selection)} touchés.")
    return Zone(z.code, z.libelle, kept, (), z.fichier, regle, z.description, z.seuil, selection)


def table_grands_quartiers(path: Path) -> pd.DataFrame:
    """The IRIS -> grand quartier table, codes re-padded (IRIS 9 characters, grand quartier 7)."""
    df = read_csv_text(path, sep=";")
    missing = [c for c in COLONNES_TABLE if c not in df.columns]
    if missing:
        raise OsqError(f"colonne(s) absente(s) de la table des grands quartiers : {', '.join(missing)}", fichier=path,
                       ligne=1, correction="reprenez le fichier du producteur (« osq sources ») : colonnes IRIS;GRD_QUART.")
    out = pd.DataFrame({"iris": df["IRIS"].str.strip().str.zfill(9), "grand_quartier": df["GRD_QUART"].str.strip().str.zfill(7)})
    bad = ~out["iris"].str.fullmatch(r"[0-9AB]{9}") | ~out["grand_quartier"].str.fullmatch(r"[0-9AB]{7}") | \
        (out["iris"].str[:7] != out["grand_quartier"])
    if bad.any():
        i = int(bad.to_numpy().argmax())
        raise OsqError(f"ligne mal formée : IRIS « {df['IRIS'].iat[i]} », grand quartier « {df['GRD_QUART'].iat[i]} »",
                       fichier=path, ligne=i + 2,
                       correction="un grand quartier est formé des 7 premiers caractères de ses IRIS ; reprenez le "
                                  "fichier du producteur (« osq sources »).")
    return out


def _grands_quartiers(con, t: TableGrandsQuartiers) -> list[Zone]:
    path = source_file(t.source, t.fichier_source)
    table = table_grands_quartiers(path)
    part = table[table["iris"].str.startswith(t.commune)]
    if part.empty:
        raise document(t.fichier).erreur(f"aucun grand quartier de la commune « {t.commune} » dans {t.fichier_source}",
                                          "grands_quartiers", t.index, "commune",
                                          correction="vérifiez le code de la commune (5 caractères) : seules les "
                                                     "communes découpées en IRIS ont des grands quartiers.")
    known = _iris_connus(con)
    unknown = sorted(set(part["iris"]) - known)
    if unknown:
        raise OsqError(f"IRIS de la table des grands quartiers inconnus de la base : {', '.join(unknown[:5])}",
                       fichier=path, correction="chargez les IRIS de cette édition (« osq ingest »), ou reprenez une "
                                                "table de la même géographie que les IRIS de la base.")
    nom = territoires.libelle(con, "commune", t.commune) or t.commune
    out = []
    for gq, rows in part.groupby("grand_quartier", sort=True):
        iris = tuple(sorted(rows["iris"]))
        regle = (f"Grand quartier {gq} de l'Insee : ses {len(iris)} IRIS, d'après la table IRIS → grand quartier "
                 f"({t.source}, {t.fichier_source}). Le fichier ne donne pas de nom aux grands quartiers.")
        out.append(Zone(str(gq), f"{nom} – grand quartier {str(gq)[-2:]}", iris, (), t.fichier, regle))
    return out


_RESOLUES: dict[tuple, dict[str, Zone]] = {}  # (file and polygons versions, store version) -> zones


def zones_du_fichier(con, path: Path | str) -> dict[str, Zone]:
    """Every zone of one file, resolved against the store (con: a connection or a masked view), once per version
    of the file, of its polygons and of the store (a build's notes and its ledger ask for the same zones)."""
    fichier: FichierZones = load_zones(path)
    version = store.version_key(con)
    if version is None:
        return _resoudre(con, fichier)
    polygones = tuple((str(z.polygone), z.polygone.stat().st_mtime_ns) for z in fichier.zones if z.polygone is not None)
    cle = (str(fichier.chemin), fichier.chemin.stat().st_mtime_ns, polygones, version, os.environ.get("OSQ_SOURCES"))
    if cle not in _RESOLUES:
        if len(_RESOLUES) > 64:
            _RESOLUES.clear()
        _RESOLUES[cle] = _resoudre(con, fichier)
    return dict(_RESOLUES[cle])


def _resoudre(con, fichier: FichierZones) -> dict[str, Zone]:
    out: dict[str, Zone] = {}
    found: list[Zone] = [_zone_polygone(con, d) if d.polygone is not None else _zone_listee(con, d) for d in fichier.zones]
    for t in fichier.grands_quartiers:
        found += _grands_quartiers(con, t)
    for z in found:
        if z.code in out:
            raise OsqError(f"zone « {z.code} » déclarée deux fois", fichier=fichier.chemin,
                           correction="donnez un code différent à chaque zone (un grand quartier a pour code celui "
                                      "de l'Insee, à 7 caractères).")
        out[z.code] = z
    return out


def toutes_les_zones(con) -> dict[str, Zone]:
    """The zones of every file of data/zones/ that this store can resolve, codes unique across files: what the
    ledger of masked values, the exports and `zone()` find a zone code with. A file this store cannot resolve
    (another observatory's IRIS, a source not fetched) is left out here; `zone()` gives its error when the
    code asked for is nowhere else, and `osq check` checks each params file's own zones file."""
    return dict(_toutes(con)[0])


def _toutes(con) -> tuple[dict[str, Zone], list[OsqError]]:
    def lire() -> tuple[dict[str, Zone], list[OsqError]]:
        out: dict[str, Zone] = {}
        erreurs: list[OsqError] = []
        for path in sorted(dossier_zones().glob("*.yml")):
            try:
                found = zones_du_fichier(con, path)
            except OsqError as exc:
                erreurs.append(exc)
                continue
            for code, z in found.items():
                if code in out:
                    raise OsqError(f"zone « {code} » déclarée dans deux fichiers ({affichable(out[code].fichier)} et "
                                   f"{affichable(path)})", fichier=path,
                                   correction="un code de zone est unique dans tout le dossier data/zones/.")
                out[code] = z
        return out, erreurs

    key = ("zones", tuple((str(p), p.stat().st_mtime_ns) for p in sorted(dossier_zones().glob("*.yml"))))
    return con.memo(key, lire) if hasattr(con, "memo") else lire()


def zone(con, code: str, fichier: Path | str | None = None) -> Zone:
    """One zone, from its file (or from data/zones/), or a French error listing the known codes."""
    erreurs: list[OsqError] = []
    if fichier:
        zones = zones_du_fichier(con, fichier)
    else:
        zones, erreurs = _toutes(con)
    try:
        return zones[str(code)]
    except KeyError:
        if erreurs:  # the zone may be in a file this store cannot resolve: say why
            raise erreurs[0] from None
        where = affichable(fichier) if fichier else "data/zones/"
        raise OsqError(f"zone « {code} » inconnue dans {where}",
                       correction=f"zones déclarées : {', '.join(list(zones)[:20]) or 'aucune'}.") from None


# --- References and descriptions ----------------------------------------------------------------------


COMMUNES_COMPAREES = 2  # a zone spread over more communes is compared with their intercommunality, not each one


def references_of_zone(vue: Lecture | Any, z: Zone) -> list[Territoire]:
    """The zone, then its commune(s) (when it lies on at most COMMUNES_COMPAREES), its intercommunality(ies),
    the départements they cover (Grand Paris Sud, holding Sénart, spans Seine-et-Marne and Essonne) and France,
    each once."""
    out = [z.territoire]
    communes = list(z.communes_concernees)
    if len(communes) <= COMMUNES_COMPAREES:
        labels = territoires.libelles(vue, "commune", communes)
        out += [Territoire("commune", c, labels.get(c, c)) for c in communes]
    epcis = list(dict.fromkeys(p for p in (territoires.parent(vue, "commune", c, "epci") for c in communes) if p))
    names = territoires.libelles(vue, "epci", epcis)
    out += [Territoire("epci", c, names.get(c, c)) for c in epcis]
    couvertes = [*communes, *(c for e in epcis for c in territoires.communes_of(vue, "epci", e))]
    deps = list(dict.fromkeys(p for p in (territoires.parent(vue, "commune", c, "departement") for c in couvertes) if p))
    names = territoires.libelles(vue, "departement", deps)
    out += [Territoire("departement", c, names.get(c, c), article=territoires.article(vue, "departement", c))
            for c in deps]
    france = territoires.FRANCE_ENTIERE if any(territoires.est_outre_mer("commune", c) for c in communes) else territoires.FRANCE
    out.append(Territoire("france", france, territoires.LIBELLES_FRANCE[france]))
    return out


def zones_holding_commune(con, path: Path | str, commune: str) -> list[Territoire]:
    """The zones of a zones file that hold the whole commune (a portrait of communes shown beside each of
    them in its commune note or ABS)."""
    return [z.territoire for z in zones_du_fichier(con, path).values() if commune in z.communes]


def iris_de_la_zone(vue: Lecture | Any, z: Zone) -> pd.DataFrame:
    """The zone's IRIS with their name and commune: code, libelle, commune, commune_libelle."""
    labels = territoires.libelles(vue, "iris", list(z.iris))
    communes = territoires.libelles(vue, "commune", sorted({c[:5] for c in z.iris}))
    return pd.DataFrame({"code": list(z.iris), "libelle": [labels.get(c, c) for c in z.iris],
                         "commune": [c[:5] for c in z.iris], "commune_libelle": [communes.get(c[:5], c[:5]) for c in z.iris]})


def population_couverte(vue: Lecture, codes: list[str]) -> pd.DataFrame:
    """Population of each IRIS at the 2016 census (sum of its age bands, the denominator of part_0_14):
    code, population, statut. An IRIS the census file does not list (created since) is 'absent', never 0."""
    obs = vue.observations("iris", list(codes), ["part_0_14"])
    obs = obs[obs["annee"] == 2016].set_index("code")
    population = obs["denominateur"].reindex(codes)
    return pd.DataFrame({"code": codes, "population": population.to_numpy(),
                         "statut": ["ok" if pd.notna(p) else "absent" for p in population]})
