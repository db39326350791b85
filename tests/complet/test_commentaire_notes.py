"""The automatic commentary of 100 notes of the four observatories' territories, read like a reviewer would: every
figure a sentence quotes is a cell of the note's comparison table (the table's HTML, rendered by great-tables), every
gap is the one those printed figures give, and every direction word (dépasse, inférieure, proche…) agrees with them.
The whole mirror is ingested (the national store); the notes' texts are written as the templates write them."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal

import pytest
from bs4 import BeautifulSoup

from osq_utils import indicateurs, territoires
from osq_utils.notes import commentaire as commentaires
from osq_utils.notes import quartier as quartiers
from osq_utils.present import blocs, tables
from osq_utils.present.commentaire import MOTS_CAUSAUX

NBSP, NNBSP = "\u00a0", "\u202f"
# A figure quoted in parentheses: « (22 %) », « (18 520 €) », « (13,0 % (e)) », « (-0,3 %) ».
VALEUR = re.compile(r"\((-?\d[\d\u202f\u00a0,]*(?:\u00a0(?:%|€|‰))?(?:\u00a0\(e\))?)\)")
POINTS = re.compile(r"(\d+(?:,\d+)?)\u00a0points?")
POURCENT = re.compile(r"(\d[\d\u202f]*)\u00a0%")
HAUT, BAS, PROCHE = ("dépasse", "au-dessus"), ("inférieure", "en dessous"), ("proche", "la même", "égale", "même niveau")


def _nombre(text: str) -> float:
    core = text.replace("(e)", "").replace("%", "").replace("€", "").replace("‰", "")
    return float(core.replace(NNBSP, "").replace(NBSP, "").replace(" ", "").replace(",", "."))


def _decimales(text: str) -> int:
    return len(text.split(",")[1]) if "," in text else 0


def _arrondi(x: float, d: int) -> float:
    return float(Decimal(str(x)).quantize(Decimal(1).scaleb(-d), rounding=ROUND_HALF_UP))


def _cellules(gt) -> set[str]:
    soup = BeautifulSoup(gt.as_raw_html(), "html.parser")
    return {td.get_text(" ", strip=True).replace(" (e)", f"{NBSP}(e)") for td in soup.select("tbody td")}


def _phrases(text: str) -> list[str]:
    text = text.replace("\n- ", "\n")
    return [s.strip() for s in re.split(r"(?<=\.)\s+|\n+", text) if s.strip()]


def _echantillon(con) -> list[tuple[str, str]]:
    """100 notes: communes of the CAPSO, of Saint-Étienne Métropole and of the Val-de-Marne, and QPVs of the
    three (2015 geography)."""
    notes = [("commune", c) for c in sorted(territoires.communes_of(con, "epci", "200069037"))[:30]]
    notes += [("commune", c) for c in sorted(territoires.communes_of(con, "epci", "244200770"))[:25]]
    notes += [("commune", c) for c in sorted(territoires.communes_of(con, "departement", "94"))[:25]]
    qpv = [r[0] for r in con.execute(
        "SELECT DISTINCT code FROM appartenances WHERE niveau = 'qpv' AND code LIKE 'QP%' AND niveau_parent = 'commune' "
        "AND (code_parent LIKE '62%' OR code_parent LIKE '42%' OR code_parent LIKE '94%') ORDER BY code").fetchall()]
    notes += [("qpv", q) for q in qpv[:20]]
    return notes


def _note(ctx, niveau: str, code: str):
    """The comparison grid, its table's cells and the commentary of one note, as its template writes them."""
    if niveau == "qpv":
        quartier = quartiers.quartier(ctx.vue, code)
        obs = quartiers.observations_qpv(ctx.vue, quartier, quartiers.COMPARABLES)
        refs = quartier.references
        comp = quartiers.comparison(obs, refs, quartiers.COMPARABLES, len(quartier.communes))
    else:
        refs = indicateurs.references_of_commune(ctx.vue, code)
        comp = indicateurs.comparison(ctx.vue, refs, ctx.glossaire.of_level("commune"))
    faits = commentaires.faits(ctx.vue, comp, refs)
    texte = (commentaires.synthese(ctx, comp, refs, "synthese,lecture", faits) + "\n"
             + commentaires.lecture(ctx, comp, refs, "synthese,lecture", faits))
    cellules = _cellules(tables.tableau_comparaison(ctx, comp, titre="t"))
    return comp, texte, cellules


def _verifie_phrase(phrase: str, unite: str | None, note: str) -> int:
    """Check one sentence against the figures it quotes; returns 1 when it compared two figures."""
    valeurs = VALEUR.findall(phrase)
    if len(valeurs) != 2 or "du total" in phrase:
        return 0
    corps = phrase.split(" : ", 1)[-1]
    sujet, ref = (valeurs[1], valeurs[0]) if corps.lower().startswith("face ") else (valeurs[0], valeurs[1])
    v, vr = _nombre(sujet), _nombre(ref)
    sans_valeurs = VALEUR.sub("", phrase)
    if any(w in corps for w in PROCHE):
        mots = "proche"
    elif any(w in corps for w in HAUT):
        mots = "haut"
    else:
        assert any(w in corps for w in BAS), f"{note} : aucun mot de sens dans « {phrase} »"
        mots = "bas"
    if unite == "%":  # a gap in points: the difference of the printed figures
        d = max(_decimales(sujet), _decimales(ref))
        diff = _arrondi(v - vr, d)
        if mots == "proche" and ("même" in corps or "égale" in corps):
            assert diff == 0, f"{note} : « {phrase} »"
        elif mots == "proche":
            assert abs(diff) < 0.5 and _nombre(POINTS.search(sans_valeurs).group(1)) == abs(diff), f"{note} : « {phrase} »"
        else:
            assert abs(diff) >= 0.5 and (diff > 0) == (mots == "haut"), f"{note} : sens faux dans « {phrase} »"
            assert _nombre(POINTS.search(sans_valeurs).group(1)) == abs(diff), f"{note} : écart faux dans « {phrase} »"
    else:  # a ratio, written as the percentage the printed ratio gives
        rapport = _arrondi(v / vr, 2)
        if mots != "proche":
            assert (rapport > 1) == (mots == "haut"), f"{note} : sens faux dans « {phrase} »"
            ecrit = _nombre(POURCENT.search(sans_valeurs).group(1))
            assert ecrit == abs(_arrondi((rapport - 1) * 100, 0)), f"{note} : écart faux dans « {phrase} »"
        else:
            assert abs(rapport - 1) < 0.02 + 1e-9, f"{note} : « {phrase} »"
    return 1


def test_every_figure_and_direction_of_100_notes_agrees_with_their_tables(store_file):
    ctx = blocs.contexte(str(store_file), "../glossaire.html", "public", "")
    notes = _echantillon(ctx.vue)
    assert len(notes) == 100
    comparees = 0
    for niveau, code in notes:
        comp, texte, cellules = _note(ctx, niveau, code)
        note = f"note {niveau} {code}"
        assert texte.strip(), f"{note} : aucun commentaire"
        assert not any(m in texte.lower() for m in MOTS_CAUSAUX), note
        # every quoted figure is a cell of the note's comparison table
        for valeur in VALEUR.findall(texte):
            assert valeur in cellules, f"{note} : « {valeur} » n'est pas dans le tableau"
        libelles = {ctx.glossaire[c].libelle: ctx.glossaire[c].unite for c in comp["indicateur"].unique()}
        unite = None
        for phrase in _phrases(texte):
            head = phrase.split(" : ", 1)[0].split(", en ")[0]
            if head in libelles:
                unite = libelles[head]
            comparees += _verifie_phrase(phrase, unite, note)
    # thousands of comparisons were checked, not a handful
    assert comparees > 3000, comparees


@pytest.mark.parametrize("valeur, sections", [("synthese,lecture", {"synthese", "lecture"}), ("", set()),
                                              ("lecture", {"lecture"}), (False, set()), (True, {"synthese", "lecture"})])
def test_commentary_sections_follow_the_parameter(valeur, sections):
    assert commentaires.sections(valeur) == sections
