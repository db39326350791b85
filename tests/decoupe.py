"""Cut the public-source mirror down to the CAPSO, for the middle test tier.

`decouper_capso(miroir, dest)` writes `dest/<source_id>/<chemin>` for every file of every
source of the catalogue, keeping only what concerns the Communauté d'agglomération du Pays de
Saint-Omer (EPCI 200069037): its communes (and the older codes merged into them), their IRIS,
the QPV on them, the EPCI and its predecessors, département 62, its région, France. The national
commune files of the reference data keep every commune of département 62 (so that its derived
figures can be checked) and the 45 municipal arrondissements; département files are kept whole.

Rows, features and records are only dropped, never rewritten: CSV lines are copied byte for byte
(BOM, separator, quoting, CRLF, missing final newline kept), also inside a producer's zip, GeoJSON features are copied as text
slices, shapefile records as bytes (only the record count, file length, record numbers and
bounding box of the headers follow the cut). The perimeter is computed from the mirror files.
"""

from __future__ import annotations

import csv
import fnmatch
import gzip
import json
import re
import shutil
import struct
import time
import unicodedata
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from osq_utils.catalogues.sources import load_catalogue

EPCI_CAPSO = "200069037"
DEP_CAPSO = "62"
REG_CAPSO = "32"
ARM = re.compile(r"751(?:0[1-9]|1\d|20)|6938[1-9]|132(?:0[1-9]|1[0-6])")  # municipal arrondissements
SMALL_FILE = 300_000  # bytes: a file without a cut rule may be copied whole below this size
COPY_EXTENSIONS = (".xlsx", ".xls", ".pdf", ".json", ".md", ".prj", ".cpg", ".txt")
COPY_NAMES = ("LICENSE", "README")


@dataclass
class Perimetre:
    """Codes of the CAPSO at every level, computed from the mirror."""

    communes: frozenset[str]  # current communes (etalab 2026 membership)
    anciennes_communes: frozenset[str]  # older codes merged into them (COG passages)
    epcis: frozenset[str]  # the CAPSO and the EPCI its communes belonged to
    departements: frozenset[str]
    regions: frozenset[str]  # 32, and the pre-2016 région of its communes
    qpvs: frozenset[str]  # QPV 2015 (QP…) and 2024 (QN…) on its communes
    zonages: frozenset[tuple[str, str, str]] = field(default=frozenset())  # (cog_year, NIVGEO, code)

    @property
    def toutes_communes(self) -> frozenset[str]:
        return self.communes | self.anciennes_communes

    def resume(self) -> dict:
        return {
            "communes": len(self.communes),
            "anciennes_communes": sorted(self.anciennes_communes),
            "epcis": sorted(self.epcis),
            "departements": sorted(self.departements),
            "regions": sorted(self.regions),
            "qpvs": sorted(self.qpvs),
        }


# --- perimeter ---------------------------------------------------------------------------------

def _csv_rows(path: Path, sep: str, encoding: str = "utf-8-sig") -> list[dict[str, str]]:
    with open(path, encoding=encoding, newline="") as fh:
        return list(csv.DictReader(fh, delimiter=sep))


def _norm(name: str) -> str:
    name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]", "", name.replace("saint", "st"))


def perimetre_capso(miroir: Path) -> Perimetre:
    miroir = Path(miroir)
    # Current communes: the 2026 membership table (only its CAPSO lines are parsed).
    path = miroir / "etalab-decoupage-administratif-2026" / "epci_membres_2026.csv"
    with open(path, encoding="utf-8", newline="") as fh:
        header = next(csv.reader([fh.readline()]))
        lines = [line for line in fh if line.startswith(EPCI_CAPSO + ",")]
    communes = {r["commune_code"] for r in csv.DictReader(lines, fieldnames=header) if r["epci_code"] == EPCI_CAPSO}

    # Older codes: walk the year-to-year passage table backwards until nothing new appears.
    passages = _csv_rows(miroir / "cogugaison-2014-2024" / "passage_cog_annual_2014_2024.csv", ",")
    toutes = set(communes)
    while True:
        new = {p["code_from"] for p in passages if p["code_to"] in toutes} - toutes
        if not new:
            break
        toutes |= new

    # Memberships of every COG year: former EPCI, départements, régions, zonage codes.
    epcis, deps, regs, zonages = {EPCI_CAPSO}, {DEP_CAPSO}, {REG_CAPSO}, set()
    path = miroir / "cogugaison-2014-2024" / "table_supracom_2014_2024_dep42_62_77_94.csv"
    with open(path, encoding="utf-8", newline="") as fh:
        header = next(csv.reader([fh.readline()]))
        rows = [line for line in fh if line.split(",", 2)[1] in toutes or f",{EPCI_CAPSO}," in line]
    for r in csv.DictReader(rows, fieldnames=header):
        if r["EPCI"] == EPCI_CAPSO:
            toutes.add(r["CODGEO"])
        if r["CODGEO"] not in toutes:
            continue
        if re.fullmatch(r"\d{9}", r["EPCI"]):
            epcis.add(r["EPCI"])
        deps.add(r["DEP"])
        regs |= {r[c] for c in ("REG", "REG2016") if r.get(c)}
        zonages |= {(r["cog_year"], col, v) for col, v in r.items() if col not in ("cog_year", "CODGEO", "LIBGEO") and v}
    anciennes = toutes - communes
    for r in _csv_rows(miroir / "insee-iris-2021" / "EPCI_2020.csv", ";"):
        if r["CODGEO"] in toutes and re.fullmatch(r"\d{9}", r["EPCI"]):
            epcis.add(r["EPCI"])

    # QPV 2015: by EPCI (INSEE 2013 table), or by commune name within the département.
    cog = _csv_rows(miroir / "insee-cog-2019" / "cog_com_2019.csv", ";")
    names = {_norm(r["libelle"]) for r in cog if r["com"] in toutes}
    qpvs = set()
    for r in _csv_rows(miroir / "anct-qpv-2015-contours" / "pop_qp_2013.csv", ";"):
        by_epci = {r["epci1"], r["epci2"]} & epcis
        by_name = r["qp"][2:5] == DEP_CAPSO.zfill(3) and any(
            _norm(n) in names for n in r["liste_des_communes"].split(","))
        if by_epci or by_name:
            qpvs.add(r["qp"])
    # QPV 2024: listed per commune.
    path = miroir / "anct-qpv-2024-communes" / "centroide-4326_qpv.geojson"
    for feature in json.loads(path.read_text(encoding="utf-8"))["features"]:
        props = feature["properties"]
        if props["insee_com"] in toutes:
            qpvs |= {c.strip() for c in str(props["code_qp"]).split(",") if c.strip()}

    return Perimetre(frozenset(communes), frozenset(anciennes), frozenset(epcis), frozenset(deps),
                     frozenset(regs), frozenset(qpvs), frozenset(zonages))


# --- rules -------------------------------------------------------------------------------------

Keep = Callable[[Perimetre, list[str]], bool]

LEVELS: dict[str, Callable[[Perimetre, str], bool]] = {
    "commune": lambda p, v: v in p.toutes_communes,
    "iris": lambda p, v: v[:5] in p.toutes_communes,  # IRIS = commune code + 4 digits
    "iris_sans_zero": lambda p, v: v.zfill(9)[:5] in p.toutes_communes,  # leading zeros stripped by its publisher
    "epci": lambda p, v: v in p.epcis,
    "qpv": lambda p, v: v in p.qpvs or v == "Ensemble",  # ANCT total row kept (its reader drops it)
    "departement": lambda p, v: v in p.departements,
    "region": lambda p, v: v in p.regions,
    # National commune files: every commune (or arrondissement) of the CAPSO's département (its derived figures
    # can be checked) and every municipal arrondissement (a level of its own).
    "commune_du_departement": lambda p, v: ((v[:3] if v.startswith("97") else v[:2]) in p.departements
                                            or bool(ARM.fullmatch(v))),
}


@dataclass(frozen=True)
class Csv:
    sep: str
    columns: tuple[str, ...]
    keep: Keep
    label: str


@dataclass(frozen=True)
class Zip:
    """A zip of CSV members: (lower-case name pattern, rule) pairs, the data member first."""
    members: tuple[tuple[str, Csv], ...]
    label: str


@dataclass(frozen=True)
class GeoJson:
    properties: tuple[str, ...]  # the first one present in a feature is tested
    niveau: str


@dataclass(frozen=True)
class Shape:
    field: str
    niveau: str


@dataclass(frozen=True)
class Copy:
    label: str = "copie"


def by(sep: str, **columns: str) -> Csv:
    """Keep rows where any of the columns holds a CAPSO code of its level."""
    names, levels = tuple(columns), [LEVELS[n] for n in columns.values()]
    return Csv(sep, names, lambda p, vals: any(t(p, v) for t, v in zip(levels, vals)),
               " | ".join(f"{c}∈{n}" for c, n in columns.items()))


def _zonage(p: Perimetre, vals: list[str]) -> bool:
    year, niv, code = vals
    return ((year, niv, code) in p.zonages or (niv == "EPCI" and code in p.epcis)
            or (niv == "DEP" and code in p.departements) or (niv == "REG" and code in p.regions))


def _dictionary(p: Perimetre, vals: list[str]) -> bool:
    # INSEE dictionaries list every commune as a CODGEO modality: keep the CAPSO ones.
    return vals[0] != "CODGEO" or vals[1] in p.toutes_communes


def _dictionary_departement(p: Perimetre, vals: list[str]) -> bool:
    # The comparateur's dictionary: every variable, and the CODGEO modalities of the département and arrondissements.
    return vals[0] != "CODGEO" or LEVELS["commune_du_departement"](p, vals[1])


COMPARATEUR = Zip((
    ("base*.csv", by(";", CODGEO="commune_du_departement")),
    ("meta_*.csv", Csv(";", ("COD_VAR", "COD_MOD"), _dictionary_departement, "variables, modalités CODGEO du département")),
), "zip : lignes du département et des arrondissements municipaux")


RULES: list[tuple[str, object]] = [
    ("insee-filosofi-2014-2019-disp/communes/*.csv", by(";", CODGEO="commune")),
    ("insee-filosofi-2014-2019-disp/epci/*.csv", by(";", CODGEO="epci")),
    ("insee-filosofi-2014-2019-disp/departements/*.csv", by(";", CODGEO="departement")),
    ("insee-filosofi-2014-2019-disp/regions/*.csv", by(";", CODGEO="region")),
    ("insee-filosofi-2014-2019-disp/france/*.csv", Copy("copie (France)")),
    ("insee-filosofi-2014-2019-disp/iris/*.csv", by(";", IRIS="iris")),
    ("insee-filosofi-2015-2016/filosofi_com_*.csv", by(";", CODGEO="commune")),
    ("insee-filosofi-2015-2016/filosofi_epci_*.csv", by(";", CODGEO="epci")),
    ("insee-filosofi-2018-communes/meta_*.csv", Csv(";", ("COD_VAR", "COD_MOD"), _dictionary, "modalités CODGEO∈commune")),
    ("insee-filosofi-2018-communes/*.csv", by(";", CODGEO="commune")),
    ("insee-comparateur-territoires-rp*/*.zip", COMPARATEUR),
    ("insee-filosofi-2021-communes/*.csv", by(";", CODGEO="commune_du_departement")),
    ("insee-filosofi-2020-departements/*.csv", Copy("copie (départements)")),
    ("insee-rp-2016-iris/*.csv", by(",", IRIS="iris")),
    ("insee-bpe-2019-france/*.csv.gz", by(",", DEPCOM="commune_du_departement")),
    ("menj-ips-2021-2022/*.csv", by(";", **{"Code INSEE de la commune": "commune_du_departement"})),
    ("anct-odt-jeunes-non-inseres-2008-2018/neet_communes_*.csv", by(";", codgeo="commune_du_departement")),
    ("anct-odt-jeunes-non-inseres-2008-2018/neet_epci_*.csv", by(";", codgeo="epci")),
    ("anct-odt-jeunes-non-inseres-2008-2018/neet_*.csv", Copy("copie (départements, régions)")),
    ("ssmsi-delinquance-2016-2023-dep-reg/*.csv", Copy("copie (départements, régions)")),
    ("sdes-rpls-2024-communes/*.csv", by(",", DEPCOM_ARM="commune_du_departement")),
    ("insee-cog-2019/*.csv", by(";", com="commune", comparent="commune")),
    ("cogugaison-2014-2024/libelles_supracom_*.csv", Csv(",", ("cog_year", "NIVGEO", "CODGEO"), _zonage, "zonages des communes")),
    ("cogugaison-2014-2024/passage_*.csv", by(",", code_from="commune", code_to="commune")),
    ("cogugaison-2014-2024/*.csv", by(",", CODGEO="commune")),
    ("etalab-decoupage-administratif-2026/communes_*.csv", by(",", code="commune", commune="commune")),
    ("etalab-decoupage-administratif-2026/epci_membres_*.csv", by(",", epci_code="epci", commune_code="commune")),
    ("ign-admin-express-2018-communes*/departements*.geojson", GeoJson(("code",), "departement")),
    # Both contour folders are cut alike, to the CAPSO's communes and their former codes (what its maps draw;
    # all of département 62 would take the cut over its size budget): their four shared files stay
    # byte-identical and the older source leaves their communes to the national one (ingest.contours).
    ("ign-admin-express-2018-communes*/communes-*.geojson", GeoJson(("code",), "commune")),
    # Tables d'appartenance géographique: national workbooks, copied whole (the zip holds one xlsx).
    ("insee-tagc-*/*.zip", Copy("copie (table nationale)")),
    ("*/*iris*.geojson", GeoJson(("CODE_IRIS", "code_iris"), "iris")),
    ("ign-contours-iris-42/iris_grd_quartier.csv", by(";", IRIS="iris_sans_zero")),
    ("qpv-occitanie/qp.csv", by(",", code_qp="qpv")),
    ("qpv-occitanie/qp.geojson", GeoJson(("code_qp",), "qpv")),
    ("qpv-occitanie/communes.geojson", GeoJson(("code_commune",), "commune")),
    ("qpv-occitanie/meta_*.csv", Copy("copie (dictionnaire)")),
    ("insee-anct-qpv-2015/*.csv", by(";", CODGEO="qpv")),
    ("anct-qpv-2015-contours/*.shp", Shape("CODE_QP", "qpv")),
    ("anct-qpv-2015-contours/*.shx", Shape("CODE_QP", "qpv")),
    ("anct-qpv-2015-contours/*.dbf", Shape("CODE_QP", "qpv")),
    ("anct-qpv-2015-contours/pop_qp_*.csv", by(";", qp="qpv")),
    ("anct-qpv-2024-communes/*.geojson", GeoJson(("insee_com",), "commune")),
    ("cnaf-caf-iris-2016-2020/*.csv", by(";", CODGEO="iris")),
    ("insee-iris-2021/iris_*.csv", by(";", CODE_IRIS="iris", DEPCOM="commune")),
    ("insee-iris-2021/EPCI_*.csv", by(";", CODGEO="commune")),
]


def rule_for(source_id: str, chemin: str, size: int):
    key = f"{source_id}/{chemin}"
    for pattern, rule in RULES:
        if fnmatch.fnmatchcase(key, pattern):
            return rule
    name = chemin.rsplit("/", 1)[-1]
    if name.endswith(COPY_EXTENSIONS) or name.startswith(COPY_NAMES):
        return Copy("copie (référence)")
    if size < SMALL_FILE:
        return Copy("copie (petit fichier sans règle)")
    raise ValueError(f"aucune règle de découpe pour le gros fichier {key} ({size} octets) : ajoutez-en une dans tests/decoupe.py")


# --- CSV ---------------------------------------------------------------------------------------

def cut_csv_bytes(data: bytes, rule: Csv, p: Perimetre, header_lines: int = 1) -> tuple[bytes, int, int]:
    """The header and the matching lines of a delimited text, byte for byte: (kept bytes, lines read, lines kept)."""
    lines = data.splitlines(keepends=True)
    header = lines[header_lines - 1].decode("utf-8-sig").rstrip("\r\n")
    names = [c.strip().lower() for c in next(csv.reader([header], delimiter=rule.sep))]
    idx = [names.index(c.lower()) for c in rule.columns]
    last = max(idx)
    out = lines[:header_lines]
    read = 0
    kept_last = False
    for n, line in enumerate(lines[header_lines:], start=header_lines):
        body = line.rstrip(b"\r\n")
        if not body.strip():
            continue
        read += 1
        if b'"' in body:
            parts = next(csv.reader([body.decode("utf-8")], delimiter=rule.sep))
        else:
            parts = body.decode("latin-1").split(rule.sep, last + 1)
        vals = [parts[i].strip() if i < len(parts) else "" for i in idx]
        if rule.keep(p, vals):
            out.append(line)
            kept_last = n == len(lines) - 1
    if data and not data.endswith((b"\n", b"\r")) and not kept_last:
        out[-1] = out[-1].rstrip(b"\r\n")  # the producer's file has no final newline
    return b"".join(out), read, len(out) - header_lines


def cut_csv(src: Path, dst: Path, rule: Csv, p: Perimetre, header_lines: int = 1) -> tuple[int, int]:
    """Keep the header and the matching lines, byte for byte (of the uncompressed text for a `.gz`, written
    back with gzip)."""
    data = src.read_bytes()
    if src.suffix == ".gz":
        data = gzip.decompress(data)
    body, read, kept = cut_csv_bytes(data, rule, p, header_lines)
    dst.write_bytes(gzip.compress(body, compresslevel=9, mtime=0) if src.suffix == ".gz" else body)
    return read, kept


# --- zip archives ------------------------------------------------------------------------------

def cut_zip(src: Path, dst: Path, rule: Zip, p: Perimetre) -> tuple[int, int]:
    """Rewrite a producer's zip with each CSV member cut by its rule (lines copied byte for byte; member names,
    dates and compression kept). Returns the lines read and kept of the data member (the reader's count)."""
    read = kept = 0
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info)
            name = info.filename.rsplit("/", 1)[-1]
            member_rule = next((r for pattern, r in rule.members if fnmatch.fnmatchcase(name.lower(), pattern)), None)
            if member_rule is None:
                raise ValueError(f"aucune règle de découpe pour le membre {info.filename} de {src.name}")
            cut, r, k = cut_csv_bytes(data, member_rule, p)
            if member_rule is rule.members[0][1]:
                read, kept = r, k
            zout.writestr(info, cut)
    return read, kept


# --- GeoJSON -----------------------------------------------------------------------------------

_WS = re.compile(r"\s*")


def geojson_features(text: str) -> tuple[int, list[tuple[int, int, dict]], str]:
    """(start of the features array, [(start, end, feature)], text after the array's last feature)."""
    match = re.search(r'"features"\s*:\s*\[', text)
    if not match:
        raise ValueError("pas de tableau « features »")
    decoder = json.JSONDecoder()
    pos = _WS.match(text, match.end()).end()
    spans = []
    while text[pos] != "]":
        obj, end = decoder.raw_decode(text, pos)
        spans.append((pos, end, obj))
        pos = _WS.match(text, end).end()
        if text[pos] == ",":
            pos = _WS.match(text, pos + 1).end()
    return match.end(), spans, text[spans[-1][1]:] if spans else text[pos:]


def cut_geojson(src: Path, dst: Path, rule: GeoJson, p: Perimetre) -> tuple[int, int, bool]:
    """Keep the matching features as text slices; returns (read, kept, witness).

    GDAL infers the fields from the features: a file with no CAPSO feature keeps its first one
    (witness) so that the readers still find their columns.
    """
    text = src.read_bytes().decode("utf-8")
    _, spans, suffix = geojson_features(text)
    if not spans:
        dst.write_bytes(src.read_bytes())
        return 0, 0, False
    test = LEVELS[rule.niveau]

    def value(props: dict) -> str:
        return str(next((props[k] for k in rule.properties if k in props), ""))

    kept = [i for i, (_, _, f) in enumerate(spans) if test(p, value(f.get("properties") or {}))]
    witness = not kept
    kept = kept or [0]
    parts = [text[: spans[0][0]]]
    for j, i in enumerate(kept):
        parts.append(text[spans[i][0]: spans[i][1]])
        if j < len(kept) - 1:
            parts.append(text[spans[i][1]: spans[i + 1][0]])  # the separator that followed it
    parts.append(suffix)
    dst.write_bytes("".join(parts).encode("utf-8"))
    return len(spans), len(kept) - (1 if witness else 0), witness


# --- shapefiles --------------------------------------------------------------------------------

def dbf_values(data: bytes, field_name: str, encoding: str = "latin-1") -> list[str]:
    nrec = int.from_bytes(data[4:8], "little")
    hlen = int.from_bytes(data[8:10], "little")
    rlen = int.from_bytes(data[10:12], "little")
    pos, offset = 32, 1  # each record starts with its deletion flag
    while data[pos] != 0x0D:
        name = data[pos: pos + 11].split(b"\0", 1)[0].decode("ascii")
        length = data[pos + 16]
        if name == field_name:
            return [data[hlen + i * rlen + offset: hlen + i * rlen + offset + length].decode(encoding).strip()
                    for i in range(nrec)]
        offset += length
        pos += 32
    raise ValueError(f"champ {field_name} absent du DBF")


def cut_dbf(data: bytes, keep: list[int]) -> bytes:
    nrec = int.from_bytes(data[4:8], "little")
    hlen = int.from_bytes(data[8:10], "little")
    rlen = int.from_bytes(data[10:12], "little")
    header = bytearray(data[:hlen])
    header[4:8] = len(keep).to_bytes(4, "little")
    body = b"".join(data[hlen + i * rlen: hlen + (i + 1) * rlen] for i in keep)
    return bytes(header) + body + data[hlen + nrec * rlen:]  # end-of-file marker


def cut_shp_shx(shp: bytes, shx: bytes, keep: list[int]) -> tuple[bytes, bytes]:
    index = [struct.unpack(">ii", shx[100 + 8 * i: 108 + 8 * i]) for i in range((len(shx) - 100) // 8)]
    records, boxes = [], []
    for number, i in enumerate(keep, start=1):
        offset, length = index[i]
        content = shp[offset * 2 + 8: offset * 2 + 8 + length * 2]
        records.append(struct.pack(">ii", number, length) + content)
        kind = struct.unpack("<i", content[:4])[0]
        if kind in (1, 11, 21):
            x, y = struct.unpack("<2d", content[4:20])
            boxes.append((x, y, x, y))
        elif kind:
            boxes.append(struct.unpack("<4d", content[4:36]))
    header = bytearray(shp[:100])
    if boxes:
        header[36:68] = struct.pack("<4d", min(b[0] for b in boxes), min(b[1] for b in boxes),
                                    max(b[2] for b in boxes), max(b[3] for b in boxes))
    shx_header = bytearray(header)
    body = b"".join(records)
    header[24:28] = struct.pack(">i", (100 + len(body)) // 2)
    shx_header[24:28] = struct.pack(">i", (100 + 8 * len(records)) // 2)
    offsets, pos = [], 100
    for rec in records:
        offsets.append(struct.pack(">ii", pos // 2, (len(rec) - 8) // 2))
        pos += len(rec)
    return bytes(header) + body, bytes(shx_header) + b"".join(offsets)


def cut_shapefile(src: Path, dst: Path, rule: Shape, p: Perimetre, cache: dict) -> tuple[int, int]:
    """Write the .shp, .shx or .dbf component of a cut shapefile (records chosen on the DBF)."""
    stem = src.with_suffix("")
    if stem not in cache:
        dbf = stem.with_suffix(".dbf").read_bytes()
        values = dbf_values(dbf, rule.field)
        keep = [i for i, v in enumerate(values) if LEVELS[rule.niveau](p, v)]
        shp, shx = cut_shp_shx(stem.with_suffix(".shp").read_bytes(), stem.with_suffix(".shx").read_bytes(), keep)
        cache[stem] = ({".dbf": cut_dbf(dbf, keep), ".shp": shp, ".shx": shx}, len(values), len(keep))
    parts, read, kept = cache[stem]
    dst.write_bytes(parts[src.suffix.lower()])
    return read, kept


# --- main --------------------------------------------------------------------------------------

def decouper_capso(miroir: Path, dest: Path, catalogue: dict | None = None) -> dict:
    """Cut every file of every catalogue source into dest/<source_id>/<chemin>; returns a report."""
    start = time.perf_counter()
    miroir, dest = Path(miroir), Path(dest)
    catalogue = catalogue if catalogue is not None else load_catalogue()
    p = perimetre_capso(miroir)
    report: dict = {"perimetre": p.resume(), "fichiers": {}, "secondes_perimetre": round(time.perf_counter() - start, 3)}
    shapes: dict = {}
    bytes_in = bytes_out = 0
    for source in catalogue.values():
        for f in source.fichiers:
            t0 = time.perf_counter()
            src, dst = miroir / source.id / f.chemin, dest / source.id / f.chemin
            dst.parent.mkdir(parents=True, exist_ok=True)
            size = src.stat().st_size
            rule = rule_for(source.id, f.chemin, size)
            entry: dict = {}
            if isinstance(rule, Copy):
                shutil.copyfile(src, dst)
                entry.update(regle=rule.label)
            elif isinstance(rule, Csv):
                read, kept = cut_csv(src, dst, rule, p)
                entry.update(regle=rule.label, lues=read, gardees=kept)
            elif isinstance(rule, Zip):
                read, kept = cut_zip(src, dst, rule, p)
                entry.update(regle=rule.label, lues=read, gardees=kept)
            elif isinstance(rule, GeoJson):
                read, kept, witness = cut_geojson(src, dst, rule, p)
                entry.update(regle=f"entités {'/'.join(rule.properties)}∈{rule.niveau}", lues=read, gardees=kept)
                if witness:
                    entry["temoin"] = "aucune entité de la CAPSO : la première est gardée pour que GDAL trouve les champs"
            elif isinstance(rule, Shape):
                read, kept = cut_shapefile(src, dst, rule, p, shapes)
                entry.update(regle=f"enregistrements {rule.field}∈{rule.niveau}", lues=read, gardees=kept)
            out = dst.stat().st_size
            bytes_in += size
            bytes_out += out
            entry.update(octets_miroir=size, octets=out, secondes=round(time.perf_counter() - t0, 4))
            report["fichiers"][f"{source.id}/{f.chemin}"] = entry
    report.update(octets_miroir=bytes_in, octets=bytes_out, secondes=round(time.perf_counter() - start, 3))
    return report


if __name__ == "__main__":  # python tests/decoupe.py <mirror> <dest>
    import sys

    result = decouper_capso(Path(sys.argv[1]), Path(sys.argv[2]))
    for key, entry in result["fichiers"].items():
        temoin = " TÉMOIN" if "temoin" in entry else ""
        print(f"{entry['secondes']:7.3f}s {entry.get('lues', ''):>8} → {entry.get('gardees', ''):<6} {entry['octets']:>9} o"
              f"  {key}  [{entry['regle']}]{temoin}")
    print(json.dumps(result["perimetre"], ensure_ascii=False))
    print(f"total {result['secondes']} s (périmètre {result['secondes_perimetre']} s), "
          f"{result['octets_miroir']} → {result['octets']} octets")
