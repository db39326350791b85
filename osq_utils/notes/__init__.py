"""Kinds of note: the registry, one description per kind (notes.base.TypeNote), one module per kind.

| kind | module | note about | template |
|---|---|---|---|
| note_communale | communale | a commune | notebooks/note_communale.ipynb |
| note_quartier | quartier | a QPV (2015 geography) | notebooks/note_quartier.ipynb |
| note_epci | epci | an intercommunality | notebooks/note_epci.ipynb |
| abs_ccas | abs_ccas | a commune, one note per theme | notebooks/abs_ccas.ipynb |
| evaluation_cdv | evaluation | an intercommunality and its QPVs | notebooks/evaluation_cdv.ipynb |
| plan_actions | plan_actions | the intercommunality of the CCAS of an ABS plan d'actions | notebooks/plan_actions.ipynb |
| note_zone | zone | a zone made of IRIS or communes (data/zones/) | notebooks/note_zone.ipynb |

`commentaire` is not a kind: it is the automatic commentary the kinds' templates call (their
`sections_commentaire`). The plan, the masks, the exports, `osq preview` and `osq check` loop over `TYPES`. Adding a kind
is a module declaring `TYPE` and a template (CONTRIBUTING.md). Kind modules hold the kind's data
logic and texts; the heavy drawing (charts, tables, maps) is called by the templates, so that the
build process reads this registry without loading plotting libraries.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from osq_utils.errors import OsqError
from osq_utils.notes import abs_ccas, communale, epci, evaluation, plan_actions, quartier, zone
from osq_utils.notes.base import ParametreInvalide, Territoires, TypeNote, union

TYPES: dict[str, TypeNote] = {t.modele: t for t in (communale.TYPE, quartier.TYPE, epci.TYPE, abs_ccas.TYPE, evaluation.TYPE,
                                                   plan_actions.TYPE, zone.TYPE)}

__all__ = ["TYPES", "ParametreInvalide", "Territoires", "TypeNote", "territoires_montres", "type_note", "union"]


def type_note(modele: str) -> TypeNote:
    """The kind of note `modele`, or a French error listing the kinds."""
    try:
        return TYPES[str(modele)]
    except KeyError:
        raise OsqError(f"modèle de note « {modele} » inconnu",
                       correction=f"modèles disponibles : {', '.join(TYPES)}.") from None


def territoires_montres(con: Any, jobs: Iterable[Any]) -> Territoires:
    """Every territory whose figures the notes of `jobs` show, by level (jobs: modele, code, parametres).

    The one answer shared by the ledger of masked values, the exports and the audit.
    """
    return union(*(TYPES[j.modele].territoires(con, j.code, j.parametres) for j in jobs))
