"""Public sources: fetch each file of the catalogue from a mirror folder or its official address, checksums.

The catalogue (data/sources.yml) is read by `osq_utils.catalogues.sources`. Fetched files land in
data/sources/<id>/ (never committed). The mirror folder is $OSQ_MIRROR, else ../shared/sources
when it exists.
"""

from __future__ import annotations

import hashlib
import io
import os
import tarfile
import urllib.request
import zipfile
from pathlib import Path

from osq_utils import atomic
from osq_utils.catalogues.racine import PROJECT_ROOT, chemin_donnees
from osq_utils.catalogues.sources import Source, SourceFile
from osq_utils.catalogues.sources import source as source_du_catalogue
from osq_utils.errors import OsqError, SourceManquante


def mirror_dir() -> Path | None:
    """The mirror folder, or None when there is none."""
    env = os.environ.get("OSQ_MIRROR")
    if env:
        return Path(env)
    default = PROJECT_ROOT.parent / "shared" / "sources"
    return default if default.is_dir() else None


def sources_dir() -> Path:
    """Where fetched sources live: $OSQ_SOURCES or data/sources."""
    return Path(os.environ.get("OSQ_SOURCES") or chemin_donnees("sources"))


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def local_path(source: Source, f: SourceFile) -> Path:
    return sources_dir() / source.id / f.chemin


def source_file(source_id: str, chemin: str, catalogue: dict[str, Source] | None = None) -> Path:
    """Path of a fetched source file, or a plain-French error saying how to get it."""
    source = source_du_catalogue(source_id, catalogue)
    path = local_path(source, source.fichier(chemin))
    if not path.exists():
        raise SourceManquante(
            f"la source « {source.titre} » ({source_id}) n'a pas encore été récupérée",
            fichier=path,
            correction="lancez « osq sources » (miroir local ou téléchargement depuis l'adresse officielle).",
        )
    return path


def _verify(path: Path, f: SourceFile, source: Source, origin: str) -> None:
    if not f.sha256:
        return
    digest = sha256_of(path)
    if digest != f.sha256:
        path.unlink(missing_ok=True)
        why = (
            f" Ce fichier du miroir est une conversion du fichier officiel ({f.note})."
            if f.transforme and f.note
            else ""
        )
        raise OsqError(
            f"empreinte SHA-256 inattendue pour {f.chemin} ({origin}) : {digest[:12]}… au lieu de {f.sha256[:12]}….{why}",
            fichier=f"data/sources.yml (source {source.id})",
            correction="le fichier a changé chez le producteur ou a été modifié : vérifiez-le, puis mettez à jour "
            "l'empreinte dans data/sources.yml si la nouvelle version est voulue.",
        )


def _archive_member(payload: bytes, member: str, url: str) -> bytes:
    """Extract one member of a downloaded zip or tar(.gz) archive (npm tarballs are .tgz)."""
    buf = io.BytesIO(payload)
    if zipfile.is_zipfile(buf):
        with zipfile.ZipFile(buf) as zf:
            return zf.read(member)
    buf.seek(0)
    try:
        with tarfile.open(fileobj=buf, mode="r:*") as tf:
            extracted = tf.extractfile(member)
            if extracted is not None:
                return extracted.read()
    except (tarfile.TarError, KeyError):
        pass
    raise OsqError(
        f"le fichier « {member} » est introuvable dans l'archive téléchargée",
        fichier=url,
        correction="le producteur a peut-être réorganisé son archive : corrigez « membre » dans data/sources.yml.",
    )


def fetch_file(source: Source, f: SourceFile, *, mirror: Path | None, download: bool, force: bool = False) -> str:
    """Get one file; returns how it was obtained ('présent', 'miroir', 'téléchargé')."""
    dest = local_path(source, f)
    if dest.exists() and not force and f.sha256 and sha256_of(dest) == f.sha256:
        return "présent"
    if mirror is not None and (mirror / source.id / f.chemin).exists():
        with open(mirror / source.id / f.chemin, "rb") as fh:
            atomic.copy_stream(fh, dest)
        _verify(dest, f, source, "miroir")
        return "miroir"
    if download and f.url:
        with urllib.request.urlopen(f.url, timeout=120) as resp:  # noqa: S310 (official http(s) address)
            payload = resp.read()
        if f.membre:
            payload = _archive_member(payload, f.membre, f.url)
        atomic.write_bytes(dest, payload)
        _verify(dest, f, source, f.url)
        return "téléchargé"
    where = f"ni dans le miroir ({mirror})" if mirror else "aucun miroir configuré (variable OSQ_MIRROR)"
    how = "et le téléchargement est désactivé" if not download else "et aucune adresse de téléchargement n'est connue"
    raise SourceManquante(
        f"fichier {f.chemin} de la source {source.id} introuvable : {where}, {how}",
        fichier=dest,
        correction="indiquez un dossier miroir avec OSQ_MIRROR, ou autorisez le téléchargement (« osq sources --telecharger »).",
    )
