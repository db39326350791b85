"""The commune note: a commune against its intercommunality, the observatory's own groupings, its
département and France, every glossary theme, its evolution and its place on the EPCI's map."""

from __future__ import annotations

from osq_utils import territoires
from osq_utils.notes.base import Territoires, TypeNote

# Key figures at the top of the note.
CHIFFRES_CLES = ["population", "revenu_median", "taux_pauvrete", "allocataires_caf", "part_logements_hlm",
                 "densite_medecins_generalistes"]
EVOLUTION = ["revenu_median", "taux_pauvrete"]
CARTE = "revenu_median"


def territoires_montres(con, code: str, parametres: dict) -> Territoires:
    """The commune, its EPCI and every commune of it (the map), its département and France."""
    out: Territoires = {"commune": {code}, "france": {territoires.FRANCE}}
    epci = territoires.parent(con, "commune", code, "epci")
    if epci:
        out["epci"] = {epci}
        out["commune"].update(territoires.communes_of(con, "epci", epci))
    dep = territoires.parent(con, "commune", code, "departement")
    if dep:
        out["departement"] = {dep}
    if code.startswith(territoires.DOM_PREFIXES):
        del out["france"]
    return out


TYPE = TypeNote(
    modele="note_communale", niveau="commune", parametre="code_commune", libelle="Note communale",
    pluriel="Notes communales", prefixe="communale", territoires=territoires_montres,
)
