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
# <!-- Évaluation du contrat de ville OSQ. Le titre est ajouté par « osq build ». -->
# Cette note aide à répondre aux questions évaluatives du contrat de ville. Pour chaque indicateur, elle compare les quartiers prioritaires à leur agglomération, année par année, et décrit comment cet écart a évolué. Chaque chiffre renvoie à sa définition dans le [glossaire](../glossaire.html) et cite sa source.

# %% tags=["parameters"]
# Paramètres (papermill). Les codes sont des chaînes de caractères.
# code_epci : SIREN de l'intercommunalité ; qpv : codes des quartiers prioritaires (géographie 2015).
# questions : questions évaluatives du fichier de paramètres, chacune avec ses indicateurs (codes du glossaire).
# store : chemin de la base DuckDB, vide pour data/osq.duckdb.
code_epci = "200069037"
qpv = ["QP062036", "QP062037"]
questions = [
    {
        "question": "La politique de la ville a-t-elle permis de réduire les écarts entre les quartiers et l'agglomération ?",
        "indicateurs": ["taux_pauvrete", "revenu_median", "part_prestations_sociales"],
    },
    {
        "question": "L'accès à l'emploi des habitants des quartiers s'est-il amélioré ?",
        "indicateurs": ["taux_emploi"],
    },
]
store = ""
glossaire_href = "../glossaire.html"
profil = "public"  # profil de diffusion : public ou partenaires
masques = ""  # registre des valeurs masquées (secret statistique), écrit par osq build

# %%
#| output: false
from IPython.display import Markdown, display

from osq_utils.notes import evaluation
from osq_utils.present import blocs, sections

ctx = blocs.contexte(store or None, glossaire_href, profil, masques)
note = evaluation.preparer(ctx.vue, code_epci, qpv, questions)
donnees = {q.numero: {code: evaluation.ecarts(ctx.vue, note, code) for code in q.indicateurs}
           for q in note.questions}

# %% [markdown]
# ## Les territoires comparés

# %%
display(Markdown(evaluation.presentation(note)))

# %% [markdown]
# ## Ce que disent et ne disent pas ces chiffres

# %%
display(Markdown(evaluation.encadre_methode()))

# %%
#| output: asis
for q in note.questions:
    for element in sections.elements(evaluation.section_question(ctx, note, q, donnees[q.numero])):
        display(element)

# %% [markdown]
# ## Paroles d'acteurs
#
# Ce que disent les partenaires, les habitants et les élus, recueilli lors des ateliers de coopération et de l'évaluation : un regard plus humain sur les chiffres, et une part du travail qualitatif qu'une évaluation demande.

# %%
display(Markdown(evaluation.paroles_acteurs(ctx, note)))

# %% [markdown]
# ## Sources et définitions

# %%
display(Markdown(blocs.sources_utilisees(ctx, evaluation.sources_de(donnees))))
ctx.close()
