"""Benchmark of the automatic commentary: CAPSO site built with and without it (issue: at most 15 % more time).

Two params files written in a temporary folder from params/capso.yml: as it is (commentary on), and with
`commentaire: false` on every note entry whose kind writes commentary (TypeNote.sections_commentaire; the
other kinds reject the key). Paths inside a params file are relative to the folder osq runs from, not to the
file: the builds run from the project's folder (bench_site.build), so the copies keep them unchanged.
Each build is `osq build --jobs 2` (pandoc renderer, no printable versions) into a fresh output folder; the
order alternates (off, on, on, off, …) so that neither configuration always runs first on cold caches.

Usage:
  python bench/bench_commentaire.py                    # one pair of full builds
  python bench/bench_commentaire.py --repetitions 3    # off, on, on, off, off, on
  python bench/bench_commentaire.py --limite 6         # the first 6 notes of the plan only (quick try)
Needs the store (make donnees). Prints one line per build, then a markdown table: the time of each build,
the median per configuration, the overhead of the commentary and whether it is within the 15 % target.
Exit code 0 whatever the overhead (a warning when the two configurations built different notes); 1 when
a build fails.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import tempfile
from pathlib import Path

import yaml
from bench_site import build, load  # bench/ is on sys.path when run as a script: the site benchmark's helpers

from osq_utils.catalogues.racine import PROJECT_ROOT
from osq_utils.notes import TYPES

PARAMS = PROJECT_ROOT / "params" / "capso.yml"
SEUIL = 15.0  # % of extra build time allowed for the commentary (issue)
CONFIGS = {"sans": "sans commentaire", "avec": "avec commentaire"}


def write_params(tmp: Path) -> tuple[dict[str, Path], int]:
    """The two params files, and the number of note entries whose commentary is switched off."""
    data = yaml.safe_load(PARAMS.read_text(encoding="utf-8"))
    avec = tmp / "capso-avec.yml"
    shutil.copyfile(PARAMS, avec)
    n = 0
    for note in data["notes"]:
        if TYPES[note["modele"]].sections_commentaire:
            note["commentaire"] = False
            n += 1
    sans = tmp / "capso-sans.yml"
    sans.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return {"sans": sans, "avec": avec}, n


def notes_built(root: Path) -> dict[str, tuple[str, str | None]]:
    """Executed notebooks of every profile, `<profile folder>/<slug>` -> (template, `commentaire` parameter)."""
    notes = {}
    for nb in sorted(root.glob("notebooks*/*.ipynb")):
        papermill = json.loads(nb.read_text(encoding="utf-8"))["metadata"].get("papermill", {})
        notes[f"{nb.parent.name}/{nb.stem}"] = (Path(papermill.get("input_path", "")).stem,
                                                papermill.get("parameters", {}).get("commentaire"))
    return notes


def order(repetitions: int) -> list[str]:
    """off, on, on, off, off, on…: each configuration runs first in half of the pairs."""
    pairs = [("sans", "avec"), ("avec", "sans")]
    return [config for i in range(repetitions) for config in pairs[i % 2]]


def main() -> None:
    parser = argparse.ArgumentParser(
        description="Banc d'essai du commentaire automatique : construit le site CAPSO (params/capso.yml) sans "
                    "puis avec commentaire (« commentaire: false » sur chaque note qui en a un), avec osq build "
                    "--jobs 2, le rendu pandoc et sans versions imprimables, chaque fois dans un dossier neuf, et "
                    f"dit le surcoût du commentaire (objectif : au plus {SEUIL:.0f} %).",
        epilog="Exemples : python bench/bench_commentaire.py --repetitions 2 ; "
               "python bench/bench_commentaire.py --limite 6 (essai rapide sur les 6 premières notes). "
               "Il faut la base (make donnees).",
        add_help=False)
    parser.add_argument("-h", "--help", action="help", help="affiche cette aide et s'arrête")
    parser.add_argument("--repetitions", type=int, default=1, metavar="N",
                        help="nombre de paires de constructions, dans l'ordre sans, avec, avec, sans… (défaut : 1)")
    parser.add_argument("--limite", type=int, default=0, metavar="N",
                        help="ne construire que les N premières notes du plan (osq build --limite ; 0 = toutes)")
    args = parser.parse_args()
    if args.repetitions < 1 or args.limite < 0:
        parser.error("--repetitions vaut au moins 1 et --limite au moins 0")
    env = {**os.environ, "OSQ_QUARTO": "non"}  # pandoc renderer, even when Quarto is on the PATH
    extra = ["--limite", str(args.limite)] if args.limite else []
    times: dict[str, list[float]] = {c: [] for c in CONFIGS}
    built: dict[str, dict[str, tuple[str, str | None]]] = {}
    runs = []
    with tempfile.TemporaryDirectory(prefix="osq-bench-commentaire-") as tmp_name:
        tmp = Path(tmp_name)
        params, n_off = write_params(tmp)
        print(f"{PARAMS.relative_to(PROJECT_ROOT)} : commentaire coupé sur {n_off} entrée(s) de notes ; "
              f"{os.cpu_count()} cœurs" + (f" ; {args.limite} premières notes" if args.limite else ""), flush=True)
        for i, config in enumerate(order(args.repetitions), 1):
            sortie = tmp / f"rapports-{i}-{config}"
            print(f"{i}. {CONFIGS[config]} : construction… ({load()})", flush=True)
            seconds = build(params[config], sortie, env, *extra)  # a failed build exits with code 1
            notes = notes_built(sortie / "capso")
            shutil.rmtree(sortie)
            times[config].append(seconds)
            runs.append((i, config, seconds, len(notes)))
            print(f"   {seconds:.1f} s, {len(notes)} notes (tous profils)", flush=True)
            if config not in built:
                built[config] = notes
    sans, avec = built["sans"], built["avec"]
    commented = {TYPES[m].template.stem for m in TYPES if TYPES[m].sections_commentaire}
    still_on = [slug for slug, (template, value) in sans.items() if template in commented and value != ""]
    median = {c: statistics.median(t) for c, t in times.items()}
    overhead = 100 * (median["avec"] - median["sans"]) / median["sans"]

    print("\n| Construction | Configuration | Durée | Notes (tous profils) |")
    print("|--:|---|--:|--:|")
    for i, config, seconds, n in runs:
        print(f"| {i} | {CONFIGS[config]} | {seconds:.1f} s | {n} |")
    print("\n| Configuration | Médiane | Constructions |")
    print("|---|--:|--:|")
    for config, label in CONFIGS.items():
        print(f"| {label} | {median[config]:.1f} s | {len(times[config])} |")
    verdict = "oui" if overhead <= SEUIL else "NON"
    print(f"\nSurcoût du commentaire : {overhead:+.1f} % ({median['avec'] - median['sans']:+.1f} s) ; "
          f"objectif ≤ {SEUIL:.0f} % atteint : {verdict}.")
    if still_on:
        print(f"Attention : {len(still_on)} note(s) de la configuration sans commentaire l'ont gardé "
              f"(ex. {still_on[0]}) : la mesure ne compare pas ce qu'elle annonce.")
    if set(sans) != set(avec):
        diff = sorted(set(sans) ^ set(avec))
        print(f"Attention : les deux configurations n'ont pas construit les mêmes notes ({len(diff)} de différence, "
              f"ex. {', '.join(diff[:3])}) : la mesure ne les compare pas à travail égal.")
    else:
        print(f"Mêmes notes construites dans les deux configurations : {len(avec)} (tous profils confondus).")


if __name__ == "__main__":
    main()
