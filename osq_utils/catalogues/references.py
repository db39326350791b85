"""Every reference file the loaders read (the build fingerprint, the analyst's files of a version)."""

from __future__ import annotations

from pathlib import Path

from osq_utils.catalogues import conventions, glossaire, groupements, guides, secret, sources, themes, verbatims, zones

LOADERS = (glossaire, sources, secret, conventions, themes, groupements, zones, verbatims, guides)


def fichiers_references() -> list[Path]:
    """Every reference file a loader reads, existing ones only, without duplicates (sorted)."""
    files = {Path(f).resolve() for loader in LOADERS for f in loader.fichiers()}
    return sorted(f for f in files if f.is_file())
