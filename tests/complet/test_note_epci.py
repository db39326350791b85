
"""EPCI note: its communes side by side, ranked, against INSEE's own EPCI figures (real store, real files)."""

from __future__ import annotations

import csv
import io
import math
import zipfile

import nbformat
import papermill as pm
import pytest

from osq_utils import indicateurs
from osq_utils.catalogues.racine import PROJECT_ROOT
from osq_utils.notes import epci as ag
from osq_utils.present import charts, fr, tables

CAPSO, SEM, BETHUNE, GPS = "200069037", "244200770", "200072460", "200059228"

NOTEBOOK = PROJECT_ROOT / "notebooks" / "note_epci.ipynb"
def test_epci_over_two_departements_takes_the_most_populated(vue, con, glossaire, mirror_path_of):
    # CA Grand Paris Sud spans Essonne and Seine-et-Marne; the weight is the latest population every commune has:
    # the legal population of COG 2020, i.e. census 2018 (comparateur de territoires RP2018, P18_POP).
    deps = ag.departements_of_epci(vue, GPS)
    assert [d.code for d in deps] == ["91", "77"] and deps[0].poids == "population"
    communes = set(ag.communes_of_epci(con, GPS))
    with zipfile.ZipFile(mirror_path_of("insee-comparateur-territoires-rp2018", "base_cc_comparateur_csv.zip")) as zf:
        text = zf.read("base_cc_comparateur.CSV").decode("ascii")
    pop = {r["CODGEO"]: float(r["P18_POP"]) for r in csv.DictReader(io.StringIO(text), delimiter=";")
           if r["CODGEO"] in communes}
    assert set(pop) == communes
    share_91 = sum(v for c, v in pop.items() if c.startswith("91")) / sum(pop.values())
    assert math.isclose(deps[0].part, share_91, rel_tol=1e-9)
    assert ag.references_of_epci(vue, GPS)[1].code == "91"
    text = ag.texte_departements(deps, ag.references_of_epci(vue, GPS)[0])
    assert "2 départements" in text and "Essonne" in text and fr.pourcent(share_91 * 100, 0) in text


def test_long_epci_ranking_is_top_and_bottom(vue, con, glossaire):
    epci = ag.references_of_epci(vue, BETHUNE)[0]
    cote = ag.communes_cote_a_cote(vue, epci, ["revenu_median"])
    assert cote["communes"].iloc[0] == 100
    html = tables.classement_table(cote, "revenu_median", glossaire, titre="Revenu", source_note="Source : x.").as_raw_html()
    ranked = int(cote["classees"].iloc[0])
    assert f"{ranked - 20} autres communes classées" in html
    resume = ag.resume_classement(cote, "revenu_median")
    # FILO2019_DISP_EPCI.csv: Q219 = 19400 for 200072460.
    assert resume["epci"]["valeur"] == 19400.0
    assert resume["haut"]["valeur"] >= resume["bas"]["valeur"]


# --- Evolutions, small multiples -------------------------------------------------------


def test_small_multiples_keep_the_largest_communes(vue, con, glossaire):
    codes = ag.communes_of_epci(con, BETHUNE)
    largest = ag.plus_peuplees(vue, codes, 24)
    assert len(largest) == 24 and largest[0] == "62119"  # Béthune, the most populated
    assert ag.plus_peuplees(vue, ag.communes_of_epci(con, CAPSO), 3) == ["62765", "62525", "62040"]
    epci = ag.references_of_epci(vue, BETHUNE)[0]
    series = ag.evolutions_communes(vue, largest, "revenu_median")
    ref = indicateurs.evolution(vue, [epci], "revenu_median")
    plot = charts.small_multiples(series, ref, glossaire["revenu_median"], nom_reference=epci.libelle,
                                  source_note="Source : Insee, Filosofi.", communes_total=len(codes))
    assert "Les 24 communes les plus peuplées sur les 100" in plot.labels.caption
    # Filosofi 2020 is published for départements only, 2013 for the QPV only (ANCT tables, revenus 2013): no
    # commune median those years.
    assert "Aucune valeur communale publiée en 2013, 2020 : année non tracée." in plot.labels.caption
    fig = plot.draw()
    assert len([ax for ax in fig.axes if ax.get_lines() or ax.collections]) == 24
    # No line ever crosses 2020: every drawn segment holds consecutive published years only.
    data = charts.line_segments(series.assign(panneau="x"))
    assert not data.groupby("segment")["annee"].apply(lambda s: 2019 in s.values and 2021 in s.values).any()


# --- The note -----------------------------------------------------------------------------


@pytest.mark.parametrize("code,nom,valeurs", [
    (CAPSO, "CA du Pays de Saint-Omer", ["18,7\u00a0%", "19\u202f730\u00a0€"]),
    (SEM, "Saint-Étienne Métropole", ["18,2\u00a0%", "20\u202f250\u00a0€"]),  # filosofi_epci_2016 TP6016, FILO2019 Q219
])
def test_note_epci_executes_and_renders(store_file, tmp_path, code, nom, valeurs):
    from osq_utils.batch.notebook_md import executed_notebook_to_markdown
    from osq_utils.batch.render_pandoc import render_page

    out = tmp_path / f"epci-{code}.ipynb"
    pm.execute_notebook(str(NOTEBOOK), str(out), parameters={"code_epci": code, "store": str(store_file)},
                        kernel_name="python3", progress_bar=False, cwd=str(NOTEBOOK.parent))
    nb = nbformat.read(out, as_version=4)
    md = executed_notebook_to_markdown(nb, tmp_path / "media", "media")
    html = render_page(md, tmp_path / "page.html", title=nom, site_title="Essai", nav=[], root_href="..").read_text(
        encoding="utf-8")
    assert "Traceback" not in html
    for section in ("Chiffres clés", "Les communes côte à côte", "Classements des communes",
                    "Cartes des communes", "Évolution commune par commune", "Sources et définitions"):
        assert section in html
    for value in valeurs:
        assert value in html
    assert f"Les 53 communes de {nom}" in html
    assert "alt=\"Grille de petits graphiques" in html and "alt=\"Carte des communes" in html
    assert len(list((tmp_path / "media").glob("*.png"))) == 3  # two maps (42 and 62 have contours), small multiples
    assert "Source : Insee, Filosofi" in html and "secret statistique" in html
