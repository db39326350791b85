"""The commune note: a commune against its intercommunality, the observatory's own groupings, its
département and France, every glossary theme, its evolution and its place on the EPCI's map."""

from __future__ import annotations

from pathlib import Path

from osq_utils import indicateurs, territoires
from osq_utils.catalogues.groupements import load_groupements
from osq_utils.indicateurs import Territoire
from osq_utils.indicateurs.zones import zones_holding_commune
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


def references(vue, code: str, groupements: str = "", zones: str = "", strate: bool = False) -> list[Territoire]:
    """The commune and its references (indicateurs.references_of_commune), with the observatory's groupings
    (`groupements`, a data/territoires file) and zones (`zones`, a data/zones file) that hold it: the params
    file's keys of the note, empty when it has none."""
    return indicateurs.references_of_commune(
        vue, code, load_groupements(Path(groupements)) if groupements else None, strate=strate,
        zones=zones_holding_commune(vue, zones, code) if zones else ())


def zones_montrees(con, code: str, parametres: dict) -> Territoires:
    """The zones of the note's `zones` file that hold the commune (their figures are shown beside it)."""
    codes = {t.code for t in zones_holding_commune(con, parametres["zones"], code)} if parametres.get("zones") else set()
    return {"zone": codes} if codes else {}


def territoires_montres(con, code: str, parametres: dict) -> Territoires:
    """The commune, its reference territories (its zones too) and every commune of the intercommunality on its map."""
    out = {**territoires_references(con, code), **zones_montrees(con, code, parametres)}
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
