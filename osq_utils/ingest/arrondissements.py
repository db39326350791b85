"""Paris, Lyon and Marseille in files that list their municipal arrondissements instead of the commune.

Some producers (BPE, RPLS, IPS of schools) write the arrondissement code (75101…, 69381…, 13201…) where
other files have the commune (75056, 69123, 13055). Readers store the arrondissements at level `arm` and the
commune as the sum of its arrondissements, so that a commune total never counts them twice.
"""

from __future__ import annotations

import pandas as pd

from osq_utils.ingest.tabular import CODE_PATTERNS

# Arrondissement code prefix -> commune.
PLM = {"751": "75056", "6938": "69123", "132": "13055"}


def is_arm(codes: pd.Series) -> pd.Series:
    """True for a municipal arrondissement code."""
    return codes.str.fullmatch(CODE_PATTERNS["arm"]).fillna(False).astype(bool)


def commune_of_arm(codes: pd.Series) -> pd.Series:
    """The commune of each arrondissement code (codes must all be arrondissements)."""
    out = pd.Series(pd.NA, index=codes.index, dtype="object")
    for prefix, commune in PLM.items():
        out[codes.str.startswith(prefix)] = commune
    return out


def plm_totals(frame: pd.DataFrame, code: str, columns: list[str]) -> pd.DataFrame:
    """Paris, Lyon and Marseille as the sums of their arrondissements' rows of `frame` (additive columns).

    A missing (secret) part makes that column's total missing. A commune the frame already holds is left out.
    """
    arm = frame[is_arm(frame[code])]
    if arm.empty:
        return frame.iloc[0:0][[code, *columns]]
    grouped = arm.assign(**{code: commune_of_arm(arm[code])}).groupby(code)[columns]
    totals = grouped.sum(min_count=1).where(grouped.count().eq(grouped.size(), axis=0))
    totals = totals.reset_index()
    return totals[~totals[code].isin(set(frame[code]))]
