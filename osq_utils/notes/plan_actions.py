"""Plan d'actions of the analyses des besoins sociaux (ABS): the summary note of an observatory.

One note per intercommunality (the EPCI of the CCAS of its params entry) lists every action of the
plan file named by the entry's `plan_actions:` key, with its CCAS ("commun" or one of them), its
themes and the enjeux it answers (catalogues.plan_actions). The ABS notes show the actions of their
own theme and CCAS; this note shows them all. It shows no statistical figure: no territory's
figures go through the secret (territoires_montres is empty).
"""

from __future__ import annotations

from pathlib import Path

from osq_utils import territoires
from osq_utils.catalogues.glossaire import Glossaire
from osq_utils.catalogues.plan_actions import PlanActions, load_plan_actions
from osq_utils.catalogues.themes import theme_labels
from osq_utils.notes.base import ParametreInvalide, Territoires, TypeNote

PARAMETRE_PLAN = "plan_actions"  # a path key of the params file (batch.plan.CLES_CHEMINS)


def charger_plan(con, chemin: str | Path, glossaire: Glossaire | None = None) -> PlanActions:
    """The plan file, validated against the notes' themes and the store's communes."""
    return load_plan_actions(chemin, theme_labels(glossaire), lambda code: territoires.existe(con, "commune", code))


def valider(con, code_epci: str, parametres: dict, glossaire: Glossaire) -> None:
    """Plan-time check (also run by osq check): the entry names a plan file, and every CCAS of the plan is a
    commune of the note's intercommunality."""
    chemin = parametres.get(PARAMETRE_PLAN)
    if not chemin:
        raise ParametreInvalide("aucun plan d'actions : la note en fait la synthèse", (PARAMETRE_PLAN,),
                                "ajoutez à cette note « plan_actions: params/<observatoire>/plan-actions.yml » "
                                "(le même fichier que celui des notes abs_ccas).")
    plan = charger_plan(con, chemin, glossaire)
    membres = set(territoires.communes_of(con, "epci", code_epci))
    dehors = [c for c in plan.ccas if c not in membres]
    if dehors:
        raise ParametreInvalide(f"les CCAS {', '.join(dehors)} du plan ne sont pas des communes de l'intercommunalité "
                                f"{code_epci}", ("territoires",),
                                "indiquez sous « territoires: » les communes des CCAS du plan (leur intercommunalité "
                                "donne la note).")


def territoires_montres(con, code: str, parametres: dict) -> Territoires:
    """None: the note lists declared actions, no statistical figure."""
    return {}


TYPE = TypeNote(
    modele="plan_actions", niveau="epci", parametre="code_epci", libelle="Plan d'actions des CCAS",
    pluriel="Plans d'actions des analyses des besoins sociaux", prefixe="plan-actions",
    territoires=territoires_montres, valider=valider,
)
