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
# Cette note rassemble l'évaluation du contrat de ville selon trois angles : la coopération entre les acteurs, l'observation des quartiers prioritaires comparés à leur agglomération, et les actions structurantes. Chaque chiffre déclaré par l'observatoire cite le document qui le publie ; chaque chiffre statistique renvoie à sa définition dans le [glossaire](../glossaire.html) et cite sa source. Les constats sont ceux que l'observatoire a rédigés, repris tels quels.

# %% tags=["parameters"]
# Paramètres (papermill). Les codes sont des chaînes de caractères.
# code_epci : SIREN de l'intercommunalité ; qpv : codes des quartiers prioritaires (géographie 2015).
# questions : questions évaluatives du volet observation, chacune avec ses indicateurs (codes du glossaire),
#   quand le dossier de l'évaluation n'en déclare pas.
# evaluation : dossier des entrées de l'évaluation (clé « evaluation » du fichier de paramètres), vide si aucun.
# store : chemin de la base DuckDB, vide pour data/osq.duckdb.
code_epci = "200069037"
qpv = ["QP062036", "QP062037", "QP062058"]
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
evaluation = ""
store = ""
glossaire_href = "../glossaire.html"
profil = "public"  # profil de diffusion : public ou partenaires
masques = ""  # registre des valeurs masquées (secret statistique), écrit par osq build
imprimables = True  # versions PDF et Word : les figures dessinent aussi leur image fixe (écrit par osq build)

# %%
#| output: false
from IPython.display import Markdown, display

from osq_utils.catalogues.racine import affichable
from osq_utils.notes import evaluation as cdv
from osq_utils.present import blocs, volets
from osq_utils.present import evaluation as rendu

ctx = blocs.contexte(store or None, glossaire_href, profil, masques, imprimables)
code_epci = cdv.TYPE.code_parametre(ctx.vue, code_epci)  # « papermill -p » le passe en nombre
note = cdv.preparer(ctx.vue, code_epci, qpv, questions, evaluation)
entrees = note.entrees
dossier = affichable(entrees.dossier) if entrees else ""
quartiers = {t.code: t.libelle for t in note.qpvs}
donnees = {q.numero: {code: cdv.ecarts(ctx.vue, note, code) for code in q.indicateurs} for q in note.questions}
bilan = cdv.bilan_par_pilier(note)

# %% [markdown]
# ## La démarche d'évaluation

# %%
display(Markdown(volets.demarche(entrees, [q.texte for q in note.questions], quartiers)))

# %% [markdown]
# ## Le bilan des actions du contrat
#
# Les actions menées dans le cadre du contrat de ville, par pilier : leur nombre, leur part du total et, quand le bilan les donne, leurs montants et le public touché.

# %%
display(Markdown(volets.texte_bilan(entrees.bilan if entrees else None, bilan, len(entrees.contrats) if entrees else 1)))
if bilan is not None:
    display(rendu.tableau_bilan(bilan, titre=volets.titre_bilan(entrees),
                                source_note=volets.source(entrees.bilan.source)))

# %%
#| label: fig-bilan
#| fig-cap: "Nombre d'actions par pilier, d'après le bilan des actions"
#| fig-alt: "Diagramme en barres horizontales : une barre par pilier du contrat de ville, de longueur proportionnelle à son nombre d'actions, étiquetée de ce nombre et de sa part du total (les valeurs sont celles du tableau qui précède)."
if bilan is not None:
    display(rendu.figure_bilan(bilan, source_note=volets.source(entrees.bilan.source)))

# %%
#| output: asis
for par, quoi in (("annee", "année"), ("qpv", "quartier")):
    croise = cdv.bilan_croise(note, par)
    if croise is not None:
        display(rendu.tableau_croise(
            croise, libelles_lignes=entrees.piliers,
            libelles_colonnes={c: rendu.libelle_qpv(c, quartiers) for c in map(str, croise.columns)} if par == "qpv" else {},
            premiere="Pilier", titre=f"Nombre d'actions par pilier et par {quoi}",
            source_note=volets.source(entrees.bilan.source)))

# %% [markdown]
# ## La coopération
#
# En quoi le contrat de ville a favorisé les coopérations au service des quartiers prioritaires : les rencontres avec les communes, les partenaires, les porteurs de projets et les habitants.

# %%
display(Markdown(volets.objectif(entrees, "cooperation")))
display(Markdown("### Les chiffres clés de la coopération\n"))
display(Markdown(volets.chiffres_cooperation(entrees)))
display(Markdown(volets.acteurs(entrees)))

# %%
#| output: asis
if entrees is not None and entrees.questionnaires:
    display(Markdown("### Les questionnaires\n"))
    for qn in entrees.questionnaires:
        for element in rendu.elements_questionnaire(qn, ctx.profil, note.epci):
            display(element)

# %%
questions_cooperation = entrees.questions.get("cooperation", ()) if entrees else ()
if questions_cooperation:
    display(Markdown("### Les questions évaluatives\n\n" + volets.questions_volet(questions_cooperation, dossier)))

# %% [markdown]
# ## L'observation : les quartiers et leur agglomération
#
# Pour chaque question du volet observation, les constats de l'observatoire, puis les chiffres : l'écart entre chaque quartier prioritaire et l'agglomération, année par année, et son évolution.

# %%
display(Markdown(volets.objectif(entrees, "observation")))
display(Markdown("### Les territoires comparés\n\n" + cdv.presentation(note)))
display(Markdown("### Ce que disent et ne disent pas ces chiffres\n\n" + cdv.encadre_methode()))

# %%
#| output: asis
for q in note.questions:
    for element in rendu.elements_question(cdv.question_observation(ctx, note, q, donnees[q.numero])):
        display(element)

# %% [markdown]
# ## Les actions structurantes
#
# Les actions que l'évaluation étudie de près, avec les chiffres d'activité que l'observatoire déclare et ses constats.

# %%
display(Markdown(volets.objectif(entrees, "actions_structurantes")))
display(Markdown(volets.actions_structurantes(entrees, dossier)))

# %% [markdown]
# ## Paroles d'acteurs
#
# Ce que disent les partenaires, les habitants et les élus, recueilli lors des ateliers de coopération et de l'évaluation : un regard plus humain sur les chiffres, et une part du travail qualitatif qu'une évaluation demande.

# %%
display(Markdown(cdv.paroles_acteurs(ctx, note)))

# %% [markdown]
# ## Sources et définitions

# %%
display(Markdown(blocs.sources_utilisees(ctx, cdv.sources_de(donnees))))
display(Markdown(volets.documents(entrees)))
ctx.close()
