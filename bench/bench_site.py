"""Benchmark of `osq build` on the CAPSO observatory, with pandoc and with Quarto.

For each renderer, three builds of params/capso.yml (both profiles, every note) into a temporary folder:
  full        `osq build --force`: every note executed and every page rendered;
  one note    the analyst's « enjeux » of one ABS note edited (62040-sante.md), then `osq build`: one note
              executed, its page rendered again (with Quarto: count of pages rendered, from its log);
  no-op       `osq build` again, nothing changed.

Usage:
  python bench/bench_site.py                      # both renderers (Quarto: the one on the PATH)
  python bench/bench_site.py --rendus quarto --imprimables
Needs the store (make donnees) and, for Quarto, `quarto` on the PATH (`make bench-site` puts .outils/quarto
there). Prints one line per build and a markdown table; says the machine's load before each build (uptime),
since other processes share its cores.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from osq_utils.catalogues.racine import PROJECT_ROOT

BIN = Path(sys.executable).parent
ENJEUX = "62040-sante.md"


def load() -> str:
    return "charge " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def params_copy(tmp: Path) -> Path:
    """params/capso.yml with its « enjeux » folder copied beside it (the bench edits one of them)."""
    enjeux = tmp / "enjeux"
    shutil.copytree(PROJECT_ROOT / "params" / "capso" / "enjeux", enjeux)
    text = (PROJECT_ROOT / "params" / "capso.yml").read_text(encoding="utf-8")
    text = text.replace("enjeux: params/capso/enjeux", f"enjeux: {enjeux}")
    assert str(enjeux) in text, "params/capso.yml n'a plus de dossier d'enjeux"
    out = tmp / "capso.yml"
    out.write_text(text, encoding="utf-8")
    return out


def quarto_pages(log_dir: Path) -> int:
    """Pages Quarto rendered, from the build logs of both profiles."""
    total = 0
    for log in log_dir.glob("journaux*/quarto.log"):
        total += sum(int(n) for n in re.findall(r"== quarto render : (\d+) page", log.read_text(encoding="utf-8")))
    return total


def build(params: Path, sortie: Path, env: dict, *extra: str) -> float:
    start = time.perf_counter()
    proc = subprocess.run([str(BIN / "osq"), "build", str(params), "--jobs", "2", "--sortie", str(sortie), *extra],
                          cwd=PROJECT_ROOT, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"échec de osq build :\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description="Banc d'essai du site CAPSO, pandoc et Quarto")
    parser.add_argument("--rendus", default="pandoc,quarto", help="pandoc, quarto ou les deux")
    parser.add_argument("--imprimables", action="store_true", help="avec les versions PDF et Word (make site)")
    args = parser.parse_args()
    quarto = shutil.which("quarto")
    extra = ["--imprimables"] if args.imprimables else []
    rows = []
    with tempfile.TemporaryDirectory(prefix="osq-bench-site-") as tmp_name:
        tmp = Path(tmp_name)
        params = params_copy(tmp)
        for rendu in args.rendus.split(","):
            if rendu == "quarto" and not quarto:
                raise SystemExit("quarto absent du PATH : « make bench-site » utilise .outils/quarto")
            env = {**os.environ, "OSQ_QUARTO": quarto if rendu == "quarto" else "non"}
            sortie = tmp / f"rapports-{rendu}"
            times, pages = {}, {}
            for step in ("complète", "une note modifiée", "sans changement"):
                if step == "une note modifiée":
                    with open(params.parent / "enjeux" / ENJEUX, "a", encoding="utf-8") as fh:
                        fh.write(f"\n- Ligne ajoutée par le banc d'essai ({rendu}).\n")
                before = quarto_pages(sortie / "capso")
                print(f"{rendu} : construction {step}… ({load()})", flush=True)
                times[step] = build(params, sortie, env, *(["--force"] if step == "complète" else []), *extra)
                pages[step] = quarto_pages(sortie / "capso") - before
                print(f"  {times[step]:.1f} s" + (f", {pages[step]} pages rendues par Quarto" if rendu == "quarto" else ""),
                      flush=True)
            rows.append((rendu, times, pages))
    print(f"\n| Rendu | Complète | Une note modifiée | Sans changement |{' (imprimables)' if args.imprimables else ''}")
    print("|---|--:|--:|--:|")
    for rendu, times, pages in rows:
        cells = [f"{times[s]:.1f} s" + (f" ({pages[s]} p.)" if rendu == "quarto" else "")
                 for s in ("complète", "une note modifiée", "sans changement")]
        print(f"| {rendu} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
