"""Territories: hierarchy by COG year, labels, what a code typed by a user stands for.

Hierarchy: IRIS -> commune -> EPCI (EPT within the Grand Paris) -> département -> région -> France
(FRM: France métropolitaine; FR: France entière, with the overseas départements). A municipal
arrondissement (arm) of Paris, Lyon or Marseille is a territory of its own, member of its commune and
of the same EPCI, EPT, département, région: totals are made of communes only (communes_of never
lists an arrondissement), so no inhabitant is counted twice. QPVs are attached to their commune(s).
Membership follows the COG year. The observatory's own groupings are read by
`osq_utils.catalogues.groupements`; COG harmonisation is `osq_utils.agregation.harmonise_cog`.

Queries take `con`: a read-only DuckDB connection, or a note's masked view (secret.vue.Vue),
whose `execute` answers them; both are cached per store version.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from osq_utils import store
from osq_utils.agregation import passages_between
from osq_utils.errors import OsqError

# arm: municipal arrondissement of Paris, Lyon or Marseille, a territory of its own, never summed into a total
# (its commune is). ept: établissement public territorial of the Métropole du Grand Paris. strate: the communes
# of France métropolitaine of one population size band (derived figures only).
NIVEAUX = ["iris", "commune", "arm", "epci", "ept", "departement", "region", "france", "strate", "qpv"]
LIBELLES_NIVEAUX = {
    "iris": "IRIS",
    "commune": "Commune",
    "arm": "Arrondissement municipal",
    "epci": "Intercommunalité",
    "ept": "Établissement public territorial",
    "strate": "Communes de même taille",
    "departement": "Département",
    "region": "Région",
    "france": "France",
    "qpv": "Quartier prioritaire",
    "groupement": "Territoire d'intervention",
    "zone": "Zone",
}
FRANCE = "FRM"  # France métropolitaine
FRANCE_ENTIERE = "FR"  # métropole and overseas départements
LIBELLES_FRANCE = {FRANCE: "France métropolitaine", FRANCE_ENTIERE: "France"}
# Overseas départements are outside France métropolitaine.
DOM_PREFIXES = ("97", "98")


@store.cached
def libelle(con, niveau: str, code: str, cog: int | None = None) -> str | None:
    if niveau == "france":
        return LIBELLES_FRANCE.get(code, "France métropolitaine")
    if cog is None and store.version_key(con) is not None:
        return _derniers_libelles(con, niveau).get(code)
    sql = "SELECT libelle FROM territoires WHERE niveau = ? AND code = ?"
    params: list = [niveau, code]
    if cog is not None:
        sql += " AND cog <= ?"
        params.append(cog)
    row = con.execute(sql + " ORDER BY cog DESC LIMIT 1", params).fetchone()
    return row[0] if row else None


def article(con, niveau: str, code: str) -> str | None:
    """The article a département's or région's name takes in a sentence (« le », « la », « l' », « les », '' for
    none: the COG's TNCC), None when unknown."""
    row = con.execute("SELECT article FROM territoires WHERE niveau = ? AND code = ? AND article IS NOT NULL "
                      "ORDER BY cog DESC LIMIT 1", [niveau, code]).fetchone()
    return row[0] if row else None


def libelles(con, niveau: str, codes: list[str]) -> dict[str, str]:
    """Latest label of each code, in one query."""
    if not codes:
        return {}

    def lire() -> dict[str, str]:
        return dict(con.execute(
            "SELECT code, arg_max(libelle, cog) FROM territoires WHERE niveau = ? AND code IN (SELECT unnest(?)) "
            "GROUP BY code", [niveau, list(codes)]).fetchall())

    if hasattr(con, "memo"):  # the masked view: once per store version (an intercommunality's map, note after note)
        return dict(con.memo(("libelles", niveau, tuple(codes)), lire))
    return lire()


def est_outre_mer(niveau: str, code: str) -> bool:
    """A commune, arrondissement or département of an overseas département (outside France métropolitaine)."""
    return niveau in ("commune", "arm", "departement", "iris") and str(code).startswith(DOM_PREFIXES)


def france_of(niveau: str, code: str) -> str:
    """The France a territory is compared with: France métropolitaine, or France entière overseas."""
    return FRANCE_ENTIERE if est_outre_mer(niveau, code) else FRANCE


@store.cached
def parent(con, niveau: str, code: str, niveau_parent: str, cog: int | None = None) -> str | None:
    """Parent code in the given COG year (else the latest year on record).

    France: FRM for a metropolitan territory, FR (France entière) for an overseas one.
    """
    if niveau_parent == "france":
        return france_of(niveau, code)
    if niveau == "commune" and niveau_parent == "region":
        dep = parent(con, "commune", code, "departement", cog)
        return parent(con, "departement", dep, "region", cog) if dep else None
    if cog is None and niveau in _UN_PARENT and store.version_key(con) is not None:
        # A read-only store: one query answers every commune of France (a ledger, a région's notes).
        return _derniers_parents(con, niveau, niveau_parent).get(code)
    sql = "SELECT code_parent FROM appartenances WHERE niveau = ? AND code = ? AND niveau_parent = ?"
    params: list = [niveau, code, niveau_parent]
    if cog is not None:
        row = con.execute(sql + " AND cog = ? LIMIT 1", params + [cog]).fetchone()
        if row:
            return row[0]
    row = con.execute(sql + " ORDER BY cog DESC LIMIT 1", params).fetchone()
    return row[0] if row else None


def parents(con, niveau: str, codes: list[str], niveau_parent: str) -> dict[str, str]:
    """Each code's parent in the latest COG year on record for it, in one query (`parent` for many codes)."""
    if not codes:
        return {}
    rows = con.execute(
        "SELECT code, arg_max(code_parent, cog) FROM appartenances WHERE niveau = ? AND niveau_parent = ? "
        "AND code IN (SELECT unnest(?)) GROUP BY code", [niveau, niveau_parent, list(codes)]).fetchall()
    return {r[0]: r[1] for r in rows}


@store.cached
def communes_of(con, niveau: str, code: str, cog: int | None = None) -> tuple[str, ...]:
    """Communes of an EPCI, EPT, département, région or France (FRM, FR) in a COG year (the latest on
    record if not given). Never an arrondissement: Paris, Lyon and Marseille count as one commune each."""
    if niveau == "commune":
        return (code,)
    if cog is None:
        row = con.execute(
            "SELECT max(cog) FROM appartenances WHERE niveau = 'commune' AND niveau_parent = ? AND code_parent = ?",
            [niveau, code],
        ).fetchone()
        cog = row[0] if row else None
        if cog is None:
            return ()
    rows = con.execute(
        "SELECT DISTINCT code FROM appartenances WHERE cog = ? AND niveau = 'commune' AND niveau_parent = ? "
        "AND code_parent = ? ORDER BY code",
        [cog, niveau, code],
    ).fetchall()
    return tuple(r[0] for r in rows)


@store.cached
def arrondissements_of(con, commune: str, cog: int | None = None) -> tuple[str, ...]:
    """The municipal arrondissements of Paris (75056), Lyon (69123) or Marseille (13055); () for any other commune."""
    sql = ("SELECT DISTINCT code FROM appartenances WHERE niveau = 'arm' AND niveau_parent = 'commune' "
           "AND code_parent = ?")
    params: list = [commune]
    if cog is not None:
        sql += " AND cog = ?"
        params.append(cog)
    return tuple(r[0] for r in con.execute(sql + " ORDER BY code", params).fetchall())


@store.cached
def qpv_of_commune(con, commune: str, cog: int = 2015) -> tuple[str, ...]:
    rows = con.execute(
        "SELECT code FROM appartenances WHERE niveau = 'qpv' AND niveau_parent = 'commune' AND code_parent = ? AND cog = ? ORDER BY code",
        [commune, cog],
    ).fetchall()
    return tuple(r[0] for r in rows)


@store.cached
def communes_of_qpv(con, code: str, cog: int | None = None) -> tuple[str, ...]:
    """The communes a QPV lies on, in that COG year (in any year when not given)."""
    sql = ("SELECT DISTINCT code_parent FROM appartenances WHERE niveau = 'qpv' AND code = ? "
           "AND niveau_parent = 'commune'")
    params: list = [code]
    if cog is not None:
        sql += " AND cog = ?"
        params.append(cog)
    return tuple(r[0] for r in con.execute(sql + " ORDER BY code_parent", params).fetchall())


@store.cached
def iris_of(con, commune: str, cog: int = 2021) -> tuple[str, ...]:
    """The IRIS of a commune in the IRIS table of that year (2021 by default)."""
    return tuple(r[0] for r in con.execute(
        "SELECT DISTINCT code FROM appartenances WHERE niveau = 'iris' AND niveau_parent = 'commune' "
        "AND code_parent = ? AND cog = ? ORDER BY code", [commune, cog]).fetchall())


# Levels whose territories have one parent per level and COG year (a QPV may lie in two communes).
_UN_PARENT = ("commune", "arm")


@store.cached
def _derniers_parents(con, niveau: str, niveau_parent: str) -> Mapping[str, str]:
    """Every code's parent in the latest COG year on record for it (what `parent` answers without cog)."""
    return MappingProxyType(dict(con.execute(
        "SELECT code, arg_max(code_parent, cog) FROM appartenances WHERE niveau = ? AND niveau_parent = ? "
        "GROUP BY code", [niveau, niveau_parent]).fetchall()))


@store.cached
def _derniers_libelles(con, niveau: str) -> Mapping[str, str]:
    """Every code of a level and its label in the latest COG year on record for it (what `libelle` answers
    without cog: one query for a ledger's or a région's thousands of communes, not one per commune)."""
    return MappingProxyType(dict(con.execute(
        "SELECT code, arg_max(libelle, cog) FROM territoires WHERE niveau = ? GROUP BY code", [niveau]).fetchall()))


@store.cached
def communes_connues(con) -> frozenset[str]:
    """Every commune code of the store (any COG year)."""
    return frozenset(r[0] for r in con.execute("SELECT DISTINCT code FROM territoires WHERE niveau = 'commune'").fetchall())


@store.cached
def existe(con, niveau: str, code: str) -> bool:
    """Whether a territory is known at this level (any COG year)."""
    if store.version_key(con) is not None:
        return code in _derniers_libelles(con, niveau)
    return con.execute("SELECT 1 FROM territoires WHERE niveau = ? AND code = ? LIMIT 1", [niveau, code]).fetchone() is not None


def check_commune_codes(con, codes: list[str], cog: int | None = None) -> list[str]:
    """Codes unknown as communes (in the given COG year, else in any year)."""
    if cog is None:
        known = communes_connues(con)
    else:
        known = frozenset(con.execute("SELECT DISTINCT code FROM territoires WHERE niveau = 'commune' AND cog = ?",
                                      [cog]).df()["code"])
    return [c for c in codes if c not in known]


# --- What a commune code typed by a user stands for ------------------------------------------

README_CODES = "README.md, section « Codes des communes »"
_DIGITS4 = re.compile(r"^\d{4}$")
_MOIS = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre",
         "décembre"]


@dataclass(frozen=True)
class CodeCommune:
    """A code typed by a user: the territory it stands for (niveau 'commune' or 'arm')."""

    code: str
    niveau: str
    libelle: str


class CodeCommuneInvalide(OsqError):
    """A code that is no current commune nor arrondissement, with the reason in French (merged, lost zero…)."""


@store.cached
def cog_actuel(con) -> int | None:
    """The latest COG year the passage tables reach (codes are current from that year on)."""
    row = con.execute("SELECT max(annee_arrivee) FROM passages_cog").fetchone()
    return int(row[0]) if row and row[0] is not None else None


@store.cached
def communes_actuelles(con) -> frozenset[str]:
    """Commune codes of the current geography: every COG year on record from cog_actuel() on."""
    year = cog_actuel(con)
    rows = con.execute("SELECT DISTINCT code FROM territoires WHERE niveau = 'commune'"
                       + (" AND cog >= ?" if year else ""), [year] if year else []).fetchall()
    return frozenset(r[0] for r in rows)


def _date_fr(text: str | None, annee: int) -> str:
    """'2019-01-01' or '01/01/2019' → 'le 1er janvier 2019'; else 'entre les COG y-1 et y'."""
    m = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", str(text or "")) or None
    parts = (m.group(3), m.group(2), m.group(1)) if m else None
    if parts is None and (m := re.fullmatch(r"(\d{2})/(\d{2})/(\d{4})", str(text or ""))):
        parts = (m.group(1), m.group(2), m.group(3))
    if parts is None or not 1 <= int(parts[1]) <= 12:
        return f"entre le 1er janvier {annee - 1} et le 1er janvier {annee}"
    day = int(parts[0])
    return f"le {'1er' if day == 1 else day} {_MOIS[int(parts[1]) - 1]} {parts[2]}"


@store.cached
def devenir_commune(con, code: str) -> tuple[tuple[str, ...], str, str, bool] | None:
    """What became of a former commune code: (current codes, kind of its first change f/d/c, French date of
    that change, whether a split happened on the way), from the passage tables; None when it never changed."""
    first = con.execute(
        "SELECT annee_depart, type_modif, date_effet FROM passages_cog WHERE code_depart = ? "
        "AND (code_arrivee <> code_depart OR type_modif = 'd') ORDER BY annee_depart LIMIT 1", [code]).fetchone()
    year_to = cog_actuel(con)
    if first is None or year_to is None:
        return None
    year, kind, date = first
    passages = con.execute("SELECT annee_depart, annee_arrivee, code_depart, code_arrivee, type_modif, ratio "
                           "FROM passages_cog WHERE annee_depart >= ?", [year]).df()
    table = passages_between(passages, int(year), year_to)
    rows = table[table["code_depart"] == code]
    current = communes_actuelles(con)
    targets = tuple(sorted(c for c in rows["code_arrivee"] if c in current))
    return targets, str(kind), _date_fr(date, int(year) + 1), bool((rows["type_modif"] == "d").any())


def _nom(con, code: str) -> str:
    label = libelle(con, "commune", code)
    return f"{label} ({code})" if label else code


def code_commune(con, code: str) -> CodeCommune:
    """The commune or municipal arrondissement a user's code stands for, or CodeCommuneInvalide saying in
    French why it is none: a code merged into another commune (which one, since when), a code that lost
    its leading zero (README's explanation), or an unknown code."""
    code = str(code).strip()
    if code in communes_actuelles(con):
        return CodeCommune(code, "commune", libelle(con, "commune", code) or code)
    if existe(con, "arm", code):
        return CodeCommune(code, "arm", libelle(con, "arm", code) or code)
    became = devenir_commune(con, code)
    if became and became[0]:
        targets, kind, date, split = became
        old = libelle(con, "commune", code)
        name = f"« {code} »" + (f" ({old})" if old else "")
        noms = " et ".join(_nom(con, t) for t in targets)
        if split and len(targets) > 1:
            how = {"f": "a fusionné", "c": "a changé de code"}.get(kind, "a été partagée")
            what = (f"{how} {date}, puis son territoire a été partagé : il fait aujourd'hui partie de la commune "
                    + " ou de la commune ".join(_nom(con, t) for t in targets))
        elif kind == "c":
            what = f"a changé de code {date} : c'est aujourd'hui la commune {noms}"
        else:
            what = f"a fusionné {date} et fait aujourd'hui partie de la commune {noms}"
        raise CodeCommuneInvalide(
            f"la commune {name} n'existe plus dans le code officiel géographique {cog_actuel(con)} : elle {what}",
            correction=f"donnez le code de la commune actuelle, par exemple \"{targets[0]}\" ; ses chiffres des années "
                       "antérieures à la fusion y sont rapportés (comptes additionnés, taux recalculés).")
    if _DIGITS4.match(code) and "0" + code in communes_actuelles(con):
        raise CodeCommuneInvalide(
            f"code commune « {code} » inconnu du code officiel géographique : à 4 chiffres, il a perdu son zéro "
            f"initial (« 0{code} » est {_nom(con, '0' + code)}). Un code écrit sans guillemets dans un fichier de "
            f"paramètres, ou enregistré comme un nombre par un tableur, perd ce zéro ({README_CODES})",
            correction=f"écrivez le code INSEE à 5 caractères entre guillemets : \"0{code}\".")
    raise CodeCommuneInvalide(
        f"code commune « {code} » inconnu du code officiel géographique",
        correction='écrivez le code INSEE à 5 caractères entre guillemets, par exemple "62040" ou "2A004" '
                   f"({README_CODES}).")
