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
# <!-- Note communale OSQ. Le titre est ajouté par « osq build » à partir du nom de la commune. -->
# Cette note présente les principaux indicateurs sociaux de la commune, comparés à son intercommunalité, à son département et à la France métropolitaine. Chaque chiffre renvoie à sa définition dans le [glossaire](../glossaire.html) et cite sa source.

# %% tags=["parameters"]
# Paramètres (papermill). Le code commune est une chaîne de caractères.
# store : chemin de la base DuckDB, vide pour data/osq.duckdb.
# groupements : fichier YAML de territoires propres à l'observatoire (data/territoires/…), vide si aucun.
# zones : fichier YAML de zones (data/zones/…) : celles qui contiennent la commune sont comparées à côté d'elle.
code_commune = "62040"
store = ""
glossaire_href = "../glossaire.html"
profil = "public"  # profil de diffusion : public ou partenaires
masques = ""  # registre des valeurs masquées (secret statistique), écrit par osq build
imprimables = True  # versions PDF et Word : les figures dessinent aussi leur image fixe (écrit par osq build)
groupements = ""
zones = ""
commentaire = "synthese,lecture,evolution"  # commentaire automatique : sections écrites (vide : aucune)

# %%
#| output: false
from IPython.display import Markdown, display

from osq_utils import indicateurs
from osq_utils.notes import commentaire as commentaires
from osq_utils.notes import communale
from osq_utils.present import blocs, charts, maps, tables, verbatims

ctx = blocs.contexte(store or None, glossaire_href, profil, masques, imprimables)
code_commune = communale.TYPE.code_parametre(ctx.vue, code_commune)  # « papermill -p » le passe en nombre
refs = communale.references(ctx.vue, code_commune, groupements, zones)
commune, epci = refs[0], indicateurs.intercommunalite_de(refs)
comparaison = indicateurs.comparison(ctx.vue, refs, ctx.glossaire.of_level("commune"))
faits = commentaires.faits(ctx.vue, comparaison, refs) if commentaires.sections(commentaire) else None

# %% [markdown]
# ## Chiffres clés

# %%
display(Markdown(blocs.chiffres_cles(ctx, refs, communale.CHIFFRES_CLES)))
display(Markdown(commentaires.synthese(ctx, comparaison, refs, commentaire, faits)))

# %% [markdown]
# ## Tous les indicateurs, thème par thème
#
# Chaque thème du glossaire est présenté avec ses indicateurs publiés à l'échelle communale, pour la dernière année disponible. Les taux sont recalculés à partir de leurs numérateurs et dénominateurs ; les médianes et les déciles sont ceux que publie l'Insee pour chaque territoire, jamais des moyennes de communes.

# %%
tables.tableau_comparaison(
    ctx, comparaison, par_theme=True,
    titre=f"{commune.libelle} et ses territoires de référence (dernière année disponible)",
)

# %%
tables.tableau_sans_comparaison(ctx, comparaison)

# %%
display(Markdown(blocs.manquants(ctx, comparaison, commune)))
display(Markdown(commentaires.lecture(ctx, comparaison, refs, commentaire, faits, communale.CHIFFRES_CLES)))

# %% [markdown]
# ## Évolution des revenus
#
# Le niveau de vie médian et le taux de pauvreté sont suivis sur les années publiées par l'Insee (@fig-evolution). Le fichier communal de 2017 n'a pas été publié, et le taux de pauvreté n'est publié ni pour toutes les années ni pour tous les territoires : les années manquantes ne sont pas tracées et sont listées sous le graphique.

# %%
#| label: fig-evolution
#| fig-cap: "Niveau de vie médian et taux de pauvreté de la commune et de ses territoires de référence"
#| fig-alt: "Deux graphiques en courbes : à gauche le niveau de vie médian annuel en euros, à droite le taux de pauvreté en pourcentage, pour la commune, son intercommunalité, son département et la France métropolitaine, sur les années publiées par l'Insee."
series = charts.series_evolution(ctx, refs, communale.EVOLUTION)
titre_chiffres = f"{commune.libelle} et ses territoires de référence : chiffres du graphique"
display(charts.figure_evolution(ctx, refs, communale.EVOLUTION, series, tableau=titre_chiffres))

# %%
display(Markdown(commentaires.evolution(ctx, refs, series, commentaire)))
tables.tableau_series(series, titre=titre_chiffres,
                      source_note=charts.source_evolution(ctx, refs, communale.EVOLUTION))

# %% [markdown]
# ## La commune dans son intercommunalité

# %%
#| label: fig-carte
#| fig-cap: "Niveau de vie médian des communes de l'intercommunalité"
#| fig-alt: "Carte des communes de l'intercommunalité colorées selon leur niveau de vie médian, en cinq classes ; la commune de la note est entourée d'un trait noir épais ; les communes au secret statistique sont hachurées."
display(maps.carte_commune_epci(ctx, commune, epci, communale.CARTE))

# %% [markdown]
# ## Paroles d'acteurs
#
# Ce que disent les partenaires et les habitants, recueilli lors des ateliers de l'observatoire : un regard plus humain sur les chiffres.

# %%
display(Markdown(verbatims.paroles_acteurs(ctx, refs[:2])))

# %% [markdown]
# ## Sources et définitions

# %%
display(Markdown(blocs.sources_utilisees(ctx, comparaison['source'].dropna().tolist() + ['ign-admin-express-2018-communes-france'])))
ctx.close()
