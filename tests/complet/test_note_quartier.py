
"""QPV note: quartiers.py figures against the real published files, the map, and the notebook end to end."""

from __future__ import annotations

import nbformat
import papermill as pm
import pytest

from osq_utils.catalogues.racine import PROJECT_ROOT
from osq_utils.notes import quartier as qq

NOTEBOOK = PROJECT_ROOT / "notebooks" / "note_quartier.ipynb"
def test_map_of_the_qpv_in_its_communes(store_file):
    from osq_utils.present import blocs, maps

    ctx = blocs.contexte(store_file)
    saint_exupery = qq.quartier(ctx.vue, "QP062036")
    carte = maps.carte_qpv(ctx, saint_exupery.qpv, list(saint_exupery.communes))
    assert carte.est_image and carte.png[:4] == b"\x89PNG" and carte._repr_markdown_() is None
    assert qq.communes_sans_contour(ctx.vue, saint_exupery) == []
    # Bourg-en-Bresse (Ain): its contour comes from the national IGN files (every département).
    bourg = qq.quartier(ctx.vue, "QP001001")
    assert [t.code for t in bourg.communes] == ["01053"]
    assert qq.communes_sans_contour(ctx.vue, bourg) == [] and qq.callout_contours([]) == ""
    assert maps.carte_qpv(ctx, bourg.qpv, list(bourg.communes)).png[:4] == b"\x89PNG"
    # A commune without contour (illustrative list): the QPV alone, and the note says so.
    assert "Bourg-en-Bresse" in qq.callout_contours(list(bourg.communes))


# --- The notebook end to end -------------------------------------------------------------------------------


@pytest.mark.parametrize("code, attendus", [
    # data_filo19_qp_revdis.csv: DISP_MED_A19 = 12 650, DISP_TP60_A19 = 56,0 (the latest year of the QPV and of its
    # communes: comparateur de territoires RP2018, TP6019 published as a whole number).
    ("QP062036", ["Saint-Exupéry - Léon Blum", "12\u202f650\u00a0€", "56,0\u00a0%", "QN06237M",
                  "le taux de pauvreté, que l'Insee publie sans le nombre de personnes pauvres, ne l'est pas"]),
    # Montreynaud, Saint-Étienne: data_filo19_qp_revdis.csv DISP_TP60_A19 = 47,3 ; comparateur RP2018 TP6019 = 26
    # for 42218 (the table's row shows one decimal, that of the quartier's figure).
    ("QP042013", ["Montreynaud", "47,3\u00a0%", "26,0\u00a0%", "Saint-Étienne Métropole", "QN04213M"]),
])
def test_notebook_executes_and_renders(store_file, tmp_path, code, attendus):
    from osq_utils.batch.notebook_md import executed_notebook_to_markdown
    from osq_utils.batch.render_pandoc import render_page

    out = tmp_path / f"quartier-{code}.ipynb"
    pm.execute_notebook(str(NOTEBOOK), str(out), parameters={"code_qpv": code, "store": str(store_file)},
                        kernel_name="python3", progress_bar=False, cwd=str(NOTEBOOK.parent))
    nb = nbformat.read(out, as_version=4)
    media = tmp_path / "media"
    md = executed_notebook_to_markdown(nb, media, "media")
    html_file = tmp_path / "page.html"
    render_page(md, html_file, title=f"Quartier {code}", site_title="Essai", nav=[], root_href="..")
    page = html_file.read_text(encoding="utf-8").replace("\u2019", "'")  # pandoc's typographic apostrophes
    for section in ("Chiffres clés", "Le quartier et ses territoires de référence", "Écarts et leur évolution",
                    "Carte", "La géographie prioritaire 2024", "Paroles d'acteurs", "Sources et définitions"):
        assert section in page, section
    for value in attendus:
        assert value in page, value
    assert 'alt="Carte du contour officiel 2015' in page and 'alt="Deux graphiques en courbes' in page
    assert "Traceback" not in page and "Error" not in page
    assert len(list(media.glob("*.png"))) == 2
