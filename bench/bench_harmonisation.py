"""Benchmark: COG harmonisation (agregation.harmonise_cog) of a national frame of commune observations.

Usage: python bench/bench_harmonisation.py [--lignes 3000000] [--repetitions 3]
Reads the store ($OSQ_STORE or data/osq.duckdb, after `osq ingest`): every commune observation of COG 2020
(Filosofi 2019 of every commune of France, real codes, values and secrets), repeated under suffixed indicator
codes (`revenu_median~2`…, same glossary type) until the frame has about --lignes rows, the size of
35,000 communes × 90 indicators. Converts it from COG 2020 to COG 2024 with the store's passage tables.
Target (issue 12): a few seconds on 2 cores.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import time

import pandas as pd

from osq_utils import store
from osq_utils.agregation import harmonise_cog
from osq_utils.catalogues.glossaire import load_glossaire

COG_DEPART, COG_ARRIVEE = 2020, 2024


def national_frame(con, lignes: int, types: dict[str, str]) -> tuple[pd.DataFrame, dict[str, str]]:
    obs = con.execute(
        "SELECT code, indicateur, annee, valeur, numerateur, denominateur, statut FROM observations "
        "WHERE niveau = 'commune' AND cog = ?", [COG_DEPART]).df()
    obs = obs.drop_duplicates(["code", "indicateur", "annee"])
    copies = max(1, round(lignes / len(obs)))
    frames, all_types = [], dict(types)
    for i in range(copies):
        suffix = f"~{i}" if i else ""
        frames.append(obs.assign(indicateur=obs["indicateur"] + suffix))
        all_types.update({k + suffix: v for k, v in types.items()})
    return pd.concat(frames, ignore_index=True), all_types


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--lignes", type=int, default=3_000_000)
    parser.add_argument("--repetitions", type=int, default=3)
    args = parser.parse_args()
    con = store.connect(store.store_path(), read_only=True)
    passages = con.execute("SELECT * FROM passages_cog").df()
    frame, types = national_frame(con, args.lignes, load_glossaire().types())
    con.close()
    communes, indicateurs = frame["code"].nunique(), frame["indicateur"].nunique()
    times = []
    for _ in range(args.repetitions):
        start = time.perf_counter()
        out = harmonise_cog(frame, passages, COG_DEPART, COG_ARRIVEE, types)
        times.append(time.perf_counter() - start)
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"Harmonisation COG {COG_DEPART} → {COG_ARRIVEE} : {_n(len(frame))} observations ({_n(communes)} communes × "
          f"{indicateurs} indicateurs) → {_n(len(out))} ; médiane {statistics.median(times):.2f} s "
          f"(min {min(times):.2f} s, max {max(times):.2f} s, {len(times)} répétitions) ; "
          f"mémoire maximale {peak_mib:.0f} Mio ; objectif : quelques secondes.")


def _n(value: int) -> str:
    return f"{value:,}".replace(",", "\u202f")


if __name__ == "__main__":
    main()
