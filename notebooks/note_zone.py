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
# <!-- Note de zone OSQ. Le titre est ajouté par « osq build » à partir du nom de la zone. -->
# Cette note présente une zone faite d'IRIS ou de communes, qu'aucun producteur ne publie : ses chiffres clés, comparés à sa commune (quand elle n'en couvre qu'une ou deux), à son intercommunalité, aux départements que celle-ci couvre et à la France, ses IRIS ou ses communes un à un et l'évolution de ses allocataires. Chaque chiffre de la zone est la somme de ses IRIS (et de ses communes entières) ; chaque chiffre renvoie à sa définition dans le [glossaire](../glossaire.html) et cite sa source.

# %% tags=["parameters"]
# Paramètres (papermill). Le code de la zone est une chaîne de caractères.
# store : chemin de la base DuckDB, vide pour data/osq.duckdb.
# zones : fichier YAML des zones (data/zones/…), vide pour chercher la zone dans tout data/zones/.
code_zone = "6276503"
zones = ""
store = ""
glossaire_href = "../glossaire.html"
profil = "public"  # profil de diffusion : public ou partenaires
masques = ""  # registre des valeurs masquées (secret statistique), écrit par osq build
imprimables = True  # versions PDF et Word : les figures dessinent aussi leur image fixe (écrit par osq build)

# %%
#| output: false
from IPython.display import Markdown, display

from osq_utils import indicateurs
from osq_utils.notes import zone as zone_note
from osq_utils.present import blocs, charts, maps, tables

ctx = blocs.contexte(store or None, glossaire_href, profil, masques, imprimables)
zone = zone_note.zone_de(ctx.vue, str(code_zone), zones)
refs = zone_note.references(ctx.vue, zone)
comparaison = indicateurs.comparison(ctx.vue, refs, zone_note.indicateurs_de_zone(ctx.glossaire, zone))
parties = zone_note.tableau_parties(ctx.vue, zone, zone_note.PAR_PARTIE)

# %% [markdown]
# ## La zone

# %%
display(Markdown(zone_note.texte_composition(ctx.vue, zone)))
display(Markdown(zone_note.tableau_selection(ctx.vue, zone)))

# %% [markdown]
# ## Chiffres clés
#
# Chaque chiffre de la zone est la somme de ses parties (IRIS ou communes entières) : les effectifs sont additionnés, les parts recalculées à partir de leurs numérateurs et dénominateurs additionnés. Une partie au secret statistique rend le chiffre de la zone secret, une partie absente du fichier du producteur le rend non disponible : un total partiel n'est jamais montré.

# %%
display(Markdown(blocs.chiffres_cles(ctx, refs, zone_note.CHIFFRES_CLES)))
display(Markdown(zone_note.texte_non_agreges(ctx.glossaire, zone)))

# %% [markdown]
# ## Comparaison avec ses territoires de référence

# %%
tables.tableau_comparaison(ctx, comparaison, par_theme=True, titre=f"{zone.libelle} et ses territoires de référence")

# %%
tables.tableau_sans_comparaison(ctx, comparaison)

# %%
display(Markdown(blocs.manquants(ctx, comparaison, zone.territoire)))

# %% [markdown]
# ## La zone, partie par partie
#
# Les chiffres de chaque IRIS ou commune de la zone tels que les publient leurs producteurs, dont le niveau de vie médian et le taux de pauvreté de l'Insee, qui ne s'additionnent pas (@fig-carte-iris).

# %%
#| label: fig-carte-iris
#| fig-cap: "Niveau de vie médian des IRIS ou des communes de la zone"
#| fig-alt: "Carte des IRIS ou des communes de la zone colorés selon leur niveau de vie médian en euros, du plus clair (le plus faible) au plus foncé (le plus élevé) ; ceux au secret statistique sont hachurés."
display(maps.carte_zone(ctx, zone.territoire, zone_note.CARTE, parties))

# %%
titre_parties, entete = zone_note.titre_parties(zone)
tables.tableau_iris(parties, ctx.glossaire, titre=titre_parties, entete=entete,
                    source_note=blocs.source_note(ctx.catalogue, parties), glossaire_href=ctx.glossaire_href)

# %% [markdown]
# ## Évolution des allocataires
#
# Les allocataires de la CAF et du RSA de la zone, de 2016 à 2020 (@fig-evolution) : la somme de ses IRIS, année par année. Une année où un IRIS est au secret statistique n'est pas tracée.

# %%
#| label: fig-evolution
#| fig-cap: "Allocataires de la CAF et du RSA de la zone, 2016-2020"
#| fig-alt: "Deux graphiques en courbes : le nombre d'allocataires de la CAF et le nombre d'allocataires du RSA de la zone, chaque année de 2016 à 2020."
series = charts.series_evolution(ctx, refs[:1], zone_note.EVOLUTION)
titre_chiffres = f"{zone.libelle} : chiffres du graphique"
display(charts.figure_evolution(ctx, refs[:1], zone_note.EVOLUTION, series, tableau=titre_chiffres))

# %%
tables.tableau_series(series, titre=titre_chiffres, source_note=charts.source_evolution(ctx, refs[:1], zone_note.EVOLUTION))

# %% [markdown]
# ## Sources et définitions

# %%
display(Markdown(blocs.sources_utilisees(ctx, [*comparaison['source'].dropna(), *parties['source'].dropna()])))
ctx.close()
