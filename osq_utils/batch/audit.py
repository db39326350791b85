"""`osq audit SITE_DIR`: check that no masked (secret) value reaches a published page.

The build writes, next to the site and never inside it, a ledger of the values it masked for
the site's diffusion profile: `<site_dir>/../masques-<profil>.csv` (UTF-8, `;`), one row per
masked cell with its true value. The audit reads every published artefact and reports a
*fuite* (leak) wherever a masked value is shown:

- exports (`*.csv`, `*.xlsx` with niveau/code/indicateur/annee/valeur columns): the row of a
  masked key must have an empty value, numerator and denominator;
- HTML tables: header and row labels are mapped to territories and indicators (both
  orientations); a cell at a masked (territory, indicator[, year]) showing a number equal to
  the masked value, at the displayed precision, is a leak. `s`, `nd`, ranks, years and gaps
  (`+1,2 point`, `× 0,94`) are never taken for values;
- key-figure cards (`div.kpi`): the page's territory is its `<h1>`, the indicator its `#code` link;
  the comparison line (`CA … : 19 730 €`) is checked for the territory it names;
- prose (paragraphs, list items, captions, image alt text) naming a masked indicator;
- Quarto's `search.json` (flattened text: tables are rebuilt from label / value sequences) and
  shipped notebooks (`text/html` and `text/markdown` outputs, same HTML checks).

Detection is structural, never a blind substring search: a small count like 3 appears
everywhere, and only a 3 in the masked cell's place is a leak.
"""

from __future__ import annotations

import html
import json
import math
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path
from typing import cast

import pandas as pd
import pypandoc
from bs4 import BeautifulSoup
from pypdf import PdfReader
from rich.console import Console
from rich.table import Table

from osq_utils.catalogues.glossaire import load_glossaire
from osq_utils.catalogues.profils import profil_du_dossier
from osq_utils.errors import OsqError
from osq_utils.present import fr
from osq_utils.secret.algorithmes import CLES_CELLULE
from osq_utils.secret.registre import ANNEES, lire

EXPORT_KEYS = tuple(CLES_CELLULE)
EXPORT_VALUES = ("valeur", "numerateur", "denominateur")
YEAR_HEADERS = {"annee", "annees", "millesime", "an"}
SKIP_HEADERS = {"rang", "evolution", "ecart", "tendance"}
MIN_YEAR, MAX_YEAR = ANNEES


@dataclass(frozen=True)
class Fuite:
    """One masked value found on a published artefact."""

    fichier: str  # relative to the site
    emplacement: str  # where in the file, in French
    territoire: str
    indicateur: str
    annee: int
    valeur: str  # French-formatted, as a reader would see it


def profil_of(site_dir: Path) -> str:
    """`site` → public, `site-partenaires` → partenaires (`site-<x>` → x)."""
    name = Path(site_dir).resolve().name
    known = profil_du_dossier(name)
    if known is not None:
        return known.id
    return name.split("-", 1)[1] if name.startswith("site-") else "public"


def ledger_path(site_dir: Path) -> Path:
    site_dir = Path(site_dir).resolve()
    return site_dir.parent / f"masques-{profil_of(site_dir)}.csv"


# --------------------------------------------------------------------------- text helpers


def _norm(text: str) -> str:
    """Case-, accent- and space-insensitive form of a label."""
    text = unicodedata.normalize("NFKD", str(text).replace("’", "'").replace("\u2011", "-"))
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    return re.sub(r"\s+", " ", text).strip()


# French numbers: thousands grouped by (narrow) no-break spaces, decimal comma.
_NUMBER = re.compile(r"(?<![\w,.])[-+−]?(?:\d{1,3}(?:[\u202f\u00a0]\d{3})+|\d+)(?:[,.]\d+)?(?![\d\w])")
_GAP = re.compile(r"×|\bpoints?\b|\bpts?\b", re.IGNORECASE)
_YEAR = re.compile(r"(?<![\d\u202f\u00a0,.])(19[6-9]\d|20\d\d)(?![\d\u202f\u00a0]|,\d)")
_CODE_IN_LABEL = re.compile(r"\(((?:\d[\dAB]\d{3}|QP\d{6}|\d{9}|\d{5,6}))\)\s*$")


def _numbers(text: str, plain_spaces: bool = False) -> list[tuple[Decimal, int, str]]:
    """Numbers shown in a text: (value, decimals shown, unit right after: '%', '€' or '')."""
    if plain_spaces:  # inside a table cell a plain space may group thousands
        text = re.sub(r"(?<=\d) (?=\d{3}(?!\d))", "\u202f", text)
    out = []
    for m in _NUMBER.finditer(text):
        token = m.group(0).replace("\u202f", "").replace("\u00a0", "").replace("−", "-").replace(",", ".")
        try:
            value = Decimal(token)
        except InvalidOperation:
            continue
        decimals = len(token.split(".", 1)[1]) if "." in token else 0
        after = text[m.end():m.end() + 3].lstrip("\u00a0\u202f ")
        unit = after[:1] if after[:1] in ("%", "€") else ""
        out.append((value, decimals, unit))
    return out


def _round(x: float, decimales: int) -> Decimal:
    return Decimal(str(x)).quantize(Decimal(1).scaleb(-decimales), rounding=ROUND_HALF_UP)


def _is_year(text: str) -> int | None:
    text = text.strip()
    return int(text) if re.fullmatch(r"\d{4}", text) and MIN_YEAR <= int(text) <= MAX_YEAR else None


def _single_year(text: str) -> int | None:
    years = {int(y) for y in _YEAR.findall(text)}
    return years.pop() if len(years) == 1 else None


def _is_mark(text: str) -> bool:
    return _norm(text) in ("", "s", "nd", "-", "–", "—", "n.d.", "secret", "non disponible", "sans objet")


# --------------------------------------------------------------------------- index of labels


@dataclass
class _Masque:
    niveau: str
    code: str
    territoire: str
    indicateur: str
    libelle: str
    unite: str
    decimales: int
    annee: int
    valeur: float

    def shown(self) -> str:
        return fr.valeur(self.valeur, self.unite, self.decimales)

    def equals(self, number: tuple[Decimal, int, str]) -> bool:
        """Does a displayed number show this value (at its displayed precision or the glossary's)?"""
        if self.valeur is None or math.isnan(self.valeur):
            return False
        value, decimals, _ = number
        return value == _round(self.valeur, decimals) or value == _round(self.valeur, self.decimales)


@dataclass
class _Index:
    """Masked values by (territory code, indicator), and every label the site may print."""

    masques: dict[tuple[str, str], list[_Masque]] = field(default_factory=dict)
    territoires: dict[str, set[str]] = field(default_factory=dict)  # normalised label -> codes
    indicateurs: dict[str, set[str]] = field(default_factory=dict)  # normalised label -> codes
    codes_indicateurs: set[str] = field(default_factory=set)
    codes: set[str] = field(default_factory=set)  # every known territory code
    _terr_re: re.Pattern | None = None
    _ind_re: re.Pattern | None = None

    def add_territoire(self, label: str, code: str) -> None:
        if label and code:
            self.territoires.setdefault(_norm(label), set()).add(str(code))

    def add_indicateur(self, label: str, code: str) -> None:
        if code:
            self.codes_indicateurs.add(code)
            if label:
                self.indicateurs.setdefault(_norm(label), set()).add(code)

    def finish(self) -> None:
        def alternation(labels):
            ordered = sorted((lab for lab in labels if len(lab) >= 2), key=len, reverse=True)
            if not ordered:
                return None
            alts = "|".join(re.escape(lab).replace("\\ ", r"\s+") for lab in ordered)
            return re.compile(r"(?<![\w])(?:" + alts + r")(?![\w])")
        self.codes = {c for v in self.territoires.values() for c in v} | {t for t, _ in self.masques}
        self._terr_re = alternation(self.territoires)
        self._ind_re = alternation(self.indicateurs)

    # -- labels of one table cell / header: the whole text is the label
    def terr_of_label(self, text: str) -> set[str]:
        norm = _norm(text)
        codes = set(self.territoires.get(norm, ()))
        m = _CODE_IN_LABEL.search(text.strip())
        if m:  # "Rive Gauche (620400101)"
            codes.add(m.group(1))
            codes |= self.territoires.get(_norm(text[:m.start()]), set())
        if norm.upper() in self.codes:
            codes.add(norm.upper())
        return codes

    def ind_of_label(self, text: str, link: str | None = None) -> set[str]:
        if link and link in self.codes_indicateurs:
            return {link}
        norm = _norm(text)
        best: set[str] = set()
        best_len = 0
        for label, codes in self.indicateurs.items():
            if norm == label or (norm.startswith(label) and re.match(r"\s*[(,:;–-]", norm[len(label):])):
                if len(label) > best_len:
                    best, best_len = set(codes), len(label)
                elif len(label) == best_len:
                    best |= codes
        return best

    # -- labels named anywhere inside a text (titles, prose)
    def terr_in_text(self, text: str) -> set[str]:
        if self._terr_re is None:
            return set()
        return {c for m in self._terr_re.finditer(_norm(text)) for c in self.territoires[m.group(0)]}

    def ind_in_text(self, text: str) -> set[str]:
        if self._ind_re is None:
            return set()
        return {c for m in self._ind_re.finditer(_norm(text)) for c in self.indicateurs[m.group(0)]}

    def candidates(self, terr: set[str], ind: set[str], annee: int | None) -> list[_Masque]:
        out = []
        for t in terr:
            for i in ind:
                out += [m for m in self.masques.get((t, i), ()) if annee is None or m.annee == annee]
        return out


def _build_index(masques: pd.DataFrame, exports: dict[Path, pd.DataFrame | None | Exception]) -> _Index:
    index = _Index()
    for row in masques.itertuples(index=False):
        m = _Masque(str(row.niveau), str(row.code), str(row.territoire), str(row.indicateur),
                    str(row.indicateur_libelle), str(row.unite), int(row.decimales), int(row.annee),
                    float(row.valeur) if pd.notna(row.valeur) else float("nan"))
        index.masques.setdefault((m.code, m.indicateur), []).append(m)
        index.add_territoire(m.territoire, m.code)
        index.add_indicateur(m.libelle, m.indicateur)
    # Every label the site prints, so that a row or column of an unmasked territory is recognised
    # as such (and not taken for the page's own territory).
    for df in exports.values():
        if df is None or isinstance(df, Exception):  # an unreadable export is reported by _audit_export
            continue
        if "territoire" in df.columns:
            for code, label in df[["code", "territoire"]].drop_duplicates().itertuples(index=False):
                index.add_territoire(label, code)
        if "indicateur_libelle" in df.columns:
            for code, label in df[["indicateur", "indicateur_libelle"]].drop_duplicates().itertuples(index=False):
                index.add_indicateur(label, code)
    try:
        for ind in load_glossaire():
            index.add_indicateur(ind.libelle, ind.code)
    except Exception:  # noqa: BLE001 - the ledger and exports are enough
        pass
    index.finish()
    return index


# --------------------------------------------------------------------------- exports


def _exports(site_dir: Path) -> dict[Path, pd.DataFrame | None | Exception]:
    """Every export of the site, read once (the index and the export check share them): its rows, None when
    it is not an export of figures, the error when it cannot be read."""
    out: dict[Path, pd.DataFrame | None | Exception] = {}
    for path in sorted(p for p in site_dir.rglob("*") if p.suffix.lower() in (".csv", ".xlsx") and p.is_file()):
        try:
            out[path] = _read_export(path)
        except Exception as exc:  # noqa: BLE001 - re-raised by _audit_export, as before
            out[path] = exc
    return out


def _read_export(path: Path) -> pd.DataFrame | None:
    if path.suffix.lower() == ".csv":
        df = pd.read_csv(path, sep=";", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    else:
        # calamine: the workbook read ten times faster than with openpyxl (the audit reads every export).
        sheets = pd.read_excel(path, sheet_name=None, dtype=str, engine="calamine")
        df = next((s for s in sheets.values() if set(EXPORT_KEYS) <= set(s.columns)), None)
        if df is None:
            return None
        df = df.fillna("")
    if not set(EXPORT_KEYS) <= set(df.columns) or "valeur" not in df.columns:
        return None
    df = df.copy()
    df["annee"] = df["annee"].str.replace(r"\.0$", "", regex=True).str.strip()
    df["code"] = df["code"].str.strip()
    return df


def _audit_export(path: Path, rel: str, index: _Index, df: pd.DataFrame | None | Exception) -> list[Fuite]:
    if isinstance(df, Exception):
        raise df
    if df is None:
        return []
    kind = "CSV" if path.suffix.lower() == ".csv" else "Excel"
    keyed = {(m.niveau, m.code, m.indicateur, str(m.annee)): m for ms in index.masques.values() for m in ms}
    keys = list(zip(df["niveau"], df["code"], df["indicateur"], df["annee"]))
    out = []
    for i, key in enumerate(keys):
        m = keyed.get(key)
        if m is None:
            continue
        shown = {col: str(df.iloc[i][col]).strip() for col in EXPORT_VALUES if col in df.columns}
        shown = {col: v for col, v in shown.items() if v and v.lower() != "nan"}
        if not shown:
            continue
        col, text = next(iter(shown.items()))
        try:
            x = float(text.replace("\u202f", "").replace("\u00a0", "").replace(" ", "").replace(",", "."))
            valeur = fr.valeur(x, m.unite, m.decimales) if col == "valeur" else fr.nombre(x, 0 if x == int(x) else 1)
        except ValueError:
            valeur = text
        out.append(Fuite(rel, f"export {kind} ligne {i + 2}, colonne(s) {', '.join(shown)}", m.territoire,
                         m.indicateur, m.annee, valeur))
    return out


# --------------------------------------------------------------------------- HTML


@dataclass
class _Cell:
    text: str
    link: str | None
    header: bool


def _link_code(tag) -> str | None:
    a = tag.find("a", href=True) if tag is not None else None
    if a is None or "#" not in a["href"]:
        return None
    return a["href"].rsplit("#", 1)[1] or None


def _grid(table) -> tuple[list[list[_Cell | None]], int, list[tuple[int, str]]]:
    """Expand a table into a grid (rowspan/colspan), returning (rows, number of header rows, group labels)."""
    rows: list[list[_Cell | None]] = []
    groups: list[tuple[int, str]] = []  # (first body row index, group label)
    n_header = 0
    pending: dict[tuple[int, int], _Cell] = {}
    body_started = False
    for tr in table.find_all("tr"):
        if tr.find_parent("table") is not table or tr.find_parent("tfoot") is not None:
            continue
        classes = tr.get("class") or []
        cells = tr.find_all(["td", "th"], recursive=False)
        if "gt_heading" in classes or any("gt_heading" in (c.get("class") or []) and "gt_group_heading" not in
                                          (c.get("class") or []) for c in cells):
            continue  # title / subtitle
        if any("gt_sourcenote" in (c.get("class") or []) or "gt_footnote" in (c.get("class") or []) for c in cells):
            continue
        if "gt_group_heading_row" in classes or (len(cells) == 1 and cells[0].name == "th" and body_started):
            groups.append((len(rows) - n_header, cells[0].get_text(" ", strip=True)))
            continue
        r = len(rows)
        row: list[_Cell | None] = []
        col = 0
        for cell in cells:
            while (r, col) in pending:
                row.append(pending.pop((r, col)))
                col += 1
            c = _Cell(cell.get_text(" ", strip=True), _link_code(cell), cell.name == "th")
            span = int(cell.get("colspan") or 1) if str(cell.get("colspan") or "1").isdigit() else 1
            rspan = int(cell.get("rowspan") or 1) if str(cell.get("rowspan") or "1").isdigit() else 1
            for k in range(span):
                row.append(c)
                for dr in range(1, rspan):
                    pending[(r + dr, col + k)] = c
            col += span
        while (r, col) in pending:
            row.append(pending.pop((r, col)))
            col += 1
        in_head = tr.find_parent("thead") is not None or (not body_started and all(c.name == "th" for c in cells))
        if in_head and not body_started:
            n_header += 1
        else:
            body_started = True
        rows.append(row)
    return rows, n_header, groups


def _table_title(table) -> str:
    parts = [t.get_text(" ", strip=True) for t in table.select(".gt_title, .gt_subtitle, caption")]
    if not parts:  # pandoc tables: the caption may be a sibling figure caption
        fig = table.find_parent("figure")
        cap = fig.find("figcaption") if fig is not None else None
        if cap is not None:
            parts.append(cap.get_text(" ", strip=True))
    return " ".join(parts)


def _audit_table(table, rel: str, index: _Index, page_terr: set[str], number: int) -> list[Fuite]:
    rows, n_header, groups = _grid(table)
    if len(rows) <= n_header:
        return []
    title = _table_title(table)
    width = max(len(r) for r in rows)
    head_cells = [list(dict.fromkeys((hcell.text, hcell.link) for h in range(n_header)
                                     if c < len(rows[h]) and (hcell := rows[h][c]) is not None)) for c in range(width)]
    headers = [list(dict.fromkeys(text for text, _ in cells)) for cells in head_cells]
    body = rows[n_header:]

    def is_year_col(c: int) -> bool:
        if any(_norm(h) in YEAR_HEADERS for h in headers[c][-1:]):
            return True
        texts = [bcell.text for r in body if c < len(r) and (bcell := r[c]) is not None and not _is_mark(bcell.text)]
        return c == 0 and bool(texts) and all(_is_year(t) for t in texts)

    year_cols = {c for c in range(width) if is_year_col(c)}
    skip_cols = {c for c in range(width) if any(w in SKIP_HEADERS for h in headers[c] for w in _norm(h).split())}
    col_terr = [set().union(*(index.terr_of_label(h) for h in headers[c])) if headers[c] else set()
                for c in range(width)]
    col_ind = [set().union(*(index.ind_of_label(h, lk) for h, lk in head_cells[c])) if head_cells[c] else set()
               for c in range(width)]
    col_year = [_single_year(" ".join(headers[c])) for c in range(width)]

    def group_at(i: int) -> str:
        label = ""
        for start, text in groups:
            if start <= i:
                label = text
        return label

    # Labels of each body row: cells that are not numbers.
    row_info = []
    for i, row in enumerate(body):
        terr, ind, labels, year = set(), set(), [], None
        for c, cell in enumerate(row):
            if cell is None:
                continue
            if c in year_cols:
                year = _is_year(cell.text) or year
                continue
            if _numbers(cell.text, plain_spaces=True) and not (cell.link or index.terr_of_label(cell.text)
                                                               or index.ind_of_label(cell.text)):
                continue
            if _is_mark(cell.text):
                continue
            labels.append(cell.text)
            terr |= index.terr_of_label(cell.text)
            ind |= index.ind_of_label(cell.text, cell.link)
        group = group_at(i)
        if group:
            terr |= index.terr_of_label(group)
            ind |= index.ind_of_label(group)
        row_info.append((terr, ind, labels, year))

    has_terr_axis = any(col_terr) or any(r[0] for r in row_info)
    has_ind_axis = any(col_ind) or any(r[1] for r in row_info)
    fallback_terr = set() if has_terr_axis else (index.terr_in_text(title) or page_terr)
    fallback_ind = set() if has_ind_axis else index.ind_in_text(title)
    title_year = _single_year(title)
    name = title or f"tableau {number}"

    out = []
    for i, row in enumerate(body):
        terr_r, ind_r, labels, year_r = row_info[i]
        for c, cell in enumerate(row):
            if cell is None or c in year_cols or c in skip_cols or (c > 0 and row[c - 1] is cell):
                continue
            if _is_mark(cell.text) or _GAP.search(cell.text) or cell.text in labels:
                continue
            nums = _numbers(cell.text, plain_spaces=True)
            if not nums:
                continue
            terr = (terr_r | col_terr[c]) or fallback_terr
            ind = (ind_r | col_ind[c]) or fallback_ind
            annee = year_r or col_year[c] or title_year
            for m in index.candidates(terr, ind, annee):
                if any(m.equals(n) for n in nums):
                    where = f"tableau « {name} », ligne « {labels[0] if labels else i + 1} »"
                    if headers[c]:
                        where += f", colonne « {' / '.join(headers[c])} »"
                    out.append(Fuite(rel, where, m.territoire, m.indicateur, m.annee, m.shown()))
    return out


def _page_territory(soup, index: _Index) -> set[str]:
    h1 = soup.select_one("#title-block-header h1, header h1.title, h1.title") or soup.find("h1")
    terr = index.terr_of_label(h1.get_text(" ", strip=True)) if h1 is not None else set()
    subtitle = soup.select_one("#title-block-header .subtitle, p.subtitle")
    if subtitle is not None:  # "Note communale · Commune 62040"
        terr |= {tok for tok in re.findall(r"\w+", subtitle.get_text(" ")) if tok in index.codes}
    return terr


def _audit_kpis(soup, rel: str, index: _Index, page_terr: set[str]) -> list[Fuite]:
    out = []
    for kpi in soup.select("div.kpi"):
        valeur = kpi.select_one(".kpi-valeur")
        libelle = kpi.select_one(".kpi-libelle")
        link = _link_code(libelle if libelle is not None else kpi)
        label_text = libelle.get_text(" ", strip=True) if libelle is not None else ""
        ind = index.ind_of_label(label_text, link) or index.ind_in_text(label_text)
        annee = _single_year(label_text)
        name = label_text or "chiffre clé"
        checks = []
        if valeur is not None:
            checks.append((page_terr, valeur.get_text(" ", strip=True), f"chiffre clé « {name} »"))
        for comp in kpi.select(".kpi-comparaison"):
            text = comp.get_text(" ", strip=True)
            label, _, shown = text.partition(" : ")
            shown = shown.split("(", 1)[0]  # drop "(écart × 0,94)"
            checks.append((index.terr_of_label(label), shown, f"chiffre clé « {name} », comparaison « {label} »"))
        for terr, shown, where in checks:
            if _is_mark(shown) or _GAP.search(shown):
                continue
            nums = _numbers(shown, plain_spaces=True)
            for m in index.candidates(terr, ind, annee):
                if any(m.equals(n) for n in nums):
                    out.append(Fuite(rel, where, m.territoire, m.indicateur, m.annee, m.shown()))
    return out


def _unit_matches(m: _Masque, unit: str) -> bool:
    if m.unite in ("%", "€"):
        return unit == m.unite
    return unit == ""


def _audit_prose(text: str, rel: str, where: str, index: _Index, page_terr: set[str]) -> list[Fuite]:
    """A sentence naming a masked indicator (and its territory, or on its territory's page) with its value."""
    ind = index.ind_in_text(text)
    if not ind:
        return []
    terr = index.terr_in_text(text) | page_terr
    years = {int(y) for y in _YEAR.findall(text)}
    nums = [n for n in _numbers(text) if not (n[1] == 0 and n[2] == "" and MIN_YEAR <= n[0] <= MAX_YEAR
                                              and int(n[0]) in years)]
    out = []
    for m in index.candidates(terr, ind, None):
        if years and m.annee not in years:
            continue
        if any(m.equals(n) and _unit_matches(m, n[2]) for n in nums):
            out.append(Fuite(rel, where, m.territoire, m.indicateur, m.annee, m.shown()))
    return out


def _audit_soup(soup, rel: str, index: _Index, page_terr: set[str] | None = None) -> list[Fuite]:
    if page_terr is None:
        page_terr = _page_territory(soup, index)
    out = []
    for n, table in enumerate(soup.find_all("table"), start=1):
        out += _audit_table(table, rel, index, page_terr, n)
    out += _audit_kpis(soup, rel, index, page_terr)
    for tag in soup.find_all(["p", "li", "figcaption", "dd", "blockquote"]):
        if tag.find_parent(["table", "nav"]) is not None or tag.find_parent("div", class_="kpi") is not None:
            continue
        if tag.find(["p", "li"]) is not None:  # the innermost block only
            continue
        text = tag.get_text(" ", strip=True)
        out += _audit_prose(text, rel, f"texte « {text[:60]}{'…' if len(text) > 60 else ''} »", index, page_terr)
    for img in soup.find_all("img", alt=True):
        out += _audit_prose(img["alt"], rel, "texte alternatif d'une figure", index, page_terr)
    return out


# --------------------------------------------------------------------------- search.json and notebooks


_MARK_TOKEN = r"(?<!\w)(?:s|nd)(?!\w)"


_Number = tuple[Decimal, int, str]
# (kind, codes of a 'T'/'I' label | numbers of a 'V' value | None for an 'M' mark, token)
_Item = tuple[str, set[str] | list[_Number] | None, str]


def _items(text: str, index: _Index) -> list[_Item]:
    """A flattened page as a sequence of labels and values: ('T', codes) / ('I', codes) / ('V', numbers|None)."""
    pattern = []
    if index._terr_re is not None:
        pattern.append(f"(?P<T>{index._terr_re.pattern})")
    if index._ind_re is not None:
        pattern.append(f"(?P<I>{index._ind_re.pattern})")
    pattern.append(r"(?P<V>(?<![\w,.])[-+−]?(?:\d{1,3}(?:[\u202f\u00a0]\d{3})+|\d+)(?:[,.]\d+)?(?![\d\w])"
                   r"(?:[\u00a0\u202f ]?[%€])?)")
    pattern.append(f"(?P<M>{_MARK_TOKEN})")
    raw = unicodedata.normalize("NFC", text)
    folded = "".join(_fold_char(ch) for ch in raw)  # same positions as raw
    out: list[_Item] = []
    for m in re.finditer("|".join(pattern), folded):
        kind, token = m.lastgroup, raw[m.start():m.end()]
        if kind == "T":
            out.append(("T", index.territoires.get(_norm(token), set()), token))
        elif kind == "I":
            out.append(("I", index.indicateurs.get(_norm(token), set()), token))
        else:
            out.append(("V", _numbers(token) if kind == "V" else None, token))
    return out


def _fold_char(ch: str) -> str:
    """One character, lower-cased and without accents, keeping positions (spaces become one space)."""
    if ch in "\u00a0\u202f":
        return ch  # kept: they group thousands
    if ch.isspace():
        return " "
    if ch == "’":
        return "'"
    base = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c)).lower()
    return base[:1] if len(base) >= 1 else ch


def _audit_flat_text(text: str, title: str, rel: str, where: str, index: _Index) -> list[Fuite]:
    """Rebuild tables from a flattened text: a run of territory (or indicator) labels is a header,
    then each indicator (or territory) label is followed by its row of values."""
    items = _items(text, index)
    page_terr = index.terr_of_label(title) or index.terr_in_text(title)
    out: list[Fuite] = []
    header: list[tuple[str, set[str]]] = []
    header_kind = ""
    i = 0
    n = len(items)
    while i < n:
        kind, codes, token = items[i]
        if kind in ("T", "I"):
            j = i
            while j < n and items[j][0] == kind:
                j += 1
            if j - i >= 2:  # a header run
                run = [(it[2], cast(set[str], it[1])) for it in items[i:j]]  # labels: their codes
                distinct = len({_norm(label) for label, _ in run})
                header = run[-distinct:]  # a title naming the first column just before the header
                header_kind = kind
                i = j
                continue
            # a row label: its values follow
            k = i + 1
            values: list[tuple[str, list[_Number] | None, str]] = []
            while k < n and items[k][0] == "V":
                values.append(cast(tuple[str, list[_Number] | None, str], items[k]))  # values: their numbers
                k += 1
            row_codes = cast(set[str], codes)  # a label: its codes
            if kind == "I" and i > 0 and items[i - 1][0] == "V" and (i < 2 or items[i - 2][0] != "V"):
                # key-figure card: "18 520 € Niveau de vie médian (2019)"
                annee = next((_is_year(v[2].strip("() ")) for v in values if _is_year(v[2].strip("() "))), None)
                vnums = cast(list[_Number] | None, items[i - 1][1])  # a value: its numbers
                if vnums:
                    for m in index.candidates(page_terr, row_codes, annee):
                        if any(m.equals(x) for x in vnums):
                            out.append(Fuite(rel, f"{where}, chiffre clé « {token} »", m.territoire, m.indicateur,
                                             m.annee, m.shown()))
            if header and header_kind != kind and values:
                year = None
                if len(values) >= len(header) + 1 and values[0][1] and _is_year(values[0][2]):
                    year = _is_year(values[0][2])
                    values = values[1:]
                aligned = len(values) >= len(header)  # more: what follows the table (its source note…)
                values = values[:len(header)] if aligned else values
                for pos, (_, vnums, vtoken) in enumerate(values):
                    if not vnums or _GAP.search(vtoken):
                        continue
                    cols = [header[pos]] if aligned else header
                    for col_label, col_codes in cols:
                        terr, ind = (col_codes, row_codes) if kind == "I" else (row_codes, col_codes)
                        for m in index.candidates(terr, ind, year):
                            if any(m.equals(x) for x in vnums):
                                out.append(Fuite(rel, f"{where}, ligne « {token} », colonne « {col_label} »",
                                                 m.territoire, m.indicateur, m.annee, m.shown()))
            i = k
            continue
        i += 1
    return out


def _audit_docx(path: Path, rel: str, index: _Index, needles: set[str]) -> list[Fuite]:
    """A Word version: converted back to HTML by pandoc, then audited like a page (real tables)."""
    text = pypandoc.convert_file(str(path), "html", extra_args=["--standalone"])
    if not any(n in text for n in needles):
        return []
    return _audit_soup(BeautifulSoup(text, "html.parser"), rel, index)


def _audit_pdf(path: Path, rel: str, index: _Index, needles: set[str]) -> list[Fuite]:
    """A PDF version: its text, page by page, read like a flattened page (tables rebuilt from labels)."""
    reader = PdfReader(str(path))
    text = "\n".join(page.extract_text() or "" for page in reader.pages)
    if not any(n in text for n in needles):
        return []
    meta = reader.metadata
    title = str((meta.get("/Title") if meta is not None else None) or "") or next(
        (line for line in text.splitlines()[1:4] if line.strip()), "")
    out = _audit_flat_text(text, title, rel, "version PDF", index)
    # Typeset text loses the table structure (and key-figure cards put the value before its label):
    # a masked value, written with its unit, within two lines of its indicator's label, on a PDF that
    # names its territory, is a leak. Conservative: a false alarm is better than a missed leak.
    lines = [_norm(line) for line in text.splitlines()]
    flat = _norm(text)
    for masques in index.masques.values():
        for m in masques:
            if math.isnan(m.valeur) or (_norm(m.territoire) not in flat and m.code not in text):
                continue
            shown, label = _norm(m.shown()), _norm(m.libelle)[:18]
            for i, line in enumerate(lines):
                if shown in line and any(label in near for near in lines[max(0, i - 2): i + 3]):
                    out.append(Fuite(rel, f"version PDF, ligne {i + 1}", m.territoire, m.indicateur, m.annee, m.shown()))
                    break
    return list(dict.fromkeys(out))


def _audit_search(path: Path, rel: str, index: _Index) -> list[Fuite]:
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    out = []
    for k, entry in enumerate(entries if isinstance(entries, list) else []):
        if not isinstance(entry, dict):
            continue
        text = str(entry.get("text") or "")
        title = str(entry.get("title") or "")
        where = f"index de recherche, entrée {k + 1} ({entry.get('href', '')})"
        out += _audit_flat_text(text, title, rel, where, index)
    return list(dict.fromkeys(out))


_PIPE_ROW = re.compile(r"^\s*\|(.+)\|\s*$")


def _markdown_to_html(md: str) -> str:
    """Markdown outputs (pandoc flavour: fenced divs, pipe tables, raw HTML) as HTML."""
    try:
        return pypandoc.convert_text(md, "html", format="markdown")
    except Exception:  # noqa: BLE001 - no pandoc: a crude reading of pipe tables and paragraphs
        return _markdown_to_html_crude(md)


def _markdown_to_html_crude(md: str) -> str:
    html: list[str] = []
    table: list[str] = []

    def flush():
        if table:
            rows = [r for r in table if not re.fullmatch(r"[\s|:\-]+", r)]
            if rows:
                head = "".join(f"<th>{c.strip()}</th>" for c in rows[0].strip().strip("|").split("|"))
                body = "".join("<tr>" + "".join(f"<td>{c.strip()}</td>" for c in r.strip().strip("|").split("|"))
                               + "</tr>" for r in rows[1:])
                html.append(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
            table.clear()

    for line in md.splitlines():
        if _PIPE_ROW.match(line):
            table.append(line)
            continue
        flush()
        if line.startswith("#"):
            level = len(line) - len(line.lstrip("#"))
            html.append(f"<h{min(level, 6)}>{line.lstrip('#').strip()}</h{min(level, 6)}>")
        elif line.strip():
            html.append(f"<p>{line}</p>" if not line.lstrip().startswith("<") else line)
    flush()
    return "\n".join(html)


def _audit_notebook(path: Path, rel: str, index: _Index) -> list[Fuite]:
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    html: list[str] = []
    markdown: list[str] = []
    page_terr: set[str] = set()
    for cell in nb.get("cells", []):
        source = "".join(cell.get("source", []))
        tags = cell.get("metadata", {}).get("tags", [])
        if cell.get("cell_type") == "code" and ("parameters" in tags or "injected-parameters" in tags):
            page_terr |= {s for s in re.findall(r"[\"']([\w]+)[\"']", source) if s in index.codes}
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            for mime in ("text/html", "text/markdown"):
                if mime in data:
                    text = "".join(data[mime]) if isinstance(data[mime], list) else str(data[mime])
                    (html if mime == "text/html" else markdown).append(text)
    if markdown:
        html.append(_markdown_to_html("\n\n".join(markdown)))
    if not html:
        return []
    soup = BeautifulSoup("\n".join(html), "html.parser")
    h1 = soup.find("h1")
    if h1 is not None:
        page_terr |= index.terr_of_label(h1.get_text(" ", strip=True))
    return [Fuite(f.fichier, f"sortie de notebook, {f.emplacement}", f.territoire, f.indicateur, f.annee, f.valeur)
            for f in _audit_soup(soup, rel, index, page_terr)]


# --------------------------------------------------------------------------- entry points


def audit(site_dir: Path | str, masques: pd.DataFrame) -> list[Fuite]:
    """Every leak of a masked value in the published site."""
    site_dir = Path(site_dir)
    if masques["valeur"].notna().sum() == 0:
        return []  # nothing masked with a known value: nothing can leak
    exports = _exports(site_dir)
    index = _build_index(masques, exports)
    # A page can only leak a masked value of a territory it names (label or code): the others are
    # not parsed (a national build has thousands of pages and a handful of masked territories).
    needles = {n for row in masques.itertuples(index=False) if pd.notna(row.valeur)
               for n in (str(row.code), str(row.territoire), html.escape(str(row.territoire)))}
    out: list[Fuite] = []
    for path in sorted(site_dir.rglob("*")):
        if not path.is_file():
            continue
        rel = path.relative_to(site_dir).as_posix()
        suffix = path.suffix.lower()
        if suffix in (".html", ".htm"):
            text = path.read_text(encoding="utf-8", errors="replace")
            if not any(n in text for n in needles):
                continue
            out += _audit_soup(BeautifulSoup(text, "html.parser"), rel, index)
        elif suffix in (".csv", ".xlsx"):
            out += _audit_export(path, rel, index, exports[path])
        elif suffix == ".docx":
            out += _audit_docx(path, rel, index, needles)
        elif suffix == ".pdf":
            out += _audit_pdf(path, rel, index, needles)
        elif path.name == "search.json":
            out += _audit_search(path, rel, index)
        elif suffix == ".ipynb":
            out += _audit_notebook(path, rel, index)
    return list(dict.fromkeys(out))


def print_fuites(fuites: list, console) -> None:
    """The leaks as a French table (page, place, territory, indicator, year, value)."""
    table = Table(title=f"Valeurs secrètes publiées ({len(fuites)})", show_lines=False)
    for col in ("Page", "Emplacement", "Territoire", "Indicateur", "Année", "Valeur"):
        table.add_column(col, overflow="fold", justify="right" if col in ("Année", "Valeur") else "left")
    for f in fuites:
        table.add_row(f.fichier, f.emplacement, f.territoire, f.indicateur, str(f.annee), f.valeur)
    console.print(table)


def main(site_dir: Path | str, masques: Path | str | None = None) -> int:
    """`osq audit SITE_DIR`: 0 no leak, 1 leak(s), 2 ledger missing or invalid."""
    console = Console(stderr=True, width=max(120, Console(stderr=True).width))
    site_dir = Path(site_dir)
    if not site_dir.is_dir():
        console.print(f"[bold red]Erreur[/] : dossier du site introuvable : {site_dir}\n"
                      "  → Correction : donnez le dossier « site » produit par « osq build » "
                      "(par exemple rapports/capso/site).")
        return 2
    path = Path(masques) if masques is not None else ledger_path(site_dir)
    if not path.is_file():
        console.print(f"[bold red]Erreur[/] : registre des valeurs masquées introuvable : {path}\n"
                      f"  → Correction : lancez « osq build », qui l'écrit à côté du site (profil "
                      f"« {profil_of(site_dir)} »), ou donnez son chemin.")
        return 2
    try:
        ledger = lire(path)
    except OsqError as exc:
        console.print(f"[bold red]Erreur[/] : {exc}")
        return 2
    fuites = audit(site_dir, ledger)
    n_masked = int(ledger["valeur"].notna().sum())
    if not fuites:
        console.print(f"[bold green]Audit du secret réussi[/] : aucune des {n_masked} valeurs masquées "
                      f"(profil « {profil_of(site_dir)} ») n'apparaît dans {site_dir}.")
        return 0
    print_fuites(fuites, console)
    console.print(f"[bold red]Échec de l'audit du secret[/] : {len(fuites)} valeur(s) masquée(s) publiée(s). "
                  "Corrigez le masquage (règles data/secret/*.yml ou note concernée) puis relancez « osq build ».")
    return 1
