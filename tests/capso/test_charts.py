
"""Evolution charts: a missing year breaks the line, it is never bridged nor drawn as 0."""

from __future__ import annotations

from osq_utils import indicateurs
from osq_utils.present import charts


def test_missing_year_breaks_the_line(vue, con, glossaire):
    # Filosofi 2020 is published for départements only: Arques has 2014-2019 and 2021.
    refs = indicateurs.references_of_commune(vue, "62040")[:1]
    evo = indicateurs.evolution(vue, refs, "revenu_median")
    assert evo.set_index("annee").loc[2020, "statut"] == "absent"
    data = charts.line_segments(evo.assign(panneau="revenu"))
    segments = data.groupby("segment")["annee"].apply(list).sort_values().tolist()
    assert segments == [[2014, 2015, 2016, 2017, 2018, 2019], [2021]]
    assert 2020 not in data["annee"].tolist()


def test_chart_draws_without_warning(vue, con, glossaire, recwarn):
    refs = indicateurs.references_of_commune(vue, "62040")
    panels = [(glossaire[c], indicateurs.evolution(vue, refs, c)) for c in ("revenu_median", "taux_pauvrete")]
    fig = charts.evolution_panels(panels, source_note="Source : Insee, Filosofi.")
    assert len(fig.axes) == 2
    # Arques' median income: one line per run of published years, never one bridging 2020.
    arques = [line for line in fig.axes[0].lines if line.get_color() == charts.OKABE_ITO[0]]
    assert [list(line.get_xdata()) for line in arques] == [[2014, 2015, 2016, 2017, 2018, 2019], [2021]]
    # French axis labels: thousands with a narrow no-break space; a decimal comma on the rate panel's short span.
    assert fig.axes[0].yaxis.get_major_formatter()(18520, 0) == "18\u202f520"
    assert fig.axes[1].yaxis.get_major_formatter()(21, 0) == "21,0"
    assert not [w for w in recwarn if "geom_path" in str(w.message)]
