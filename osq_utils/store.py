"""The embedded DuckDB store: tidy observations, territories, geometries, load reports.

Each source's rows are replaced in one transaction: a failing ingestion rolls
back and leaves the previous good data in place.
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import pandas as pd

from osq_utils.catalogues.racine import chemin_donnees
from osq_utils.errors import Occupee, OsqError

# Source id of the figures OSQ derives at ingestion (IRIS summed into communes, densities, EPCI sums).
DERIVED_SOURCE = "osq-calculs"

SCHEMA = """
CREATE TABLE IF NOT EXISTS observations (
    code VARCHAR NOT NULL,
    niveau VARCHAR NOT NULL,
    indicateur VARCHAR NOT NULL,
    annee INTEGER NOT NULL,
    valeur DOUBLE,
    numerateur DOUBLE,
    denominateur DOUBLE,
    source VARCHAR NOT NULL,
    statut VARCHAR NOT NULL CHECK (statut IN ('ok', 'secret', 'absent')),
    cog INTEGER,
    estime BOOLEAN DEFAULT FALSE,
    decimales SMALLINT
);
CREATE TABLE IF NOT EXISTS territoires (
    niveau VARCHAR NOT NULL,
    code VARCHAR NOT NULL,
    libelle VARCHAR,
    cog INTEGER NOT NULL,
    source VARCHAR NOT NULL,
    article VARCHAR
);
CREATE TABLE IF NOT EXISTS appartenances (
    cog INTEGER NOT NULL,
    niveau VARCHAR NOT NULL,
    code VARCHAR NOT NULL,
    niveau_parent VARCHAR NOT NULL,
    code_parent VARCHAR NOT NULL,
    source VARCHAR NOT NULL
);
CREATE TABLE IF NOT EXISTS iris_types (
    cog INTEGER NOT NULL,
    code VARCHAR NOT NULL,
    type_iris VARCHAR,
    source VARCHAR NOT NULL
);
CREATE TABLE IF NOT EXISTS populations (
    cog INTEGER NOT NULL,
    code VARCHAR NOT NULL,
    population DOUBLE,
    source VARCHAR NOT NULL
);
CREATE TABLE IF NOT EXISTS passages_cog (
    annee_depart INTEGER NOT NULL,
    annee_arrivee INTEGER NOT NULL,
    code_depart VARCHAR NOT NULL,
    code_arrivee VARCHAR NOT NULL,
    date_effet VARCHAR,
    type_modif VARCHAR NOT NULL,
    ratio DOUBLE,
    source VARCHAR NOT NULL
);
CREATE TABLE IF NOT EXISTS geometries (
    niveau VARCHAR NOT NULL,
    code VARCHAR NOT NULL,
    libelle VARCHAR,
    millesime VARCHAR,
    wkb BLOB NOT NULL,
    source VARCHAR NOT NULL
);
CREATE TABLE IF NOT EXISTS chargements (
    source VARCHAR NOT NULL,
    fichier VARCHAR NOT NULL,
    lignes_lues BIGINT,
    lignes_gardees BIGINT,
    lignes_rejetees BIGINT,
    raisons VARCHAR,
    observations BIGINT,
    date_chargement TIMESTAMP
);
"""

TABLES_BY_SOURCE = ["observations", "territoires", "appartenances", "iris_types", "populations", "passages_cog",
                    "geometries", "chargements"]

OBS_COLUMNS = ["code", "niveau", "indicateur", "annee", "valeur", "numerateur", "denominateur", "source", "statut", "cog", "estime",
               "decimales"]

# Columns added to a table after a store was first created: (table, column, type). connect() adds them to an
# older store, so that its data stays readable until the next ingestion fills them.
MIGRATIONS = [("observations", "decimales", "SMALLINT"), ("territoires", "article", "VARCHAR")]


def store_path() -> Path:
    """The store file (absolute): $OSQ_STORE (relative to the current folder), else data/osq.duckdb under
    the data root, whatever the current folder (a notebook opened in JupyterLab runs in notebooks/)."""
    return Path(os.environ.get("OSQ_STORE") or chemin_donnees("osq.duckdb")).resolve()


def connect(path: Path | str | None = None, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    path = Path(path) if path is not None else store_path()
    if read_only:
        if not path.exists():
            raise OsqError(
                "la base de données n'existe pas encore",
                fichier=path,
                correction="lancez d'abord « osq sources » puis « osq ingest ».",
            )
        return _open(path, read_only=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    con = _open(path, read_only=False)
    con.execute(SCHEMA)
    for table, column, kind in MIGRATIONS:
        con.execute(f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {column} {kind}")
    return con


def _open(path: Path, read_only: bool) -> duckdb.DuckDBPyConnection:
    """duckdb.connect, with DuckDB's English lock error said in French: another program holds the store."""
    try:
        return duckdb.connect(str(path), read_only=read_only)
    except duckdb.IOException as exc:
        if "lock" not in str(exc).lower():
            raise
        raise Occupee(
            "la base est déjà ouverte en écriture par un autre programme (une construction, un chargement, une "
            "livraison, un carnet Jupyter…)",
            fichier=path,
            correction="attendez la fin de l'autre commande, ou fermez le carnet qui utilise la base, puis relancez.",
        ) from None


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """BEGIN/COMMIT, ROLLBACK on any exception."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


def ranger(con: duckdb.DuckDBPyConnection) -> None:
    """Store the observations in territory order (niveau, code), in one transaction.

    A note reads its territory's rows: in that order DuckDB's min/max index of each row group skips the others
    (one commune's rows: about 100 ms over the 11 million rows loaded source by source, a few ms once ordered).
    `osq ingest` calls it after the derived figures; a delivery's few rows are appended after.
    """
    with transaction(con):
        con.execute("CREATE TEMP TABLE _osq_rangees AS SELECT * FROM observations "
                    "ORDER BY niveau, code, indicateur, annee, source")
        con.execute("DELETE FROM observations")
        con.execute("INSERT INTO observations SELECT * FROM _osq_rangees")
        con.execute("DROP TABLE _osq_rangees")
    con.execute("CHECKPOINT")


def normalise_observations(df: pd.DataFrame) -> pd.DataFrame:
    """Give an observations frame the store's columns and types."""
    out = df.copy()
    for col in ("numerateur", "denominateur", "cog"):
        if col not in out:
            out[col] = None
    if "estime" not in out:
        out["estime"] = False
    out["code"] = out["code"].astype(str)
    out["annee"] = out["annee"].astype("int32")
    for col in ("valeur", "numerateur", "denominateur"):
        out[col] = pd.to_numeric(out[col], errors="coerce").astype("float64")
    out["cog"] = pd.to_numeric(out["cog"], errors="coerce").astype("Int32")
    out["estime"] = out["estime"].fillna(False).astype(bool)
    # Precision the producer published (digits after the decimal separator); None: the glossary's applies.
    out["decimales"] = pd.to_numeric(out["decimales"], errors="coerce").astype("Int16") if "decimales" in out else pd.Series(
        pd.NA, index=out.index, dtype="Int16")
    return out[OBS_COLUMNS]


def previous_rows(con: duckdb.DuckDBPyConnection, source: str) -> dict[str, int]:
    """Data rows read per file at the source's previous load (file name -> rows), from the load report."""
    rows = con.execute("SELECT fichier, max(lignes_lues) FROM chargements WHERE source = ? GROUP BY fichier",
                       [source]).fetchall()
    return {f: int(n) for f, n in rows if n is not None}


def replace_source(
    con: duckdb.DuckDBPyConnection,
    source: str,
    tables: dict[str, pd.DataFrame],
    report: list[dict],
) -> None:
    """Replace every row of `source` in one transaction.

    tables maps a table name to the frame of that source's rows; report is the
    list of per-file load report rows.
    """
    with transaction(con):
        for table in TABLES_BY_SOURCE:
            con.execute(f"DELETE FROM {table} WHERE source = ?", [source])
        for table, frame in tables.items():
            if frame is None or frame.empty:
                continue
            frame = frame.copy()
            frame["source"] = source
            if table == "observations":
                frame = normalise_observations(frame)
            cols = ", ".join(frame.columns)
            con.register("_osq_frame", frame)
            # On failure the transaction is aborted and unregister would raise in its turn, hiding the real
            # error: the view is replaced by the next register instead.
            con.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM _osq_frame")
            con.unregister("_osq_frame")
        now = datetime.now(timezone.utc).replace(tzinfo=None)
        for row in report:
            con.execute(
                "INSERT INTO chargements VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    source,
                    row["fichier"],
                    row.get("lignes_lues", 0),
                    row.get("lignes_gardees", 0),
                    row.get("lignes_rejetees", 0),
                    json.dumps(row.get("raisons", {}), ensure_ascii=False),
                    row.get("observations", 0),
                    now,
                ],
            )


_VERSION_KEYS: dict[int, tuple] = {}


def version_key(con) -> tuple | None:
    """(path, mtime, size) of the store file behind a read-only connection, for in-memory caches.

    None for a writable or in-memory store: its content may change under the cache. A masked view
    (secret.vue.Vue) gives its own. Computed once per connection (the connection is kept
    referenced so its id is never reused).
    """
    own = getattr(con, "cle_version", None)
    if own is not None:
        return own
    hit = _VERSION_KEYS.get(id(con))
    if hit is not None and hit[0] is con:
        return hit[1]
    try:
        rows = con.execute("SELECT file FROM pragma_database_list WHERE name = current_database()").fetchall()
        path = rows[0][0] if rows else None
        if not path or not con.execute("SELECT current_setting('access_mode')").fetchone()[0].lower().startswith("read_only"):
            key = None
        else:
            st = os.stat(path)
            key = (path, st.st_mtime_ns, st.st_size)
    except Exception:  # any doubt: no cache
        key = None
    if len(_VERSION_KEYS) > 16:
        _VERSION_KEYS.clear()
    _VERSION_KEYS[id(con)] = (con, key)
    return key


def cached(func):
    """Cache a pure query function of a read-only store: (con, *args) -> result, per store version.

    Warm notebook kernels run many notes against the same store; a label or a
    membership is read once. Results must be immutable (str, tuple, None).
    """
    results: dict = {}

    @functools.wraps(func)
    def wrapper(con, *args):
        key = version_key(con)
        if key is None:
            return func(con, *args)
        full = (key, args)
        if full not in results:
            if len(results) > 100_000:
                results.clear()
            results[full] = func(con, *args)
        return results[full]

    return wrapper
