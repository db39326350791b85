"""The commune note: a commune against its intercommunality, the observatory's own groupings, its
département and France, every glossary theme, its evolution and its place on the EPCI's map."""

from __future__ import annotations

from osq_utils import indicateurs, territoires
from osq_utils.notes.base import Territoires, TypeNote

# Key figures at the top of the note.
CHIFFRES_CLES = ["population", "revenu_median", "taux_pauvrete", "allocataires_caf", "part_logements_hlm",
                 "densite_medecins_generalistes"]
EVOLUTION = ["revenu_median", "taux_pauvrete"]
CARTE = "revenu_median"


def territoires_references(con, code: str) -> Territoires:
    """The territories a commune (or municipal arrondissement) is compared with, itself included, by level:
    its commune if it is an arrondissement, EPCI, EPT, département and France (indicateurs.references_of_commune)."""
    out: Territoires = {}
    for t in indicateurs.references_of_commune(con, code):
        out.setdefault(t.niveau, set()).add(t.code)
    return out


def territoires_montres(con, code: str, parametres: dict) -> Territoires:
    """The commune, its reference territories and every commune of the intercommunality on its map."""
    out = territoires_references(con, code)
    for niveau in ("ept", "epci"):
        if niveau in out:
            out.setdefault("commune", set()).update(territoires.communes_of(con, niveau, next(iter(out[niveau]))))
            break
    return out


TYPE = TypeNote(
    modele="note_communale", niveau="commune", parametre="code_commune", libelle="Note communale",
    pluriel="Notes communales", prefixe="communale", territoires=territoires_montres,
    sections_commentaire=("synthese", "lecture", "evolution"),
)
