"""The published figures as CSV and Excel (site/donnees/), read through the profile's masked view, and the
data of the comparison page (batch.comparaison) from the same frame."""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import pandas as pd

from osq_utils import atomic, territoires
from osq_utils.batch import comparaison
from osq_utils.batch.execute import JobResult
from osq_utils.batch.plan import Plan
from osq_utils.catalogues.glossaire import Glossaire, load_glossaire
from osq_utils.catalogues.sources import load_catalogue
from osq_utils.notes import territoires_montres
from osq_utils.secret.vue import Vue

COLONNES = ["niveau", "code", "territoire", "indicateur", "indicateur_libelle", "unite", "annee", "valeur",
            "numerateur", "denominateur", "statut", "estime", "source", "source_libelle"]
FICHIERS = ("chiffres.csv", "chiffres.xlsx", comparaison.FICHIER)


def chiffres_publies(results: list[JobResult], store_file: Path, ledger: Path | None, profil: str,
                     glossaire: Glossaire | None = None) -> pd.DataFrame:
    """Every figure of every territory the published notes show (their kinds say which:
    notes.territoires_montres), read through the profile's masked view: the one frame of the exports and of
    the comparison page. A secret or missing figure has no value, numerator nor denominator: only its status.

    Columns: COLONNES, then `decimales` (the precision its producer published)."""
    glossaire = glossaire or load_glossaire()
    catalogue = load_catalogue()
    published = [r.job for r in results if r.statut != "échec"]
    vue = Vue.ouvrir(store_file, ledger, profil, glossaire)
    montres = territoires_montres(vue, published)
    frames, labels = [], {}
    for niveau in sorted(montres):
        codes = sorted(montres[niveau])
        labels.update({(niveau, c): v for c, v in territoires.libelles(vue, niveau, codes).items()})
        frames.append(vue.observations(niveau, codes, list(glossaire.indicateurs)))
    frames = [f for f in frames if not f.empty]
    if not frames:
        return pd.DataFrame(columns=[*COLONNES, "decimales"])
    df = pd.concat(frames, ignore_index=True)
    if "decimales" not in df:
        df["decimales"] = pd.NA
    df["territoire"] = [labels.get((n, c), territoires.LIBELLES_FRANCE.get(c, "France métropolitaine")
                                   if n == "france" else c) for n, c in zip(df["niveau"], df["code"])]
    df["indicateur_libelle"] = df["indicateur"].map({i.code: i.libelle for i in glossaire})
    df["unite"] = df["indicateur"].map({i.code: i.unite for i in glossaire})
    df["source_libelle"] = df["source"].map({k: v.citation for k, v in catalogue.items()}).fillna("calculs OSQ")
    df.loc[df["statut"] != "ok", ["valeur", "numerateur", "denominateur"]] = None
    return df[[*COLONNES, "decimales"]].sort_values(["niveau", "code", "indicateur", "annee"]).reset_index(drop=True)


def write_exports(plan: Plan, results: list[JobResult], site: Path, store_file: Path, ledger: Path | None,
                  profil: str, state: dict, data_fp: str) -> None:
    """The published figures (chiffres_publies) as CSV and Excel, and the comparison page's data
    (`donnees/comparaison.js`), written together; skipped when the store, the ledger and the published
    notes did not change and every file is there.

    A secret or missing figure has an empty value and its status: never the value.
    """
    keys = sorted({(r.job.niveau, r.job.code) for r in results if r.statut != "échec"})
    digest = hashlib.sha256(json.dumps([data_fp, keys, plan.titre, comparaison.VERSION]).encode()).hexdigest()
    out_dir = site / "donnees"
    if state.get("empreinte") == digest and all((out_dir / f).exists() for f in FICHIERS):
        return
    glossaire = load_glossaire()
    frame = chiffres_publies(results, store_file, ledger, profil, glossaire)
    df = frame[COLONNES]
    out_dir.mkdir(parents=True, exist_ok=True)
    atomic.write_bytes(out_dir / "chiffres.csv", df.to_csv(index=False, sep=";", decimal=",").encode("utf-8-sig"))
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="xlsxwriter") as xl:  # several times faster than openpyxl
        df.to_excel(xl, sheet_name="chiffres", index=False)
        pd.DataFrame({"statut": ["ok", "secret", "absent"],
                      "signification": ["valeur publiée", "secret statistique : valeur non diffusable",
                                        "non disponible (année ou source manquante)"]}).to_excel(xl, sheet_name="légende", index=False)
    atomic.write_bytes(out_dir / "chiffres.xlsx", buf.getvalue())
    comparaison.ecrire_comparaison(frame, glossaire, out_dir)
    state["empreinte"] = digest
