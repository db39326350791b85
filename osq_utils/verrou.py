"""Project locks: a build, a delivery or a second build never run over one another.

Two locks, both `flock` locks, released by the system when their process ends (even after kill -9):
- the store's lock, `<base>.verrou` beside the DuckDB file (data/osq.duckdb.verrou): shared by the
  commands that read the store (`osq build`, `osq preview`), exclusive for those that write it
  (`osq livraison`);
- an observatory's lock, `<sortie>/<id>/.verrou` (rapports/capso/.verrou): exclusive for its build.

A lock already held stops the command at once with `VerrouOccupe` (exit code 5 of `osq`), naming the
command that holds it; nothing has been written then.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from osq_utils.errors import Occupee

__all__ = ["VerrouOccupe", "base", "observatoire", "chemin_base", "chemin_observatoire", "occupe"]


class VerrouOccupe(Occupee):
    """Another OSQ command holds the lock (exit code 5)."""


def chemin_base(store_file: Path) -> Path:
    store_file = Path(store_file)
    return store_file.with_name(store_file.name + ".verrou")


def chemin_observatoire(root: Path) -> Path:
    return Path(root) / ".verrou"


@contextmanager
def base(store_file: Path, *, ecriture: bool) -> Iterator[None]:
    """The store's lock: shared to read it (builds, previews), exclusive to write it (deliveries)."""
    path = chemin_base(store_file)
    if not path.parent.is_dir():  # no store there: the command reports it, no folder is created for the lock
        yield
        return
    with _verrou(path, exclusif=ecriture) as holders:
        if holders is not None:
            qui = _qui(holders)
            if ecriture:
                raise VerrouOccupe(
                    f"la base {store_file} est lue par {qui} : elle ne peut pas être modifiée pendant ce temps",
                    correction="relancez la commande quand elle est terminée ; la base n'a pas été modifiée "
                               f"(verrou : {path}).")
            raise VerrouOccupe(
                f"la base {store_file} est en cours de modification par {qui}",
                correction=f"relancez la commande quand la modification est terminée (verrou : {path}).")
        yield


@contextmanager
def observatoire(root: Path, ident: str) -> Iterator[None]:
    """An observatory's lock: one build at a time writes `root` (its notebooks, logs and sites)."""
    path = chemin_observatoire(root)
    with _verrou(path, exclusif=True) as holders:
        if holders is not None:
            raise VerrouOccupe(
                f"une autre construction de l'observatoire « {ident} » est en cours dans {root} : {_qui(holders)}",
                correction="attendez qu'elle se termine, ou arrêtez-la (Ctrl-C), puis relancez « osq build » "
                           f"(verrou : {path}, libéré à la fin de la construction, même interrompue).")
        yield


@contextmanager
def _verrou(path: Path, *, exclusif: bool) -> Iterator[list[int] | None]:
    """Hold a flock on `path` and yield None; when it is taken, yield the holders' pids instead."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, (fcntl.LOCK_EX if exclusif else fcntl.LOCK_SH) | fcntl.LOCK_NB)
        except BlockingIOError:
            yield _holders(fd)
            return
        yield None
    finally:
        os.close(fd)  # releases the lock


def _holders(fd: int) -> list[int]:
    """The pids holding a flock on this file (Linux's /proc/locks; empty elsewhere)."""
    inode = os.fstat(fd).st_ino
    pids = []
    try:
        with open("/proc/locks", encoding="ascii") as fh:
            for line in fh:
                parts = line.split()
                # "1: FLOCK  ADVISORY  WRITE 1234 08:01:5678 0 EOF"; a waiter's line has "->" after the number.
                if "->" in parts or len(parts) < 6 or parts[1] != "FLOCK":
                    continue
                if parts[5].rsplit(":", 1)[-1] == str(inode) and parts[4].isdigit():
                    pids.append(int(parts[4]))
    except OSError:
        return []
    return sorted(set(pids) - {os.getpid()}) or sorted(set(pids))


def _qui(pids: list[int]) -> str:
    """« osq build params/capso.yml (processus 1234) », or « une autre commande OSQ »."""
    described = []
    for pid in pids:
        try:
            args = Path(f"/proc/{pid}/cmdline").read_bytes().decode("utf-8", "replace").split("\0")
        except OSError:
            continue
        args = [a for a in args if a]
        # python …/osq build … or python -m osq_utils.cli build …: shown as « osq build … ».
        start = next((i for i, a in enumerate(args) if a.endswith(("/osq", "osq_utils.cli")) or a == "osq"), None)
        command = " ".join(["osq", *args[start + 1:]]) if start is not None else " ".join(args)
        described.append(f"« {' '.join(command.split())[:200]} » (processus {pid})")
    return " et ".join(described) if described else "une autre commande OSQ"


def occupe(path: Path, *, exclusif: bool = True) -> bool:
    """Whether a command holds this lock now (exclusif: any holder; else only an exclusive one, a writer)."""
    try:
        fd = os.open(path, os.O_RDWR)
    except OSError:
        return False  # no lock file: nobody ever took it here
    try:
        fcntl.flock(fd, (fcntl.LOCK_EX if exclusif else fcntl.LOCK_SH) | fcntl.LOCK_NB)
        return False
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
