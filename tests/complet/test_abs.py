
"""ABS of a CCAS: themes, population strata, stratum aggregates, IRIS tables and the notebook."""

from __future__ import annotations

import math

import nbformat
import papermill as pm
import pytest
from outils import lire_comparateur

from osq_utils import indicateurs, territoires
from osq_utils.catalogues.racine import PROJECT_ROOT
from osq_utils.catalogues.strates import strate_of
from osq_utils.catalogues.themes import theme_abs
from osq_utils.catalogues.verbatims import choisir, load_all
from osq_utils.notes import abs_ccas

NOTEBOOK = PROJECT_ROOT / "notebooks" / "abs_ccas.ipynb"
ENJEUX = PROJECT_ROOT / "params" / "capso" / "enjeux"


# --- Themes --------------------------------------------------------------------------------


def test_commune_stratum_from_its_population_municipale(mirror, vue):
    pop = {r["CODGEO"]: float(r["P18_POP"]) for r in lire_comparateur(mirror, "insee-comparateur-territoires-rp2018")
           if r["P18_POP"]}
    # Insee, comparateur de territoires RP2018: P18_POP of 62765 (Saint-Omer) and 62040 (Arques).
    for code in ("62765", "62040", "42218", "94081"):
        assert territoires.parent(vue, "commune", code, "strate") == strate_of(pop[code]).code, code
    assert territoires.parent(vue, "commune", "62040", "strate") == "5000-9999"
    # Paris counts once, without its arrondissements; overseas communes are outside the strata.
    assert territoires.parent(vue, "commune", "75056", "strate") == "100000+"
    assert territoires.parent(vue, "arm", "75112", "strate") is None
    assert territoires.parent(vue, "commune", "97411", "strate") is None


def test_rate_of_a_stratum_is_a_ratio_of_sums(con, vue):
    refs = indicateurs.references_of_commune(vue, "62040", strate=True)
    assert refs[-1] == indicateurs.Territoire("strate", "5000-9999", "Communes de 5\u202f000 à 9\u202f999 habitants")
    comp = indicateurs.comparison(vue, refs, ["taux_chomage_15_64", "revenu_median", "taux_pauvrete"])
    own = comp[(comp["code"] == "62040") & (comp["indicateur"] == "taux_chomage_15_64")].iloc[0]
    # Insee, comparateur de territoires RP2018: P18_CHOM1564 / P18_ACT1564 = 741 / 4 215 for 62040 (Arques)
    assert int(own["annee"]) == 2018 and own["valeur"] == pytest.approx(741 / 4215 * 100)
    stratum = comp[comp["niveau"] == "strate"].set_index("indicateur")
    # Independent recomputation in SQL: unemployed over active people aged 15-64 of the stratum's communes
    # (their census figures, COG 2021, against the stratum's members, COG 2024: the few merged communes aside).
    num, den = con.execute("""
        SELECT sum(o.numerateur), sum(o.denominateur) FROM observations o
        JOIN appartenances a ON a.code = o.code AND a.niveau_parent = 'strate' AND a.code_parent = '5000-9999'
        WHERE o.niveau = 'commune' AND o.indicateur = 'taux_chomage_15_64' AND o.annee = 2018
          AND o.statut = 'ok'""").fetchone()
    assert stratum.loc["taux_chomage_15_64", "valeur"] == pytest.approx(num / den * 100, rel=1e-3)
    assert stratum.loc["taux_chomage_15_64", "valeur"] != pytest.approx(own["valeur"])
    # A median and a rate INSEE publishes without its numerator: never computed for a stratum.
    assert stratum.loc["revenu_median", "statut"] == "absent" and stratum.loc["taux_pauvrete", "statut"] == "absent"
    text = abs_ccas.note_strate(vue, comp, refs[0], refs[-1])
    assert "1\u202f149 communes" in text and "ne s'additionne pas" in text
    assert "Niveau de vie médian, Taux de pauvreté" in text


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
    assert "Communes de 5\u202f000 à 9\u202f999 habitants" in html  # the stratum column
    assert "Cases vides de la colonne de la strate" in md
    assert 'alt="Carte des IRIS de la commune' in html  # the IRIS map (2 IRIS, CAPSO contours)
    assert "Pas d'évolution à montrer" in md  # AAH is not published for Arques
    assert "62040-sante.md" in html and "Enjeux à retenir : proposition à reprendre" in html  # the commentary's draft
    assert "Aucun verbatim public pour ce thème et ce territoire." in md


@pytest.mark.slow
def test_notebook_saint_omer_socio_demographie(store_file, tmp_path):
    enjeux = (ENJEUX / "62765-socio_demographie_habitat.md").read_text(encoding="utf-8")
    md, html = _render(store_file, tmp_path, "62765", "socio_demographie_habitat", enjeux)
    for section in SECTIONS:
        assert f"## {section}" in md
    assert "Traceback" not in html
    assert "19,3\u00a0%" in html  # HLM rentals, census 2016 (IRIS summed)
    assert "Communes de 10\u202f000 à 19\u202f999 habitants" in html
    assert "Saint-Omer appartient à la strate des communes de 10\u202f000 à 19\u202f999 habitants" in md
    assert 'alt="Graphiques en courbes' in html and 'alt="Carte des IRIS' in html
    assert "### Habitat" in md and "AUD Saint-Omer" in html  # the analyst's enjeux, as written
    assert "Un parc privé avec des loyers élevés" in html  # logement verbatim of the CAPSO
