"""Benchmark: ingest the whole mirror into a fresh DuckDB store, then the derived figures.

Usage: python bench/bench_ingest.py [--repetitions N]
Reads the files straight from the mirror ($OSQ_MIRROR or ../shared/sources), as `osq ingest`
reads them after `osq sources`. Prints the time per source, the total and the peak memory.
Target (issue 12, with the national files): under 90 s on 2 cores, peak memory under 4 GB.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import tempfile
import time
from pathlib import Path

from osq_utils import store
from osq_utils.catalogues.sources import load_catalogue
from osq_utils.ingest import ingest_source, ordered_sources
from osq_utils.ingest.derive import derive
from osq_utils.sources import mirror_dir


def run_once(mirror: Path, verbose: bool) -> float:
    catalogue = load_catalogue()
    with tempfile.TemporaryDirectory() as tmp:
        con = store.connect(Path(tmp) / "bench.duckdb")
        start = time.perf_counter()
        for source in ordered_sources(catalogue):
            t = time.perf_counter()
            report = ingest_source(con, source, lambda sid, ch: mirror / sid / ch)
            if verbose:
                rows = sum(r["lignes_lues"] for r in report)
                print(f"  {source.id:42s} {time.perf_counter() - t:6.2f} s  {rows:>9,} lignes")
        t = time.perf_counter()
        n = derive(con)
        if verbose:
            print(f"  {'(calculs dérivés)':42s} {time.perf_counter() - t:6.2f} s  {n:>9,} valeurs")
        total = time.perf_counter() - start
        obs = con.execute("SELECT count(*) FROM observations").fetchone()[0]
        con.close()
    if verbose:
        print(f"  observations en base : {obs:,}")
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--repetitions", type=int, default=3)
    args = parser.parse_args()
    mirror = mirror_dir()
    if mirror is None:
        raise SystemExit("Miroir des sources introuvable : définissez OSQ_MIRROR.")
    times = [run_once(mirror, verbose=(i == 0)) for i in range(args.repetitions)]
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"Chargement complet du miroir : médiane {statistics.median(times):.1f} s "
          f"(min {min(times):.1f} s, max {max(times):.1f} s, {len(times)} répétitions) ; "
          f"mémoire maximale {peak_mib:.0f} Mio ; objectif < 90 s et < 4 Go.")


if __name__ == "__main__":
    main()
