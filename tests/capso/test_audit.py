
"""`osq audit`: a masked value never reaches a published page, export, search index or notebook.

Each test runs on two real builds: the five-note builds (tests/capso/conftest.py, printable versions
included, Arques' note 62040 among them) with pandoc and with Quarto.
Their pages show no secret cell, so real cells are masked in a copy of the site as the build would mask them
(`s` on the pages, empty export rows, and the page's entries of Quarto's search index), once per renderer, with
the ledger of their true values next to it; each test plants leaks in its own copy of that masked site and
checks that the audit names the page and the value. Issue 13's leak kinds (a reworded sentence, a short label, an
IRIS code, an HTML comment, an alt text, stray .json/.md/.tmp files, the search index, a notebook, a Word version,
every printed form of a number) each have a test, as have a value of another territory (not a leak), the report of
what was searched, and an empty ledger (why no value needed masking, or a failure).
"""

from __future__ import annotations

import html
import json
import shutil
from pathlib import Path

import pandas as pd
import pypandoc
import pytest
from audit_convention import durcir_aah
from bs4 import BeautifulSoup

from osq_utils.batch import audit as A
from osq_utils.catalogues.glossaire import load_glossaire
from osq_utils.catalogues.racine import chemin_donnees
from osq_utils.secret import registre

NNBSP, NBSP = "\u202f", "\u00a0"

PAGE = "notes/communale-62040.html"  # Arques
# Real cells of the Arques note, with their published values:
# Insee, comparateur de territoires RP2018, row 62040: P18_ACT1564 / P18_POP1564 = 4 215 / 5 967 (activity rate of the
# 15-64, 70,6 %); Insee, cc_filosofi_2021_COM.csv, row 62040: MED21 = 19590 (€).
ACTIVITE = ("commune", "62040", "taux_activite_15_64", 2018)
MEDIAN = ("commune", "62040", "revenu_median", 2021)
# Insee, FILO2019_DISP_COM.csv, row 62040: Q219 = 18520 (€): the year of the comparison table, where the EPCI,
# the département and France have theirs too (the key figure shows the latest year, 2021).
MEDIAN_TABLEAU = ("commune", "62040", "revenu_median", 2019)
# Insee, base permanente des équipements 2019: 7 general practitioners in Arques (D201).
MEDECINS = ("commune", "62040", "medecins_generalistes", 2019)


def _export(site: Path) -> pd.DataFrame:
    return pd.read_csv(site / "donnees" / "chiffres.csv", sep=";", dtype=str, keep_default_na=False,
                       encoding="utf-8-sig")


def _row(df: pd.DataFrame, key) -> pd.Series:
    niveau, code, ind, annee = key
    hit = df[(df.niveau == niveau) & (df.code == code) & (df.indicateur == ind) & (df.annee == str(annee))]
    assert len(hit) == 1, key
    return hit.iloc[0]


def _ledger_rows(site: Path, keys, valeurs: dict | None = None) -> pd.DataFrame:
    glossaire = load_glossaire()
    df = _export(site)
    rows = []
    for key in keys:
        r = _row(df, key)
        valeur = (valeurs or {}).get(key, float(r.valeur.replace(",", ".")))
        rows.append(dict(niveau=r.niveau, code=r.code, territoire=r.territoire, indicateur=r.indicateur,
                         indicateur_libelle=r.indicateur_libelle, unite=r.unite,
                         decimales=glossaire[r.indicateur].decimales, annee=int(r.annee), valeur=valeur))
    return pd.DataFrame(rows)


def _table_cell(soup, indicateur: str, territoire: str):
    """The comparison-table cell of (indicator row, territory column)."""
    for table in soup.find_all("table"):
        heads = [th.get_text(" ", strip=True) for th in table.select("tr.gt_col_headings th")]
        if territoire not in heads:
            continue
        col = heads.index(territoire)
        for tr in table.find_all("tr"):
            cells = tr.find_all("td")
            if cells and cells[0].find("a", href=lambda h: h and h.endswith("#" + indicateur)):
                return cells[col]
    raise AssertionError(f"pas de cellule {indicateur} × {territoire}")


def _sans_commentaire(soup, indicateur: str) -> None:
    """Remove what the automatic commentary says about an indicator of Arques (a build with the figure masked
    writes no sentence on it: notes.commentaire reads the masked grid and series)."""
    libelle = load_glossaire()[indicateur].libelle
    for el in soup.select("main li, main p"):
        text = el.get_text(" ", strip=True).replace("\u2019", "'")
        if text.startswith((f"{libelle},", f"{libelle} :", f"{libelle} d'", f"{libelle} de ")):
            el.decompose()


def _cellule_serie(soup, indicateur: str, territoire: str, annee: int):
    """The cell of the evolution chart's table (present.tables.tableau_series): the indicator's group, the
    territory's row, the year's column."""
    libelle = load_glossaire()[indicateur].libelle
    for table in soup.find_all("table"):
        heads = [th.get_text(" ", strip=True) for th in table.select("tr.gt_col_headings th")]
        if str(annee) not in heads:
            continue
        groupe = None
        for tr in table.find_all("tr"):
            if tr.select_one(".gt_group_heading"):
                groupe = tr.get_text(" ", strip=True)
                continue
            cells = tr.find_all(["td", "th"])
            if groupe and groupe.startswith(libelle) and cells and cells[0].get_text(strip=True) == territoire:
                return cells[heads.index(str(annee))]
    raise AssertionError(f"pas de cellule {indicateur} × {territoire} × {annee} dans le tableau d'un graphique")


def _masquer_carte(soup, code: str, libelle: str) -> None:
    """What a masked build draws for a territory on an interactive map (present.interactif): its area hatched and
    named « secret statistique », never its value, on the map and in the map's table."""
    texte = f"{libelle} : secret statistique"
    for el in soup.select(f'.osq-carte [data-osq-code="{code}"]'):
        el["aria-label"] = el["data-osq-info"] = texte
        if el.find("title"):
            el.find("title").string = texte
    for th in soup.select(".osq-carte table tbody th"):
        if th.get_text(strip=True) == libelle:
            th.find_next_sibling("td").string = "secret statistique"


def _sans_points(soup, panneau: str, territoire: str, annees: list[int]) -> None:
    """A masked year is not drawn on an evolution chart (present.interactif.courbes_svg): no point for it."""
    for svg in soup.select(f'.osq-interactif svg[aria-label^="{panneau}"]'):
        for annee in annees:
            for el in svg.select(f'[data-osq-info^="{territoire}, {annee} :"]'):
                el.decompose()


def _masquer_comparaison(site: Path, keys) -> None:
    """The comparison page's data (batch.comparaison: each territory's latest year) as a masked build writes it
    for these (niveau, code, indicateur, année): « s », never the value."""
    path = site / "donnees" / "comparaison.js"
    prefixe, corps = path.read_text(encoding="utf-8").split("=", 1)
    data = json.loads(corps.strip().rstrip(";"))
    for niveau, code, ind, annee in keys:
        for terr in data["territoires"]:
            cell = terr["valeurs"].get(ind) if (terr["niveau"], terr["code"]) == (niveau, code) else None
            if cell and cell[1] == annee:
                terr["valeurs"][ind] = ["s", annee, "secret"]
    path.write_text(f"{prefixe}= {json.dumps(data, ensure_ascii=False)};\n", encoding="utf-8")


def _kpi_value(soup, indicateur: str):
    for kpi in soup.select("div.kpi"):
        if kpi.find("a", href=lambda h: h and h.endswith("#" + indicateur)):
            return kpi.select_one(".kpi-valeur")
    raise AssertionError(f"pas de chiffre clé {indicateur}")


def _edit_page(site: Path, edit) -> None:
    path = site / PAGE
    soup = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
    edit(soup)
    path.write_text(str(soup), encoding="utf-8")


def _set_exports(site: Path, changes: dict) -> dict:
    """Write export rows (CSV and Excel), key -> (valeur, statut), in one pass; returns their CSV line numbers."""
    df = _export(site)
    lines = {}
    for key, (valeur, statut) in changes.items():
        i = _row(df, key).name
        df.loc[i, ["valeur", "numerateur", "denominateur"]] = [valeur, "", ""]
        df.loc[i, "statut"] = statut
        lines[key] = int(i) + 2
    df.to_csv(site / "donnees" / "chiffres.csv", sep=";", index=False, encoding="utf-8-sig")
    sheets = pd.read_excel(site / "donnees" / "chiffres.xlsx", sheet_name=None, dtype=str, engine="calamine")
    sheets["chiffres"] = df.replace("", None)
    with pd.ExcelWriter(site / "donnees" / "chiffres.xlsx", engine="openpyxl") as writer:
        for name, sheet in sheets.items():
            sheet.to_excel(writer, sheet_name=name, index=False)
    return lines


def _set_export(site: Path, key, valeur: str, statut: str) -> int:
    """Write one export row; returns its CSV line number."""
    return _set_exports(site, {key: (valeur, statut)})[key]


def _search_entry(site: Path, href: str, title: str) -> dict:
    main = BeautifulSoup((site / href).read_text(encoding="utf-8"), "html.parser").find("main")
    return {"href": href, "title": title, "section": "", "text": main.get_text(" ", strip=True)}


def _reindexer(site: Path) -> None:
    """Quarto's index: the masked pages' text (Arques' note, the home page and its map), as Quarto would index it."""
    if (site / "search.json").exists():
        docs = [d for d in json.loads((site / "search.json").read_text(encoding="utf-8"))
                if not d["href"].startswith(("notes/", "index.html"))]
        entries = [_search_entry(site, PAGE, "Arques"), _search_entry(site, "index.html", "Accueil")]
        (site / "search.json").write_text(json.dumps([*docs, *entries], ensure_ascii=False), encoding="utf-8")


@pytest.fixture(scope="module", params=["pandoc", "quarto"])
def construit_masque(request, tmp_path_factory) -> tuple[Path, Path]:
    """(build folder, masked copy of its site): a copy of the real site where Arques' activity rate, median income
    (2021 in the key figures, 2019 in the table) and GP count are masked. Made once per renderer; each test works
    on its own copy (fixture `masked`)."""
    construit = request.getfixturevalue(f"cinq_notes_{request.param}")
    site = tmp_path_factory.mktemp(f"masque-{request.param}") / "essai" / "site"
    shutil.copytree(construit / "site", site)
    # Arques' note alone: the other notes and the printable versions show the same cells (the audit reports
    # them, rightly: test_printed_versions_and_other_notes_are_read).
    for other in (site / "notes").iterdir():
        if other.name not in (PAGE.removeprefix("notes/"), "communale-62040_files"):
            shutil.rmtree(other) if other.is_dir() else other.unlink()
    keys = [ACTIVITE, MEDIAN, MEDIAN_TABLEAU, MEDECINS]
    ledger = _ledger_rows(site, keys)
    ledger.to_csv(site.parent / "masques-public.csv", sep=";", index=False, encoding="utf-8")

    def mask(soup):
        for ind in ("taux_activite_15_64", "revenu_median", "medecins_generalistes"):
            _table_cell(soup, ind, "Arques").string = "s"
            _sans_commentaire(soup, ind)
        _kpi_value(soup, "revenu_median").string = "s"
        for annee in (2019, 2021):  # the evolution chart's table shows both masked years
            _cellule_serie(soup, "revenu_median", "Arques", annee).string = "s"
        _sans_points(soup, "Niveau de vie médian", "Arques", [2019, 2021])  # ... and so does the chart
        _masquer_carte(soup, "62040", "Arques")  # the intercommunality's map of median incomes (2021)

    _edit_page(site, mask)
    # The home page's map of median incomes (2021) and the comparison page's data.
    index = BeautifulSoup((site / "index.html").read_text(encoding="utf-8"), "html.parser")
    _masquer_carte(index, "62040", "Arques")
    (site / "index.html").write_text(str(index), encoding="utf-8")
    _masquer_comparaison(site, keys)
    _set_exports(site, {key: ("", "secret") for key in keys})
    _reindexer(site)
    return construit, site


@pytest.fixture
def construit(construit_masque) -> Path:
    """The build folder (site/, notebooks/) of each renderer."""
    return construit_masque[0]


@pytest.fixture
def masked(construit_masque, tmp_path):
    """This test's own copy of the masked site, with its ledger."""
    site = tmp_path / "essai" / "site"
    shutil.copytree(construit_masque[1].parent, site.parent)
    return site, registre.lire(site.parent / "masques-public.csv")


def test_ledger_holds_the_real_published_values(masked):
    site, ledger = masked
    values = {(r.code, r.indicateur, r.annee): r.valeur for r in ledger.itertuples()}
    assert values[("62040", "taux_activite_15_64", 2018)] == pytest.approx(4215 / 5967 * 100)  # P18_ACT1564 / P18_POP1564
    assert values[("62040", "revenu_median", 2021)] == pytest.approx(19590)  # MED21
    assert values[("62040", "revenu_median", 2019)] == pytest.approx(18520)  # Q219
    assert values[("62040", "medecins_generalistes", 2019)] == pytest.approx(7)


def test_masked_site_passes(masked, capsys):
    site, ledger = masked
    assert A.audit(site, ledger) == []
    assert A.main(site) == 0
    assert "aucune" in capsys.readouterr().err.lower()


def test_same_number_elsewhere_is_not_a_leak(masked):
    site, ledger = masked
    soup = BeautifulSoup((site / PAGE).read_text(encoding="utf-8"), "html.parser")
    # Census 2018: the CAPSO's activity rate of the 15-64 (sum of its communes) is 70,6 % too: the masked
    # 70,6 % of Arques is printed in the same row, in another territory's column.
    assert _table_cell(soup, "taux_activite_15_64", "Arques").get_text() == "s"
    assert _table_cell(soup, "taux_activite_15_64", "CA du Pays de Saint-Omer").get_text() == f"70,6{NBSP}%"
    # A masked count equal to the year printed in its own row (value made up for the test: the year
    # column must never be read as a value).
    year_trap = _ledger_rows(site, [("commune", "62040", "pharmacies", 2019)],
                             {("commune", "62040", "pharmacies", 2019): 2019.0})

    def mask(s):
        _table_cell(s, "pharmacies", "Arques").string = "s"
        _sans_commentaire(s, "pharmacies")  # « Pharmacies, en 2019 : … » : a masked build says nothing on it

    _edit_page(site, mask)
    _reindexer(site)
    _set_export(site, ("commune", "62040", "pharmacies", 2019), "", "secret")
    assert A.audit(site, pd.concat([ledger, year_trap], ignore_index=True)) == []
    # ... and the same value in its own cell is caught.
    _edit_page(site, lambda s: setattr(_table_cell(s, "pharmacies", "Arques"), "string", "2019"))
    fuites = A.audit(site, pd.concat([ledger, year_trap], ignore_index=True))
    assert [(f.indicateur, f.valeur) for f in fuites] == [("pharmacies", f"2{NNBSP}019")]


def test_planted_leaks_are_reported(masked, capsys):
    site, ledger = masked
    _edit_page(site, lambda s: setattr(_table_cell(s, "taux_activite_15_64", "Arques"), "string",
                                       f"70,6{NBSP}%"))
    _edit_page(site, lambda s: setattr(_kpi_value(s, "revenu_median"), "string", f"19{NNBSP}590{NBSP}€"))
    _edit_page(site, lambda s: setattr(_table_cell(s, "medecins_generalistes", "Arques"), "string", "7"))
    line = _set_export(site, MEDIAN, "19590,0", "ok")

    fuites = A.audit(site, ledger)
    found = {(f.fichier, f.indicateur, f.valeur, f.emplacement.split(" «")[0]) for f in fuites}
    assert found == {
        (PAGE, "taux_activite_15_64", f"70,6{NBSP}%", "tableau"),
        (PAGE, "revenu_median", f"19{NNBSP}590{NBSP}€", "chiffre clé"),
        (PAGE, "medecins_generalistes", "7", "tableau"),
        ("donnees/chiffres.csv", "revenu_median", f"19{NNBSP}590{NBSP}€", f"export CSV ligne {line}, colonne(s) valeur"),
        ("donnees/chiffres.xlsx", "revenu_median", f"19{NNBSP}590{NBSP}€", f"export Excel ligne {line}, colonne(s) valeur"),
    }
    table_leak = next(f for f in fuites if f.indicateur == "taux_activite_15_64")
    assert "ligne « Taux d'activité des 15-64 ans »" in table_leak.emplacement
    assert "colonne « Arques »" in table_leak.emplacement
    assert table_leak.territoire == "Arques" and table_leak.annee == 2018

    assert A.main(site) == 1
    err = capsys.readouterr().err
    assert PAGE in err and "19" in err and "Échec de l'audit" in err


def test_maps_charts_and_comparison_data_are_read(masked, construit):
    """The interactive figures' texts (hover, focus, their tables) and the comparison page's data are read."""
    site, ledger = masked
    # The real (unmasked) build's files, where Arques' median income of 2021 is published.
    shutil.copy(construit / "site" / "donnees" / "comparaison.js", site / "donnees" / "comparaison.js")
    index = (construit / "site" / "index.html").read_text(encoding="utf-8")
    assert f"Arques : 19{NNBSP}590{NBSP}€" in html.unescape(index)
    (site / "index.html").write_text(index, encoding="utf-8")
    _edit_page(site, lambda s: s.select_one('#fig-evolution svg[aria-label^="Niveau de vie médian"]').append(
        BeautifulSoup(f'<circle tabindex="0" role="img" aria-label="Arques, 2021 : 19{NNBSP}590{NBSP}€" '
                      f'data-osq-info="Arques, 2021 : 19{NNBSP}590{NBSP}€"/>', "html.parser")))
    found = {(f.fichier, f.indicateur) for f in A.audit(site, ledger)}
    assert {("donnees/comparaison.js", "revenu_median"), ("donnees/comparaison.js", "taux_activite_15_64"),
            ("index.html", "revenu_median"), (PAGE, "revenu_median")} <= found, found


def test_search_index_and_shipped_notebook(masked, construit):
    site, ledger = masked
    # Quarto's search index of the masked page: no leak; of the original page: the values leak.
    (site / "search.json").write_text(json.dumps([_search_entry(site, PAGE, "Arques")], ensure_ascii=False),
                                      encoding="utf-8")
    assert A.audit(site, ledger) == []
    (site / "search.json").write_text(json.dumps([_search_entry(construit / "site", PAGE, "Arques")],
                                                 ensure_ascii=False), encoding="utf-8")
    leaks = {(f.fichier, f.indicateur) for f in A.audit(site, ledger)}
    assert leaks == {("search.json", "taux_activite_15_64"), ("search.json", "revenu_median"),
                     ("search.json", "medecins_generalistes")}
    (site / "search.json").unlink()

    # The executed notebook holds the unmasked outputs: shipping it leaks every masked value.
    notebook = next((construit / "notebooks").rglob("communale-62040.ipynb"))
    shutil.copy(notebook, site / "notes" / "communale-62040.ipynb")
    fuites = A.audit(site, ledger)
    assert {f.indicateur for f in fuites if f.fichier == "notes/communale-62040.ipynb"} == {
        "taux_activite_15_64", "revenu_median", "medecins_generalistes"}
    assert any("chiffre clé" in f.emplacement and f.valeur == f"19{NNBSP}590{NBSP}€" for f in fuites)


def test_printed_versions_and_other_notes_are_read(masked, construit):
    """Put back the rest of the build (other notes, PDF and Word versions): every artefact showing the
    masked cells is reported, whatever the renderer that published it."""
    site, ledger = masked
    for path in (construit / "site" / "notes").iterdir():
        if not (site / "notes" / path.name).exists():
            shutil.copytree(path, site / "notes" / path.name) if path.is_dir() else shutil.copy(path, site / "notes")
    found = {f.fichier for f in A.audit(site, ledger)}
    assert {"notes/communale-62040.pdf", "notes/communale-62040.docx", "notes/abs-62040-sante.html"} <= found


def test_processes_find_what_one_process_finds(masked, construit, monkeypatch):
    """A large site (a région's: thousands of pages) is read by one process per core: the same leaks, in the
    same order, and the same files counted, as when one process reads it all."""
    site, ledger = masked
    for path in (construit / "site" / "notes").iterdir():
        if not (site / "notes" / path.name).exists():
            shutil.copytree(path, site / "notes" / path.name) if path.is_dir() else shutil.copy(path, site / "notes")
    monkeypatch.setattr(A, "PARALLELE_DES", 10**9)
    seul = A.verifier(site, ledger)
    monkeypatch.setattr(A, "PARALLELE_DES", 0)
    monkeypatch.setattr(A, "PROCESSUS", 2)
    forks = A.verifier(site, ledger)
    assert len(seul.fuites) >= 3  # the PDF, the Word version and the other note of test_printed_versions…
    assert forks.fuites == seul.fuites
    assert (forks.fichiers, forks.non_lus) == (seul.fichiers, seul.non_lus)
    # An unreadable export still stops the audit with its own error.
    (site / "donnees" / "chiffres.xlsx").write_bytes(b"pas un classeur")
    with pytest.raises(Exception) as erreur:
        A.verifier(site, ledger)
    assert not isinstance(erreur.value, AssertionError)


# --------------------------------------------------------------------------- every kind of leak, in any file
# Each test plants one kind of leak that an earlier audit missed (issue 13: on a Val-de-Marne build, leaks were
# caught only when the sentence carried the indicator's exact label) and checks that the audit names its file.

# Insee, base_cc_comparateur RP2018 (comparateur de territoires, janvier 2022), CA du Pays de Saint-Omer: the
# activity rate of the 15-64 is 70,6 % too (the table's CAPSO column, see test_same_number_elsewhere_is_not_a_leak).
CAPSO = "CA du Pays de Saint-Omer"
# Insee, RP 2016 par IRIS (base-ic-logement-2016): Rive Gauche, IRIS 620400101 of Arques, 35,1 % of its dwellings
# are flats (P16_APPART / P16_LOG); read from the build's export.
APPARTEMENTS_IRIS = ("iris", "620400101", "part_appartements", 2016)
# CNAF, data_CAF_2020_IRIS.csv, summed over Saint-Omer's IRIS (osq-calculs): 9 201 people covered by the CAF in 2020.
COUVERTS_SAINT_OMER = ("commune", "62765", "personnes_couvertes_caf", 2020)


def _mask_more(site: Path, ledger: pd.DataFrame, keys) -> pd.DataFrame:
    """Mask more real cells of the CSV export (as the build would: empty rows), with their true values in the
    ledger. The workbook, which holds the same rows, is removed rather than rewritten (seconds of openpyxl)."""
    extra = _ledger_rows(site, keys)
    df = _export(site)
    for key in keys:
        df.loc[_row(df, key).name, ["valeur", "numerateur", "denominateur", "statut"]] = ["", "", "", "secret"]
    df.to_csv(site / "donnees" / "chiffres.csv", sep=";", index=False, encoding="utf-8-sig")
    (site / "donnees" / "chiffres.xlsx").unlink()
    _masquer_comparaison(site, keys)
    full = pd.concat([ledger, extra], ignore_index=True)
    full.to_csv(site.parent / "masques-public.csv", sep=";", index=False, encoding="utf-8")
    return registre.lire(site.parent / "masques-public.csv")


def _add_to_page(site: Path, markup: str, where: str = "main") -> None:
    """Insert raw HTML at the end of the page's main content (or its head)."""
    def edit(soup):
        soup.find(where).append(BeautifulSoup(markup, "html.parser"))
    _edit_page(site, edit)


def _leaks(site: Path, ledger: pd.DataFrame) -> set[tuple[str, str, str]]:
    return {(f.fichier, f.territoire, f.indicateur) for f in A.audit(site, ledger)}


def test_reworded_sentence_without_the_label(masked):
    site, ledger = masked
    ledger = _mask_more(site, ledger, [COUVERTS_SAINT_OMER])
    assert A.audit(site, ledger) == []
    # The sentence (« 758 personnes étaient couvertes par la CAF »), with Saint-Omer's masked count:
    # no label of the glossary (« Personnes couvertes par la CAF ») in it.
    _add_to_page(site, "<p>À Saint-Omer, 9 201 personnes étaient couvertes par la CAF fin 2020.</p>")
    assert _leaks(site, ledger) == {(PAGE, "Saint-Omer", "personnes_couvertes_caf")}


def test_short_label_or_none_on_the_territory_page(masked):
    site, ledger = masked
    # A 7 on Arques' page that is not about its GPs (the masked 7) is not a leak: seven communes of a list.
    _add_to_page(site, "<p>Les 7 communes voisines d'Arques sont présentées plus bas.</p>")
    assert A.audit(site, ledger) == []
    # On Arques' page a sentence need not name Arques; a small count needs a word of its indicator.
    _add_to_page(site, "<p>Généralistes en exercice : 7.</p><p>Niveau de vie : 19 590 €.</p>")
    assert _leaks(site, ledger) == {(PAGE, "Arques", "medecins_generalistes"), (PAGE, "Arques", "revenu_median")}


def test_iris_code_instead_of_its_name(masked):
    site, ledger = masked
    ledger = _mask_more(site, ledger, [APPARTEMENTS_IRIS])
    assert A.audit(site, ledger) == []
    _add_to_page(site, "<p>IRIS 620400101 : 35,1 % des logements sont des appartements.</p>")
    assert _leaks(site, ledger) == {(PAGE, "Rive Gauche", "part_appartements")}
    # ... and with its name, in capitals.
    _edit_page(site, lambda s: s.find("main").find_all("p")[-1].decompose())
    _add_to_page(site, "<p>RIVE GAUCHE : 35,1 %</p>")
    assert _leaks(site, ledger) == {(PAGE, "Rive Gauche", "part_appartements")}


def test_html_comment_and_alt_text(masked):
    site, ledger = masked
    _add_to_page(site, "<!-- à vérifier : Arques 70,6 % (RP 2018) -->", where="head")
    _add_to_page(site, '<img src="carte.png" alt="Carte : la commune compte 19 590 € de niveau de vie médian">')
    found = A.audit(site, ledger)
    assert {(f.indicateur, f.emplacement.split(" «")[0]) for f in found} == {
        ("taux_activite_15_64", "commentaire HTML"), ("revenu_median", "texte alternatif d'une figure")}


def test_stray_json_markdown_and_tmp_files(masked, construit):
    site, ledger = masked
    # A data file left in the site, a draft in markdown, and the page a killed build left half-written.
    (site / "notes" / "communale-62040.json").write_text(json.dumps(
        {"code": "62040", "indicateurs": [{"indicateur": "revenu_median", "annee": 2021, "valeur": 19590.0}]}),
        encoding="utf-8")
    (site / "brouillon.md").write_text("# Notes de travail\n\n## Arques\n\nTaux d'activité : 70,6 % en 2018.\n",
                                       encoding="utf-8")
    shutil.copy(construit / "site" / PAGE, site / "notes" / "communale-62040.html.tmp")
    found = {(f.fichier, f.indicateur) for f in A.audit(site, ledger)}
    assert {("notes/communale-62040.json", "revenu_median"), ("brouillon.md", "taux_activite_15_64")} <= found
    assert {i for f, i in found if f == "notes/communale-62040.html.tmp"} == {
        "taux_activite_15_64", "revenu_median", "medecins_generalistes"}


def test_every_printed_form_of_a_value(masked):
    site, ledger = masked
    # Arques' masked median (19 590 €, 2021) and activity rate (70,6 %, 2018) as OSQ, a spreadsheet, a copy
    # or a script may print them: every kind of space, point or comma, rounded, raw.
    forms = [f"19{NNBSP}590{NBSP}€", f"19{NBSP}590 €", "19\u2009590", "19 590", "19590", "19590.0", "19 590,0 euros",
             "70,6 %", "70.6", f"70,64{NBSP}%", repr(4215 / 5967 * 100), "71 % (activité, arrondi)"]
    _add_to_page(site, "".join(f"<p>Arques (forme {k}) : {form}</p>" for k, form in enumerate(forms)))
    found = {f.emplacement for f in A.audit(site, ledger)}
    missed = [form for k, form in enumerate(forms) if not any(f"(forme {k})" in where for where in found)]
    assert missed == []


def test_value_of_another_territory_is_not_flagged(masked):
    site, ledger = masked
    # The CAPSO's activity rate equals Arques' masked one: printed for the CAPSO, anywhere, it is no leak.
    _add_to_page(site, f"<p>Dans la {CAPSO}, le taux d'activité des 15-64 ans atteint 70,6 % en 2018.</p>"
                       f"<p>Arques : s ; {CAPSO} : 70,6 %.</p>"
                       f"<!-- {CAPSO} (200069037) : 70,6 % -->")
    (site / "comparaison.json").write_text(json.dumps({"code": "200069037", "taux_activite_15_64": 70.6}),
                                           encoding="utf-8")
    (site / "comparaison.md").write_text(f"## {CAPSO}\n\nTaux d'activité des 15-64 ans : 70,6 %.\n", encoding="utf-8")
    assert A.audit(site, ledger) == []
    # The same sentence about Arques is one.
    _add_to_page(site, "<p>À Arques, le taux d'activité des 15-64 ans atteint 70,6 % en 2018.</p>")
    assert _leaks(site, ledger) == {(PAGE, "Arques", "taux_activite_15_64")}


def test_search_index_notebook_and_printable_sentences(masked):
    site, ledger = masked
    (site / "search.json").write_text(json.dumps([{
        "href": PAGE, "title": "Arques", "section": "Santé",
        "text": "Santé\nEn 2019, la commune comptait 7 médecins généralistes."}], ensure_ascii=False), encoding="utf-8")
    (site / "notes" / "brouillon.ipynb").write_text(json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": "code", "metadata": {"tags": ["parameters"]}, "source": ['code_commune = "62040"'],
         "outputs": [], "execution_count": 1},
        {"cell_type": "code", "metadata": {}, "source": ["print(revenu)"], "execution_count": 2,
         "outputs": [{"output_type": "stream", "name": "stdout", "text": ["revenu médian 2021 : 19590.0\n"]}]}]}),
        encoding="utf-8")
    pypandoc.convert_text("# Arques\n\nSept actifs sur dix (70,6 %) travaillent ou cherchent un emploi.\n", "docx",
                          format="markdown", outputfile=str(site / "notes" / "brouillon.docx"))
    assert _leaks(site, ledger) == {("search.json", "Arques", "medecins_generalistes"),
                                    ("notes/brouillon.ipynb", "Arques", "revenu_median"),
                                    ("notes/brouillon.docx", "Arques", "taux_activite_15_64")}


def test_audit_says_how_many_values_it_looked_for_in_how_many_files(masked, capsys):
    site, ledger = masked
    files = [p for p in site.rglob("*") if p.is_file()]
    images = [p for p in files if p.suffix in (".png", ".woff")]
    assert A.main(site) == 0
    err = " ".join(capsys.readouterr().err.split())
    assert f"4 valeurs masquées (1 territoire) cherchées dans {len(files) - len(images)} fichiers du site" in err
    if len(images) > 1:
        assert f"{len(images)} fichiers sans texte n’ont pas été lus" in err
    elif images:
        assert "1 fichier sans texte n’a pas été lu" in err
    else:
        assert "sans texte" not in err
    assert "aucune n'y apparaît" in err and "revérifiées sur les" in err


def test_empty_ledger_says_why_no_value_needed_masking(masked, capsys):
    site, _ = masked
    (site.parent / "masques-public.csv").write_text(";".join(registre.COLONNES) + "\n", encoding="utf-8")
    rapport = A.verifier(site, registre.lire(site.parent / "masques-public.csv"))
    assert rapport.valeurs == 0 and rapport.fuites == []
    assert rapport.controle.soumis > 0 and "moins_de_50_menages" in rapport.controle.regles
    assert A.main(site) == 0
    err = " ".join(capsys.readouterr().err.split())
    assert "aucune valeur n'avait besoin d'être masquée" in err and "sont tous au-dessus de leur seuil" in err
    assert f"les {rapport.controle.soumis:,} chiffres publiés soumis".replace(",", " ") in err  # spaces joined


def test_empty_ledger_while_a_rule_masks_published_figures_fails(masked, tmp_path, monkeypatch, capsys):
    """A convention stricter than the build's rules (AAH counts under 250 not published): the site was built
    without it, its ledger is empty, and the figures it now forbids are published: the audit fails."""
    site, _ = masked
    data = tmp_path / "donnees"
    shutil.copytree(chemin_donnees(), data, ignore=shutil.ignore_patterns("osq.duckdb*", "sources"))
    durcir_aah(data)
    monkeypatch.setenv("OSQ_DONNEES", str(data))
    (site.parent / "masques-public.csv").write_text(";".join(registre.COLONNES) + "\n", encoding="utf-8")
    assert A.main(site) == 1  # `osq audit` exits 4
    err = " ".join(capsys.readouterr().err.split())
    assert "Le registre des valeurs masquées est vide alors que" in err and "sous le seuil d'une règle de secret" in err
    # CNAF, data_CAF_2020_IRIS.csv summed over Longuenesse's IRIS (osq-calculs): 211 AAH recipients in 2020.
    fuites = A.audit(site, registre.lire(site.parent / "masques-public.csv"))
    assert ("donnees/chiffres.csv", "Longuenesse", 2020, "211") in {
        (f.fichier, f.territoire, f.annee, f.valeur) for f in fuites if f.indicateur == "allocataires_aah"}
    assert all("règle « convention_aah_moins_de_250 »" in f.emplacement for f in fuites)
