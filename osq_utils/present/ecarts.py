"""Gaps and their evolution in French words: one wording for every note (indicateurs.ecarts computes them)."""

from __future__ import annotations

from osq_utils.catalogues.glossaire import Indicateur
from osq_utils.indicateurs.ecarts import (
    SEUIL_STABILITE_POINTS,
    SEUIL_STABILITE_RAPPORT,
    EvolutionEcart,
    EvolutionPropre,
    cote,
    en_points,
)
from osq_utils.present import fr


def points_sans_signe(x: float, decimales: int = 1) -> str:
    return fr.points(abs(x), decimales).lstrip("+")


def seuils_texte() -> str:
    """The stability rule, as the notes state it."""
    return (f"moins de {points_sans_signe(SEUIL_STABILITE_POINTS)} pour un taux, ou moins de "
            f"{fr.nombre(SEUIL_STABILITE_RAPPORT, 2)} pour un rapport (2 % du niveau de la référence)")


def regle_stabilite() -> str:
    """One sentence on how an evolution is read, for the notes' method paragraphs."""
    return ("L'évolution de l'écart est lue entre la première et la dernière année où les deux chiffres existent, "
            f"sur les écarts tels qu'ils sont affichés ; il est dit « resté stable » s'il a varié de {seuils_texte()} : "
            "les chiffres par quartier portent sur quelques milliers de ménages et sont arrondis, de petits "
            "mouvements d'une année sur l'autre ne sont pas interprétables.")


def phrase_evolution(evo: EvolutionEcart, ind: Indicateur, de_reference: str = "de l'agglomération",
                     territoire: str = "du quartier") -> str:
    """'l'écart s'est réduit de 1,2 point entre 2016 et 2019 (de +28,7 points à +27,5 points)', or stable,
    widened, reversed, measured one year only, or never measured."""
    if evo.tendance == "aucune":
        return f"l'écart ne peut être calculé pour aucune année (chiffre {territoire} ou {de_reference} non publié)"
    deb = fr.ecart(evo.ecart_debut, ind.unite, ind.decimales)
    fin = fr.ecart(evo.ecart_fin, ind.unite, ind.decimales)
    if evo.tendance == "une_annee":
        return f"l'écart n'est connu que pour {evo.annee_debut} ({deb}) : son évolution ne peut pas être mesurée"
    periode = f"entre {evo.annee_debut} et {evo.annee_fin}"
    variation = evo.variation or 0.0
    if en_points(ind):
        detail = f"(de {deb} à {fin})"
        montant = f" de {points_sans_signe(variation, ind.decimales)}"
    else:
        detail = f"(rapport au chiffre {de_reference} passé de {deb} à {fin})"
        montant = f" de {fr.nombre(abs(variation), 2)}"
    if evo.tendance == "inverse":
        return f"l'écart s'est inversé {periode} {detail}"
    if evo.tendance == "stable":
        seuil = points_sans_signe(SEUIL_STABILITE_POINTS) if en_points(ind) else fr.nombre(SEUIL_STABILITE_RAPPORT, 2)
        return f"l'écart est resté stable {periode} {detail} : il a varié de moins de {seuil}"
    verbe = "s'est réduit" if evo.tendance == "reduit" else "s'est creusé"
    return f"l'écart {verbe}{montant} {periode} {detail}"


def evolution_courte(evo: EvolutionEcart, ind: Indicateur) -> str:
    """The evolution in a table cell: 'réduit de 1,2 point (2016-2019)', 'stable (2016-2019)'…"""
    if evo.tendance in ("aucune", "une_annee"):
        return "non mesurable"
    periode = f"{evo.annee_debut}-{evo.annee_fin}"
    if evo.tendance == "stable":
        return f"stable ({periode})"
    if evo.tendance == "inverse":
        return f"inversé ({periode})"
    mot = "réduit" if evo.tendance == "reduit" else "creusé"
    if en_points(ind):
        return f"{mot} de {points_sans_signe(evo.variation or 0.0, ind.decimales)} ({periode})"
    return f"{mot} ({periode})"


def position(gap: float, ind: Indicateur, reference: str = "dans l'agglomération") -> str:
    """The territory's situation against its reference, worded with the glossary's `sens`.

    Empty for a 'neutre' indicator: a higher share of social benefits is neither good nor bad in
    itself. Describes a situation, never judges a policy.
    """
    c = cote(gap, ind)
    if c == 0 or ind.sens not in ("favorable", "defavorable"):
        return ""
    bon = (c > 0) == (ind.sens == "favorable")
    return "une situation " + ("plus favorable" if bon else "moins favorable") + f" que {reference}"


def phrase_evolution_propre(evo: EvolutionPropre, ind: Indicateur) -> str:
    """'en baisse, de 39,7 % en 2017 à 35,9 % en 2022 (-3,8 points)', with the years not shown."""
    trous = []
    if evo.annees_secret:
        trous.append(f"secret statistique en {fr.annees(list(evo.annees_secret))}")
    if evo.annees_manquantes:
        trous.append(f"non publié en {fr.annees(list(evo.annees_manquantes))}")
    suffixe = f" ; {', '.join(trous)}" if trous else ""
    return _phrase_propre(evo, ind) + suffixe


def _phrase_propre(evo: EvolutionPropre, ind: Indicateur) -> str:
    if evo.tendance == "aucune":
        return "aucune valeur publiée pour ce quartier"
    v0 = fr.valeur(evo.valeur_debut, ind.unite, ind.decimales)
    v1 = fr.valeur(evo.valeur_fin, ind.unite, ind.decimales)
    if evo.tendance == "une_annee":
        return f"{v0} en {evo.annee_debut}, seule année publiée"
    assert evo.valeur_debut is not None and evo.valeur_fin is not None  # two published years
    if en_points(ind):
        delta = fr.points(evo.valeur_fin - evo.valeur_debut, ind.decimales)
    else:
        delta = fr.nombre(evo.valeur_fin - evo.valeur_debut, ind.decimales, signe=True)
    mot = {"hausse": "en hausse", "baisse": "en baisse", "stable": "stable"}[evo.tendance]
    return f"{mot}, de {v0} en {evo.annee_debut} à {v1} en {evo.annee_fin} ({delta})"


def tendance_propre_courte(evo: EvolutionPropre) -> str:
    return {"hausse": "en hausse", "baisse": "en baisse", "stable": "stable"}.get(evo.tendance, "non mesurable")
