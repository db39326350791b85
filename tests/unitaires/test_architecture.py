"""One home per concept: checks on the package's own code (no import cycle, one YAML reader, one gap
computation, one project root, one list of profiles, every kind of note declared once)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import grimp

from osq_utils.catalogues.racine import PROJECT_ROOT, dossier_modeles
from osq_utils.notes import TYPES

PACKAGE = PROJECT_ROOT / "osq_utils"
TREE = [p for d in ("osq_utils", "tests", "bench", "docs") for p in sorted((PROJECT_ROOT / d).rglob("*.py"))
        if "node_modules" not in p.parts]


def _parse(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _assigned(name: str) -> list[str]:
    """Every module-level assignment of `name` in the tree."""
    out = []
    for path in TREE:
        for node in _parse(path).body:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
            if any(isinstance(t, ast.Name) and t.id == name for t in targets):
                out.append(str(path.relative_to(PROJECT_ROOT)))
    return out


def _defined(name: str) -> list[str]:
    return [str(p.relative_to(PROJECT_ROOT)) for p in PACKAGE.rglob("*.py")
            for node in ast.walk(_parse(p)) if isinstance(node, ast.FunctionDef) and node.name == name]


def test_no_import_cycle_between_modules():
    graph = grimp.build_graph("osq_utils")
    modules = sorted(graph.modules)
    edges = {m: {i for i in graph.find_modules_directly_imported_by(m) if i.startswith("osq_utils")} for m in modules}
    state: dict[str, int] = {}
    cycle: list[str] = []

    def visit(m: str, path: list[str]) -> bool:
        state[m] = 1
        for n in sorted(edges[m]):
            if state.get(n) == 1:
                cycle.extend(path[path.index(n):] + [m, n] if n in path else [m, n])
                return True
            if n not in state and visit(n, path + [m]):
                return True
        state[m] = 2
        return False

    for m in modules:
        if m not in state and visit(m, []):
            break
    assert not cycle, " → ".join(cycle)


def test_one_project_root_and_one_list_of_profiles():
    assert _assigned("PROJECT_ROOT") == ["osq_utils/catalogues/racine.py"]
    assert _assigned("PROFILS") == ["osq_utils/catalogues/profils.py"]


def test_one_yaml_reader():
    readers = []
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(_parse(path)):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and isinstance(node.func.value, ast.Name) and node.func.value.id == "yaml"
                    and node.func.attr in ("load", "safe_load", "full_load", "compose", "load_all", "safe_load_all")):
                readers.append(f"{path.relative_to(PROJECT_ROOT)}:{node.lineno}")
    assert all(r.startswith("osq_utils/catalogues/lecture_yaml.py") for r in readers), readers


def test_gaps_and_ledger_columns_have_one_home():
    # present.fr.ecart writes a gap in French; computing one happens in indicateurs.ecarts only.
    assert [p for p in _defined("ecart") if p != "osq_utils/present/fr.py"] == ["osq_utils/indicateurs/ecarts.py"]
    assert _defined("evolution_ecart") == ["osq_utils/indicateurs/ecarts.py"]
    ledgers = [p for p in _assigned("COLONNES") if p.startswith("osq_utils/secret")]
    assert ledgers == ["osq_utils/secret/registre.py"]
    assert not [p for name in ("LEDGER", "LEDGER_COLUMNS") for p in _assigned(name)]


# Imports inside a function, each with its reason. import-linter still checks them (no circle can hide here).
LAZY_IMPORTS = {
    # papermill (with nbformat and jsonschema, ~2 s of imports) when a note runs, not for an up-to-date build
    ("osq_utils/batch/execute.py", "osq_utils.batch"): 1,
    # notebook reading and printables when a note is rendered, the audit's PDF/Word readers when it runs
    ("osq_utils/batch/publication.py", "osq_utils.batch"): 2,
    # the maps' link resolution (geopandas) when a page is rendered; the home page's map when it is
    ("osq_utils/batch/publication.py", "osq_utils.present.interactif"): 1,
    # ... and the Dask client (batch.cluster, 0.7 s of imports) only when a build runs on a cluster
    ("osq_utils/batch/build.py", "osq_utils.batch"): 3,
    # geopandas (the polygon rule of a zone, indicateurs.polygones) only when a zone is drawn by a polygon
    ("osq_utils/indicateurs/zones.py", "osq_utils.indicateurs"): 1,
}


def test_no_import_inside_a_function_outside_the_documented_places():
    allowed = {"osq_utils/cli.py"}  # each command imports its stage when run (module docstring)
    found: dict[tuple[str, str], int] = {}
    for path in PACKAGE.rglob("*.py"):
        rel = str(path.relative_to(PROJECT_ROOT))
        for node in ast.walk(_parse(path)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for sub in ast.walk(node):
                    if isinstance(sub, (ast.Import, ast.ImportFrom)) and rel not in allowed:
                        module = getattr(sub, "module", None) or sub.names[0].name
                        found[(rel, module)] = found.get((rel, module), 0) + 1
    assert found == LAZY_IMPORTS


def test_an_up_to_date_build_loads_neither_papermill_nor_the_printables():
    # What a no-op build imports (osq build with every note up to date); a fresh interpreter.
    code = ("import sys, osq_utils.cli, osq_utils.batch.build; "
            "print(sorted(m for m in ('papermill', 'nbformat', 'jsonschema', 'docx', 'pypdf', 'bs4', 'typst') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=PROJECT_ROOT)
    assert out.stdout.strip() == "[]"


def test_every_kind_of_note_is_declared_once_with_its_template():
    # Every module of notes/ is a kind, but the registry, the kinds' description and the commentary they share.
    modules = {p.stem for p in (PACKAGE / "notes").glob("*.py")} - {"__init__", "base", "commentaire"}
    declared = [str(p.relative_to(PROJECT_ROOT)) for p in (PACKAGE / "notes").glob("*.py") if p.stem in modules
                for node in _parse(p).body
                if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "TYPE" for t in node.targets)]
    assert len(declared) == len(modules) == len(TYPES)
    templates = {p.stem for p in dossier_modeles().glob("*.ipynb")}
    assert set(TYPES) == templates
    for kind in TYPES.values():
        assert kind.template.is_file()
        assert kind.slug("62040") == f"{kind.prefixe}-62040"
    assert len({k.prefixe for k in TYPES.values()}) == len(TYPES)
