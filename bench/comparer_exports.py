"""Compare the published figures of two builds of the same observatory (site/donnees/chiffres.csv).

Used to check that a refactoring leaves every published figure unchanged:

    python bench/comparer_exports.py AVANT/capso/site APRES/capso/site

Prints, for the figures both builds publish (same territory, indicator and year), how many have the
same value, numerator, denominator, status and source, and lists every difference; then the figures
only one of them publishes, counted by level and indicator. Exit code 1 when a common figure differs.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

KEYS = ["niveau", "code", "indicateur", "annee"]
VALUES = ["valeur", "numerateur", "denominateur", "statut", "estime", "source"]


def lire(site: Path) -> pd.DataFrame:
    df = pd.read_csv(site / "donnees" / "chiffres.csv", sep=";", decimal=",", dtype={"code": str}, encoding="utf-8-sig")
    return df.set_index(KEYS)[VALUES].sort_index()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("avant", type=Path, help="dossier du site de référence (…/site)")
    parser.add_argument("apres", type=Path, help="dossier du site comparé (…/site)")
    args = parser.parse_args()
    a, b = lire(args.avant), lire(args.apres)
    common = a.index.intersection(b.index)
    left, right = a.loc[common], b.loc[common]
    same = pd.Series(True, index=common)
    for col in VALUES:
        x, y = left[col], right[col]
        if x.dtype.kind == "f" and y.dtype.kind == "f":
            equal = ((x - y).abs() <= 1e-9 * x.abs().clip(lower=1)) | (x.isna() & y.isna())
        else:
            equal = (x.astype(str) == y.astype(str))
        same &= equal
    print(f"Chiffres publiés par les deux constructions : {len(common)} ; identiques : {int(same.sum())} ; "
          f"différents : {int((~same).sum())}")
    for key in common[~same.to_numpy()][:50]:
        print("  différent :", key, dict(left.loc[key]), "→", dict(right.loc[key]))
    for label, only in (("seulement avant", a.index.difference(b.index)), ("seulement après", b.index.difference(a.index))):
        print(f"Chiffres {label} : {len(only)}")
        if len(only):
            counts = pd.Series(1, index=only).groupby(level=["niveau", "indicateur"]).sum()
            for (niveau, indicateur), n in counts.items():
                print(f"  {niveau:12} {indicateur:32} {n}")
    return 0 if same.all() else 1


if __name__ == "__main__":
    sys.exit(main())
