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
# <!-- Note d'agglomération OSQ. Le titre est ajouté par « osq build » à partir du nom de l'intercommunalité. -->
# Cette note présente l'intercommunalité et toutes ses communes côte à côte : chiffres clés comparés au département et à la France métropolitaine, classements des communes, cartes et évolution commune par commune. Chaque chiffre renvoie à sa définition dans le [glossaire](../glossaire.html) et cite sa source.

# %% tags=["parameters"]
# Paramètres (papermill). Le code EPCI (SIREN à 9 chiffres) est une chaîne de caractères.
# store : chemin de la base DuckDB, vide pour data/osq.duckdb.
code_epci = "200069037"
store = ""
glossaire_href = "../glossaire.html"
profil = "public"  # profil de diffusion : public ou partenaires
masques = ""  # registre des valeurs masquées (secret statistique), écrit par osq build
imprimables = True  # versions PDF et Word : les figures dessinent aussi leur image fixe (écrit par osq build)
commentaire = "synthese,lecture,communes"  # commentaire automatique : sections écrites (vide : aucune)

# %%
#| output: false
from IPython.display import Markdown, display

from osq_utils import indicateurs
from osq_utils.notes import commentaire as commentaires
from osq_utils.notes import epci as agglomeration
from osq_utils.present import blocs, charts, images, maps, tables, verbatims

ctx = blocs.contexte(store or None, glossaire_href, profil, masques, imprimables)
code_epci = agglomeration.TYPE.code_parametre(ctx.vue, code_epci)  # « papermill -p » le passe en nombre
refs = agglomeration.references_of_epci(ctx.vue, code_epci)
epci = refs[0]
departements = agglomeration.departements_of_epci(ctx.vue, code_epci)
communes = agglomeration.communes_of_epci(ctx.vue, code_epci)
# The communes side by side: one year per indicator (the latest with the EPCI's own value when there is one).
cote = agglomeration.communes_cote_a_cote(ctx.vue, epci, agglomeration.COTE_A_COTE)
comparaison = indicateurs.comparison(ctx.vue, refs, ctx.glossaire.comparables("epci"))
faits = commentaires.faits(ctx.vue, comparaison, refs) if commentaires.sections(commentaire) else None

# %% [markdown]
# ## L'intercommunalité et ses territoires de référence

# %%
display(Markdown(f"{epci.libelle} regroupe {len(communes)} communes. " + agglomeration.texte_departements(departements, epci)))

# %% [markdown]
# ### Chiffres clés

# %%
display(Markdown(blocs.chiffres_cles(ctx, refs, agglomeration.CHIFFRES_CLES)))
display(Markdown(commentaires.synthese(ctx, comparaison, refs, commentaire, faits)))

# %% [markdown]
# ### Comparaison avec le département et la France
#
# Chaque thème du glossaire est présenté avec les indicateurs connus à l'échelle de l'intercommunalité. Les taux sont recalculés à partir de leurs numérateurs et dénominateurs ; les médianes et les déciles sont ceux que publie l'Insee pour l'intercommunalité elle-même, jamais des moyennes de ses communes. Pour chaque indicateur, l'année est la plus récente où le plus de territoires ont une valeur.

# %%
tables.tableau_comparaison(ctx, comparaison, par_theme=True,
                           titre=f"{epci.libelle} et ses territoires de référence")

# %%
tables.tableau_sans_comparaison(ctx, comparaison)

# %%
display(Markdown(blocs.manquants(ctx, comparaison, epci)))
display(Markdown(commentaires.lecture(ctx, comparaison, refs, commentaire, faits, agglomeration.CHIFFRES_CLES)))

# %% [markdown]
# ## Les communes côte à côte
#
# Chaque ligne est une commune, de la plus peuplée à la moins peuplée ; la première ligne est l'intercommunalité entière. Pour chaque indicateur, l'année est celle de la valeur la plus récente publiée à la fois pour les communes et pour l'intercommunalité, afin de les comparer à date égale. Le rang classe les communes de la valeur la plus élevée (rang 1) à la plus faible, parmi celles dont la valeur est publiée : une commune au secret statistique (« s ») ou sans valeur (« nd ») n'est pas classée.
#
# Le taux de chômage et la part des propriétaires sont ceux du recensement (comparateur de territoires de l'Insee), publiés pour toutes les communes. Le taux de pauvreté est soumis au secret statistique dans la plupart des petites communes (« s »).

# %%
tables.cote_a_cote_table(
    cote, ctx.glossaire, titre=f"Les {len(communes)} communes de {epci.libelle}",
    source_note=blocs.source_note(ctx.catalogue, cote), ordre=agglomeration.ordre_population(cote),
    glossaire_href=ctx.glossaire_href,
)

# %%
display(Markdown(commentaires.communes(ctx, epci, cote, commentaire)))

# %% [markdown]
# ## Classements des communes
#
# Les communes aux valeurs les plus élevées et les plus faibles, pour le niveau de vie médian et le taux de pauvreté. Quand plus de vingt communes sont classées, seules les dix premières et les dix dernières sont listées ; le tableau précédent les donne toutes.

# %%
for code in agglomeration.CLASSEMENTS:
    part = cote[cote["indicateur"] == code]
    display(Markdown(agglomeration.texte_classement(agglomeration.resume_classement(cote, code), ctx.glossaire[code], ctx.glossaire_href)))
    display(tables.classement_table(
        cote, code, ctx.glossaire, titre=f"{ctx.glossaire[code].libelle} : classement des communes",
        source_note=blocs.source_note(ctx.catalogue, part), glossaire_href=ctx.glossaire_href,
    ))

# %% [markdown]
# ## Cartes des communes
#
# Les communes sont colorées en cinq classes d'effectifs égaux (quantiles) : chaque classe regroupe à peu près le même nombre de communes. Les communes au secret statistique sont hachurées (@fig-carte-revenu, @fig-carte-pauvrete).

# %%
#| label: fig-carte-revenu
#| fig-cap: "Niveau de vie médian des communes de l'intercommunalité"
#| fig-alt: "Carte des communes de l'intercommunalité colorées selon leur niveau de vie médian en euros, en cinq classes de quantiles du plus clair (le plus faible) au plus foncé (le plus élevé) ; les communes au secret statistique sont hachurées."
display(maps.carte_communes(ctx, epci, cote, "revenu_median"))

# %%
#| label: fig-carte-pauvrete
#| fig-cap: "Taux de pauvreté des communes de l'intercommunalité"
#| fig-alt: "Carte des communes de l'intercommunalité colorées selon leur taux de pauvreté en pourcentage, en classes de quantiles du plus clair (le plus faible) au plus foncé (le plus élevé) ; les nombreuses communes dont le taux est couvert par le secret statistique sont hachurées en gris."
display(maps.carte_communes(ctx, epci, cote, "taux_pauvrete"))

# %% [markdown]
# ## Évolution commune par commune
#
# Un petit graphique par commune montre le niveau de vie médian de 2014 à 2019 (en bleu), avec celui de l'intercommunalité en gris pour repère (@fig-multiples). Au-delà de 24 communes, seules les 24 plus peuplées sont représentées. Le fichier communal de 2017 n'a pas été publié par l'Insee : cette année n'est pas tracée et les lignes ne la franchissent pas.

# %%
#| label: fig-multiples
#| fig-cap: "Niveau de vie médian de 2014 à 2019, commune par commune (au plus les 24 communes les plus peuplées), et celui de l'intercommunalité en gris"
#| fig-alt: "Grille de petits graphiques en courbes, un par commune, de la plus peuplée à la moins peuplée : le niveau de vie médian annuel de la commune en bleu et celui de l'intercommunalité en gris, en euros, sur les années publiées par l'Insee de 2014 à 2019 ; 2017 n'est pas tracée."
plus_peuplees = agglomeration.plus_peuplees(ctx.vue, communes, 24)
series = agglomeration.evolutions_communes(ctx.vue, plus_peuplees, "revenu_median")
reference = indicateurs.evolution(ctx.vue, [epci], "revenu_median")
display(images.ggplot_png(charts.small_multiples(
    series, reference, ctx.glossaire["revenu_median"], nom_reference=epci.libelle,
    source_note=blocs.source_note(ctx.catalogue, series.assign(indicateur="revenu_median")),
    communes_total=len(communes),
)))

# %% [markdown]
# ## Paroles d'acteurs
#
# Ce que disent les partenaires et les habitants, recueilli lors des ateliers de l'observatoire : un regard plus humain sur les chiffres.

# %%
display(Markdown(verbatims.paroles_acteurs(ctx, [epci])))

# %% [markdown]
# ## Sources et définitions

# %%
display(Markdown(blocs.sources_utilisees(ctx, [*comparaison['source'].dropna(), *cote['source'].dropna(), 'ign-admin-express-2018-communes-france'])))
ctx.close()
