"""The published figures as CSV and Excel (site/donnees/), read through the profile's masked view."""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import pandas as pd

from osq_utils import atomic, territoires
from osq_utils.batch.execute import JobResult
from osq_utils.batch.plan import Plan
from osq_utils.catalogues.glossaire import load_glossaire
from osq_utils.catalogues.sources import load_catalogue
from osq_utils.notes import territoires_montres
from osq_utils.secret.vue import Vue


def write_exports(plan: Plan, results: list[JobResult], site: Path, store_file: Path, ledger: Path | None,
                  profil: str, state: dict, data_fp: str) -> None:
    """The published figures as CSV and Excel: every territory the published notes show (their kinds say
    which: notes.territoires_montres), read through the profile's masked view.

    A secret or missing figure has an empty value and its status: never the value.
    """
    published = [r.job for r in results if r.statut != "échec"]
    keys = sorted({(j.niveau, j.code) for j in published})
    digest = hashlib.sha256(json.dumps([data_fp, keys, plan.titre]).encode()).hexdigest()
    out_dir = site / "donnees"
    if state.get("empreinte") == digest and (out_dir / "chiffres.csv").exists() and (out_dir / "chiffres.xlsx").exists():
        return
    glossaire, catalogue = load_glossaire(), load_catalogue()
    vue = Vue.ouvrir(store_file, ledger, profil, glossaire)
    montres = territoires_montres(vue, published)
    frames, labels = [], {}
    for niveau in sorted(montres):
        codes = sorted(montres[niveau])
        labels.update({(niveau, c): v for c, v in territoires.libelles(vue, niveau, codes).items()})
        frames.append(vue.observations(niveau, codes, list(glossaire.indicateurs)))
    df = pd.concat(frames, ignore_index=True)
    df["territoire"] = [labels.get((n, c), "France métropolitaine" if n == "france" else c)
                        for n, c in zip(df["niveau"], df["code"])]
    df["indicateur_libelle"] = df["indicateur"].map({i.code: i.libelle for i in glossaire})
    df["unite"] = df["indicateur"].map({i.code: i.unite for i in glossaire})
    df["source_libelle"] = df["source"].map({k: v.citation for k, v in catalogue.items()}).fillna("calculs OSQ")
    df.loc[df["statut"] != "ok", ["valeur", "numerateur", "denominateur"]] = None
    cols = ["niveau", "code", "territoire", "indicateur", "indicateur_libelle", "unite", "annee", "valeur",
            "numerateur", "denominateur", "statut", "estime", "source", "source_libelle"]
    df = df[cols].sort_values(["niveau", "code", "indicateur", "annee"])
    out_dir.mkdir(parents=True, exist_ok=True)
    atomic.write_bytes(out_dir / "chiffres.csv", df.to_csv(index=False, sep=";", decimal=",").encode("utf-8-sig"))
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="xlsxwriter") as xl:  # several times faster than openpyxl
        df.to_excel(xl, sheet_name="chiffres", index=False)
        pd.DataFrame({"statut": ["ok", "secret", "absent"],
                      "signification": ["valeur publiée", "secret statistique : valeur non diffusable",
                                        "non disponible (année ou source manquante)"]}).to_excel(xl, sheet_name="légende", index=False)
    atomic.write_bytes(out_dir / "chiffres.xlsx", buf.getvalue())
    state["empreinte"] = digest
