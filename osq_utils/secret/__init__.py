"""Secret statistique.

- `algorithmes`: the pure algorithms (primary suppression by rules, secondary suppression of parts
  and totals, the exact recoverability check), re-exported here;
- `registre`: the ledger of what each diffusion profile of a build must not show;
- `vue`: the masked read view through which notes, exports and previews read the store.
"""

from osq_utils.secret.algorithmes import (
    CLES_CELLULE,
    TOTAL,
    TOTAL_LABEL,
    apply_to_table,
    fragiles,
    primary,
    primary_audit,
    recoverable,
    secondary,
    secondary_constraints,
    secondary_table,
    table_constraints,
)

__all__ = ["CLES_CELLULE", "TOTAL", "TOTAL_LABEL", "apply_to_table", "fragiles", "primary", "primary_audit",
           "recoverable", "secondary", "secondary_constraints", "secondary_table", "table_constraints"]
