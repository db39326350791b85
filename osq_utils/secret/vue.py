"""The masked read view: how notes, `present/`, exports and `osq preview` read the store.

- `Base`: the store file opened read-only once per process and per version of the file, with its
  caches (observations of a territory, any value a note computes once: geometries…). Every note
  run by a warm kernel shares it. Only the secret layer reads raw figures from it (the ledger).
- `Vue`: one per note (or export) and per diffusion profile: a Base, the masks of the build's
  ledger for that profile, and the glossary's source order. Every observation read through it
  has the masks applied (a masked figure is 'secret' without value nor numerator, exactly like a
  blank cell of an INSEE file). Its `execute` answers questions about territories, memberships and
  geometries, and refuses any query on the observations table: nothing reads the figures around
  the masks.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from osq_utils import store
from osq_utils.catalogues.glossaire import Glossaire, load_glossaire
from osq_utils.catalogues.profils import profil as check_profil
from osq_utils.errors import OsqError
from osq_utils.indicateurs import une_source_par_valeur
from osq_utils.secret import registre

_OBSERVATIONS = re.compile(r"\bobservations\b", re.IGNORECASE)
_OBS_CACHE_MAX = 4096  # territories kept in memory per store version
_MANY = 20  # above this many territories, one query without the per-territory cache
_RESULTATS_MAX = 2048  # masked results of Vue.observations kept per store version
_RESULTATS_LIGNES = 20_000  # a bigger one (a département's communes) is not kept


class Base:
    """One store file, read-only, with the caches of its current version."""

    def __init__(self, path: Path | str) -> None:
        self.chemin = str(Path(path).resolve())
        if not Path(self.chemin).exists():
            store.connect(self.chemin, read_only=True)  # raises the French "run osq ingest" error
        st = os.stat(self.chemin)
        self.estampille = (st.st_mtime_ns, st.st_size)
        self.cle = (self.chemin, *self.estampille)
        self.con = store.connect(self.chemin, read_only=True)
        self._obs: dict[tuple[str, str], pd.DataFrame] = {}
        self._memo: dict[Any, Any] = {}
        self._resultats: dict[tuple, tuple[Any, pd.DataFrame]] = {}  # Vue.observations: key -> (glossary, rows)
        self._territoires: dict[tuple, tuple[Any, pd.DataFrame]] = {}  # Vue._territoire: key -> (glossary, rows)
        self._lock = threading.RLock()  # the build's threads may share a base (exports, masks)

    def observations_brutes(self, niveau: str, codes: Iterable[str],
                            indicateurs: Iterable[str] | None = None) -> pd.DataFrame:
        """Every stored row of these territories, unmasked, every source (secret layer only). `indicateurs` narrows
        the query of many territories (the others are cached whole, territory by territory)."""
        codes = list(dict.fromkeys(str(c) for c in codes))
        if not codes:
            return pd.DataFrame(columns=store.OBS_COLUMNS)
        with self._lock:
            if len(codes) > _MANY:
                if indicateurs is not None:
                    return self.con.execute(
                        "SELECT * FROM observations WHERE niveau = ? AND code IN (SELECT unnest(?)) "
                        "AND indicateur IN (SELECT unnest(?))", [niveau, codes, list(indicateurs)]).df()
                return self.con.execute("SELECT * FROM observations WHERE niveau = ? AND code IN (SELECT unnest(?))",
                                        [niveau, codes]).df()
            frames = []
            for code in codes:
                key = (niveau, code)
                if key not in self._obs:
                    if len(self._obs) >= _OBS_CACHE_MAX:
                        self._obs.clear()
                    self._obs[key] = self.con.execute("SELECT * FROM observations WHERE niveau = ? AND code = ?",
                                                      [niveau, code]).df()
                frames.append(self._obs[key])
        return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]

    def indicateur_brut(self, niveau: str, indicateur: str, annee: int) -> pd.DataFrame:
        """Every territory of a level for one indicator and year, unmasked (e.g. national strata)."""
        return self.memo(("indicateur", niveau, indicateur, int(annee)), lambda: self.con.execute(
            "SELECT * FROM observations WHERE niveau = ? AND indicateur = ? AND annee = ?",
            [niveau, indicateur, int(annee)]).df())

    def memo(self, cle: Any, fabrique: Callable[[], Any]) -> Any:
        """A value computed once per store version (the caller never mutates it)."""
        with self._lock:
            if cle not in self._memo:
                if len(self._memo) > 100_000:
                    self._memo.clear()
                self._memo[cle] = fabrique()
            return self._memo[cle]

    def resultat(self, cle: tuple, glossaire: Any, fabrique: Callable[[], pd.DataFrame]) -> pd.DataFrame:
        """A masked result of Vue.observations (a copy), computed once per store version, masks and glossary (its
        source order chose the rows); a big one is not kept."""
        return self._garde(self._resultats, _RESULTATS_MAX, cle, glossaire, fabrique,
                           garder=lambda hit: len(hit) <= _RESULTATS_LIGNES).copy()

    def territoire(self, cle: tuple, glossaire: Any, fabrique: Callable[[], pd.DataFrame]) -> pd.DataFrame:
        """One territory's chosen and masked figures (Vue._territoire), kept per store version, masks and glossary."""
        return self._garde(self._territoires, _OBS_CACHE_MAX, cle, glossaire, fabrique)

    def _garde(self, cache: dict, taille: int, cle: tuple, glossaire: Any, fabrique: Callable[[], pd.DataFrame],
               garder: Callable[[pd.DataFrame], bool] = lambda _hit: True) -> pd.DataFrame:
        """A frame kept in `cache` while the glossary that chose its rows is the same object."""
        with self._lock:
            garde, hit = cache.get(cle, (None, None))
        if hit is None or garde is not glossaire:
            hit = fabrique()
            if garder(hit):
                with self._lock:
                    if len(cache) >= taille:
                        cache.clear()
                    cache[cle] = (glossaire, hit)
        return hit

    def fermer(self) -> None:
        self.con.close()


_BASES: dict[str, Base] = {}
_BASES_LOCK = threading.Lock()


def base(path: Path | str | None = None) -> Base:
    """The process's Base of this store file, reopened when the file changed (a new ingest)."""
    path = str(Path(path or store.store_path()).resolve())
    with _BASES_LOCK:
        hit = _BASES.get(path)
        if hit is not None:
            try:
                st = os.stat(path)
                if (st.st_mtime_ns, st.st_size) == hit.estampille:
                    return hit
            except FileNotFoundError:
                pass
            hit.fermer()
        _BASES[path] = Base(path)
        return _BASES[path]


def fermer_tout() -> None:
    """Close every Base of the process (before writing the store, or at the end of a test)."""
    with _BASES_LOCK:
        for b in _BASES.values():
            b.fermer()
        _BASES.clear()


def _restreindre(df: pd.DataFrame, indicateurs: list[str] | None, annees: Mapping[str, int] | None) -> pd.DataFrame:
    """The rows of these indicators (all when None), at each one's year in `annees` (when given)."""
    if annees is not None:
        df = df[df["annee"].to_numpy() == df["indicateur"].map(annees).to_numpy()]
    if indicateurs is not None:
        df = df[df["indicateur"].isin(indicateurs)]
    return df


class Vue:
    """The store as one note (or export) of one diffusion profile may read it: masks applied."""

    def __init__(self, base_: Base, masques: frozenset = frozenset(), profil: str = "public",
                 glossaire: Glossaire | None = None) -> None:
        check_profil(profil)
        self._base = base_
        self.profil = profil
        self.glossaire = glossaire or load_glossaire()
        self._masques = masques
        # (niveau, indicateur) pairs holding a mask: the other rows are never looked at one by one.
        self._paires = frozenset((n, i) for n, _c, i, _a in masques)

    @classmethod
    def ouvrir(cls, store_file: Path | str | None = None, masques: Path | str | frozenset | None = None,
               profil: str = "public", glossaire: Glossaire | None = None) -> Vue:
        """The view of a store file for a profile; `masques` is the build's ledger (a path), its keys, or none."""
        if masques is None or masques == "":
            keys: frozenset = frozenset()
        elif isinstance(masques, frozenset):
            keys = masques
        else:
            keys = registre.cles(masques)
        return cls(base(store_file), keys, profil, glossaire)

    # --- what the notes read -------------------------------------------------------------

    @property
    def cle_version(self) -> tuple:
        """Identifies the store's content: store.cached caches per version."""
        return self._base.cle

    @property
    def masques(self) -> frozenset:
        return self._masques

    def observations(self, niveau: str, codes: Iterable[str], indicateurs: Iterable[str] | None = None,
                     annees: Mapping[str, int] | None = None) -> pd.DataFrame:
        """Observations of territories, one row per (code, indicator, year), masks applied.

        When several sources give the same figure, the glossary's source order decides. `annees` (indicator ->
        year) keeps one year of each of those indicators (the peers of a commune, at the year it is compared at).
        """
        indicateurs = list(indicateurs) if indicateurs is not None else None
        codes = list(dict.fromkeys(str(c) for c in codes))
        # A warm kernel's notes read the same references (intercommunality, département, France) and the same
        # intercommunality's communes (its map) note after note, and a note reads its territory several times:
        # the masked result is kept by the store's Base (Base.resultat).
        cle = (self.profil, self._masques, niveau, tuple(codes), None if indicateurs is None else tuple(indicateurs),
               None if annees is None else tuple(sorted(annees.items())))
        return self._base.resultat(cle, self.glossaire,
                                   lambda: self._observations(niveau, codes, indicateurs, annees))

    def _observations(self, niveau: str, codes: list[str], indicateurs: list[str] | None,
                      annees: Mapping[str, int] | None) -> pd.DataFrame:
        if 0 < len(codes) <= _MANY:
            # A few territories: each one's rows are chosen (source order) and masked once, whatever the
            # indicators and years asked (a note asks its territory a dozen times, its references note after note).
            parts = [self._territoire(niveau, code) for code in codes]
            df = _restreindre(pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0], indicateurs, annees)
            if len(parts) > 1 and not df.empty:
                df = df.sort_values(["indicateur", "annee", "code"])
            return df.reset_index(drop=True)
        return self._choisir(_restreindre(self._base.observations_brutes(niveau, codes, indicateurs), indicateurs, annees))

    def _territoire(self, niveau: str, code: str) -> pd.DataFrame:
        """Every figure of one territory, one source each, masks applied, in (indicateur, annee) order: computed
        once per store version, profile, masks and glossary (never changed in place by its readers)."""
        return self._base.territoire(
            (self.profil, self._masques, niveau, code), self.glossaire,
            lambda: self._choisir(self._base.observations_brutes(niveau, [code])))

    def _choisir(self, df: pd.DataFrame) -> pd.DataFrame:
        if df.empty:
            return df.reset_index(drop=True)
        df = une_source_par_valeur(df, self.glossaire)
        return self.masquer(df).sort_values(["indicateur", "annee", "code"]).reset_index(drop=True)

    def observations_indicateur(self, niveau: str, indicateur: str, annee: int) -> pd.DataFrame:
        """One indicator and year for every territory of a level (one source each), masks applied."""
        df = self._base.indicateur_brut(niveau, indicateur, annee)
        if df.empty:
            return df
        return self.masquer(une_source_par_valeur(df, self.glossaire)).reset_index(drop=True)

    def masquer(self, df: pd.DataFrame) -> pd.DataFrame:
        """Observations with this profile's masks applied (statut 'secret', no value nor numerator)."""
        if not self._masques or df.empty:
            return df
        candidates = pd.Series([(n, i) in self._paires for n, i in zip(df["niveau"], df["indicateur"])], index=df.index)
        if not candidates.any():
            return df
        hit = pd.Series(False, index=df.index)
        part = df[candidates]
        hit[candidates] = [(n, c, i, int(a)) in self._masques
                           for n, c, i, a in zip(part["niveau"], part["code"], part["indicateur"], part["annee"])]
        if not hit.any():
            return df
        df = df.copy()
        df.loc[hit, "statut"] = "secret"
        df.loc[hit, ["valeur", "numerateur"]] = float("nan")
        return df

    def execute(self, sql: str, params: list | None = None):
        """A read-only query on territories, memberships, IRIS, populations, COG passages or geometries."""
        if _OBSERVATIONS.search(sql):
            raise OsqError("lecture des observations hors de la vue masquée",
                           correction="lisez les chiffres avec vue.observations(…) : le secret statistique s'y applique.")
        return self._base.con.execute(sql, params or [])

    def memo(self, cle: Any, fabrique: Callable[[], Any]) -> Any:
        """A value computed once per store version, shared by the notes of a kernel (not masked data)."""
        return self._base.memo(cle, fabrique)

    def close(self) -> None:
        """Nothing to release: the connection is the process's Base, shared by the next notes."""
