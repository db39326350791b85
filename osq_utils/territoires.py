"""Territories: hierarchy by COG year, labels.

Hierarchy: IRIS -> commune -> EPCI -> département -> région -> France.
QPVs are attached to their commune(s). Membership follows the COG year. The observatory's own
groupings are read by `osq_utils.catalogues.groupements`; COG harmonisation is
`osq_utils.agregation.harmonise_cog`.

Queries take `con`: a read-only DuckDB connection, or a note's masked view (secret.vue.Vue),
whose `execute` answers them; both are cached per store version.
"""

from __future__ import annotations

from osq_utils import store

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
    sql = "SELECT libelle FROM territoires WHERE niveau = ? AND code = ?"
    params: list = [niveau, code]
    if cog is not None:
        sql += " AND cog <= ?"
        params.append(cog)
    row = con.execute(sql + " ORDER BY cog DESC LIMIT 1", params).fetchone()
    return row[0] if row else None


def libelles(con, niveau: str, codes: list[str]) -> dict[str, str]:
    """Latest label of each code, in one query."""
    if not codes:
        return {}
    rows = con.execute(
        "SELECT code, arg_max(libelle, cog) FROM territoires WHERE niveau = ? AND code IN (SELECT unnest(?)) GROUP BY code",
        [niveau, list(codes)],
    ).fetchall()
    return dict(rows)


@store.cached
def parent(con, niveau: str, code: str, niveau_parent: str, cog: int | None = None) -> str | None:
    """Parent code in the given COG year (else the latest year on record)."""
    if niveau_parent == "france":
        return FRANCE
    if niveau == "commune" and niveau_parent == "region":
        dep = parent(con, "commune", code, "departement", cog)
        return parent(con, "departement", dep, "region", cog) if dep else None
    sql = "SELECT code_parent FROM appartenances WHERE niveau = ? AND code = ? AND niveau_parent = ?"
    params: list = [niveau, code, niveau_parent]
    if cog is not None:
        row = con.execute(sql + " AND cog = ? LIMIT 1", params + [cog]).fetchone()
        if row:
            return row[0]
    row = con.execute(sql + " ORDER BY cog DESC LIMIT 1", params).fetchone()
    return row[0] if row else None


@store.cached
def communes_of(con, niveau: str, code: str, cog: int | None = None) -> tuple[str, ...]:
    """Communes of an EPCI or département in a COG year (the latest on record if not given)."""
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


def qpv_of_commune(con, commune: str, cog: int = 2015) -> list[str]:
    rows = con.execute(
        "SELECT code FROM appartenances WHERE niveau = 'qpv' AND niveau_parent = 'commune' AND code_parent = ? AND cog = ? ORDER BY code",
        [commune, cog],
    ).fetchall()
    return [r[0] for r in rows]


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


@store.cached
def communes_connues(con) -> frozenset[str]:
    """Every commune code of the store (any COG year)."""
    return frozenset(r[0] for r in con.execute("SELECT DISTINCT code FROM territoires WHERE niveau = 'commune'").fetchall())


@store.cached
def existe(con, niveau: str, code: str) -> bool:
    """Whether a territory is known at this level (any COG year)."""
    return con.execute("SELECT 1 FROM territoires WHERE niveau = ? AND code = ? LIMIT 1", [niveau, code]).fetchone() is not None


def check_commune_codes(con, codes: list[str], cog: int | None = None) -> list[str]:
    """Codes unknown as communes (in the given COG year, else in any year)."""
    known = con.execute(
        "SELECT DISTINCT code FROM territoires WHERE niveau = 'commune'" + (" AND cog = ?" if cog else ""),
        [cog] if cog else [],
    ).df()["code"]
    return [c for c in codes if c not in set(known)]
