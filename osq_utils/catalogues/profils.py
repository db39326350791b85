"""Diffusion profiles: who may read a site, and what each profile publishes.

- `public`: the open site (`site/`), verbatims published as « public » only;
- `partenaires`: the site restricted to the signatories of the conventions (`site-partenaires/`,
  noindex, a banner), verbatims « public » and « partenaires », the partners' secret thresholds.
"""

from __future__ import annotations

from dataclasses import dataclass

from osq_utils.errors import OsqError


@dataclass(frozen=True)
class Profil:
    id: str
    libelle: str
    suffixe: str  # of every folder and file of this profile: site{suffixe}, etat{suffixe}.json…
    diffusions: tuple[str, ...]  # verbatim diffusion levels this profile shows
    noindex: bool  # restricted: search engines must not index it

    @property
    def dossier_site(self) -> str:
        return f"site{self.suffixe}"


_PROFILS = {
    "public": Profil("public", "site public", "", ("public",), False),
    "partenaires": Profil("partenaires", "site réservé aux partenaires", "-partenaires", ("public", "partenaires"), True),
}
PROFILS: tuple[str, ...] = tuple(_PROFILS)  # publication order: public first
CORRECTION = "profils possibles : public (site ouvert) et partenaires (site réservé aux signataires des conventions)."


def profil(ident: str) -> Profil:
    """The profile `ident`, or a French error."""
    try:
        return _PROFILS[str(ident)]
    except KeyError:
        raise OsqError(f"profil de diffusion « {ident} » inconnu", correction=CORRECTION) from None


def profil_du_dossier(nom: str) -> Profil | None:
    """The profile whose site folder is `nom` (site, site-partenaires), or None."""
    return next((p for p in _PROFILS.values() if p.dossier_site == nom), None)
