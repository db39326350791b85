"""Atomic file writes: a temporary file in the same folder, then a rename.

Readers never see a half-written file, and an interrupted write leaves the
previous version in place. Every temporary name of OSQ is hidden and holds `.tmp`
(`.<name>.<random>.tmp`, `.<slug>.tmp.ipynb` for an executing note, `.<page>.<random>.tmp.json`): what a
killed process left behind is found by that name and removed by `nettoyer` at the start of the next build.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import BinaryIO

TEMPORAIRE = re.compile(r"^\..+\.tmp(\.ipynb|\.json)?$")  # a temporary file or folder of OSQ


def nettoyer(dossier: Path) -> list[Path]:
    """Remove the temporary files and folders that an interrupted process (kill -9) left under `dossier`.

    Only while no other process writes there (the build holds its observatory's lock)."""
    found = []
    if Path(dossier).is_dir():
        for current, dirs, files in os.walk(dossier):
            for name in [*files, *dirs]:
                if TEMPORAIRE.match(name):
                    found.append(Path(current) / name)
            dirs[:] = [d for d in dirs if not TEMPORAIRE.match(d)]
    for path in found:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
    return found


def write_bytes(path: Path, data: bytes, *, skip_unchanged: bool = False) -> Path:
    path = Path(path)
    if skip_unchanged and path.exists() and path.read_bytes() == data:
        return path  # unchanged: keep mtime stable
    return _write(path, lambda fh: fh.write(data))


def write_text(path: Path, text: str, *, skip_unchanged: bool = False) -> Path:
    return write_bytes(path, text.encode("utf-8"), skip_unchanged=skip_unchanged)


def copy_stream(stream: BinaryIO, path: Path) -> Path:
    return _write(Path(path), lambda fh: shutil.copyfileobj(stream, fh, 1 << 20))


def _write(path: Path, fill) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fill(fh)
        os.chmod(tmp, 0o644)  # mkstemp creates 0600: published files must stay readable
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
