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
# <!-- Note de quartier OSQ. Le titre est ajouté par « osq build » à partir du nom du quartier. -->
# Cette note compare un quartier prioritaire de la politique de la ville (QPV) à sa ou ses communes, à son intercommunalité et à la France métropolitaine : l'écart entre le quartier et ces territoires, et son évolution quand les années publiées le permettent. Chaque chiffre renvoie à sa définition dans le [glossaire](../glossaire.html) et cite sa source.

# %% tags=["parameters"]
# Paramètres (papermill). Le code QPV (géographie 2015) est une chaîne de caractères.
# store : chemin de la base DuckDB, vide pour data/osq.duckdb.
code_qpv = "QP062036"
store = ""
glossaire_href = "../glossaire.html"
profil = "public"  # profil de diffusion : public ou partenaires
masques = ""  # registre des valeurs masquées (secret statistique), écrit par osq build
imprimables = True  # versions PDF et Word : les figures dessinent aussi leur image fixe (écrit par osq build)
commentaire = "synthese,lecture"  # commentaire automatique : sections écrites (vide : aucune)

# %%
#| output: false
from IPython.display import Markdown, display

from osq_utils.notes import commentaire as commentaires
from osq_utils.notes import quartier as quartiers
from osq_utils.present import blocs, charts, images, maps, tables, verbatims

ctx = blocs.contexte(store or None, glossaire_href, profil, masques, imprimables)
code_qpv = quartiers.TYPE.code_parametre(ctx.vue, code_qpv)  # « papermill -p » le passe en nombre
quartier = quartiers.quartier(ctx.vue, code_qpv)
qpv, epci = quartier.qpv, quartier.epci
obs = quartiers.observations_qpv(ctx.vue, quartier, quartiers.COMPARABLES + quartiers.QPV_SEULEMENT)
comparaison = quartiers.comparison(obs, quartier.references, quartiers.COMPARABLES, len(quartier.communes))
faits = commentaires.faits(ctx.vue, comparaison, quartier.references) if commentaires.sections(commentaire) else None

# %%
display(Markdown(quartiers.presentation(quartier, obs)))

# %% [markdown]
# ## Chiffres clés
#
# Les derniers chiffres publiés pour le quartier, comparés à ceux de son intercommunalité la même année.

# %%
display(Markdown(blocs.chiffres_cles(ctx, [qpv, epci] if epci else [qpv], quartiers.CHIFFRES_CLES)))
display(Markdown(quartiers.notes_chiffres_cles(obs, quartiers.CHIFFRES_CLES, ctx.glossaire)))
display(Markdown(commentaires.synthese(ctx, comparaison, quartier.references, commentaire, faits)))

# %% [markdown]
# ## Le quartier et ses territoires de référence
#
# Un quartier prioritaire peut s'étendre sur plusieurs communes. Les médianes, déciles, indices de Gini et parts du revenu publiés par l'Insee ne s'additionnent pas : le quartier est comparé à chacune de ses communes. Seuls les taux publiés avec leur numérateur et leur dénominateur sont recalculés pour l'ensemble de ses communes ; le taux de pauvreté, que l'Insee publie sans le nombre de personnes pauvres, ne l'est pas. L'intercommunalité est celle d'aujourd'hui.

# %%
tables.tableau_comparaison(ctx, comparaison, titre=f"{qpv.libelle} et ses territoires de référence")

# %%
tables.tableau_sans_comparaison(ctx, comparaison)

# %%
display(Markdown(quartiers.manquants_comparaison(comparaison, quartier, ctx.glossaire)))
display(Markdown(commentaires.lecture(ctx, comparaison, quartier.references, commentaire, faits, quartiers.CHIFFRES_CLES)))

# %% [markdown]
# ## Écarts et leur évolution
#
# L'écart se lit en points de pourcentage pour les taux et les parts (taux du quartier moins taux du territoire), et en rapport pour les montants (× 0,60 : le niveau de vie du quartier vaut 60 % de celui du territoire). Son évolution compare la première et la dernière année où les deux chiffres sont publiés, sur les écarts tels qu'ils sont affichés : il est dit « resté stable » s'il a varié de moins de 0,5 point pour un taux, ou de moins de 0,02 pour un rapport (2 % du niveau du territoire), car les chiffres par quartier sont arrondis et portent sur quelques milliers de ménages. Les chiffres du quartier couvrent les revenus de 2013 à 2019 : fichiers Filosofi par quartier de l'Insee pour 2016 à 2019, tableaux de l'ANCT pour 2013 à 2015 (publiés quatre ans après les revenus ; chaque année est celle des revenus, pas celle de la publication). Une année où un territoire n'a pas de chiffre dans les sources du projet n'a pas d'écart (« nd »), ce qui ne veut pas dire un écart nul.

# %%
for code in quartiers.ECARTS:
    display(Markdown(quartiers.bloc_ecarts(ctx, obs, code)))

# %% [markdown]
# La figure suivante (@fig-ecarts) trace les mêmes écarts année par année ; une année sans chiffre n'est pas tracée.

# %%
#| label: fig-ecarts
#| fig-cap: "Écarts entre le quartier et ses territoires de référence, par année"
#| fig-alt: "Deux graphiques en courbes : à gauche l'écart de taux de pauvreté entre le quartier et chaque territoire de référence, en points ; à droite le niveau de vie médian du quartier en pourcentage de celui de chaque territoire ; une couleur par territoire, sur les années 2013 à 2019 où les chiffres sont publiés."
panneaux = [quartiers.ecarts_for_chart(quartiers.ecarts_par_annee(obs, ctx.glossaire[code]), ctx.glossaire[code])
            for code in quartiers.ECARTS_GRAPHIQUE]
lignes = obs[obs["indicateur"].isin(quartiers.ECARTS_GRAPHIQUE)]
display(images.ggplot_png(charts.evolution_panels(panneaux, source_note=blocs.source_note(ctx.catalogue, lignes))))

# %% [markdown]
# ## Carte
#
# Le contour officiel du quartier (géographie prioritaire 2015) dans les limites de sa ou ses communes (@fig-carte).

# %%
#| label: fig-carte
#| fig-cap: "Le quartier prioritaire dans sa ou ses communes"
#| fig-alt: "Carte du contour officiel 2015 du quartier prioritaire, en orange cerné de noir, sur le fond gris clair de sa ou ses communes dont les noms sont écrits ; une barre d'échelle en kilomètres. Quand les contours des communes manquent, le quartier est dessiné seul."
display(maps.carte_qpv(ctx, qpv, list(quartier.communes)))

# %%
display(Markdown(quartiers.callout_contours(quartiers.communes_sans_contour(ctx.vue, quartier))))

# %%
display(Markdown(quartiers.callout_2024(quartier, quartiers.qpv_2024(ctx.vue, [t.code for t in quartier.communes]))))

# %% [markdown]
# ## Paroles d'acteurs
#
# Ce que disent les partenaires et les habitants du quartier, de ses communes et de son intercommunalité, recueilli lors des ateliers de l'observatoire : un regard plus humain sur les chiffres.

# %%
display(Markdown(verbatims.paroles_acteurs(ctx, [qpv, *quartier.communes, *quartier.epcis])))

# %% [markdown]
# ## Sources et définitions

# %%
display(Markdown(blocs.sources_utilisees(ctx, quartiers.sources_of(obs) + [
    'anct-qpv-2015-contours', 'ign-admin-express-2018-communes-france', 'anct-qpv-2024-communes'])))
ctx.close()
