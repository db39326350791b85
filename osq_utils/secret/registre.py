"""The ledger of masked values: what one diffusion profile of a build must not publish.

`osq build` computes it once per profile for the territories its notes show (the note kinds say
which: `osq_utils.notes.territoires_montres`): primary rules of data/secret/, then the
complementary cells so that no masked count can be recovered from a total (communes → EPCI,
IRIS → commune, IRIS and communes → zone of data/zones/: a zone is one more published total, so a zone that
differs from its commune by one masked IRIS cannot reveal it). It is written beside the site, never in it
(`rapports/<observatoire>/masques-<profil>.csv`, UTF-8, `;`): the notes and the exports read it
through the masked view (`secret.vue`), and `osq audit` looks for each of its values in the site.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd

from osq_utils import atomic, territoires
from osq_utils.agregation import aggregate
from osq_utils.catalogues.glossaire import Glossaire, load_glossaire
from osq_utils.catalogues.secret import Regles, load_rules
from osq_utils.catalogues.sources import indicateurs_exhaustifs
from osq_utils.errors import OsqError
from osq_utils.indicateurs import une_source_par_valeur
from osq_utils.indicateurs.zones import Zone, toutes_les_zones, zone
from osq_utils.secret.algorithmes import CLES_CELLULE, apply_to_table, primary_audit
from osq_utils.store import DERIVED_SOURCE

# The ledger's columns: the cell, its labels (for the audit's search), its true value and the rule.
COLONNES = ["niveau", "code", "territoire", "indicateur", "indicateur_libelle", "unite", "decimales", "annee",
            "valeur", "regle"]
REGLE_SECONDAIRE = "secret secondaire"
ANNEES = (1960, 2100)


# --- Which territories the masks cover ----------------------------------------------------


def territoires_etendus(con, montres: dict[str, set[str]]) -> dict[str, set[str]]:
    """The territories shown, plus the complete groups the secondary suppression needs.

    A masked count of a commune can be recovered from its EPCI's total and the other communes, an
    IRIS from its commune and the other IRIS: every commune of a shown commune's EPCI, and every
    IRIS of those communes, enter the computation (and the départements of those communes).
    """
    levels = {niveau: set(codes) for niveau, codes in montres.items()}
    communes, epcis = levels.setdefault("commune", set()), levels.setdefault("epci", set())
    # One query for all communes (territoires.parents), not one per commune: a région's ledger asks for thousands.
    epcis.update(e for e in territoires.parents(con, "commune", sorted(communes), "epci").values() if e)
    for epci in sorted(epcis):
        communes.update(territoires.communes_of(con, "epci", epci))
    levels.setdefault("iris", set()).update(r[0] for r in con.execute(
        "SELECT DISTINCT code FROM appartenances WHERE niveau = 'iris' AND niveau_parent = 'commune' "
        "AND code_parent IN (SELECT unnest(?))", [sorted(communes)]).fetchall())
    levels.setdefault("departement", set()).update(
        d for d in territoires.parents(con, "commune", sorted(communes), "departement").values() if d)
    return {niveau: codes for niveau, codes in levels.items() if codes}


# --- Computing the ledger -------------------------------------------------------------------


def calculer(base: Any, montres: dict[str, set[str]], profil: str, glossaire: Glossaire | None = None,
             regles: dict[str, Regles] | None = None) -> pd.DataFrame:
    """The ledger of values this profile must not publish, for the territories shown (and their groups).

    base: the store's secret.vue.Base (raw reads: this is where the masks come from).
    Primary suppression (data/secret/ rules), then secondary suppression of additive counts
    (type 'compte') over communes → EPCI and IRIS → commune, year by year.
    """
    glossaire = glossaire or load_glossaire()
    regles = load_rules(glossaire=glossaire) if regles is None else regles
    zones = _zones_montrees(base.con, montres)
    montres = {niveau: set(codes) for niveau, codes in montres.items() if niveau != "zone"}
    for z in zones.values():  # a zone's parts and their communes enter the groups
        montres.setdefault("iris", set()).update(z.iris)
        montres.setdefault("commune", set()).update(z.communes_concernees)
    levels = territoires_etendus(base.con, montres)
    frames = [une_source_par_valeur(base.observations_brutes(niveau, sorted(codes)), glossaire)
              for niveau, codes in levels.items()]
    obs = pd.concat([f for f in frames if not f.empty], ignore_index=True) if any(not f.empty for f in frames) else None
    if obs is None:
        return pd.DataFrame(columns=COLONNES)
    published, ledger = primary_audit(obs, regles, profil)
    if zones:
        # A zone's figures are sums of its parts: its own cells follow the rules (a count under the threshold),
        # and one masked part makes them secret, as the notes read them (indicateurs.zone_observations).
        vraies = sommes_zones(obs, zones, glossaire)
        zone_published, zone_ledger = primary_audit(vraies, regles, profil, auxiliaires=obs)
        lues = sommes_zones(published, zones, glossaire).set_index(["code", "indicateur", "annee"])["statut"]
        secret = lues.reindex(pd.MultiIndex.from_frame(zone_published[["code", "indicateur", "annee"]])).eq("secret")
        zone_published.loc[secret.to_numpy(), ["statut", "valeur", "numerateur"]] = ["secret", float("nan"), float("nan")]
        obs = pd.concat([obs, vraies], ignore_index=True)
        published = pd.concat([published, zone_published], ignore_index=True)
        ledger = pd.concat([ledger, zone_ledger], ignore_index=True)
    complementary = _secondaire(base.con, published, levels, glossaire, zones)
    if len(complementary):
        truth = obs.set_index(CLES_CELLULE)["valeur"]
        keys = pd.MultiIndex.from_frame(complementary[CLES_CELLULE])
        complementary = complementary.assign(valeur=truth.reindex(keys).to_numpy(), regle=REGLE_SECONDAIRE)
    cols = [*CLES_CELLULE, "valeur", "regle"]
    ledger = pd.concat([ledger[cols], complementary[cols] if len(complementary) else None], ignore_index=True)
    ledger = ledger[ledger["valeur"].notna()]  # a value nobody knows cannot leak
    return _decrire(base.con, ledger, glossaire, zones)


def _zones_montrees(con, montres: dict[str, set[str]]) -> dict[str, Zone]:
    codes = montres.get("zone") or set()
    if not codes:
        return {}
    connues = toutes_les_zones(con)
    # zone(): the French error of a code no file of data/zones/ resolves
    return {c: connues[c] if c in connues else zone(con, c) for c in sorted(codes)}


def groupes_zones(zones: dict[str, Zone]) -> dict[str, list[str]]:
    """Each zone as a total of its parts, in the keys of the secondary suppression ("niveau:code")."""
    return {f"zone:{z.code}": [*(f"iris:{i}" for i in z.iris), *(f"commune:{c}" for c in z.communes)]
            for z in zones.values()}


def sommes_zones(obs: pd.DataFrame, zones: dict[str, Zone], glossaire: Glossaire) -> pd.DataFrame:
    """The zones' figures summed from observations of their parts (the rule of agregation.aggregate), as rows of
    the observations table (niveau 'zone', source osq-calculs). Only what OSQ may derive: never a median."""
    derivables = [i.code for i in glossaire if i.derivable]
    frames = []
    for niveau, attr in (("iris", "iris"), ("commune", "communes")):
        links = [(c, z.code) for z in zones.values() for c in getattr(z, attr)]
        if not links:
            continue
        groups = pd.DataFrame(links, columns=["code", "code_parent"])
        part = obs[(obs["niveau"] == niveau) & obs["indicateur"].isin(derivables)]
        frames.append((part, groups))
    if not frames:
        return pd.DataFrame(columns=obs.columns)
    parts = pd.concat([f[0] for f in frames], ignore_index=True)
    groups = pd.concat([f[1] for f in frames], ignore_index=True)
    out = aggregate(parts, groups, glossaire.types(), indicateurs_exhaustifs(glossaire))
    out = out.assign(niveau="zone", source=DERIVED_SOURCE, cog=None, decimales=pd.NA)
    return out.reindex(columns=obs.columns)


def _secondaire(con, published: pd.DataFrame, levels: dict[str, set[str]], glossaire: Glossaire,
                zones: dict[str, Zone] | None = None) -> pd.DataFrame:
    counts = [i.code for i in glossaire if i.type == "compte"]
    part = published[published["indicateur"].isin(counts) & published["niveau"].isin(["iris", "commune", "epci", "zone"])]
    if part.empty or not (part["statut"] == "secret").any():
        return pd.DataFrame(columns=CLES_CELLULE)
    groupes: dict[str, list[str]] = {}
    for epci in levels.get("epci", ()):
        groupes[f"epci:{epci}"] = [f"commune:{c}" for c in territoires.communes_of(con, "epci", epci)]
    links = con.execute(
        "SELECT code, code_parent FROM appartenances WHERE niveau = 'iris' AND niveau_parent = 'commune' "
        "AND code_parent IN (SELECT unnest(?))", [sorted(levels.get("commune", ()))]).fetchall()
    for iris, commune in links:
        groupes.setdefault(f"commune:{commune}", []).append(f"iris:{iris}")
    groupes.update(groupes_zones(zones or {}))
    frame = part.assign(cle=part["niveau"] + ":" + part["code"])
    frame = frame.drop_duplicates(["cle", "indicateur", "annee"])
    # Only the (indicator, year) slices holding a masked cell can need complements.
    hot = frame.loc[frame["statut"] == "secret", ["indicateur", "annee"]].drop_duplicates()
    frame = frame.merge(hot, on=["indicateur", "annee"])
    protected = apply_to_table(frame, groupes=groupes, code="cle")
    extra = protected[protected["complementaire"]]
    return extra[CLES_CELLULE].reset_index(drop=True)


def _decrire(con, ledger: pd.DataFrame, glossaire: Glossaire, zones: dict[str, Zone] | None = None) -> pd.DataFrame:
    labels = {("zone", code): z.libelle for code, z in (zones or {}).items()}
    for niveau in ledger["niveau"].unique():
        codes = ledger.loc[ledger["niveau"] == niveau, "code"].unique().tolist()
        labels.update({(niveau, c): v for c, v in territoires.libelles(con, niveau, codes).items()})
    out = ledger.assign(
        territoire=[labels.get((n, c), c) for n, c in zip(ledger["niveau"], ledger["code"])],
        indicateur_libelle=ledger["indicateur"].map(lambda c: glossaire[c].libelle),
        unite=ledger["indicateur"].map(lambda c: glossaire[c].unite),
        decimales=ledger["indicateur"].map(lambda c: glossaire[c].decimales),
        annee=ledger["annee"].astype(int),
    )
    return out[COLONNES].sort_values(["niveau", "code", "indicateur", "annee"]).reset_index(drop=True)


# --- The ledger file --------------------------------------------------------------------------


def ecrire(ledger: pd.DataFrame, path: Path | str) -> Path:
    """The ledger as CSV (';', UTF-8), written atomically; it lives beside the site, never in it."""
    path = Path(path)
    atomic.write_bytes(path, ledger[COLONNES].to_csv(index=False, sep=";").encode("utf-8"))
    return path


def lire(path: Path | str) -> pd.DataFrame:
    """Read and check a ledger file; a malformed one is a French error naming its line and column."""
    path = Path(path)
    if not path.is_file():
        raise OsqError("registre des valeurs masquées introuvable", fichier=path,
                       correction="lancez « osq build », qui l'écrit à côté du site, ou donnez son chemin.")
    try:
        raw = pd.read_csv(path, sep=";", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise OsqError("le registre n'est pas encodé en UTF-8", fichier=path,
                       correction="réenregistrez-le en UTF-8 (séparateur « ; »).") from exc
    except pd.errors.ParserError as exc:
        match = re.search(r"line (\d+)", str(exc))
        raise OsqError("ligne mal formée (nombre de colonnes incorrect)", fichier=path,
                       ligne=int(match.group(1)) if match else None,
                       correction=f"chaque ligne a {len(COLONNES)} champs séparés par « ; » : " + ";".join(COLONNES) + ".") from exc
    required = [c for c in COLONNES if c != "regle"]  # a hand-written ledger may leave out the rule
    missing = [c for c in required if c not in raw.columns]
    if missing:
        hint = " (le séparateur doit être « ; », pas « , »)" if len(raw.columns) == 1 and "," in raw.columns[0] else ""
        raise OsqError(f"colonne(s) manquante(s) : {', '.join(missing)}{hint}", fichier=path, ligne=1,
                       colonne=missing[0], correction="l'en-tête attendu est : " + ";".join(COLONNES) + ".")
    if "regle" not in raw.columns:
        raw["regle"] = ""
    out = raw[COLONNES].apply(lambda s: s.str.strip())
    for col in ("niveau", "code", "indicateur"):
        empty = out.index[out[col] == ""]
        if len(empty):
            raise OsqError(f"valeur vide pour « {col} »", fichier=path, ligne=int(empty[0]) + 2, colonne=col,
                           correction=f"renseignez « {col} » (la clé de la valeur masquée).")

    def ints(col: str, lo: int, hi: int) -> pd.Series:
        values = pd.to_numeric(out[col], errors="coerce")
        bad = values.isna() | (values % 1 != 0) | (values < lo) | (values > hi)
        if bad.any():
            i = int(out.index[bad][0])
            raise OsqError(f"« {out.at[i, col]} » n'est pas un entier valide pour « {col} »", fichier=path,
                           ligne=i + 2, colonne=col, correction=f"écrivez un entier entre {lo} et {hi}.")
        return values.astype(int)

    out["annee"] = ints("annee", *ANNEES)
    out["decimales"] = ints("decimales", 0, 6)
    text = out["valeur"].str.replace("\u202f", "").str.replace("\u00a0", "").str.replace(" ", "").str.replace(",", ".")
    valeur = pd.to_numeric(text, errors="coerce")
    bad = valeur.isna() & (text != "")
    if bad.any():
        i = int(out.index[bad][0])
        raise OsqError(f"« {out.at[i, 'valeur']} » n'est pas un nombre", fichier=path, ligne=i + 2, colonne="valeur",
                       correction="écrivez la valeur vraie avec un point ou une virgule décimale (vide si l'Insee "
                                  "ne l'a pas publiée).")
    out["valeur"] = valeur  # NaN: INSEE's own blank, nothing to leak
    return out


def cles(path: Path | str) -> frozenset:
    """The (niveau, code, indicateur, annee) keys of a ledger file, read once per version of the file."""
    path = Path(path).resolve()
    return _cles(str(path), path.stat().st_mtime_ns)


@lru_cache(maxsize=8)
def _cles(path: str, _mtime: int) -> frozenset:
    df = lire(path)
    return frozenset(zip(df["niveau"], df["code"], df["indicateur"], df["annee"].astype(int)))
