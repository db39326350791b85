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
# <!-- Analyse des besoins sociaux (ABS) d'un CCAS, une note par commune et par thème. Le titre est ajouté par « osq build » à partir du nom de la commune et du thème. -->
# Cette note fait partie de l'analyse des besoins sociaux (ABS) du centre communal d'action sociale (CCAS). Elle rassemble, pour un thème, les chiffres clés de la commune, sa comparaison avec son intercommunalité, son département, la France et les communes de même taille, leur évolution, le détail par quartier (IRIS), les enjeux retenus par l'analyste, les actions du plan d'actions qui y répondent et la parole des partenaires. Chaque chiffre renvoie à sa définition dans le [glossaire](../glossaire.html) et cite sa source.

# %% tags=["parameters"]
# Paramètres (papermill). Le code commune est une chaîne de caractères.
# theme : un thème de data/abs/themes.yml ou du glossaire.
# enjeux : texte Markdown des « enjeux à retenir » (osq build lit params/<observatoire>/enjeux/<code>-<theme>.md).
# plan_actions : fichier du plan d'actions (clé « plan_actions » du fichier de paramètres), vide si aucun ;
# plan_actions_page : page de la note de synthèse du plan, quand le site en a une.
# groupements : fichier YAML de territoires propres à l'observatoire (data/territoires/…), vide si aucun : le
# territoire qui contient la commune est comparé à côté d'elle ; zones : de même, un fichier de zones (data/zones/…),
# par exemple le portrait intercommunal dont l'ABS s'inspire.
# store : chemin de la base DuckDB, vide pour data/osq.duckdb.
code_commune = "62040"
theme = "sante"
enjeux = ""
enjeux_fichier = ""  # where osq build looks for them
plan_actions = ""
plan_actions_page = ""
groupements = ""
zones = ""
store = ""
glossaire_href = "../glossaire.html"
profil = "public"  # profil de diffusion : public ou partenaires
masques = ""  # registre des valeurs masquées (secret statistique), écrit par osq build
imprimables = True  # versions PDF et Word : les figures dessinent aussi leur image fixe (écrit par osq build)
commentaire = "synthese,lecture,evolution"  # commentaire automatique : sections écrites (vide : aucune)

# %%
#| output: false
from IPython.display import Markdown, display

from osq_utils import indicateurs
from osq_utils.catalogues.themes import theme_abs
from osq_utils.notes import abs_ccas, communale
from osq_utils.notes import commentaire as commentaires
from osq_utils.notes import plan_actions as pa
from osq_utils.present import blocs, charts, maps, tables, verbatims
from osq_utils.present import plan_actions as rendu_plan

ctx = blocs.contexte(store or None, glossaire_href, profil, masques, imprimables)
code_commune = abs_ccas.TYPE.code_parametre(ctx.vue, code_commune)  # « papermill -p » le passe en nombre
th = theme_abs(theme, ctx.glossaire)
refs = communale.references(ctx.vue, code_commune, groupements, zones, strate=True)
commune = refs[0]
strate = next((t for t in refs if t.niveau == "strate"), None)
comparaison = indicateurs.comparison(ctx.vue, refs, list(th.comparaison))
faits = commentaires.faits(ctx.vue, comparaison, refs) if commentaires.sections(commentaire) else None

# %%
display(Markdown(f"Thème de la note : **{th.libelle}**. Commune : **{commune.libelle}** ({commune.code})."))

# %% [markdown]
# ## Chiffres clés
#
# Les chiffres de la commune, avec l'écart à son intercommunalité.

# %%
display(Markdown(blocs.chiffres_cles(ctx, refs, list(th.chiffres_cles))))
display(Markdown(commentaires.synthese(ctx, comparaison, refs, commentaire, faits)))
if th.donnees_absentes:
    display(Markdown(f'::: {{.callout-warning title="Ce que les données ne disent pas"}}\n{th.donnees_absentes}\n:::\n'))

# %% [markdown]
# ## Comparaison avec les territoires de référence
#
# La commune est comparée à son intercommunalité, à son département, à la France métropolitaine et à l'ensemble des communes de France métropolitaine de la même taille (sa strate de population). Les taux sont recalculés à partir de leurs numérateurs et dénominateurs ; les médianes et les déciles sont ceux que publie l'Insee pour chaque territoire, jamais des moyennes de communes.

# %%
tables.tableau_comparaison(ctx, comparaison, titre=f"{commune.libelle}, ses territoires de référence et sa strate")

# %%
tables.tableau_sans_comparaison(ctx, comparaison)

# %%
display(Markdown(abs_ccas.note_strate(ctx.vue, comparaison, commune, strate)))
display(Markdown(blocs.manquants(ctx, comparaison, commune)))
display(Markdown(commentaires.lecture(ctx, comparaison, refs, commentaire, faits, th.chiffres_cles)))

# %% [markdown]
# ## Évolution dans le temps
#
# Les indicateurs du thème publiés sur plusieurs années. Les années manquantes ne sont pas tracées et sont listées sous le graphique ; une valeur au secret statistique n'est jamais tracée comme un zéro.

# %%
evolution = abs_ccas.indicateurs_evolution(ctx.vue, commune.code, list(th.evolution))
if not evolution:
    display(Markdown(abs_ccas.phrase_sans_evolution(th, ctx.glossaire)))

# %%
#| label: fig-evolution
#| fig-cap: "Évolution des indicateurs du thème pour la commune et ses territoires de référence"
#| fig-alt: "Graphiques en courbes, un panneau par indicateur du thème (son unité dans le titre du panneau), montrant la valeur de chaque année publiée pour la commune, son intercommunalité, son département et la France métropolitaine, une couleur par territoire."
if evolution:
    series = charts.series_evolution(ctx, refs, evolution)
    titre_chiffres = f"{commune.libelle} et ses territoires de référence : chiffres du graphique"
    display(charts.figure_evolution(ctx, refs, evolution, series, tableau=titre_chiffres))

# %%
if evolution:
    display(Markdown(commentaires.evolution(ctx, refs, series, commentaire)))
    display(tables.tableau_series(series, titre=titre_chiffres,
                                  source_note=charts.source_evolution(ctx, refs, evolution)))

# %% [markdown]
# ## Les quartiers de la commune (IRIS)
#
# L'IRIS est le découpage de l'Insee en quartiers d'environ 2 000 habitants. Un IRIS au secret statistique (trop peu de ménages) est hachuré sur la carte et marqué « s » dans le tableau, jamais compté comme zéro.

# %%
par_iris = abs_ccas.tableau_iris(ctx.vue, commune.code, abs_ccas.indicateurs_iris(th))
carte = maps.carte_iris(ctx, commune, th.iris_carte, par_iris)
if not carte.est_image:
    display(carte)

# %%
#| label: fig-iris
#| fig-cap: "L'indicateur cartographié du thème, par IRIS de la commune"
#| fig-alt: "Carte des IRIS de la commune colorés en classes selon l'indicateur nommé dans le titre de la carte ; la légende donne les classes et leur unité ; les IRIS au secret statistique sont hachurés de gris, ceux sans valeur publiée sont gris clair."
if carte.est_image:
    display(carte)

# %%
if par_iris["code"].nunique() >= 2:
    display(tables.tableau_iris(
        par_iris, ctx.glossaire, titre=f"{commune.libelle} : indicateurs du thème par IRIS",
        source_note=blocs.source_note(ctx.catalogue, par_iris.dropna(subset=["source"])), glossaire_href=ctx.glossaire_href,
    ))

# %% [markdown]
# ## Enjeux à retenir

# %%
display(Markdown(abs_ccas.enjeux_markdown(enjeux, code_commune, theme, enjeux_fichier,
                                          commentaires.brouillon_enjeux(ctx, comparaison, refs, commentaire, faits))))

# %% [markdown]
# ## Plan d'actions
#
# Les actions retenues avec les partenaires pour répondre aux enjeux de ce thème, communes aux CCAS ou propres à celui de la commune.

# %%
plan = pa.charger_plan(ctx.vue, plan_actions, ctx.glossaire) if plan_actions else None
display(Markdown(rendu_plan.section_abs(plan, commune.code, commune.libelle, th.code, th.libelle, page=plan_actions_page)))

# %% [markdown]
# ## Paroles d'acteurs
#
# Ce que disent les partenaires et les habitants sur ce thème, recueilli lors des ateliers : un regard plus humain sur les chiffres.

# %%
display(Markdown(verbatims.paroles_acteurs(ctx, refs[:2], themes=th.verbatims)))

# %% [markdown]
# ## Sources et définitions

# %%
display(Markdown(blocs.sources_utilisees(ctx, comparaison["source"].dropna().tolist() + par_iris["source"].dropna().tolist())))
ctx.close()
