
"""Sources: catalogue against the mirror, fetch from the mirror, download from an address, checksums."""

from __future__ import annotations

import functools
import http.server
import threading
import zipfile
from dataclasses import replace

import pytest

from osq_utils.errors import OsqError
from osq_utils.sources import fetch_file, local_path, sha256_of, source_file

# Mirror folders superseded by another one that holds the same rows (not catalogued, so as not to store the same
# observations twice): folder -> the source that replaces it (see the comment in data/sources.yml).
REMPLACES = {"insee-bpe-2019-iris": "insee-bpe-2019-france"}


def test_catalogue_lists_every_mirror_file_with_its_checksum(mirror, catalogue):
    folders = {p.name for p in mirror.iterdir() if p.is_dir()}
    assert folders - set(catalogue) == set(REMPLACES)
    assert set(REMPLACES.values()) <= set(catalogue)
    on_disk = {p.relative_to(mirror).as_posix() for p in mirror.rglob("*")
               if p.is_file() and p.name != "MANIFEST.md" and p.relative_to(mirror).parts[0] in catalogue}
    listed = {f"{s.id}/{f.chemin}": f for s in catalogue.values() for f in s.fichiers}
    assert on_disk == set(listed)
    for rel, f in listed.items():
        assert sha256_of(mirror / rel) == f.sha256, rel


def test_fetch_from_mirror_then_skip_when_present(tmp_path, monkeypatch, mirror, catalogue):
    monkeypatch.setenv("OSQ_SOURCES", str(tmp_path))
    src = catalogue["insee-filosofi-2014-2019-disp"]
    f = src.fichier("france/FILO2019_DISP_METROPOLE.csv")
    assert fetch_file(src, f, mirror=mirror, download=False) == "miroir"
    assert local_path(src, f).read_bytes() == (mirror / src.id / f.chemin).read_bytes()
    assert fetch_file(src, f, mirror=mirror, download=False) == "présent"
    assert source_file(src.id, f.chemin, catalogue) == local_path(src, f)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def http_dir(tmp_path):
    """A real HTTP server on 127.0.0.1 serving tmp_path/www."""
    root = tmp_path / "www"
    root.mkdir()
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_download_zip_member_and_verify_checksum(tmp_path, monkeypatch, mirror, catalogue, http_dir):
    root, base = http_dir
    monkeypatch.setenv("OSQ_SOURCES", str(tmp_path / "sources"))
    src = catalogue["insee-filosofi-2014-2019-disp"]
    f = src.fichier("france/FILO2018_DISP_METROPOLE.csv")
    with zipfile.ZipFile(root / "filo.zip", "w") as zf:
        zf.write(mirror / src.id / f.chemin, "FILO2018_DISP_METROPOLE.csv")
    f_dl = replace(f, url=f"{base}/filo.zip", membre="FILO2018_DISP_METROPOLE.csv")
    assert fetch_file(src, f_dl, mirror=None, download=True) == "téléchargé"
    assert sha256_of(local_path(src, f)) == f.sha256


def test_download_with_wrong_checksum_is_refused_and_not_kept(tmp_path, monkeypatch, mirror, catalogue, http_dir):
    root, base = http_dir
    monkeypatch.setenv("OSQ_SOURCES", str(tmp_path / "sources"))
    src = catalogue["insee-filosofi-2014-2019-disp"]
    f = src.fichier("france/FILO2018_DISP_METROPOLE.csv")
    damaged = (mirror / src.id / f.chemin).read_bytes().replace(b"21730", b"21731")
    (root / "filo.csv").write_bytes(damaged)
    with pytest.raises(OsqError) as err:
        fetch_file(src, replace(f, url=f"{base}/filo.csv"), mirror=None, download=True)
    assert "empreinte SHA-256 inattendue" in str(err.value)
    assert not local_path(src, f).exists()
