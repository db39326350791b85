
"""ABS of a CCAS: themes, population strata, stratum aggregates, IRIS tables and the notebook."""

from __future__ import annotations

import math

import nbformat
import papermill as pm
import pytest

from osq_utils import indicateurs
from osq_utils.catalogues.racine import PROJECT_ROOT
from osq_utils.catalogues.themes import theme_abs
from osq_utils.catalogues.verbatims import choisir, load_all
from osq_utils.notes import abs_ccas

NOTEBOOK = PROJECT_ROOT / "notebooks" / "abs_ccas.ipynb"
ENJEUX = PROJECT_ROOT / "params" / "capso" / "enjeux"


# --- Themes --------------------------------------------------------------------------------


def test_commune_size_and_stratum_from_filosofi(vue):
    pops = abs_ccas.populations_strates(vue)
    # Insee, FILO2019_DISP_COM.csv: NBPERS19 = 13451 for 62765 (Saint-Omer), 9437 for 62040 (Arques)
    assert abs_ccas.strate_de_commune(pops, "62765") == (abs_ccas.STRATES[3], 13451.0)
    assert abs_ccas.strate_de_commune(pops, "62040")[0].code == "5000-9999"
    assert not pops["code"].str.startswith("97").any()
    assert not pops["code"].isin(["75101", "69381", "13201"]).any()
    assert {"75056", "69123", "13055"} <= set(pops["code"])


def test_sum_of_strata_reproduces_the_national_figure(con, vue, glossaire):
    """Households' mean size 2019: the strata partition the communes, so their numerators and denominators add up
    to the national total. Insee, FILO2019_DISP_METROPOLE.csv: NBPERS19 = 62973019, NBMEN19 = 27937964 (2.254);
    the commune file leaves out communes with too few households, hence a gap under 0.5 %."""
    pops = abs_ccas.populations_strates(vue)
    obs = con.execute("SELECT code, numerateur, denominateur, statut FROM observations WHERE niveau = 'commune' "
                      "AND indicateur = 'taille_menages' AND annee = 2019").df()
    aggs = abs_ccas.agregats_par_strate(obs, pops, glossaire["taille_menages"], 2019)
    assert [a.statut for a in aggs] == ["ok"] * 7
    num, den = sum(a.numerateur for a in aggs), sum(a.denominateur for a in aggs)
    kept = obs[obs["code"].isin(pops["code"])]
    assert num == pytest.approx(kept["numerateur"].sum()) and den == pytest.approx(kept["denominateur"].sum())
    assert sum(a.communes for a in aggs) == len(pops)
    assert abs(num / 62_973_019 - 1) < 0.005 and abs(den / 27_937_964 - 1) < 0.005
    assert num / den == pytest.approx(62_973_019 / 27_937_964, abs=0.005)


def test_rate_of_a_stratum_is_a_ratio_of_sums(con, vue, glossaire):
    refs = indicateurs.references_of_commune(vue, "62040")
    comp = indicateurs.comparison(vue, refs, ["taux_chomage_15_64", "revenu_median", "allocataires_caf"])
    own = comp[(comp["code"] == "62040") & (comp["indicateur"] == "taux_chomage_15_64")].iloc[0]
    # Insee, comparateur de territoires RP2018: P18_CHOM1564 / P18_ACT1564 = 741 / 4 215 for 62040 (Arques)
    assert int(own["annee"]) == 2018 and own["valeur"] == pytest.approx(741 / 4215 * 100)
    aggs = {a.indicateur: a for a in abs_ccas.comparaison_strate(vue, "62040", comp)}
    chomage = aggs["taux_chomage_15_64"]
    assert chomage.statut == "ok" and chomage.strate.code == "5000-9999"
    # Independent recomputation in SQL: unemployed over active people aged 15-64, stratum 5 000-9 999.
    num, den = con.execute("""
        SELECT sum(o.numerateur), sum(o.denominateur) FROM observations o JOIN observations p
          ON p.code = o.code AND p.niveau = 'commune' AND p.indicateur = 'nb_personnes_menages_fiscaux'
         AND p.annee = 2019 AND p.statut = 'ok' AND p.valeur >= 5000 AND p.valeur < 10000
        WHERE o.niveau = 'commune' AND o.indicateur = 'taux_chomage_15_64' AND o.annee = 2018 AND o.statut = 'ok'
          AND o.code NOT LIKE '97%'""").fetchone()
    assert chomage.valeur == pytest.approx(num / den * 100)
    assert chomage.valeur != pytest.approx(own["valeur"])
    assert chomage.retenues + chomage.exclues == chomage.communes and chomage.exclues < 20
    assert aggs["revenu_median"].statut == "non_calculable" and "ne s'agrège pas" in aggs["revenu_median"].raison
    assert aggs["allocataires_caf"].statut == "sans_objet"


def test_poverty_rate_of_a_stratum_is_never_made_up(mirror, vue, glossaire):
    """INSEE publishes poverty rates without the count of poor persons: no stratum figure (never a mean of rates)."""
    refs = indicateurs.references_of_commune(vue, "62040")
    comp = indicateurs.comparison(vue, refs, ["taux_pauvrete"])
    own = comp[(comp["code"] == "62040") & (comp["indicateur"] == "taux_pauvrete")].iloc[0]
    with open(mirror / "insee-filosofi-2021-communes" / "cc_filosofi_2021_COM.csv", encoding="utf-8") as fh:
        header, *rows = (line.rstrip("\n").split(";") for line in fh)
    arques = dict(zip(header, next(r for r in rows if r[0] == "62040")))
    assert (int(own["annee"]), own["valeur"]) == (2021, float(arques["TP6021"].replace(",", ".")))
    (agg,) = abs_ccas.comparaison_strate(vue, "62040", comp)
    assert agg.statut == "non_calculable" and agg.valeur is None
    assert not glossaire["taux_pauvrete"].agregeable


def test_stratum_figure_not_computed_when_the_source_covers_few_communes(vue, glossaire):
    # BPE 2019 of the mirror covers four départements only: no national figure for the stratum.
    refs = indicateurs.references_of_commune(vue, "62765")
    comp = indicateurs.comparison(vue, refs, ["densite_medecins_generalistes"])
    (agg,) = abs_ccas.comparaison_strate(vue, "62765", comp)
    assert agg.statut == "non_calculable" and agg.valeur is None
    assert agg.couverture < 0.2 and "ne couvre que" in agg.raison


# --- IRIS --------------------------------------------------------------------------------------


def test_gps_by_iris_of_saint_omer(vue):
    # Insee, bpe_ens_2019_iris_dep42_62_77_94.csv, TYPEQU = D201, DEPCOM = 62765: NB_EQUIP 5, 10, 1, 9, 2 (27 GPs)
    df = abs_ccas.tableau_iris(vue, "62765", ["medecins_generalistes"]).set_index("code")
    assert df["valeur"].to_dict() == {"627650101": 5, "627650201": 10, "627650301": 1, "627650302": 9, "627650401": 2}
    obs = vue.observations("commune", ["62765"], ["densite_medecins_generalistes"]).iloc[0]
    # 27 GPs for a population municipale (COG 2019) of 14 782: 18.3 per 10 000 inhabitants.
    assert (obs["numerateur"], obs["denominateur"]) == (27, 14782)
    assert obs["valeur"] == pytest.approx(27 / 14782 * 10_000)


def test_iris_poverty_rate_secret_stays_secret(vue):
    df = abs_ccas.tableau_iris(vue, "62413", ["taux_pauvrete"]).set_index("code")
    # Insee, BASE_TD_FILO_DISP_IRIS_2019.csv: DISP_TP6019 = 21,9 for 624130101, blank (secret) for 624130103
    assert df.loc["624130101", ["annee", "valeur", "statut"]].tolist() == [2019, 21.9, "ok"]
    assert df.loc["624130103", "statut"] == "secret" and math.isnan(df.loc["624130103", "valeur"])
    stomer = abs_ccas.tableau_iris(vue, "62765", ["taux_pauvrete"]).set_index("code")
    assert stomer.loc["627650201", "valeur"] == 34.0  # same file: DISP_TP6019 = 34,0 for 627650201


# --- Verbatims and enjeux ----------------------------------------------------------------------


def test_verbatims_of_several_themes(vue, glossaire):
    refs = indicateurs.references_of_commune(vue, "62765")
    th = theme_abs("emploi_revenus_mobilite", glossaire)
    territoires = [(t.niveau, t.code) for t in refs[:2]]
    chosen = choisir(load_all(), th.verbatims, territoires)
    assert {v.theme for v in chosen} == {"revenus", "emploi"}
    assert "aud-stomer-2023-abs-pauvrete-jeunes" in {v.id for v in chosen}
    assert choisir(load_all(), ["sante"], territoires) == []


def _render(store_file, tmp_path, code, theme, enjeux=""):
    from osq_utils.batch.notebook_md import executed_notebook_to_markdown
    from osq_utils.batch.render_pandoc import render_page

    out = tmp_path / f"{code}-{theme}.ipynb"
    pm.execute_notebook(str(NOTEBOOK), str(out), kernel_name="python3", progress_bar=False, cwd=str(NOTEBOOK.parent),
                        parameters={"code_commune": code, "theme": theme, "enjeux": enjeux, "store": str(store_file)})
    nb = nbformat.read(out, as_version=4)
    md = executed_notebook_to_markdown(nb, tmp_path / f"media-{code}", "media")
    html = render_page(md, tmp_path / f"{code}-{theme}.html", title=code, site_title="Essai", nav=[], root_href="..")
    return md, html.read_text(encoding="utf-8")


SECTIONS = ["Chiffres clés", "Comparaison avec les territoires de référence", "Évolution dans le temps",
            "Les quartiers de la commune (IRIS)", "Enjeux à retenir", "Paroles d'acteurs", "Sources et définitions"]


@pytest.mark.slow
def test_notebook_arques_sante(store_file, tmp_path):
    md, html = _render(store_file, tmp_path, "62040", "sante")
    for section in SECTIONS:
        assert f"## {section}" in md
    assert "Traceback" not in html
    assert "[7,2]{.kpi-valeur}" in md  # 7 GPs for 9 753 inhabitants (BPE 2019, COG 2019)
    assert "Moyenne nationale, 5\u202f000 à 9\u202f999 habitants" in html
    assert "la source ne couvre que 8\u00a0% des habitants de la strate" in md
    assert 'alt="Carte des IRIS de la commune' in html  # the IRIS map (2 IRIS, CAPSO contours)
    assert "Pas d'évolution à montrer" in md  # AAH is not published for Arques
    assert "62040-sante.md" in html and "Enjeux à retenir : à rédiger" in html
    assert "Aucun verbatim public pour ce thème et ce territoire." in md


@pytest.mark.slow
def test_notebook_saint_omer_socio_demographie(store_file, tmp_path):
    enjeux = (ENJEUX / "62765-socio_demographie_habitat.md").read_text(encoding="utf-8")
    md, html = _render(store_file, tmp_path, "62765", "socio_demographie_habitat", enjeux)
    for section in SECTIONS:
        assert f"## {section}" in md
    assert "Traceback" not in html
    assert "19,3\u00a0%" in html  # HLM rentals, census 2016 (IRIS summed)
    assert "Moyenne nationale, 10\u202f000 à 19\u202f999 habitants" in html
    assert "Saint-Omer en compte 13\u202f451" in md
    assert 'alt="Graphiques en courbes' in html and 'alt="Carte des IRIS' in html
    assert "### Habitat" in md and "AUD Saint-Omer" in html  # the analyst's enjeux, as written
    assert "Un parc privé avec des loyers élevés" in html  # logement verbatim of the CAPSO
