"""nn's generic packages are a library: they import nothing of the Go engine or the
applications.

Every module of ``nn/compress``, ``nn/parallel``, ``nn/sequence``, ``nn/trunks`` and
``nn/vision`` (and the generic modules beside them) is scanned (``ast``, no module is
executed), and so is every ``nn`` module it imports, transitively: none may import
``engine``, ``selfplay``, ``trainer``, ``zerogo`` or ``gui``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = ("engine", "selfplay", "trainer", "zerogo", "gui")
LIBRARY = {
    "compress": "export.py",
    "parallel": "param_server.py",
    "sequence": "transformer.py",
    "trunks": "transformer.py",
    "vision": "ssd.py",
}
GENERIC_MODULES = ("blocks.py", "norms.py", "flops.py", "atomic.py")


def imported_modules(source: str, package: str) -> set[str]:
    """Return the absolute names of the modules ``source`` (a module of ``package``) imports.

    ``from a import b`` gives both ``a`` and ``a.b`` (b may be a module); relative
    imports are resolved against ``package``.
    """
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1])
                module = f"{base}.{module}" if module else base
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)
    return names


def source_file(module: str) -> Path | None:
    """Return the file of a module of this repository, or None (another package)."""
    base = ROOT.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def package_of(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).parts[:-1])


@pytest.mark.parametrize("package", sorted(LIBRARY))
def test_library_package_imports_nothing_of_the_engine_or_applications(package: str) -> None:
    todo = sorted((ROOT / "nn" / package).glob("*.py"))
    assert ROOT / "nn" / package / LIBRARY[package] in todo
    offenders, seen = scan(todo)
    assert not offenders, offenders
    assert len(seen) > len(todo) or package == "parallel"  # the scan followed nn imports


def test_generic_modules_beside_the_go_network_import_nothing_of_go() -> None:
    offenders, _ = scan([ROOT / "nn" / name for name in GENERIC_MODULES])
    assert not offenders, offenders


def scan(start: list[Path]) -> tuple[list[str], set[Path]]:
    """Follow the nn imports of ``start``; return the forbidden imports and the files seen."""
    todo = list(start)
    seen: set[Path] = set()
    offenders = []
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        for module in imported_modules(path.read_text(), package_of(path)):
            top = module.split(".")[0]
            if top in FORBIDDEN:
                offenders.append(f"{path.relative_to(ROOT)} imports {module}")
            elif top == "nn" and (found := source_file(module)) is not None:
                todo.append(found)
    return offenders, seen


def test_the_scan_sees_every_form_of_import() -> None:
    source = (
        "import engine.board\n"
        "from zerogo import cli\n"
        "from .export import export_onnx\n"
        "from .. import blocks\n"
        "from trainer.loop import train as t\n"
    )
    names = imported_modules(source, "nn.compress")
    assert {"engine.board", "zerogo", "zerogo.cli", "trainer.loop"} <= names
    assert {"nn.compress.export", "nn.blocks"} <= names
