# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (OSQ)
#     language: python
#     name: python3
# ---

# %% [markdown]
# <!-- Plan d'actions des analyses des besoins sociaux (ABS) des CCAS d'une intercommunalité. Le titre est ajouté par « osq build ». -->
# Cette note rassemble le plan d'actions de l'analyse des besoins sociaux (ABS) : toutes les actions retenues avec les partenaires, chacune avec les CCAS qu'elle concerne (commune à tous ou propre à l'un d'eux), ses thèmes et les enjeux auxquels elle répond. Chaque note de l'ABS montre les actions de son thème ; celle-ci les montre toutes. Ce qui n'est pas encore décidé (partenaires, calendrier, indicateur de suivi) est marqué « à préciser ».

# %% tags=["parameters"]
# Paramètres (papermill). Le code de l'intercommunalité est une chaîne de caractères.
# plan_actions : fichier du plan d'actions (clé « plan_actions » du fichier de paramètres), vide si aucun.
code_epci = "200069037"
plan_actions = ""
store = ""
glossaire_href = "../glossaire.html"
profil = "public"  # profil de diffusion : public ou partenaires
masques = ""  # registre des valeurs masquées (secret statistique), écrit par osq build
imprimables = True  # versions PDF et Word : les figures dessinent aussi leur image fixe (écrit par osq build)

# %%
#| output: false
from IPython.display import Markdown, display

from osq_utils.notes import plan_actions as pa
from osq_utils.present import blocs
from osq_utils.present import plan_actions as rendu_plan

ctx = blocs.contexte(store or None, glossaire_href, profil, masques, imprimables)
code_epci = pa.TYPE.code_parametre(ctx.vue, code_epci)  # « papermill -p » le passe en nombre
plan = pa.charger_plan(ctx.vue, plan_actions, ctx.glossaire) if plan_actions else None

# %% [markdown]
# ## Les actions et les CCAS

# %%
if plan is None:
    display(Markdown(rendu_plan.section_abs(None, "", "", "", "")))
else:
    display(Markdown(rendu_plan.texte_repartition(plan)))
    display(rendu_plan.tableau_synthese(plan, titre="Les actions du plan, leurs CCAS et leurs thèmes",
                                        source_note=rendu_plan.sources(plan)))

# %% [markdown]
# ## Les actions en détail

# %%
if plan is not None:
    display(Markdown("\n".join(rendu_plan.fiche(a, plan) for a in plan.actions)))
ctx.close()
