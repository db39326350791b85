"""Secret statistique, the pure algorithms: primary suppression by rules, secondary suppression of
parts and totals.

The rules (data/secret/<source-id>.yml) are read by `osq_utils.catalogues.secret`; each gives a
threshold per diffusion profile (`osq_utils.catalogues.profils`).

- `primary()` masks the observations a rule forbids (statut 'secret', no value);
  `primary_audit()` also returns the ledger of masked values, which must never be published.
- `secondary()` (parts and their total), `secondary_table()` (2-D table with margins) and
  `secondary_constraints()` (any set of "parts sum to total" relations, e.g. IRIS → commune → EPCI)
  add the complementary cells so that no masked cell can be recomputed by subtraction.
- `recoverable()` is the exact check: a masked cell is recoverable iff its unit vector lies in
  the row space of the constraint matrix restricted to the unknown cells.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping, Sequence
from typing import cast

import numpy as np
import pandas as pd

from osq_utils.catalogues.profils import profil as check_profil
from osq_utils.catalogues.secret import Regle, Regles
from osq_utils.errors import OsqError
from osq_utils.store import DERIVED_SOURCE

TOTAL = "__total__"  # the total's key in secondary()
TOTAL_LABEL = "Total"  # margin label in secondary_table()
# The identity of a published cell; primary_audit() records each masked one with its value, source
# and rule (the ledger file adds labels: secret.registre).
CLES_CELLULE = ["niveau", "code", "indicateur", "annee"]

Key = Hashable
Constraint = tuple[Sequence[Key], Key]  # (parts, total): sum(parts) == total


# --------------------------------------------------------------------------- primary


def _rows_of(obs: pd.DataFrame, source: str, regle: Regle) -> pd.Series:
    # Derived figures (sums of IRIS into communes…) follow the rules of the source they come from.
    sel = obs["indicateur"].isin(regle.indicateurs) & obs["source"].isin([source, DERIVED_SOURCE])
    if regle.niveaux is not None:
        sel &= obs["niveau"].isin(regle.niveaux)
    return sel


def _variable_of(obs: pd.DataFrame, rows: pd.Series, regle: Regle, reference: pd.DataFrame) -> pd.Series:
    """The value the threshold applies to, for each selected row (NaN when unknown)."""
    ind = regle.indicateur_variable
    if ind is None:
        return obs.loc[rows, regle.variable].astype(float)
    ref = reference[(reference["indicateur"] == ind) & (reference["statut"] == "ok") & reference["valeur"].notna()]
    if ref.empty:
        raise OsqError(
            f"la règle « {regle.id} » s'applique selon l'indicateur « {ind} », absent des observations fournies",
            fichier=regle.fichier, ligne=regle.ligne,
            correction=f"passez les observations de « {ind} » (mêmes territoires et années) dans l'argument auxiliaires.")
    ref = ref.drop_duplicates(["code", "niveau", "annee"]).set_index(["code", "niveau", "annee"])["valeur"]
    keys = pd.MultiIndex.from_frame(obs.loc[rows, ["code", "niveau", "annee"]])
    return pd.Series(ref.reindex(keys).to_numpy(dtype=float), index=obs.index[rows])


def _trips(obs: pd.DataFrame, rules: Mapping[str, Regles], profil: str, nature: str,
           auxiliaires: pd.DataFrame | None) -> list[tuple[Regle, pd.Index]]:
    check_profil(profil)
    reference = obs if auxiliaires is None else pd.concat([obs, auxiliaires], ignore_index=True)
    out = []
    for source, regles in rules.items():
        for regle in regles.regles:
            if regle.nature != nature:
                continue
            rows = _rows_of(obs, source, regle) & (obs["statut"] == "ok")
            if not rows.any():
                continue
            var = _variable_of(obs, rows, regle, reference)
            hit = var < regle.seuils[profil]
            if regle.si_absente == "masquer":
                hit |= var.isna()
            out.append((regle, var.index[hit.to_numpy()]))
    return out


def primary_audit(obs: pd.DataFrame, rules: Mapping[str, Regles], profil: str,
                  auxiliaires: pd.DataFrame | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(observations to publish, ledger of masked values). The ledger must never be published.

    obs has the columns of the store's observations table. auxiliaires holds extra observations
    used only as threshold variables (e.g. nb_menages_fiscaux of the same territories and years).
    """
    out = obs.copy()
    ledger = []
    for regle, index in _trips(obs, rules, profil, "secret", auxiliaires):
        index = index[out.loc[index, "statut"] == "ok"]  # a row masked by an earlier rule stays once in the ledger
        if index.empty:
            continue
        masked = obs.loc[index, [*CLES_CELLULE, "valeur", "source"]].copy()
        masked["regle"] = regle.id
        ledger.append(masked)
        out.loc[index, "statut"] = "secret"
        out.loc[index, ["valeur", "numerateur"]] = np.nan
        if regle.masquer_denominateur:
            out.loc[index, "denominateur"] = np.nan
    ledger_df = pd.concat(ledger, ignore_index=True) if ledger else pd.DataFrame(columns=[*CLES_CELLULE, "valeur", "source", "regle"])
    return out, ledger_df[[*CLES_CELLULE, "valeur", "source", "regle"]]


def primary(obs: pd.DataFrame, rules: Mapping[str, Regles], profil: str,
            auxiliaires: pd.DataFrame | None = None) -> pd.DataFrame:
    """The observations with the cells the rules forbid set to statut 'secret', valeur/numerateur NaN.

    A secret stays secret; the denominator stays (it is published on its own) unless the rule
    says masquer_denominateur.
    """
    return primary_audit(obs, rules, profil, auxiliaires)[0]


def fragiles(obs: pd.DataFrame, rules: Mapping[str, Regles], profil: str,
             auxiliaires: pd.DataFrame | None = None) -> pd.Series:
    """True for published figures under a 'prudence' rule (to interpret with care), per row of obs."""
    flag = pd.Series(False, index=obs.index)
    for _regle, index in _trips(obs, rules, profil, "prudence", auxiliaires):
        flag.loc[index] = True
    return flag


# --------------------------------------------------------------------------- secondary


def _constraint_matrix(keys: list, constraints: Sequence[Constraint]) -> np.ndarray:
    pos = {k: i for i, k in enumerate(keys)}
    rows = []
    for parts, total in constraints:
        if total is None:
            continue
        row = np.zeros(len(keys))
        for p in parts:
            row[pos[p]] += 1.0
        row[pos[total]] -= 1.0
        rows.append(row)
    return np.array(rows).reshape(len(rows), len(keys))


def _as_dict(values) -> dict:
    return dict(values.items()) if hasattr(values, "items") else dict(values)


def _unknown(values: dict, hidden: set) -> set:
    return set(hidden) | {k for k, v in values.items() if v is None or (isinstance(v, float) and math.isnan(v))}


def recoverable(values: Mapping[Key, float] | pd.Series, masked: Iterable[Key],
                constraints: Sequence[Constraint]) -> set:
    """The masked cells whose value follows exactly from the published cells and the constraints.

    The published cells are known; the masked and missing (NaN) ones are unknowns. With A the
    constraint matrix (one row per "sum of parts - total = 0"), A_U its columns of the unknowns,
    cell j is recoverable iff e_j lies in the row space of A_U, i.e. iff the orthogonal projector
    P = pinv(A_U) A_U onto that row space has P[j, j] = 1 (one SVD for all cells).
    """
    a_u, unknown, masked = _unknown_system(values, masked, constraints)
    if a_u is None:
        return set()
    diagonal = np.einsum("ij,ji->i", np.linalg.pinv(a_u), a_u)
    return {key for key, d in zip(unknown, diagonal) if key in masked and abs(d - 1.0) < 1e-8}


def _recoverable_by_rank(values, masked, constraints) -> set:
    """Reference implementation of recoverable() (one rank test per cell), for the tests."""
    a_u, unknown, masked = _unknown_system(values, masked, constraints)
    if a_u is None:
        return set()
    base = np.linalg.matrix_rank(a_u)
    out = set()
    for j, key in enumerate(unknown):
        if key in masked:
            e = np.zeros((1, len(unknown)))
            e[0, j] = 1.0
            if np.linalg.matrix_rank(np.vstack([a_u, e])) == base:
                out.add(key)
    return out


def _unknown_system(values, masked, constraints):
    """(A_U restricted to the relations holding an unknown, unknown keys, masked set), or (None, …)."""
    values = _as_dict(values)
    masked = set(masked)
    unknown = sorted(_unknown(values, masked), key=repr)
    cons = [c for c in constraints if c[1] is not None]
    if not masked or not cons or not unknown:
        return None, unknown, masked
    unknown_set = set(unknown)
    cons = [c for c in cons if unknown_set.intersection([*c[0], c[1]])]
    if not cons:
        return None, unknown, masked
    a = _constraint_matrix(list(values), cons)
    pos = {k: i for i, k in enumerate(values)}
    a_u = a[:, [pos[k] for k in unknown]]
    return (a_u if a_u.size else None), unknown, masked


def _complement(cells: list, totals: set, values: dict, hidden: set):
    """The cheapest published cell of a relation: a part before a total, a positive value before a
    zero (a masked pair summing to 0 would reveal two zeros), then the smallest value."""
    published = [c for c in cells if c not in hidden]
    if not published:
        return None
    return min(published, key=lambda c: (c in totals, not values[c] > 0, values[c], repr(c)))


def secondary_constraints(values: Mapping[Key, float] | pd.Series, masked: Iterable[Key],
                          constraints: Sequence[Constraint]) -> set:
    """The extra cells to mask so that no masked cell is recoverable (returns only the new ones).

    Algorithm (suppression complémentaire par la plus petite cellule publiée): while some relation
    "parts + total" has exactly one unknown cell, mask its smallest published cell; then check
    exactly with recoverable() and, while a cell is still recoverable, greedily mask the published
    cell that leaves the fewest recoverable cells.
    """
    values = _as_dict(values)
    masked = set(masked)
    cons = [(list(p), t) for p, t in constraints if t is not None]
    totals = {t for _, t in cons}
    missing = _unknown(values, set())  # NaN cells, computed once
    extra: set = set()
    changed = True
    while changed:
        changed = False
        for parts, total in cons:
            cells = parts + [total]
            hidden = missing | masked | extra
            if sum(c in hidden for c in cells) == 1 and any(c in masked | extra for c in cells):
                cell = _complement(cells, totals, values, hidden)
                if cell is not None:
                    extra.add(cell)
                    changed = True
    rec = recoverable(values, masked | extra, cons)
    while rec:
        hidden = missing | masked | extra
        candidates = {c for parts, total in cons if set(parts + [total]) & rec for c in parts + [total]} - hidden
        if not candidates:  # cannot happen with sum relations; guard against an endless loop
            break
        best = min(candidates, key=lambda c: (len(recoverable(values, masked | extra | {c}, cons)), c in totals,
                                              values[c], repr(c)))
        extra.add(best)
        rec = recoverable(values, masked | extra, cons)
    return extra


def secondary(parts: pd.Series, total: float | None, masked: Iterable[Key]) -> set:
    """1-D case: parts and their total. masked holds part labels and/or TOTAL.

    Returns the extra cells to mask: none when 0 or at least 2 cells are masked (or when the total
    is absent: nothing to subtract from), exactly one when a single cell is masked (the smallest
    published part; the total when the only other cell is the total). This is the minimum.
    """
    masked = set(masked)
    if total is None:
        return set()
    values = {**_as_dict(parts), TOTAL: float(total)}
    return secondary_constraints(values, masked, [(list(parts.index), TOTAL)])


def table_constraints(values: pd.DataFrame, row_totals: pd.Series | None = None, col_totals: pd.Series | None = None,
                      grand_total: float | None = None) -> tuple[dict, list]:
    """Cells of a 2-D table with its margins (keys (row, col), margin label TOTAL_LABEL) and its relations."""
    rows, cols = list(values.index), list(values.columns)
    cells = {(r, c): float(values.loc[r, c]) for r in rows for c in cols}
    cons: list = []
    if row_totals is not None:
        for r in rows:
            cells[(r, TOTAL_LABEL)] = float(row_totals[r])
            cons.append(([(r, c) for c in cols], (r, TOTAL_LABEL)))
    if col_totals is not None:
        for c in cols:
            cells[(TOTAL_LABEL, c)] = float(col_totals[c])
            cons.append(([(r, c) for r in rows], (TOTAL_LABEL, c)))
    if grand_total is not None:
        g = (TOTAL_LABEL, TOTAL_LABEL)
        cells[g] = float(grand_total)
        if row_totals is not None:
            cons.append(([(r, TOTAL_LABEL) for r in rows], g))
        if col_totals is not None:
            cons.append(([(TOTAL_LABEL, c) for c in cols], g))
        if row_totals is None and col_totals is None:
            cons.append((list(cells)[:-1], g))
    return cells, cons


def secondary_table(values: pd.DataFrame, masked: pd.DataFrame, row_totals: pd.Series | None = None,
                    col_totals: pd.Series | None = None, grand_total: float | None = None) -> pd.DataFrame:
    """2-D table with margins: the full mask (primary + complementary) over the table with margins.

    masked is a boolean DataFrame over the inner cells, or over the table with its margins
    (row and column labelled TOTAL_LABEL). The result has the margins.
    """
    cells, cons = table_constraints(values, row_totals, col_totals, grand_total)
    rows = list(values.index) + ([TOTAL_LABEL] if col_totals is not None or grand_total is not None else [])
    cols = list(values.columns) + ([TOTAL_LABEL] if row_totals is not None or grand_total is not None else [])
    mask = masked.reindex(index=rows, columns=cols, fill_value=False).astype(bool)
    primary_cells = {(r, c) for r in rows for c in cols if mask.loc[r, c] and (r, c) in cells}
    extra = secondary_constraints(cells, primary_cells, cons)
    for r, c in extra:
        mask.loc[r, c] = True
    return mask


def apply_to_table(df: pd.DataFrame, total: str | None = None, groupes: Mapping[str, Sequence[str]] | None = None,
                   code: str = "code", valeur: str = "valeur", statut: str = "statut") -> pd.DataFrame:
    """Protect a long "parts + total" table before display (e.g. communes and their EPCI, IRIS and
    their commune, or a hierarchy IRIS → commune → EPCI through `groupes` {total_code: part codes}).

    Rows with statut 'secret' are the masked cells. Each (indicateur, annee) is treated on its own
    when those columns exist. Returns a copy where the complementary cells get statut 'secret'
    and no value (also no numerateur), plus a boolean column `complementaire` for the audit.
    """
    if (total is None) == (groupes is None):
        raise OsqError("apply_to_table attend soit « total » (code de la ligne total), soit « groupes »",
                       correction="passez total='200069037' pour une EPCI et ses communes, ou groupes={total: [parties]}.")
    if groupes is None:  # then total is not None: exactly one of them was given
        groupes = {cast(str, total): [c for c in df[code].astype(str) if c != str(total)]}
    out = df.copy()
    out["complementaire"] = False
    by = [c for c in ("indicateur", "annee") if c in out.columns]
    groups = out.groupby(by, sort=False).groups.values() if by else [out.index]
    for index in groups:
        part = out.loc[index]
        codes = part[code].astype(str)
        if codes.duplicated().any():
            raise OsqError("apply_to_table : un même code apparaît deux fois pour un même indicateur et une même année",
                           correction="ne gardez qu'une ligne par territoire (une source, un millésime).")
        key_of = dict(zip(codes, part.index))
        values = {k: float(v) if st != "absent" else float("nan")
                  for k, v, st in zip(codes, part[valeur], part[statut])}
        masked = {k for k, st in zip(codes, part[statut]) if st == "secret"}
        # A relation holds only when the total and every part are in the table: a missing part is one
        # more unknown, so a partial relation can reveal nothing (and must not be read as a full sum).
        cons = [(list(parts), t) for t, parts in groupes.items()
                if t in key_of and parts and all(p in key_of for p in parts)]
        extra = secondary_constraints(values, masked, cons)
        idx = [key_of[k] for k in extra]
        out.loc[idx, statut] = "secret"
        out.loc[idx, valeur] = np.nan
        if "numerateur" in out.columns:
            out.loc[idx, "numerateur"] = np.nan
        out.loc[idx, "complementaire"] = True
    return out
