"""The published figures as CSV and Excel (site/donnees/), read through the profile's masked view, and the
data of the comparison page (batch.comparaison) from the same frame."""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import pandas as pd

from osq_utils import atomic, indicateurs, territoires
from osq_utils.batch import comparaison
from osq_utils.batch.execute import JobResult
from osq_utils.batch.plan import Plan
from osq_utils.catalogues.glossaire import Glossaire, load_glossaire
from osq_utils.catalogues.sources import load_catalogue
from osq_utils.indicateurs.zones import zone
from osq_utils.notes import territoires_montres
from osq_utils.secret.vue import Vue
from osq_utils.store import DERIVED_SOURCE

COLONNES = ["niveau", "code", "territoire", "indicateur", "indicateur_libelle", "unite", "annee", "valeur",
            "numerateur", "denominateur", "statut", "estime", "source", "source_libelle"]


def fichiers(dep: str | None = None) -> tuple[str, ...]:
    """The export files of the observatory, or of one of its départements (a région: comparaison.parties)."""
    return (f"chiffres{comparaison.suffixe(dep)}.csv", f"chiffres{comparaison.suffixe(dep)}.xlsx",
            comparaison.fichier(dep))


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
        if niveau == "zone":  # no producer publishes a zone: its figures are summed from its parts, masks applied
            found = {c: zone(vue, c) for c in codes}
            labels.update({("zone", c): z.libelle for c, z in found.items()})
            frames += [indicateurs.zone_observations(vue, z.territoire, list(glossaire.indicateurs))
                       .assign(source=DERIVED_SOURCE, cog=None) for z in found.values()]
            continue
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
    notes did not change and every file is there. For a région (comparaison.parties), one set of files per
    département: its communes and intercommunalities with their references.

    A secret or missing figure has an empty value and its status: never the value.
    """
    keys = sorted({(r.job.niveau, r.job.code) for r in results if r.statut != "échec"})
    deps = comparaison.parties(plan)
    digest = hashlib.sha256(json.dumps([data_fp, keys, plan.titre, comparaison.VERSION, sorted(deps)]).encode()).hexdigest()
    out_dir = site / "donnees"
    attendus = [f for dep in (deps or [None]) for f in fichiers(dep)]
    if state.get("empreinte") == digest and all((out_dir / f).exists() for f in attendus):
        return
    glossaire = load_glossaire()
    frame = chiffres_publies(results, store_file, ledger, profil, glossaire)
    out_dir.mkdir(parents=True, exist_ok=True)
    for dep in deps or [None]:
        part = frame if dep is None else partie(frame, plan, dep)
        csv, xlsx, _ = fichiers(dep)
        _ecrire(part[COLONNES], out_dir / csv, out_dir / xlsx)
        comparaison.ecrire_comparaison(part, glossaire, out_dir, dep)
    for old in out_dir.glob("*"):  # the files of another cut (a région that became one département…)
        if old.is_file() and old.name not in attendus:
            old.unlink()
    state["empreinte"] = digest


def _ecrire(df: pd.DataFrame, csv: Path, xlsx: Path) -> None:
    atomic.write_bytes(csv, df.to_csv(index=False, sep=";", decimal=",").encode("utf-8-sig"))
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="xlsxwriter") as xl:  # several times faster than openpyxl
        df.head(0).to_excel(xl, sheet_name="chiffres", index=False)  # the header, in pandas' style
        # The rows go straight to xlsxwriter: pandas styles every cell (a JSON dump per cell), 4 times slower.
        # A missing value (NaN, NA) is no cell at all, as pandas writes it.
        feuille = xl.sheets["chiffres"]
        colonnes = [df[c].tolist() for c in df.columns]
        for i, ligne in enumerate(zip(*colonnes), start=1):
            feuille.write_row(i, 0, [None if v is pd.NA or v != v else v for v in ligne])
        pd.DataFrame({"statut": ["ok", "secret", "absent"],
                      "signification": ["valeur publiée", "secret statistique : valeur non diffusable",
                                        "non disponible (année ou source manquante)"]}).to_excel(xl, sheet_name="légende", index=False)
    atomic.write_bytes(xlsx, buf.getvalue())


def partie(frame: pd.DataFrame, plan: Plan, dep: str) -> pd.DataFrame:
    """A département's share of a région's figures: its communes, the intercommunalities most of whose communes
    are in it, itself, and every other reference (région, France, strata…). A commune or an intercommunality
    the plan does not place (none in a région's plan) goes in every share: never left out."""
    places = {c: r[0] for c, r in plan.rubriques.items()}
    par_epci: dict[str, dict[str, int]] = {}
    for d, _, epci, _ in plan.rubriques.values():
        par_epci.setdefault(epci, {}).setdefault(d, 0)
        par_epci[epci][d] += 1
    places_epci = {e: min(n, key=lambda d: (-n[d], d)) for e, n in par_epci.items()}
    niveau, code = frame["niveau"], frame["code"]
    commune = niveau.isin(["commune", "arm"])
    epci = niveau == "epci"
    place = code.map(places).where(commune, code.map(places_epci).where(epci))
    garde = (place == dep) | ((commune | epci) & place.isna())
    garde |= (niveau == "departement") & (code == dep)
    garde |= ~(commune | epci | (niveau == "departement"))
    return frame[garde]
