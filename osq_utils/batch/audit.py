"""`osq audit SITE_DIR`: check that no masked (secret) value reaches a published file, and say what was checked.

The build writes, next to the site and never inside it, a ledger of the values it masked for
the site's diffusion profile: `<site_dir>/../masques-<profil>.csv` (UTF-8, `;`), one row per
masked cell with its true value. The audit reads every file of the site and reports a *fuite*
(leak) wherever a masked value is shown:

- exports (`*.csv`, `*.xlsx` with niveau/code/indicateur/annee/valeur columns): the row of a
  masked key must have an empty value, numerator and denominator; and every published figure is
  checked again against the secret rules (data/secret/, conventions): a figure under its
  threshold is a leak, whatever the ledger says (an empty ledger proves nothing by itself);
- HTML tables: header and row labels are mapped to territories and indicators (both
  orientations); a cell at a masked (territory, indicator[, year]) showing a number equal to
  the masked value, at the displayed precision, is a leak. `s`, `nd`, ranks, years and gaps
  (`+1,2 point`, `× 0,94`) are never taken for values;
- key-figure cards (`div.kpi`): the page's territory is its `<h1>`, the indicator its `#code` link;
  the comparison line (`CA … : 19 730 €`) is checked for the territory it names;
- free text, wherever it is: prose, headings, HTML comments, attributes (alt texts, titles, data-*),
  scripts, Quarto's `search.json`, notebooks' outputs, PDF and Word versions, JSON, markdown and any
  stray text file (`.tmp`, `.md`…). A number equal to a masked value, in any form OSQ or a copy could
  print it (French grouping with any kind of space, decimal comma or point, rounded, raw), is a leak
  when its sentence ties it to the masked value's territory: the territory's name (any case, accents,
  hyphens, « St »/« Saint ») or code next to it, or, when the sentence names no territory, the page or
  file it is on. The indicator's label is not needed for a distinctive number (three significant
  digits or more); a small one (a count of 7) also needs a word of the indicator's label.
- `search.json` and PDF texts are also read as flattened pages (tables rebuilt from label / value
  sequences); shipped notebooks' HTML outputs as pages.

Detection is never a blind substring search: a small count like 3 appears everywhere, and only a 3
in the masked cell's place, or beside its territory and indicator, is a leak. A value equal to a
masked one but printed for another territory is not.

`main` says how many masked values were looked for in how many files (and which could not be read:
images, fonts); with an empty ledger, it says why no value needed masking, or fails.
"""

from __future__ import annotations

import gc
import html
import json
import math
import multiprocessing
import os
import re
import time
import unicodedata
import zipfile
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path
from typing import cast

import numpy as np
import pandas as pd
import pypandoc
from bs4 import BeautifulSoup, Comment, Declaration, Doctype, ProcessingInstruction
from pypdf import PdfReader
from rich.console import Console
from rich.table import Table

from osq_utils.catalogues.glossaire import load_glossaire
from osq_utils.catalogues.profils import profil_du_dossier
from osq_utils.catalogues.secret import load_rules
from osq_utils.catalogues.sources import load_catalogue
from osq_utils.errors import OsqError
from osq_utils.present import fr
from osq_utils.secret.algorithmes import CLES_CELLULE
from osq_utils.secret.registre import ANNEES, lire
from osq_utils.store import DERIVED_SOURCE

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


# --------------------------------------------------------------------------- free text: numbers, places, words


def _fold_table() -> dict[int, str]:
    """Lower case without accents, one character for one (positions are kept: a match in the folded text
    is at the same place in the original)."""
    table = {}
    for cp in range(0x41, 0x250):
        ch = chr(cp)
        base = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c)).lower()
        if len(base) == 1 and base != ch:
            table[cp] = base
    for ch in "’‘ʼ´`":
        table[ord(ch)] = "'"
    for ch in "\u2010\u2011\u2012\u2013\u2014":
        table[ord(ch)] = "-"
    return table


_FOLD = _fold_table()


def _fold(text: str) -> str:
    return text.translate(_FOLD)


# Every kind of space a number may be grouped with: OSQ prints a narrow no-break space, a copy or another
# tool a no-break, thin, figure or plain space.
_SPACES = " \u00a0\u202f\u2009\u2007\u2008\u200a\u205f"
_TOKEN = re.compile(
    r"(?<![\w.,/\-+−×])(\d{1,3}(?:[" + _SPACES + r"]\d{3})+(?!\d)|\d+)(?:[,.](\d+))?(?![\w/\-]|[,.]\d)")
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+(?=[A-ZÀ-ÖØ-Þ0-9«\"(])")
_UNIT_AFTER = re.compile(r"[" + _SPACES + r"]*(%|€|pour ?cent|euros?\b)", re.IGNORECASE)
_GAP_AFTER = re.compile(r"[" + _SPACES + r"]*(?:[%€][" + _SPACES + r"]*)?(?:points?\b|pts?\b)", re.IGNORECASE)
_NON_DIGIT = re.compile(r"\D")
_WORD = re.compile(r"[a-z0-9]+")
_PATH_PARTS = re.compile(r"[^0-9A-Za-z]+")
_STOPWORDS = {
    "de", "des", "du", "la", "le", "les", "l", "d", "a", "au", "aux", "en", "et", "ou", "par", "pour", "sur", "sous",
    "dans", "avec", "sans", "un", "une", "parmi", "dont", "selon", "entre", "ans", "plus", "moins", "taux", "part",
    "nombre", "total", "ensemble", "personnes", "population", "menages", "habitants", "annee", "indice", "qui", "que",
}


@dataclass(frozen=True)
class _Token:
    start: int
    end: int
    value: Decimal
    decimals: int
    unit: str  # '%', '€' or ''
    strong: bool  # three significant digits or more: distinctive enough without the indicator's words
    year: bool  # a bare 1960-2100 integer: read as a year, never as a value


def _tokens(text: str) -> list[_Token]:
    """The numbers of a free text, in every form OSQ or a copy may print them. A number grouped with plain
    spaces is ambiguous ('3 758'): each of its groups is a number too."""
    out = []
    for m in _TOKEN.finditer(text):
        whole, dec = m.group(1), m.group(2) or ""
        before = text[max(0, m.start() - 3):m.start()]
        if "×" in before or _GAP_AFTER.match(text, m.end()):
            continue  # a gap (« × 0,94 », « +1,2 point »), never a value
        unit_m = _UNIT_AFTER.match(text, m.end())
        unit = "" if unit_m is None else ("%" if unit_m.group(1)[0] in "%pP" else "€")
        pieces = [(whole, dec)]
        if " " in whole:
            groups = whole.split(" ")
            pieces += [(g, dec if k == len(groups) - 1 else "") for k, g in enumerate(groups)]
        for k, (int_part, dec_part) in enumerate(pieces):
            digits = _NON_DIGIT.sub("", int_part)
            try:
                value = Decimal(digits + ("." + dec_part if dec_part else ""))
            except InvalidOperation:
                continue
            significant = (digits + dec_part).lstrip("0")
            if not dec_part:
                significant = significant.rstrip("0")
            year = not dec_part and len(int_part) == 4 and int_part.isdigit() and MIN_YEAR <= int(int_part) <= MAX_YEAR
            out.append(_Token(m.start(), m.end(), value, len(dec_part), unit, len(significant) >= 3 and k == 0, year))
    return out


def _clauses(text: str, lines: bool) -> list[tuple[int, int]]:
    """Sentence spans (and line spans when each line is a record: plain text files)."""
    cuts = [0]
    for m in _SENTENCE_END.finditer(text):
        cuts.append(m.start())
    if lines:
        cuts += [m.start() for m in re.finditer(r"\n", text)]
    cuts = sorted(set(cuts)) + [len(text)]
    return [(a, b) for a, b in zip(cuts, cuts[1:]) if b > a]


def _stems(text: str) -> set[str]:
    """The distinctive words of a label, cut to five letters (« couvertes » and « couverts » agree)."""
    return {w[:5] for w in _WORD.findall(_fold(text).lower()) if len(w) >= 3 and w not in _STOPWORDS
            and not w.isdigit()}


def _label_key(text: str) -> str:
    """A territory label as a lookup key: folded, words separated by one space, « st » read as « saint »."""
    words = [w for w in re.split(r"[\s\-'.]+", _fold(text).lower().strip()) if w]
    return " ".join({"st": "saint", "ste": "sainte"}.get(w, w) for w in words)


def _label_pattern(key: str) -> str:
    alts = {"saint": "(?:saint|st)", "sainte": "(?:sainte|ste)"}
    return r"[\s\-'.]+".join(alts.get(w, re.escape(w)) for w in key.split(" "))


_COLON = re.compile(r"[\s)]{0,3}:")


@dataclass(frozen=True)
class _Mention:
    start: int
    end: int
    codes: frozenset[str]
    colon: bool  # followed by « : »: it labels what comes after it (« Saint-Omer : 1 200 »)


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


_RUN = re.compile(r"\w+")


class _Noms:
    """Finds territory names (label keys, any separator, « St » for « Saint ») and codes in a folded text, as one
    alternation, longest first. Thousands of names in one pattern are slow to try at every position (a région's
    audit spent most of its time there): a name can only start with a word of the text, so the pattern is
    compiled from the names whose first word the text holds (the same matches)."""

    def __init__(self, keys, codes) -> None:
        self.par_premier: dict[str, list[tuple[int, str]]] = {}  # first word -> (order, alternative)
        self.toujours: list[tuple[int, str]] = []  # alternatives that start with no word character
        alts = [(k, _label_pattern(k)) for k in sorted(keys, key=len, reverse=True)]
        alts += [(c.lower(), re.escape(c.lower())) for c in sorted(codes, key=len, reverse=True) if len(c) >= 5]
        for order, (text, pattern) in enumerate(alts):
            first = re.split(r"[\s\-'.]+", text, maxsplit=1)[0]
            variants = {first, {"saint": "st", "sainte": "ste"}.get(first, first)}
            matches = [_RUN.match(v) for v in variants]
            if any(m is None for m in matches):
                self.toujours.append((order, pattern))
                continue
            for run in {m.group(0) for m in matches if m is not None}:
                self.par_premier.setdefault(run, []).append((order, pattern))
        self._cache: dict[frozenset, re.Pattern | None] = {}

    def finditer(self, folded: str):
        firsts = frozenset(self.par_premier.keys() & set(_RUN.findall(folded)))
        if firsts in self._cache:
            rx = self._cache[firsts]
        else:
            alts = {a for w in firsts for a in self.par_premier[w]} | set(self.toujours)
            rx = (re.compile(r"(?<![\w])(?:" + "|".join(p for _, p in sorted(alts)) + r")(?![\w])")
                  if alts else None)
            if len(self._cache) < 20000:
                self._cache[firsts] = rx
        return iter(()) if rx is None else rx.finditer(folded)


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
    fixes: set[str] = field(default_factory=set)  # normalised source titles and licences
    _fixes_re: re.Pattern | None = None
    # Free text: masked values by (decimals shown, value shown), territory names as printed in any form,
    # the words of each indicator's labels.
    valeurs: dict[tuple[int, Decimal], list[_Masque]] = field(default_factory=dict)
    noms: dict[str, set[str]] = field(default_factory=dict)  # _label_key -> codes
    mots: dict[str, set[str]] = field(default_factory=dict)  # indicator code -> stems of its labels
    codes_masques: set[str] = field(default_factory=set)
    # The site's published figures (its exports), by territory code: {(indicator, year): value}.
    publies: dict[str, dict[tuple[str, int], float]] = field(default_factory=dict)
    _mention_re: _Noms | None = None
    _masked_re: _Noms | None = None  # the masked territories only: which files need reading
    _codes_lower: dict[str, str] = field(default_factory=dict)
    _raw: list[_Masque] = field(default_factory=list)

    def add_territoire(self, label: str, code: str) -> None:
        if label and code:
            self.territoires.setdefault(_norm(label), set()).add(str(code))
            key = _label_key(label)
            if len(key) >= 3:
                self.noms.setdefault(key, set()).add(str(code))

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
        self._fixes_re = alternation(self.fixes)
        self._finish_free_text()

    def _finish_free_text(self) -> None:
        masques = [m for ms in self.masques.values() for m in ms if not math.isnan(m.valeur)]
        for m in masques:
            exact = Decimal(repr(m.valeur))
            for d in {0, 1, 2, 3, 4, m.decimales}:
                for mode in (ROUND_HALF_UP, ROUND_HALF_EVEN, ROUND_DOWN):
                    shown = self.valeurs.setdefault((d, exact.quantize(Decimal(1).scaleb(-d), rounding=mode)), [])
                    if m not in shown:
                        shown.append(m)
        self._raw = masques
        for label, codes in self.indicateurs.items():
            for code in codes:
                self.mots.setdefault(code, set()).update(_stems(label))
        for code in self.codes_indicateurs:
            self.mots.setdefault(code, set()).update(_stems(code.replace("_", " ")))
        self.codes_masques = {m.code for m in masques}
        self._codes_lower = {c.lower(): c for c in self.codes if len(c) >= 5}

        self._mention_re = _Noms(self.noms, self.codes)
        masked_keys = {k for k, codes in self.noms.items() if codes & self.codes_masques}
        self._masked_re = _Noms(masked_keys, self.codes_masques)

    # -- free text
    def find(self, token: _Token) -> list[_Masque]:
        """The masked values a number may show (rounded at the decimals it shows, or raw)."""
        if token.decimals <= 4:
            return self.valeurs.get((token.decimals, token.value), [])
        q = Decimal(1).scaleb(-token.decimals)
        return [m for m in self._raw if any(Decimal(repr(m.valeur)).quantize(q, rounding=mode) == token.value
                                            for mode in (ROUND_HALF_UP, ROUND_HALF_EVEN, ROUND_DOWN))]

    def mentions(self, folded: str) -> list[_Mention]:
        """Every territory a folded text names, by label or code, in order."""
        if self._mention_re is None:
            return []
        out = []
        for m in self._mention_re.finditer(folded):
            token = m.group(0)
            code = self._codes_lower.get(token)
            codes = self.noms.get(_label_key(token), set()) | ({code} if code else set())
            if codes:
                colon = _COLON.match(folded, m.end()) is not None
                out.append(_Mention(m.start(), m.end(), frozenset(codes), colon))
        return out

    def concerne(self, text: str, rel: str) -> bool:
        """Can this file show a masked value: does it, or its path, name a masked territory?"""
        if self.codes_of_path(rel) & self.codes_masques:
            return True
        return self._masked_re is not None and next(self._masked_re.finditer(_fold(text)), None) is not None

    def codes_of_path(self, rel: str) -> set[str]:
        """The territory codes a file's path names (notes/communale-62040.html)."""
        return {tok for tok in _PATH_PARTS.split(rel) if tok in self.codes}

    def labels(self, folded: str) -> list[tuple[int, int]]:
        """Where a folded text names an indicator or cites a source: the numbers of a label (« de 40 à 49 ans »,
        « Licence Ouverte 2.0 ») are no values."""
        return [m.span() for r in (self._ind_re, self._fixes_re) if r is not None for m in r.finditer(folded)]

    def explique(self, m: _Masque, tok: _Token, years: set[int], folded_clause: str) -> bool:
        """Is a number equal to a masked value another figure the site publishes for the same territory, and the
        one the sentence is about: of a year it (or its paragraph, its figure's title) gives, or of the masked
        indicator when it gives none and the masked year is not the latest, or of any indicator when the sentence
        carries no word of the masked one? Then it shows nothing of the masked value (« Sancy compte 101
        habitants » when its masked households' persons are 101 too)."""
        publies = self.publies.get(m.code, {})
        for (ind, annee), valeur in publies.items():
            if (ind, annee) == (m.indicateur, m.annee) or _round(valeur, tok.decimals) != tok.value:
                continue
            if ind == m.indicateur:
                # Its published figure of a year the sentence gives; when it gives none, any, unless the masked
                # year is the indicator's latest (what a sentence without a year is read as).
                latest = max([a for i, a in publies if i == ind] + [o.annee for o in self.masques[(m.code, ind)]])
                if annee in years or (not years and m.annee < latest):
                    return True
                continue
            if years:
                if annee in years and (m.annee not in years or not self.hinted(m, folded_clause)):
                    return True
            elif not self.hinted(m, folded_clause):
                return True
        return False

    def hinted(self, m: _Masque, folded_clause: str) -> bool:
        """Does a clause carry a word of the masked value's indicator (its label, short or long, or its code)?"""
        words = self.mots.get(m.indicateur, set())
        return bool(words) and any(w[:5] in words for w in _WORD.findall(folded_clause))

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


def _build_index(masques: pd.DataFrame, exports: dict[Path, pd.DataFrame | None | Exception], glossaire=None,
                 sources=None) -> _Index:
    index = _Index()
    for src in sources or ():  # its title and licence print numbers that are no figure (« édition 2022 », « 2.0 »)
        index.fixes.update(_norm(t) for t in (src.titre, src.licence) if t)
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
        shown = df[(df["valeur"] != "") & df["annee"].str.fullmatch(r"\d{4}")]
        valeurs = pd.to_numeric(shown["valeur"].str.replace(",", ".", regex=False), errors="coerce")
        for code, ind, annee, valeur in zip(shown["code"], shown["indicateur"], shown["annee"], valeurs):
            if not math.isnan(valeur):
                index.publies.setdefault(code, {})[(ind, int(annee))] = float(valeur)
    for ind in glossaire or ():  # without it, the ledger and exports are enough
        index.add_indicateur(ind.libelle, ind.code)
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


def _audit_soup(soup, rel: str, index: _Index, page_terr: set[str] | None = None) -> list[Fuite]:
    if page_terr is None:
        page_terr = _page_territory(soup, index)
    out = []
    for n, table in enumerate(soup.find_all("table"), start=1):
        out += _audit_table(table, rel, index, page_terr, n)
    out += _audit_kpis(soup, rel, index, page_terr)
    out += _audit_segments(_html_segments(soup, index, page_terr | index.codes_of_path(rel)), rel, index)
    return out


# --------------------------------------------------------------------------- free text


@dataclass
class _Segment:
    """A piece of free text, where it is, and the territories it is about when its sentence names none."""

    where: str
    text: str
    contexte: set[str]
    plat: bool = False  # a flattened page (search index, PDF): newlines mean nothing, a run of numbers is a table
    annees: frozenset[int] = frozenset()  # the years its figure's title gives (an interactive map, a chart)
    lignes: bool = False  # each line is a record (plain text files)


# A flattened sentence showing more numbers is a table: _audit_flat_text reads it with its labels.
MAX_VALEURS_PHRASE = 4
_BLOCKS = {"p", "li", "dd", "dt", "figcaption", "blockquote", "h1", "h2", "h3", "h4", "h5", "h6", "caption", "div",
           "section", "article", "main", "aside", "header", "footer", "body", "html", "pre", "td", "th", "summary",
           "details", "label", "button", "option", "title", "text", "desc", "figure", "legend", "address", "ul",
           "ol", "dl", "table", "tr", "nav", "form"}
_HEADINGS = {"h2", "h3", "h4", "h5", "h6"}
_TEXT_ATTRS = {"alt", "title", "aria-label", "aria-description", "aria-valuetext", "content", "value", "placeholder",
               "label", "summary"}
_STRUCTURE = {"table", "tr", "td", "th", "thead", "tbody", "tfoot", "caption", "nav"}


def _extrait(text: str, n: int = 60) -> str:
    text = " ".join(text.split())
    return text[:n] + ("…" if len(text) > n else "")


def _in_structure(block) -> bool:
    """Tables and key-figure cards are read by their own checks (cells, not sentences); menus show no figure."""
    for tag in (block, *block.parents):
        if tag.name in _STRUCTURE or (tag.name == "div" and "kpi" in (tag.get("class") or [])):
            return True
    return False


def _legende(tag) -> bool:
    """An entry of an interactive map's legend (interactif.legende_html: div.osq-legende > ul > li)."""
    box = tag.parent.parent if tag.name == "li" and tag.parent is not None else None
    return box is not None and "osq-legende" in (box.get("class") or ())


def _html_segments(soup, index: _Index, contexte: set[str]) -> list[_Segment]:
    """Every piece of text of a page outside its tables and key figures: blocks, headings, comments,
    attributes (alt texts, titles, data-*), scripts."""
    segs: list[_Segment] = []
    blocks: dict[int, tuple] = {}
    annees = _annees_figures(soup)
    for node in soup.find_all(string=True):
        if isinstance(node, Comment):
            text = html.unescape(str(node))
            if any(ch.isdigit() for ch in text):
                segs.append(_Segment(f"commentaire HTML « {_extrait(text)} »", text, contexte))
            continue
        if isinstance(node, (Declaration, Doctype, ProcessingInstruction)) or not node.strip():
            continue
        parent = node.parent
        if parent is None or parent.name == "style":
            continue
        if parent.name == "script":  # data of a script: it names its territory, or it is not about one
            segs.append(_Segment("script de la page", str(node), set(), plat=True))
            continue
        if "osq-axe" in (parent.get("class") or ()) or _legende(parent):
            # A chart's axis tick or a map's class bound is a round number or a quantile of the published
            # values, about no territory: tied to one only when it names it.
            segs.append(_Segment(f"axe ou légende « {_extrait(str(node))} »", str(node), set()))
            continue
        block = parent if parent.name in _BLOCKS else (parent.find_parent(_BLOCKS) or parent)
        blocks.setdefault(id(block), (block, []))[1].append(str(node))
    heading: set[str] = set()
    for block, texts in blocks.values():  # in the order of the page
        text = " ".join(t.strip() for t in texts)
        if block.name in _HEADINGS:  # a section about a territory: its sentences may not repeat its name
            heading = {c for mt in index.mentions(_fold(text)) for c in mt.codes}
        if _in_structure(block) or not any(ch.isdigit() for ch in text):
            continue
        segs.append(_Segment(f"texte « {_extrait(text)} »", text, contexte | heading,
                             annees=annees.get(id(block), frozenset())))
    for tag in soup.find_all(True):
        for name, value in tag.attrs.items():
            if name not in _TEXT_ATTRS and not name.startswith("data-"):
                continue
            text = " ".join(value) if isinstance(value, list) else str(value)
            if any(ch.isdigit() for ch in text):
                where = "texte alternatif d'une figure" if name == "alt" else f"attribut « {name} » d'une balise <{tag.name}>"
                segs.append(_Segment(where, text, contexte, annees=annees.get(id(tag), frozenset())))
    return segs


def _annees_figures(soup) -> dict[int, frozenset[int]]:
    """The year an interactive figure's title gives (« Taux de pauvreté en 2016, CA … »), for each of its tags
    (by id): its areas' labels show that year's figures."""
    out: dict[int, frozenset[int]] = {}
    for fig in soup.find_all("div", class_="osq-interactif"):
        titre = fig.find(class_="osq-figure-titre")
        years = frozenset(int(y) for y in _YEAR.findall(titre.get_text())) if titre is not None else frozenset()
        if years:
            out[id(fig)] = years
            out.update((id(tag), years) for tag in fig.find_all(True))
    return out


def _unit_fits(m: _Masque, unit: str) -> bool:
    """A number printed with % or € shows a value in that unit; a bare number may show any (a raw value)."""
    return unit == "" or unit == m.unite


def _claim(mentions: list[_Mention], start: int, end: int, tok: _Token, text: str) -> set[str]:
    """The territories a sentence ties a number to: the nearest one named before it and the nearest one after
    it (unless that one labels what follows it: « Saint-Omer : 1 200 »); a number in parentheses belongs to
    what precedes it. Empty when no territory of the sentence claims it: the page's, or the section's, then."""
    before = [mt for mt in mentions if start <= mt.start and mt.end <= tok.start]
    after = [mt for mt in mentions if tok.end <= mt.start and mt.end <= end]
    p = before[-1] if before else None
    f = after[0] if after and not after[0].colon else None
    if p is not None:
        between = text[p.end:tok.start]
        if between.rfind("(") > between.rfind(")"):
            return set(p.codes)
    return set(p.codes if p else ()) | set(f.codes if f else ())


def _audit_segments(segments: list[_Segment], rel: str, index: _Index) -> list[Fuite]:
    """A number equal to a masked value, in a sentence tied to its territory (named there, or the page's when
    the sentence names none): a leak when it is distinctive, or when the sentence carries a word of the
    indicator. Its year, when the sentence gives one, must agree."""
    out = []
    for seg in segments:
        tokens = _tokens(seg.text)
        hits = [(t, ms) for t in tokens if not t.year and (ms := index.find(t))]
        if not hits:
            continue
        text = seg.text.replace("\n", " ") if seg.plat else seg.text  # same length: positions are kept
        folded = _fold(text)
        mentions = index.mentions(folded)
        clauses = _clauses(text, seg.lignes)
        labels: list[tuple[int, int]] | None = None
        for tok, ms in hits:
            start, end = next(((a, b) for a, b in clauses if a <= tok.start < b), (0, len(text)))
            if seg.plat and sum(1 for t in tokens if start <= t.start < end and not t.year) > MAX_VALEURS_PHRASE:
                continue
            terr = _claim(mentions, start, end, tok, text) or seg.contexte
            cands = [m for m in ms if m.code in terr and _unit_fits(m, tok.unit)]
            if not cands:
                continue
            labels = index.labels(folded) if labels is None else labels
            if any(a <= tok.start and tok.end <= b for a, b in labels):
                continue
            clause = folded[start:end]
            years = {int(t.value) for t in tokens if t.year and start <= t.start < end}
            hinted = [m for m in cands if index.hinted(m, clause)]
            if not tok.strong:
                cands = [m for m in hinted if not years or m.annee in years]
            else:
                cands = hinted or cands
                if years and any(m.annee in years for m in cands):
                    cands = [m for m in cands if m.annee in years]
            # A sentence without a year is about its paragraph's, or its figure's.
            contexte = years or {int(t.value) for t in tokens if t.year} or set(seg.annees)
            cands = [m for m in cands if not index.explique(m, tok, contexte, clause)]
            where = seg.where if len(seg.text) <= 200 else f"{seg.where}, « {_extrait(text[start:end], 80)} »"
            out += [Fuite(rel, where, m.territoire, m.indicateur, m.annee, m.shown()) for m in cands]
    return out


def _json_segments(data, index: _Index, contexte: set[str], where: str) -> list[_Segment]:
    """A JSON document as sentences: the plain values of each object (or list) together, long strings alone;
    an object that names no territory is about its parent's."""
    segs: list[_Segment] = []

    def plain(v) -> bool:
        return isinstance(v, (int, float, str)) and not isinstance(v, bool) and not (isinstance(v, str) and len(v) > 200)

    def walk(node, ctx: set[str], path: str) -> None:
        items = list(node.items()) if isinstance(node, dict) else [(str(i), v) for i, v in enumerate(node)]
        text = " ; ".join(f"{k} : {v}" if isinstance(node, dict) else str(v) for k, v in items if plain(v))
        names = {c for mt in index.mentions(_fold(text)) for c in mt.codes} if text else set()
        # An object that gives its code is about that territory only, not its homonyms (two Saint-Mard).
        names = {str(v) for k, v in items if k in ("code", "cle") and str(v) in index.codes} or names
        if text and any(ch.isdigit() for ch in text):
            segs.append(_Segment(f"{where} {path or '/'} « {_extrait(text)} »", text, ctx))
        for k, v in items:
            if isinstance(v, (dict, list)):
                walk(v, names or ctx, f"{path}/{k}")
            elif isinstance(v, str) and len(v) > 200:
                segs.append(_Segment(f"{where} {path}/{k}", v, names or ctx, plat=True))

    if isinstance(data, (dict, list)):
        walk(data, contexte, "")
    elif isinstance(data, str):
        segs.append(_Segment(where, data, contexte, plat=True))
    return segs


def _text_segments(text: str, index: _Index, contexte: set[str]) -> list[_Segment]:
    """A plain text file, line by line; a line naming a territory without figures (a heading, a label) gives
    its territory to the lines that follow it."""
    segs = []
    label: set[str] = set()
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        values = any(not t.year for t in _tokens(line))
        if not values:
            names = {c for mt in index.mentions(_fold(line)) for c in mt.codes}
            label = names or label
            continue
        segs.append(_Segment(f"ligne {n} « {_extrait(line)} »", line, contexte | label, lignes=True))
    return segs


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


def _docx_html(path: Path, rel: str, index: _Index) -> str | None:
    """A Word version as HTML (pandoc), or None when it names no masked territory (read from its raw text first:
    pandoc, a process per file, only runs for the others; in threads, while the audit reads the other files)."""
    try:
        with zipfile.ZipFile(path) as docx:
            raw = " ".join(docx.read(name).decode("utf-8", errors="replace") for name in docx.namelist()
                           if name.startswith("word/") and name.endswith(".xml"))
        if not index.concerne(html.unescape(re.sub(r"<[^>]+>", "", raw)), rel):
            return None
    except (zipfile.BadZipFile, KeyError):
        pass
    text = pypandoc.convert_file(str(path), "html", extra_args=["--standalone"])
    return text if index.concerne(text, rel) else None


def _audit_docx(text: str | None, rel: str, index: _Index) -> list[Fuite]:
    """A Word version, converted back to HTML by pandoc, audited like a page (real tables)."""
    if text is None:
        return []
    return _audit_soup(BeautifulSoup(text, "html.parser"), rel, index)


def _audit_pdf(path: Path, rel: str, index: _Index) -> list[Fuite]:
    """A PDF version: its text, page by page, read like a flattened page (tables rebuilt from labels)."""
    reader = PdfReader(str(path))
    text = "\n".join(page.extract_text() or "" for page in reader.pages)
    if not index.concerne(text, rel):
        return []
    meta = reader.metadata
    title = str((meta.get("/Title") if meta is not None else None) or "") or next(
        (line for line in text.splitlines()[1:4] if line.strip()), "")
    out = _audit_flat_text(text, title, rel, "version PDF", index)
    # Typeset text loses the table structure (and key-figure cards put the value before its label):
    # a masked value, written with its unit, within two lines of its indicator's label, on a PDF that
    # names its territory, is a leak. Conservative: a false alarm is better than a missed leak.
    # The number is read as a number (« 2016 » does not show a masked 20, nor a year a count).
    raw_lines = text.splitlines()
    lines = [_norm(line) for line in raw_lines]
    shown_in = [{id(m) for t in _tokens(line) if not t.year for m in index.find(t) if _unit_fits(m, t.unit)}
                for line in raw_lines]
    flat = _norm(text)
    for masques in index.masques.values():
        for m in masques:
            if math.isnan(m.valeur) or (_norm(m.territoire) not in flat and m.code not in text):
                continue
            label = _norm(m.libelle)[:18]
            for i in range(len(lines)):
                if id(m) in shown_in[i] and any(label in near for near in lines[max(0, i - 2): i + 3]):
                    out.append(Fuite(rel, f"version PDF, ligne {i + 1}", m.territoire, m.indicateur, m.annee, m.shown()))
                    break
    contexte = index.terr_of_label(title) | index.terr_in_text(title) | index.codes_of_path(rel)
    out += _audit_segments([_Segment("version PDF", text, contexte, plat=True)], rel, index)
    return list(dict.fromkeys(out))


def _audit_search(path: Path, rel: str, index: _Index, text: str) -> list[Fuite]:
    try:
        entries = json.loads(text)
    except ValueError:
        return _audit_segments(_text_segments(text, index, set()), rel, index)
    out = []
    for k, entry in enumerate(entries if isinstance(entries, list) else []):
        if not isinstance(entry, dict):
            continue
        text = str(entry.get("text") or "")
        title = str(entry.get("title") or "")
        href = str(entry.get("href") or "")
        where = f"index de recherche, entrée {k + 1} ({href})"
        out += _audit_flat_text(text, title, rel, where, index)
        contexte = index.terr_of_label(title) | index.terr_in_text(title) | index.codes_of_path(href)
        out += _audit_segments([_Segment(where, f"{title}. {text}", contexte, plat=True)], rel, index)
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


def _audit_notebook(path: Path, rel: str, index: _Index, text: str) -> list[Fuite]:
    try:
        nb = json.loads(text)
    except ValueError:
        return _audit_segments(_text_segments(text, index, index.codes_of_path(rel)), rel, index)
    html_parts: list[str] = []
    markdown: list[str] = []
    plain: list[str] = []  # text outputs (printed values, data frames) and markdown cells
    page_terr: set[str] = index.codes_of_path(rel)
    for cell in nb.get("cells", []) if isinstance(nb, dict) else []:
        source = "".join(cell.get("source", []))
        tags = cell.get("metadata", {}).get("tags", [])
        if cell.get("cell_type") == "code" and ("parameters" in tags or "injected-parameters" in tags):
            page_terr |= {s for s in re.findall(r"[\"']([\w]+)[\"']", source) if s in index.codes}
        if cell.get("cell_type") == "markdown":
            plain.append(source)
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            for mime in ("text/html", "text/markdown"):
                if mime in data:
                    text = "".join(data[mime]) if isinstance(data[mime], list) else str(data[mime])
                    (html_parts if mime == "text/html" else markdown).append(text)
            shown = output.get("text") if output.get("output_type") == "stream" else (
                None if "text/html" in data or "text/markdown" in data else data.get("text/plain"))
            if shown:
                plain.append("".join(shown) if isinstance(shown, list) else str(shown))
    out: list[Fuite] = []
    if markdown:
        html_parts.append(_markdown_to_html("\n\n".join(markdown)))
    if html_parts:
        soup = BeautifulSoup("\n".join(html_parts), "html.parser")
        h1 = soup.find("h1")
        if h1 is not None:
            page_terr |= index.terr_of_label(h1.get_text(" ", strip=True))
        out += _audit_soup(soup, rel, index, page_terr)
    out += _audit_segments([_Segment(f"sortie texte « {_extrait(t)} »", t, page_terr, plat=True) for t in plain
                            if any(ch.isdigit() for ch in t)], rel, index)
    return [Fuite(f.fichier, f"sortie de notebook, {f.emplacement}", f.territoire, f.indicateur, f.annee, f.valeur)
            for f in dict.fromkeys(out)]


# --------------------------------------------------------------------------- any other file


# Files without text: not searched, and listed as such in the audit's report.
BINAIRES = {".png", ".jpg", ".jpeg", ".gif", ".webp", ".ico", ".bmp", ".tif", ".tiff", ".avif", ".woff", ".woff2",
            ".ttf", ".otf", ".eot", ".zip", ".gz", ".bz2", ".xz", ".7z", ".mp3", ".mp4", ".webm", ".ogg", ".wasm",
            ".duckdb", ".parquet", ".pkl", ".db"}
GENRES = {"page": ("page HTML", "pages HTML"), "export": ("export CSV ou Excel", "exports CSV et Excel"),
          "pdf": ("version PDF", "versions PDF"), "docx": ("version Word", "versions Word"),
          "recherche": ("index de recherche", "index de recherche"), "notebook": ("notebook", "notebooks"),
          "json": ("fichier JSON", "fichiers JSON"), "markdown": ("fichier markdown", "fichiers markdown"),
          "texte": ("autre fichier texte", "autres fichiers texte (CSS, JavaScript, .tmp…)")}
_HTML_START = re.compile(r"<(?:!doctype\s+html|html|head|body|p|div|table|section|main|h[1-6])[\s>]", re.IGNORECASE)


def _decode(data: bytes) -> str | None:
    """A file's text, or None for a file without text (an image, a font)."""
    if b"\x00" in data[:8192]:
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")


# `window.NAME = {…};`: a script whose only statement assigns a JSON value (data shipped as a script, which a
# page opened from file:// can load where fetch() cannot).
_DONNEES_SCRIPT = re.compile(r"^\s*(?:window\.[A-Za-z_$][\w$]*|(?:var|let|const)\s+[A-Za-z_$][\w$]*)\s*=\s*"
                             r"([\[{].*[\]}])\s*;?\s*$", re.S)


def _audit_file(path: Path, rel: str, index: _Index, exports: dict, docx: dict | None = None) -> tuple[str, list[Fuite]]:
    """(kind of file, its leaks). Every file is read whatever its name: a stray copy (`.tmp`, `.json`, `.md`)
    is read by what it holds. docx: Word versions already converted (futures of _docx_html)."""
    suffix = path.suffix.lower()
    if suffix in (".csv", ".xlsx") and exports.get(path) is not None:
        return "export", _audit_export(path, rel, index, exports[path])
    if suffix == ".docx":
        converted = docx[path].result() if docx and path in docx else _docx_html(path, rel, index)
        return "docx", _audit_docx(converted, rel, index)
    if suffix == ".pdf":
        return "pdf", _audit_pdf(path, rel, index)
    if suffix in BINAIRES:
        return "binaire", []
    if suffix == ".xlsx":  # a workbook that is not an export: its sheets as text
        sheets = pd.read_excel(path, sheet_name=None, dtype=str, engine="calamine")
        text = "\n".join(sheet.fillna("").to_csv(sep=";", index=False) for sheet in sheets.values())
    else:
        decoded = _decode(path.read_bytes())
        if decoded is None:
            return "binaire", []
        text = decoded
    if path.name == "search.json":
        return "recherche", _audit_search(path, rel, index, text)
    if suffix == ".ipynb":
        return "notebook", _audit_notebook(path, rel, index, text)
    head = text.lstrip()[:2000]
    if suffix in (".html", ".htm", ".xhtml", ".svg", ".xml") or _HTML_START.match(head) or "<html" in head.lower():
        if not index.concerne(html.unescape(text), rel):
            return "page", []
        return "page", _audit_soup(BeautifulSoup(text, "html.parser"), rel, index)
    kind = "markdown" if suffix in (".md", ".qmd", ".markdown", ".rmd") else "texte"
    donnees_script = _DONNEES_SCRIPT.match(text) if suffix in (".js", ".mjs") else None
    if donnees_script:  # a script that only holds data (the comparison page's figures): read as JSON
        text, head = donnees_script.group(1), donnees_script.group(1)[:2000]
    if suffix in (".json", ".geojson") or head[:1] in ("{", "["):
        unescaped = re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), text)
        try:
            data = json.loads(text)
        except ValueError:
            data = None
        if data is not None:
            if not index.concerne(unescaped, rel):
                return "json", []
            segs = _json_segments(data, index, index.codes_of_path(rel), "donnée JSON")
            return "json", _audit_segments(segs, rel, index)
    if not index.concerne(text, rel):
        return kind, []
    if kind == "markdown":
        soup = BeautifulSoup(_markdown_to_html(text), "html.parser")
        return kind, _audit_soup(soup, rel, index, _page_territory(soup, index) | index.codes_of_path(rel))
    return kind, _audit_segments(_text_segments(text, index, index.codes_of_path(rel)), rel, index)


# --------------------------------------------------------------------------- the secret rules, checked again


@dataclass
class ControleRegles:
    """The secret rules of the profile applied again to the published figures of the exports."""

    publies: int = 0  # published figures (statut ok, with a value)
    soumis: int = 0  # of which a secret rule applies to
    regles: dict[str, int] = field(default_factory=dict)  # rule -> published figures it applies to
    inconnus: int = 0  # figures whose threshold variable is not published: not checked again
    sous_seuil: list[Fuite] = field(default_factory=list)  # published under a rule's threshold: leaks
    erreur: str | None = None  # the rules could not be read


def _nombres(col: pd.Series) -> pd.Series:
    return pd.to_numeric(col.astype(str).str.replace(r"[\s\u00a0\u202f]", "", regex=True).str.replace(",", "."),
                         errors="coerce")


def _controle_regles(site_dir: Path, exports: dict, profil: str, glossaire) -> ControleRegles | None:
    """Every published figure of the exports checked against the secret rules (primary rules: thresholds on the
    value, numerator, denominator or another published indicator). None when the site has no export."""
    frames = [(p, df) for p, df in exports.items() if isinstance(df, pd.DataFrame)]
    if not frames:
        return None
    ctrl = ControleRegles()
    try:
        rules = load_rules(glossaire=glossaire)
    except OsqError as exc:
        ctrl.erreur = str(exc)
        return ctrl
    publies: set[tuple] = set()
    soumis: set[tuple] = set()
    inconnus: set[tuple] = set()
    par_regle: dict[str, set] = {}
    seen: set[int] = set()
    for path, df in frames:
        if not {"statut", "source"} <= set(df.columns):
            continue
        rel = path.relative_to(site_dir).as_posix()
        kind = "CSV" if path.suffix.lower() == ".csv" else "Excel"
        num = {col: _nombres(df[col]).to_numpy() if col in df.columns else np.full(len(df), np.nan)
               for col in EXPORT_VALUES}
        ok = ((df["statut"] == "ok").to_numpy()) & ~np.isnan(num["valeur"])
        niveau, code, indicateur, annee = (df[c].astype(str).tolist() for c in ("niveau", "code", "indicateur", "annee"))
        source_col = df["source"].astype(str).to_numpy()
        # The workbook holds the CSV's figures: checked once when they are the same.
        digest = hash((tuple(zip(niveau, code, indicateur, annee)), tuple(source_col), ok.tobytes(),
                       *(np.nan_to_num(v, nan=-1.0).round(9).tobytes() for v in num.values())))
        if digest in seen:
            continue
        seen.add(digest)
        ind_col = np.asarray(indicateur)
        niv_col = np.asarray(niveau)
        keys = list(zip(niveau, code, indicateur, annee))
        publies.update(k for k, o in zip(keys, ok) if o)
        reference = {(niveau[i], code[i], annee[i], indicateur[i]): num["valeur"][i] for i in np.flatnonzero(ok)}
        for source, regles in rules.items():
            for regle in regles.regles:
                if regle.nature != "secret":
                    continue
                seuil = regle.seuils.get(profil)
                if seuil is None:
                    ctrl.erreur = f"profil « {profil} » absent des seuils de la règle « {regle.id} »"
                    return ctrl
                sel = ok & np.isin(ind_col, regle.indicateurs) & np.isin(source_col, [source, DERIVED_SOURCE])
                if regle.niveaux is not None:
                    sel &= np.isin(niv_col, regle.niveaux)
                rows = np.flatnonzero(sel)
                if not len(rows):
                    continue
                aux = regle.indicateur_variable
                if aux is None:
                    var = num.get(regle.variable, num["valeur"])[rows]
                else:
                    var = np.array([reference.get((niveau[i], code[i], annee[i], aux), np.nan) for i in rows], dtype=float)
                cells = {keys[i] for i in rows}
                soumis |= cells
                par_regle.setdefault(regle.id, set()).update(cells)
                inconnus.update(keys[i] for i in rows[np.isnan(var)])
                for i, v in zip(rows[var < seuil], var[var < seuil]):
                    ind = indicateur[i]
                    decimales = glossaire[ind].decimales if glossaire is not None and ind in glossaire.indicateurs else 1
                    unite = str(df["unite"].iat[i]) if "unite" in df.columns else ""
                    territoire = str(df["territoire"].iat[i]) if "territoire" in df.columns else code[i]
                    ctrl.sous_seuil.append(Fuite(
                        rel, f"export {kind} ligne {i + 2} : sous le seuil de la règle « {regle.id} » ({regle.variable} "
                             f"{fr.nombre(float(v), 0 if v == int(v) else 1)} < {fr.nombre(seuil, 0 if seuil == int(seuil) else 1)})",
                        territoire, ind, int(annee[i]), fr.valeur(float(num["valeur"][i]), unite, decimales)))
    ctrl.publies, ctrl.soumis, ctrl.inconnus = len(publies), len(soumis), len(inconnus)
    ctrl.regles = {rid: len(cells) for rid, cells in sorted(par_regle.items())}
    ctrl.sous_seuil = list(dict.fromkeys(ctrl.sous_seuil))
    return ctrl


# --------------------------------------------------------------------------- entry points


@dataclass
class Rapport:
    """What an audit looked for, where, and what it found."""

    fuites: list[Fuite]
    valeurs: int  # masked values looked for (those with a known value)
    territoires: int  # the territories they belong to
    fichiers: Counter  # files read, by kind (GENRES)
    non_lus: list[str]  # files without text (images, fonts): not searched
    controle: ControleRegles | None  # None: the site has no export to check the rules against
    secondes: float

    @property
    def n_fichiers(self) -> int:
        return sum(self.fichiers.values())


def _sources() -> list:
    try:
        return list(load_catalogue().values())
    except Exception:  # noqa: BLE001 - without it, numbers of source citations are read as any other
        return []


def _glossaire():
    try:
        return load_glossaire()
    except Exception:  # noqa: BLE001 - the ledger and exports are enough to search; the rules need it
        return None


# A site of at least PARALLELE_DES files (a région's: thousands of pages, minutes on one core) is read by
# PROCESSUS processes (None: one per core).
PARALLELE_DES = 200
PROCESSUS: int | None = None
_PARTAGE: tuple | None = None  # (site, index) in a process reading files (set by _partager)


def _preparer(site_dir: Path, masques: pd.DataFrame, known: bool) -> tuple:
    """What the files are checked against: (rules check, index, {export: (rel, kind, leaks)}). The exports are
    read here (once: the index, the export check and the rules check share them), and released with this
    function's memory: on a large site it runs in a process of its own, which ends before the pages are read."""
    exports = _exports(site_dir)
    glossaire = _glossaire()
    controle = _controle_regles(site_dir, exports, profil_of(site_dir), glossaire)
    if not known:  # nothing masked with a known value: nothing to look for
        return controle, None, {}
    index = _build_index(masques, exports, glossaire, _sources())
    faits = {}
    for path in exports:
        if exports[path] is not None:  # an export of figures (an unreadable one stops the audit here)
            rel = path.relative_to(site_dir).as_posix()
            faits[path] = (rel, *_audit_file(path, rel, index, exports))
    return controle, index, faits


def _partager(site_dir: Path, index: _Index) -> None:
    global _PARTAGE
    _PARTAGE = (site_dir, index)
    gc.freeze()  # the index lives as long as the process: the collector need not walk it again and again


def _audit_lot(paths: list[Path]) -> list[tuple[str, str, list[Fuite]]]:
    """In a process reading files: (rel, kind, leaks) of each file of a batch (its exports are checked apart)."""
    assert _PARTAGE is not None
    site_dir, index = _PARTAGE
    out = []
    for path in paths:
        rel = path.relative_to(site_dir).as_posix()
        out.append((rel, *_audit_file(path, rel, index, {})))
    return out


def _audit_serie(paths: list[Path], site_dir: Path, index: _Index, faits: dict):
    """(rel, kind, leaks) of every file, in this process."""
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        # pandoc converts the Word versions in other processes while this one reads the other files
        docx = {p: pool.submit(_docx_html, p, p.relative_to(site_dir).as_posix(), index)
                for p in paths if p.suffix.lower() == ".docx"}
        for path in paths:
            if path in faits:
                yield faits[path]
            else:
                rel = path.relative_to(site_dir).as_posix()
                yield (rel, *_audit_file(path, rel, index, {}, docx))


def verifier(site_dir: Path | str, masques: pd.DataFrame) -> Rapport:
    """Every leak of a masked value in the published site, and what was searched to find them.

    A large site is read by one process per core. They are started fresh (spawn), not forked: they receive the
    index (a few tens of MB) and not the memory of the process that audits (a build's: notes, exports).
    The exports are read by a first process, which ends before the others start."""
    start = time.perf_counter()
    site_dir = Path(site_dir)
    known = masques[masques["valeur"].notna()]
    paths = sorted(p for p in site_dir.rglob("*") if p.is_file())
    n = PROCESSUS or os.cpu_count() or 1
    parallele = len(paths) >= PARALLELE_DES and n >= 2
    if not parallele:
        controle, index, faits = _preparer(site_dir, masques, bool(len(known)))
        lus = _audit_serie(paths, site_dir, index, faits) if index is not None else iter(())
        return _rapport(lus, controle, known, start)
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(1) as pool:
        controle, index, faits = pool.apply(_preparer, (site_dir, masques, bool(len(known))))
    if index is None:
        return _rapport(iter(()), controle, known, start)
    autres = [p for p in paths if p not in faits]
    # Small batches, in order: the processes stay busy to the end and the report lists files as before.
    taille = max(1, min(32, len(autres) // (n * 8)))
    lots = [autres[i:i + taille] for i in range(0, len(autres), taille)]
    with ctx.Pool(n, initializer=_partager, initargs=(site_dir, index)) as pool:
        lus = (item for lot in pool.imap(_audit_lot, lots) for item in lot)
        return _rapport((faits[p] if p in faits else next(lus) for p in paths), controle, known, start)


def _rapport(lus, controle: ControleRegles | None, known: pd.DataFrame, start: float) -> Rapport:
    out: list[Fuite] = list(controle.sous_seuil) if controle is not None else []
    fichiers: Counter = Counter()
    non_lus: list[str] = []
    for rel, kind, found in lus:
        if kind == "binaire":
            non_lus.append(rel)
        else:
            fichiers[kind] += 1
        out += found
    return Rapport(list(dict.fromkeys(out)), len(known), known["code"].nunique(), fichiers, non_lus, controle,
                   time.perf_counter() - start)


def audit(site_dir: Path | str, masques: pd.DataFrame) -> list[Fuite]:
    """Every leak of a masked value in the published site (`verifier` also says what it searched)."""
    return verifier(site_dir, masques).fuites


def print_fuites(fuites: list, console) -> None:
    """The leaks as a French table (page, place, territory, indicator, year, value)."""
    table = Table(title=f"Valeurs secrètes publiées ({len(fuites)})", show_lines=False)
    for col in ("Page", "Emplacement", "Territoire", "Indicateur", "Année", "Valeur"):
        table.add_column(col, overflow="fold", justify="right" if col in ("Année", "Valeur") else "left")
    for f in fuites:
        table.add_row(f.fichier, f.emplacement, f.territoire, f.indicateur, str(f.annee), f.valeur)
    console.print(table)


def _pluriel(n: int, mot: str, pluriel: str | None = None) -> str:
    return f"{fr.nombre(n)} {mot if n < 2 else (pluriel or mot + 's')}"


def resume(rapport: Rapport) -> str:
    """What the audit searched, in one French phrase: values, territories, files by kind, time."""
    kinds = ", ".join(f"{fr.nombre(n)} {GENRES[k][n > 1]}"
                      for k, n in sorted(rapport.fichiers.items(), key=lambda kv: (-kv[1], kv[0])))
    return (f"{_pluriel(rapport.valeurs, 'valeur masquée', 'valeurs masquées')} "
            f"({_pluriel(rapport.territoires, 'territoire')}) cherchée{'s' if rapport.valeurs > 1 else ''} dans "
            f"{_pluriel(rapport.n_fichiers, 'fichier')} du site ({kinds}) en {fr.nombre(rapport.secondes, 1)} s")


def _non_lus(rapport: Rapport) -> str:
    """The files without text, which the audit could not search (images, fonts)."""
    if not rapport.non_lus:
        return ""
    exts = sorted({Path(p).suffix.lower() or Path(p).name for p in rapport.non_lus})
    n = len(rapport.non_lus)
    return f" {_pluriel(n, 'fichier')} sans texte {'n’a' if n < 2 else 'n’ont'} pas été lu{'s' if n > 1 else ''} ({', '.join(exts)})."


def _pourquoi(c: ControleRegles) -> str:
    """Why no value needed masking, from the rules checked again on the published figures."""
    if c.soumis == 0:
        return (f"aucune règle de secret ne porte sur les {fr.nombre(c.publies)} chiffres publiés des exports "
                "(ni leurs sources, ni leurs niveaux, ni leurs indicateurs n'en ont)")
    regles = ", ".join(f"« {r} »" for r in c.regles)
    text = (f"les {fr.nombre(c.soumis)} chiffres publiés soumis à une règle de secret "
            f"({_pluriel(len(c.regles), 'règle')} : {regles}) sont tous au-dessus de leur seuil")
    if c.inconnus:
        text += (f" ({fr.nombre(c.inconnus)} dont la variable du seuil n'est pas publiée n'ont pas pu être "
                 "revérifiés)")
    return text


def main(site_dir: Path | str, masques: Path | str | None = None) -> int:
    """`osq audit SITE_DIR`. Exit codes (`osq audit` turns 1 into 4, its code for a leak):

    0 no leak: the output says how many masked values were looked for in how many files, or, with an empty
      ledger, why no value needed masking (the secret rules checked again on the published figures);
    1 leak(s): a masked value on the site, or a published figure under a secret rule's threshold;
    2 ledger missing or invalid, or empty while nothing shows that no value needed masking (the site has no
      export to check the rules against, or the rules cannot be read).
    """
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
    rapport = verifier(site_dir, ledger)
    profil = profil_of(site_dir)
    controle = rapport.controle
    if rapport.fuites:
        print_fuites(rapport.fuites, console)
        console.print(f"[bold red]Échec de l'audit du secret[/] : {len(rapport.fuites)} valeur(s) secrète(s) publiée(s) "
                      f"(profil « {profil} »). Corrigez le masquage (règles data/secret/*.yml ou note concernée) puis "
                      "relancez « osq build ».")
        if controle is not None and controle.sous_seuil:
            vide = "Le registre des valeurs masquées est vide alors que" if rapport.valeurs == 0 else "De plus,"
            console.print(f"{vide} {_pluriel(len(controle.sous_seuil), 'chiffre publié', 'chiffres publiés')} "
                          f"tombe{'nt' if len(controle.sous_seuil) > 1 else ''} sous le seuil d'une règle de secret "
                          f"({path}) : le registre ne couvre pas ces règles.")
        if rapport.valeurs:
            console.print(f"Recherche : {resume(rapport)}.{_non_lus(rapport)}")
        return 1
    if rapport.valeurs == 0:
        if controle is None or controle.erreur:
            cause = ("le site n'a aucun export des chiffres publiés (donnees/chiffres.csv) sur lequel revérifier les "
                     "règles de secret" if controle is None else f"les règles de secret n'ont pas pu être lues : {controle.erreur}")
            console.print(f"[bold red]Erreur[/] : le registre des valeurs masquées est vide ({path}) et rien ne montre "
                          f"qu'aucune valeur n'avait besoin d'être masquée : {cause}.\n"
                          "  → Correction : relancez « osq build » (il écrit le registre et les exports du site), ou "
                          "donnez le registre de ce site (--masques).")
            return 2
        console.print(f"[bold green]Audit du secret réussi[/] (profil « {profil} ») : aucune valeur n'avait besoin "
                      f"d'être masquée : {_pourquoi(controle)} (registre vide : {path}).")
        return 0
    text = f"[bold green]Audit du secret réussi[/] (profil « {profil} ») : {resume(rapport)} : aucune n'y apparaît."
    if controle is None:
        text += " Le site n'a pas d'export des chiffres publiés : les règles de secret n'y ont pas été revérifiées."
    elif controle.erreur:
        text += f" Les règles de secret n'ont pas pu être revérifiées : {controle.erreur}."
    else:
        text += (f" Les règles de secret, revérifiées sur les {fr.nombre(controle.publies)} chiffres publiés des "
                 "exports, n'en trouvent aucun sous son seuil.")
    console.print(text + _non_lus(rapport))
    return 0
