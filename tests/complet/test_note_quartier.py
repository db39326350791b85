
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
    # Arques: 58,9 - 23 = +35,9 points in 2015 (REVN_2019 TP60, filosofi_com_2015.csv TP6015) -> +39,0 in 2018.
    ("QP062036", ["Saint-Exupéry - Léon Blum", "12\u202f650\u00a0€", "60,0\u00a0%", "26,3\u00a0%", "QN06237M",
                  "l'écart s'est creusé de 3,1\u00a0points entre 2015 et 2018"]),
    # Montreynaud, Saint-Étienne: data_filo18_qp_revdis.csv tp60 = 48,3 ; TP6018 = 26 for 42218.
    ("QP042013", ["Montreynaud", "48,3\u00a0%", "26,0\u00a0%", "Saint-Étienne Métropole", "QN04213M"]),
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
