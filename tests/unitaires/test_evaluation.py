
"""Évaluation du contrat de ville: gaps QPV / agglomeration, their evolution, the questions, the note."""

from __future__ import annotations

import pandas as pd

from osq_utils.indicateurs.ecarts import evolution_ecart
from osq_utils.present.ecarts import phrase_evolution, position

NBSP = "\u00a0"
def _rows(gaps: dict[int, float | None]) -> pd.DataFrame:
    return pd.DataFrame({"annee": list(gaps), "ecart": [g if g is not None else float("nan") for g in gaps.values()],
                         "statut_ecart": ["ok" if g is not None else "absent" for g in gaps.values()]})


def test_wording_reduced_widened_stable(glossaire):
    rate = glossaire["taux_pauvrete"]
    reduced = evolution_ecart(_rows({2016: 30.0, 2017: None, 2019: 28.8}), rate)
    assert phrase_evolution(reduced, rate).startswith(f"l'écart s'est réduit de 1,2{NBSP}point entre 2016 et 2019")
    assert reduced.annees_manquantes == (2017,)
    widened = evolution_ecart(_rows({2016: 12.6, 2019: 15.1}), rate)
    assert phrase_evolution(widened, rate).startswith(f"l'écart s'est creusé de 2,5{NBSP}points")
    stable = evolution_ecart(_rows({2016: 20.0, 2019: 20.4}), rate)
    assert stable.tendance == "stable"
    assert f"est resté stable entre 2016 et 2019 (de +20,0{NBSP}points à +20,4{NBSP}points)" in phrase_evolution(stable, rate)
    # 0.5 point exactly is not stable: the threshold is strict and documented in the note.
    assert evolution_ecart(_rows({2016: 20.0, 2019: 20.5}), rate).tendance == "creuse"
    # Below the agglomeration (negative gap): a gap that gets closer to 0 is reduced.
    assert evolution_ecart(_rows({2016: -5.0, 2019: -3.0}), rate).tendance == "reduit"
    assert evolution_ecart(_rows({2016: -1.0, 2019: 1.0}), rate).tendance == "inverse"
    assert evolution_ecart(_rows({2016: None, 2019: None}), rate).tendance == "aucune"
    median = glossaire["revenu_median"]
    assert evolution_ecart(_rows({2016: 0.661, 2019: 0.668}), median).tendance == "stable"
    assert evolution_ecart(_rows({2016: 0.74, 2019: 0.72}), median).tendance == "creuse"


def test_sens_only_words_the_situation(glossaire):
    assert position(41.1, glossaire["taux_pauvrete"]) == "une situation moins favorable que dans l'agglomération"
    assert position(0.64, glossaire["revenu_median"]) == "une situation moins favorable que dans l'agglomération"
    assert position(30.2, glossaire["part_prestations_sociales"]) == ""  # sens neutre
