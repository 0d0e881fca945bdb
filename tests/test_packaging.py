"""Runtime and development stay apart (issue #13): what an agency installs (`civic_ledger` and
pyproject's runtime dependencies) never imports development tooling (`civic_dev`, hypothesis,
slither, ruff, ape-foundry), and every third-party module the product imports is provided by
the runtime dependencies - or by an optional extra (`postgres`), imported only inside the
functions that need it, so an install without the extra never imports it."""

from __future__ import annotations

import ast
import importlib.metadata as metadata
import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEV_ONLY = {"civic_dev", "hypothesis", "slither", "crytic_compile", "ruff", "ape_foundry", "tests"}


def _key(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirement_name(requirement: str) -> str:
    return re.match(r"\s*([A-Za-z0-9_.\-]+)", requirement).group(1)


def _runtime_closure(extra: str | None = None) -> set[str]:
    """The distributions the runtime dependencies (or the optional `extra`'s) pull in."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = project["dependencies"] if extra is None else project["optional-dependencies"][extra]
    seen: set[str] = set()
    todo = [_requirement_name(r) for r in wanted]
    while todo:
        name = todo.pop()
        if _key(name) in seen:
            continue
        seen.add(_key(name))
        try:
            requires = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            continue
        todo.extend(_requirement_name(r) for r in requires if "extra ==" not in r)
    return seen


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def _module_level_imports(path: Path) -> set[str]:
    """The top-level modules `path` imports when it is imported (not inside a function)."""
    names: set[str] = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def product_imports() -> dict[str, set[Path]]:
    found: dict[str, set[Path]] = {}
    for path in (ROOT / "civic_ledger").rglob("*.py"):
        for name in _imports(path):
            found.setdefault(name, set()).add(path.relative_to(ROOT))
    return found


def test_product_never_imports_development_tooling():
    imports = product_imports()
    leaks = {name: sorted(map(str, imports[name])) for name in DEV_ONLY & set(imports)}
    assert not leaks, f"the product package imports development tooling: {leaks}"


def test_every_product_import_is_a_runtime_dependency():
    closure = _runtime_closure()
    optional = _runtime_closure("postgres") - closure
    providers = metadata.packages_distributions()
    missing, eager = {}, {}
    for name, paths in product_imports().items():
        if name in sys.stdlib_module_names or name in {"civic_ledger", "__future__"}:
            continue
        dists = {_key(d) for d in providers.get(name, [])}
        if dists & closure:
            continue
        if not dists & optional:
            missing[name] = sorted(map(str, paths))
        elif at_import := sorted(str(p) for p in paths if name in _module_level_imports(ROOT / p)):
            eager[name] = at_import
    assert not missing, f"imported but not provided by runtime dependencies: {missing}"
    assert not eager, f"an optional extra's module imported at module level: {eager}"


def test_development_tools_are_not_runtime_dependencies():
    closure = _runtime_closure()
    for dist in ("hypothesis", "slither-analyzer", "ruff", "ape-foundry", "crytic-compile"):
        assert dist not in closure, f"{dist} would be installed on every agency machine"
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert project["tool"]["setuptools"]["packages"]["find"]["include"] == ["civic_ledger*"]


def _product_modules_imported(path: Path) -> set[str]:
    """The `civic_ledger...` modules `path` imports (absolute imports, lazy ones included)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.update(f"{node.module}.{a.name}" for a in node.names)
    return {name for name in found if name.startswith("civic_ledger.")}


def test_nothing_below_the_cli_imports_it():
    """The layers of docs/architecture.md: the deploy plan, the demo, the bulk runner, the
    clients, the chain and core never reach up into the click commands (account loading lives
    in `chain/accounts.py`, output in `cli/output.py`)."""
    cli = ROOT / "civic_ledger" / "cli"
    upward = {}
    for path in (ROOT / "civic_ledger").rglob("*.py"):
        if cli in path.parents:
            continue
        found = sorted(
            m for m in _product_modules_imported(path) if m.startswith("civic_ledger.cli")
        )
        if found:
            upward[str(path.relative_to(ROOT))] = found
    assert not upward, f"modules below the CLI import it: {upward}"


def test_admin_commands_are_an_ape_plugin():
    """`ape civic ...` reaches the same groups as `ape run admin ...` (issue #15): the package's
    entry point is registered, and Ape lists every group under it."""
    import subprocess

    from civic_ledger.cli.admin import GROUPS

    [entry] = [
        e for e in metadata.entry_points(group="ape_cli_subcommands") if e.name == "ape_civic"
    ]
    assert entry.value == "civic_ledger.cli.admin:cli"
    ape = Path(sys.executable).with_name("ape")
    listed = subprocess.run(
        [str(ape), "civic", "--help"], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert listed.returncode == 0, listed.stderr
    for group in GROUPS:
        assert re.search(rf"^\s+{group}\s", listed.stdout, re.M), (group, listed.stdout)
    command = subprocess.run(
        [str(ape), "civic", "token", "balance", "--help"], cwd=ROOT, capture_output=True,
        text=True, timeout=300,
    )  # fmt: skip
    assert command.returncode == 0 and "--json" in command.stdout, command.stderr


MAX_MODULE_LINES = 500


def test_no_module_of_the_product_or_its_tooling_is_over_500_lines():
    """Issue #13: a module does one thing; past ~500 lines it is two (the reference client of the
    integration kit included: a package of three modules, not one file)."""
    folders = ("civic_ledger", "civic_dev", "tools/integration", "scripts")
    sizes = {
        str(path.relative_to(ROOT)): len(path.read_text(encoding="utf-8").splitlines())
        for folder in folders
        for path in (ROOT / folder).rglob("*.py")
        if "migrations/versions" not in str(path)
    }
    assert len(sizes) > 150, sizes  # the walk found the modules
    too_long = {name: lines for name, lines in sizes.items() if lines > MAX_MODULE_LINES}
    assert too_long == {}, f"split these modules: {too_long}"
