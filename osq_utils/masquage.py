"""The secret statistique layer between the store and every output of a build.

`osq build` computes, once per diffusion profile, the masks of the territories its notes show
(primary rules of data/secret/, then the complementary cells so that no masked count can be
recovered from a total: communes → EPCI, IRIS → commune). They are written to a ledger
(`rapports/<observatoire>/masques-<profil>.csv`, never published) that the notes, the exports and
`osq audit` read. `observations_of` applies the active masks: a masked figure is 'secret', without
value or numerator, exactly like a blank cell of an INSEE file.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

import pandas as pd

from osq_utils import atomic, territoires
from osq_utils.indicateurs import Glossaire, load_glossaire, observations_of

LEDGER = ["niveau", "code", "territoire", "indicateur", "indicateur_libelle", "unite", "decimales", "annee",
          "valeur", "regle"]
_ACTIVE: dict[str, frozenset] = {"keys": frozenset()}


# --- Which territories a build shows ------------------------------------------------------


def territories_of_jobs(con, jobs) -> dict[str, set[str]]:
    """Every territory whose figures the notes of `jobs` can show, by level.

    A note shows its territory, its references (EPCI, département, France), the other communes of
    its EPCI (maps, rankings) and the IRIS of its communes (ABS maps and tables).
    """
    communes, epcis, qpvs = set(), set(), set()
    for job in jobs:
        if job.niveau == "commune":
            communes.add(job.code)
        elif job.niveau == "epci":
            epcis.add(job.code)
        elif job.niveau == "qpv":
            qpvs.add(job.code)
    for code in qpvs:
        communes.update(r[0] for r in con.execute(
            "SELECT code_parent FROM appartenances WHERE niveau = 'qpv' AND code = ? AND niveau_parent = 'commune'",
            [code]).fetchall())
    epcis.update(e for e in (territoires.parent(con, "commune", c, "epci") for c in communes) if e)
    for epci in epcis:
        communes.update(territoires.communes_of(con, "epci", epci))
    iris = {r[0] for r in con.execute(
        "SELECT DISTINCT code FROM appartenances WHERE niveau = 'iris' AND niveau_parent = 'commune' "
        "AND code_parent IN (SELECT unnest(?))", [sorted(communes)]).fetchall()}
    deps = {d for d in (territoires.parent(con, "commune", c, "departement") for c in communes) if d}
    return {"commune": communes, "epci": epcis, "qpv": qpvs, "iris": iris, "departement": deps}


# --- Computing the masks ----------------------------------------------------------------------


def compute(con, jobs, profil: str, glossaire: Glossaire | None = None, rules=None) -> pd.DataFrame:
    """The ledger of values this profile must not publish, for the territories of `jobs`.

    Primary suppression (data/secret/ rules), then secondary suppression of additive counts
    (type 'compte') over communes → EPCI and IRIS → commune, year by year.
    """
    from osq_utils import secret

    glossaire = glossaire or load_glossaire()
    rules = secret.load_rules(glossaire=glossaire) if rules is None else rules
    levels = territories_of_jobs(con, jobs)
    obs = pd.concat([observations_of(con, niveau, sorted(codes), None, glossaire)
                     for niveau, codes in levels.items() if codes], ignore_index=True)
    if obs.empty:
        return pd.DataFrame(columns=LEDGER)
    published, ledger = secret.primary_audit(obs, rules, profil)
    complementary = _secondary(con, published, levels, glossaire)
    if len(complementary):
        truth = obs.set_index(["niveau", "code", "indicateur", "annee"])["valeur"]
        keys = pd.MultiIndex.from_frame(complementary[["niveau", "code", "indicateur", "annee"]])
        complementary = complementary.assign(valeur=truth.reindex(keys).to_numpy(), regle="secret secondaire")
    ledger = pd.concat([ledger[["niveau", "code", "indicateur", "annee", "valeur", "regle"]],
                        complementary[["niveau", "code", "indicateur", "annee", "valeur", "regle"]]
                        if len(complementary) else None], ignore_index=True)
    ledger = ledger[ledger["valeur"].notna()]  # a value nobody knows cannot leak
    return _describe(con, ledger, glossaire)


def _secondary(con, published: pd.DataFrame, levels: dict[str, set[str]], glossaire: Glossaire) -> pd.DataFrame:
    from osq_utils import secret

    counts = [i.code for i in glossaire if i.type == "compte"]
    part = published[published["indicateur"].isin(counts) & published["niveau"].isin(["iris", "commune", "epci"])]
    if part.empty or not (part["statut"] == "secret").any():
        return pd.DataFrame(columns=["niveau", "code", "indicateur", "annee"])
    groupes: dict[str, list[str]] = {}
    for epci in levels["epci"]:
        groupes[f"epci:{epci}"] = [f"commune:{c}" for c in territoires.communes_of(con, "epci", epci)]
    links = con.execute(
        "SELECT code, code_parent FROM appartenances WHERE niveau = 'iris' AND niveau_parent = 'commune' "
        "AND code_parent IN (SELECT unnest(?))", [sorted(levels["commune"])]).fetchall()
    for iris, commune in links:
        groupes.setdefault(f"commune:{commune}", []).append(f"iris:{iris}")
    frame = part.assign(cle=part["niveau"] + ":" + part["code"])
    frame = frame.drop_duplicates(["cle", "indicateur", "annee"])
    # Only the (indicator, year) slices holding a masked cell can need complements.
    hot = frame.loc[frame["statut"] == "secret", ["indicateur", "annee"]].drop_duplicates()
    frame = frame.merge(hot, on=["indicateur", "annee"])
    protected = secret.apply_to_table(frame, groupes=groupes, code="cle")
    extra = protected[protected["complementaire"]]
    return extra[["niveau", "code", "indicateur", "annee"]].reset_index(drop=True)


def _describe(con, ledger: pd.DataFrame, glossaire: Glossaire) -> pd.DataFrame:
    labels = {}
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
    return out[LEDGER].sort_values(["niveau", "code", "indicateur", "annee"]).reset_index(drop=True)


def write(ledger: pd.DataFrame, path: Path) -> Path:
    """The ledger as CSV (';', UTF-8), written atomically; it lives beside the site, never in it."""
    atomic.write_bytes(path, ledger.to_csv(index=False, sep=";").encode("utf-8"))
    return path


# --- Applying them ----------------------------------------------------------------------------


def activate(path: str | os.PathLike | None) -> None:
    """Make the masks of this ledger apply to every observations_of() of this process ('' : none)."""
    if not path:
        _ACTIVE["keys"] = frozenset()
        return
    path = Path(path)
    _ACTIVE["keys"] = _keys_of(str(path.resolve()), path.stat().st_mtime_ns)


@lru_cache(maxsize=4)
def _keys_of(path: str, _mtime: int) -> frozenset:
    df = pd.read_csv(path, sep=";", dtype={"code": str, "niveau": str, "indicateur": str})
    return frozenset(zip(df["niveau"], df["code"], df["indicateur"], df["annee"].astype(int)))


def active_keys() -> frozenset:
    return _ACTIVE["keys"]


def apply(df: pd.DataFrame) -> pd.DataFrame:
    """Observations with the active masks applied (statut 'secret', no value nor numerator)."""
    keys = _ACTIVE["keys"]
    if not keys or df.empty:
        return df
    hit = [(n, c, i, int(a)) in keys for n, c, i, a in zip(df["niveau"], df["code"], df["indicateur"], df["annee"])]
    if not any(hit):
        return df
    df = df.copy()
    hit = pd.Series(hit, index=df.index)
    df.loc[hit, "statut"] = "secret"
    df.loc[hit, ["valeur", "numerateur"]] = float("nan")
    return df
