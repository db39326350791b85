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
from osq_utils.notes import communale
from osq_utils.notes import epci as agglomeration
from osq_utils.notes import quartier as quartiers
from osq_utils.present import blocs, charts, fr, tables
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
        cles = quartiers.CHIFFRES_CLES
    else:
        refs = indicateurs.references_of_commune(ctx.vue, code)
        comp = indicateurs.comparison(ctx.vue, refs, ctx.glossaire.of_level("commune"))
        cles = communale.CHIFFRES_CLES
    faits = commentaires.faits(ctx.vue, comp, refs)
    texte = (commentaires.synthese(ctx, comp, refs, "synthese,lecture", faits) + "\n"
             + commentaires.lecture(ctx, comp, refs, "synthese,lecture", faits, cles))
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
    if "nulle" in corps or "à zéro" in corps:  # a figure other than a rate at zero
        assert v == 0 and vr > 0 and unite != "%", f"{note} : « {phrase} »"
        return 1
    if " fois " in corps:  # a ratio of 2 or more, « 2,3 fois »: the printed ratio, to one decimal
        rapport = _arrondi(v / vr, 2)
        ecrit = _nombre(re.search(r"(\d[\d\u202f]*(?:,\d)?) fois", sans_valeurs).group(1))
        assert rapport >= 2 and ecrit == _arrondi(rapport, 1), f"{note} : multiple faux dans « {phrase} »"
        return 1
    if any(w in corps for w in PROCHE):
        mots = "proche"
    elif any(w in corps for w in HAUT):
        mots = "haut"
    else:
        assert any(w in corps for w in BAS), f"{note} : aucun mot de sens dans « {phrase} »"
        mots = "bas"
    if unite == "%":  # a gap in points: the difference of the printed figures, to the coarser one's decimals
        d = min(_decimales(sujet), _decimales(ref))
        diff = _arrondi(v - vr, d)
        if mots == "proche" and ("même" in corps or "égale" in corps):
            assert v == vr, f"{note} : « {phrase} »"
        elif mots == "proche" and "moins d" in corps:  # « à moins d'un point près »: printed apart, rounding to 0
            assert diff == 0 and v != vr, f"{note} : « {phrase} »"
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
        elif "même" in corps or "égale" in corps:
            assert v == vr, f"{note} : « {phrase} »"
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
    # thousands of comparisons were checked, not a handful (2 335 on 2026-12-02, the reading keeping per theme the
    # key figures and the three most notable indicators)
    assert comparees > 2000, comparees


@pytest.mark.parametrize("valeur, sections", [("synthese,lecture", {"synthese", "lecture"}), ("", set()),
                                              ("lecture", {"lecture"}), (False, set()),
                                              (True, {"synthese", "lecture", "evolution", "communes"})])
def test_commentary_sections_follow_the_parameter(valeur, sections):
    assert commentaires.sections(valeur) == sections


# --- « Ce que montre le graphique » (commune notes) and « Les communes qui se distinguent » (EPCI notes) --------

VERBES = {"s'est réduit": "reduit", "s'est creusé": "creuse", "s'est inversé": "inverse", "est resté stable": "stable"}
PHRASE_ECART = re.compile(r"^(?:L'écart|Il) (s'est réduit|s'est creusé|s'est inversé|est resté stable) face (.*)\.$")
ITEM = re.compile(r"(?:à la |à l'|au |aux |à )([^()]+?) \(([^()]*)\)")
# « +3,0 points en 2014 », « 94 % de son niveau en 2016 », « 95 % en 2019 »
# « - **Saint-Omer** (14 661 habitants), part des ménages propriétaires… : la valeur de Saint-Omer (31,8 %)… »
BULLET = re.compile(r"^- \*\*(.+?)\*\*(?: \(([^)]*)\))?, (.+?) : (.*)$")
CHIFFRE_ANNEE = re.compile(r"([+-]?\d[\d\u202f]*(?:,\d+)?)\u00a0(?:%|points?)(?: de son niveau)? en (\d{4})")


def _table_series(gt) -> dict[tuple[str, str, int], str]:
    """(indicator label, territory, year) -> cell of a series table (present.tables.tableau_series)."""
    soup = BeautifulSoup(gt.as_raw_html(), "html.parser")
    years = [int(th.get_text(strip=True)) for th in soup.select("thead th") if th.get_text(strip=True).isdigit()]
    out, groupe = {}, ""
    for tr in soup.select("tbody tr"):
        cells = [td.get_text(" ", strip=True) for td in tr.find_all(["td", "th"])]
        if len(cells) == 1:
            groupe = cells[0].rsplit(" (", 1)[0]
            continue
        for y, c in zip(years, cells[1:]):
            out[(groupe, cells[0], y)] = c.replace(" (e)", f"{NBSP}(e)")
    return out


def _tendance(a: float, b: float, en_points: bool) -> str:
    centre = 0.0 if en_points else 1.0
    if (a - centre) * (b - centre) < 0:
        return "inverse"
    variation = round(abs(b - centre) - abs(a - centre), 2 if not en_points else 1)
    seuil = 0.5 if en_points else 0.02
    return "stable" if abs(variation) < seuil - 1e-9 else ("reduit" if variation < 0 else "creuse")


def _verifie_evolution(texte: str, cellules: dict, sujet: str, note: str) -> int:
    """Every figure of the evolution commentary is a cell of the series table (or the gap those cells give), and
    every verb (réduit, creusé, inversé, resté stable) agrees with them. Returns the gaps checked."""
    verifies = 0
    for paragraphe in texte.split("\n\n"):
        phrases = re.split(r"(?<=\.) (?=L'écart|Il )", paragraphe)
        head = phrases[0]
        libelle = next((lab for (lab, _, _) in cellules if head.startswith(lab + " ") or head.startswith(lab + " :")), None)
        if libelle is None:
            continue
        # the subject's own figures: « 17 103 € en 2014 »
        for valeur, annee in re.findall(r"(-?\d[\d\u202f]*(?:,\d+)?\u00a0(?:€|%|‰)(?:\u00a0\(e\))?) (?:en (\d{4}))", head):
            assert cellules.get((libelle, sujet, int(annee))) == valeur, f"{note} : « {valeur} en {annee} » ({libelle})"
        for phrase in phrases[1:]:
            m = PHRASE_ECART.match(phrase)
            assert m, f"{note} : phrase d'écart inattendue « {phrase} »"
            verbe = VERBES[m.group(1)]
            for nom, detail in ITEM.findall(m.group(2)):
                ref = next(t for (lab, t, _) in cellules if lab == libelle and t != sujet and t.lower() == nom.lower())
                chiffres = CHIFFRE_ANNEE.findall(detail)
                if "comme en" in detail:
                    chiffres.append((chiffres[0][0], re.search(r"comme en (\d{4})", detail).group(1)))
                assert len(chiffres) == 2, f"{note} : « {detail} »"
                points = "point" in detail
                ecarts = []
                for ecrit, annee in chiffres:
                    v, vr = (_nombre(cellules[(libelle, t, int(annee))]) for t in (sujet, ref))
                    cell_dec = min(_decimales(cellules[(libelle, t, int(annee))].split(NBSP)[0]) for t in (sujet, ref))
                    calcule = _arrondi(v - vr, cell_dec) if points else _arrondi(v / vr, 2)
                    attendu = calcule if points else _arrondi(calcule * 100, 0)
                    assert _nombre(ecrit) == attendu, f"{note} : écart « {ecrit} » en {annee} face à {ref}, attendu {attendu}"
                    ecarts.append(calcule)
                assert _tendance(ecarts[0], ecarts[1], points) == verbe, f"{note} : « {m.group(1)} » faux face à {ref}"
                verifies += 1
    return verifies


def test_the_evolution_commentary_of_80_commune_notes_agrees_with_its_series_table(store_file):
    ctx = blocs.contexte(str(store_file), "../glossaire.html", "public", "")
    communes = [code for niveau, code in _echantillon(ctx.vue) if niveau == "commune"]
    assert len(communes) == 80
    ecarts, phrases = 0, 0
    for code in communes:
        refs = indicateurs.references_of_commune(ctx.vue, code)
        series = charts.series_evolution(ctx, refs, communale.EVOLUTION)
        texte = commentaires.evolution(ctx, refs, series)
        cellules = _table_series(tables.tableau_series(series, titre="t", source_note="s"))
        note = f"note communale {code}"
        assert not any(m in texte.lower() for m in MOTS_CAUSAUX), note
        phrases += texte.count(" en hausse") + texte.count(" en baisse") + texte.count("quasi stable")
        ecarts += _verifie_evolution(texte, cellules, refs[0].libelle, note)
    assert phrases >= 80 and ecarts >= 150, (phrases, ecarts)


def test_the_communes_that_stand_out_of_12_intercommunalities_agree_with_their_table(store_file):
    ctx = blocs.contexte(str(store_file), "../glossaire.html", "public", "")
    epcis = ["200069037", "244200770"] + [r[0] for r in ctx.vue.execute(
        "SELECT DISTINCT code_parent FROM appartenances WHERE niveau = 'commune' AND niveau_parent = 'epci' "
        "AND (code LIKE '62%' OR code LIKE '94%' OR code LIKE '42%') AND code_parent NOT IN ('200069037', '244200770') "
        "ORDER BY code_parent LIMIT 10").fetchall()]
    cites = 0
    for code in epcis:
        epci = agglomeration.references_of_epci(ctx.vue, code)[0]
        cote = agglomeration.communes_cote_a_cote(ctx.vue, epci, agglomeration.COTE_A_COTE)
        texte = commentaires.communes(ctx, epci, cote)
        cellules = _cellules(tables.cote_a_cote_table(cote, ctx.glossaire, titre="t", source_note="s"))
        note = f"note d'intercommunalité {code}"
        for ligne in texte.splitlines():
            if not ligne.startswith("- **"):
                continue
            cites += 1
            m = BULLET.match(ligne)
            assert m, f"{note} : « {ligne} »"
            population, libelle, phrase = m.group(2), m.group(3), m.group(4).split(" ; ")[0]
            if population:
                assert population.split(NBSP)[0] in cellules, f"{note} : population « {population} »"
            for valeur in VALEUR.findall(ligne):
                assert valeur in cellules, f"{note} : « {valeur} » n'est pas dans le tableau des communes"
            unite = next(ctx.glossaire[c].unite for c in agglomeration.COTE_A_COTE
                         if fr.minuscule(ctx.glossaire[c].libelle) == libelle)
            assert _verifie_phrase(phrase, unite, note) == 1, f"{note} : « {phrase} »"
        assert not any(m in texte.lower() for m in MOTS_CAUSAUX), note
    # 21 communes cited on 2026-12-02 (communes under 2 000 inhabitants are never cited)
    assert cites >= 15, cites
