"""The package layout holds: domain/ is pure, and imports run one way (pipelines → assets → resources → domain).

Imports are read with ``ast`` from the source, including those inside functions,
so a lazy import cannot slip past.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
# Lowest first: a package may import the ones before it, never those after it.
LAYERS = ("domain", "resources", "assets", "pipelines")
# What "pure" means for domain/: no orchestration, database or HTTP library.
NOT_IN_DOMAIN = ("dagster", "sqlalchemy", "psycopg", "httpx")


def _modules(package: str) -> list[Path]:
    return sorted((REPO_ROOT / package).rglob("*.py"))


def _imported(path: Path, root: Path = REPO_ROOT) -> set[str]:
    """Every module name ``path`` imports, at any depth; relative imports resolved against its package."""
    package = path.relative_to(root).parent.parts
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = ".".join(package[: len(package) - node.level + 1])
                names.add(f"{base}.{node.module}" if node.module else base)
            else:
                names.add(node.module or "")
    return names


def _top(name: str) -> str:
    return name.split(".")[0]


def test_every_layer_has_modules():
    for layer in LAYERS:
        assert _modules(layer), f"{layer}/ has no modules: the layout changed, update this test"


@pytest.mark.parametrize("path", _modules("domain"), ids=lambda p: str(p.relative_to(REPO_ROOT)))
def test_domain_modules_import_no_orchestration_database_or_http_library(path):
    forbidden = sorted(name for name in _imported(path) if _top(name) in NOT_IN_DOMAIN)
    assert not forbidden, f"{path.relative_to(REPO_ROOT)} imports {forbidden}"


@pytest.mark.parametrize("layer", LAYERS)
def test_imports_only_run_downward(layer):
    above = set(LAYERS[LAYERS.index(layer) + 1 :])
    upward = {
        f"{path.relative_to(REPO_ROOT)} imports {name}"
        for path in _modules(layer)
        for name in _imported(path)
        if _top(name) in above
    }
    assert not upward, sorted(upward)


def test_the_checker_sees_lazy_and_relative_imports(tmp_path):
    """The tests above cannot pass by not looking: imports inside functions and relative ones are found."""
    module = tmp_path / "domain" / "sub" / "module.py"
    module.parent.mkdir(parents=True)
    module.write_text(
        "from .. import accounts\n"
        "from .sibling import thing\n"
        "def later():\n"
        "    import dagster\n"
        "    from resources.queries import books\n"
    )
    assert _imported(module, root=tmp_path) == {
        "domain",
        "domain.sub.sibling",
        "dagster",
        "resources.queries",
    }
