"""What a sane load looks like, checked before anything is written to the store.

A reader returns its frames; before they replace the previous load of the source (store.replace_source), the
guard refuses, with a located French error:
- a file with far fewer data rows than at the previous load (a truncated or header-only copy), unless the user
  accepts the drop explicitly (`osq ingest --accepter-baisse`);
- a year outside the vintages the catalogue declares for the source (`millesimes`);
- an impossible value: outside the bounds of its indicator (glossary `bornes`: 0-100 for a percentage,
  0 or more for a count or an amount), a numerator above its denominator for a share, a negative count.
Partner deliveries go through the same value checks (ingest.livraisons), plus whole counts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from osq_utils.catalogues.glossaire import Glossaire, Indicateur, load_glossaire
from osq_utils.catalogues.sources import Source
from osq_utils.errors import OsqError
from osq_utils.ingest.tabular import INDEX_LIGNES

# Largest drop of a file's data rows against the previous load accepted without --accepter-baisse.
BAISSE_TOLEREE = 0.05
OPTION_BAISSE = "--accepter-baisse"


@dataclass(eq=False)  # compared by identity: pandas compares attrs when it concatenates frames
class Provenance:
    """Where the values of an observation frame come from: the file, its column and the file line of each row.

    Kept in a frame's attrs by base.observations; pandas deep-copies attrs at every operation, this one is shared."""

    colonne: str | None = None
    lignes: np.ndarray | None = None
    numerateur: str | None = None
    denominateur: str | None = None
    fichier: str | Path | None = field(default=None)

    def __deepcopy__(self, memo: dict) -> Provenance:
        return self

    def ligne(self, pos: int) -> int | None:
        return None if self.lignes is None else int(self.lignes[pos])


def provenance_of(valeur, numerateur=None, denominateur=None) -> Provenance | None:
    """The provenance of values read from a file by tabular.read_csv_text (whose index is the file line - 2)."""
    if not isinstance(valeur, pd.Series):
        return None
    index = valeur.index
    lignes = index.to_numpy(dtype="int64") + 2 if index.name == INDEX_LIGNES else None

    def name(s) -> str | None:
        return str(s.name) if isinstance(s, pd.Series) and s.name is not None else None

    return Provenance(colonne=name(valeur), lignes=lignes, numerateur=name(numerateur), denominateur=name(denominateur))


def _nombre(v: float) -> str:
    return f"{v:.10g}".replace(".", ",").replace("-", "−")


def _sens_bornes(ind: Indicateur) -> str:
    low, high = ind.bornes
    if low is not None and high is not None:
        return f"comprise entre {_nombre(low)} et {_nombre(high)}"
    if low == 0:
        return "jamais négative"
    if low is not None:
        return f"d'au moins {_nombre(low)}"
    return f"d'au plus {_nombre(high)}" if high is not None else ""


def _situer(prov: Provenance | None, frame: pd.DataFrame, pos: int, colonne: str | None = None) -> dict:
    """fichier / ligne / colonne of the row at pos of an observation frame (the territory's code when the line
    is unknown)."""
    where: dict = {"fichier": prov.fichier if prov else None, "ligne": prov.ligne(pos) if prov else None,
                   "colonne": colonne or (prov.colonne if prov else None)}
    if where["ligne"] is None and where["colonne"] is None:
        where["colonne"] = f"territoire {frame['code'].iloc[pos]}"
    return where


CORRECTION_SOURCE = ("reprenez le fichier d'origine du producteur (« osq sources ») : la base garde le chargement "
                     "précédent. Si la valeur est bien celle du producteur, déclarez ses « bornes » dans "
                     "data/glossaire.yml.")


def controler_valeurs(frame: pd.DataFrame, glossaire: Glossaire, prov: Provenance | None = None, *,
                      entiers: bool = False, correction: str = CORRECTION_SOURCE) -> None:
    """Refuse the first impossible value of an observation frame (values outside the indicator's bounds,
    a negative numerator or denominator, a numerator above the denominator of a share; with entiers, a count
    that is not whole). Missing values (secret, absent) are not checked."""
    if frame.empty:
        return
    for indicateur, rows in frame.groupby("indicateur", sort=False).indices.items():
        if indicateur not in glossaire:
            continue
        ind = glossaire[indicateur]
        part = frame.iloc[rows]
        valeur = part["valeur"].to_numpy(dtype="float64")
        num = part["numerateur"].to_numpy(dtype="float64")
        den = part["denominateur"].to_numpy(dtype="float64")
        low, high = ind.bornes
        checks = []
        with np.errstate(invalid="ignore"):
            if ind.est_une_part:  # first: it says why a recomputed share is over 100 %
                checks.append((num > den, "numerateur", f"numérateur « {{v}} » supérieur à son dénominateur "
                               f"« {{d}} » pour « {ind.libelle} » ({ind.code}) : une part ne dépasse pas 100 %"))
            if low is not None:
                checks.append((valeur < low, "valeur", f"valeur impossible « {{v}} » pour « {ind.libelle} » "
                               f"({ind.code}) : elle est {_sens_bornes(ind)}"))
            if high is not None:
                checks.append((valeur > high, "valeur", f"valeur impossible « {{v}} » pour « {ind.libelle} » "
                               f"({ind.code}) : elle est {_sens_bornes(ind)}"))
            if low is not None and low >= 0:
                checks.append((num < 0, "numerateur", f"numérateur négatif « {{v}} » pour « {ind.libelle} » ({ind.code})"))
            checks.append((den < 0, "denominateur", f"dénominateur négatif « {{v}} » pour « {ind.libelle} » ({ind.code})"))
            if entiers:  # a partner counts persons or households: whole numbers
                counts = {"numerateur": num, "denominateur": den}
                if ind.type == "compte":
                    counts["valeur"] = valeur
                for what, v in counts.items():
                    checks.append((np.isfinite(v) & (v != np.round(v)), what,
                                   f"effectif non entier « {{{'v' if what != 'denominateur' else 'd'}}} » pour "
                                   f"« {ind.libelle} » ({ind.code}) : un effectif est un nombre entier"))
        first = None
        for bad, what, message in checks:
            hits = np.flatnonzero(bad)
            if hits.size and (first is None or hits[0] < first[0]):
                first = (int(hits[0]), what, message)
        if first is None:
            continue
        pos, what, message = first
        values = {"valeur": valeur, "numerateur": num, "denominateur": den}
        text = message.format(v=_nombre(values[what][pos]), d=_nombre(den[pos]))
        colonne = {"numerateur": prov.numerateur, "denominateur": prov.denominateur}.get(what) if prov else None
        raise OsqError(text, **_situer(prov, frame, int(rows[pos]), colonne), correction=correction)


def controler_colonne(values: pd.Series, indicateur: str, fichier: str | Path, codes: pd.Series) -> None:
    """Check the raw values of a column before a reader aggregates them (an average of schools' IPS, a sum of
    facilities): an impossible value is located in its file line, which the aggregate would lose."""
    frame = pd.DataFrame({"code": codes.to_numpy(), "indicateur": indicateur, "valeur": values.to_numpy(dtype="float64"),
                          "numerateur": np.nan, "denominateur": np.nan})
    prov = provenance_of(values)
    if prov is not None:
        prov.fichier = fichier
    controler_valeurs(frame, load_glossaire(), prov)


def controler_annees(frame: pd.DataFrame, source: Source, prov: Provenance | None = None) -> None:
    """Refuse a year outside the source's declared vintages (catalogue « millesimes »)."""
    bornes = source.annees
    if bornes is None or frame.empty:
        return
    annees = frame["annee"].to_numpy()
    bad = np.flatnonzero((annees < bornes[0]) | (annees > bornes[1]))
    if bad.size:
        pos = int(bad[0])
        raise OsqError(
            f"année {annees[pos]} hors des millésimes de la source {source.id} ({source.millesimes})",
            **_situer(prov, frame, pos),
            correction="vérifiez que le fichier est bien celui de ce millésime ; pour un nouveau millésime, déclarez "
            "une nouvelle source (ou ses « millesimes ») dans data/sources.yml.",
        )


def controler_volumes(source: Source, report: Iterable[dict], precedents: dict[str, int], *,
                      accepter_baisse: bool = False, chemins: Mapping[str, str | Path] | None = None) -> None:
    """Refuse a file with far fewer data rows than at the previous load: a truncated or header-only copy.

    A first load has no reference: its counts are in the load report (an extract cut to a territory may hold
    no row of a file)."""
    chemins = chemins or {}
    for row in report:
        name, lues = row["fichier"], int(row["lignes_lues"])
        before = precedents.get(name)
        if not before or accepter_baisse or lues >= before * (1 - BAISSE_TOLEREE):
            continue
        correction = ("reprenez le fichier d'origine du producteur (« osq sources ») ; la base garde le chargement "
                      f"précédent. Si la baisse est voulue (nouvelle édition), relancez avec {OPTION_BAISSE}.")
        where = chemins.get(name, name)
        if lues == 0:
            raise OsqError(f"aucune ligne de données : le fichier ne contient que son en-tête (ou rien), contre "
                           f"{before:,} lignes au chargement précédent".replace(",", "\u202f"),
                           fichier=where, ligne=2, correction=correction)
        baisse = (before - lues) / before * 100
        raise OsqError(
            f"{lues:,} lignes de données contre {before:,} au chargement précédent (−{baisse:.0f} %) : "
            "le fichier semble tronqué".replace(",", "\u202f"),
            fichier=where, ligne=lues + 1, correction=correction,
        )
