"""The result cache: one JSON file per experiment and size, keyed on settings and code.

The key hashes the experiment's name, its settings, the package's version, the code of the
module that runs it together with every module of the package that code imports (found by
reading the ``import`` statements, so no list of files is kept by hand), and every data
file of the package.  Code is hashed as its syntax tree without docstrings, so comments,
docstrings and layout may change without making a result stale; a change to what the code
does gives a new key.  This is written here rather than taken from a library: what it needs
(the import graph of one package, read from its own files) is a few lines of ``ast``.
"""

import ast
import hashlib
import json
import os
import tomllib
from collections.abc import Iterable
from functools import cache
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path

from .. import __version__
from .record import Result

PACKAGE = "bptt_book"


def directory() -> Path:
    """Where cached results live: ``$BPTT_BOOK_CACHE``, else ``~/.cache/bptt_book``."""
    return Path(os.environ.get("BPTT_BOOK_CACHE") or Path.home() / ".cache" / "bptt_book")


def _module_file(name: str) -> Traversable | None:
    """The source file of module ``name`` of the package (None for a name that is not one)."""
    parts = name.split(".")
    if parts[0] != PACKAGE:
        return None
    folder = files(PACKAGE)
    for part in parts[1:-1]:
        folder = folder / part
    candidates = [folder / "__init__.py"] if len(parts) == 1 else [
        folder / f"{parts[-1]}.py", folder / parts[-1] / "__init__.py"]
    return next((c for c in candidates if c.is_file()), None)


def _imported(name: str, tree: ast.Module, is_package: bool) -> Iterable[str]:
    """Every module name that the code of module ``name`` may import (and imported names,
    which ``_module_file`` then tells apart)."""
    here = name.split(".") if is_package else name.split(".")[:-1]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = here[: len(here) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            yield module
            yield from (f"{module}.{alias.name}" for alias in node.names)


class _WithoutDocstrings(ast.NodeTransformer):
    def generic_visit(self, node):
        super().generic_visit(node)
        body = getattr(node, "body", None)
        if (isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
                and body and isinstance(body[0], ast.Expr)
                and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)):
            node.body = body[1:]
        return node


def modules(start: Iterable[str]) -> dict:
    """The modules of the package that ``start`` imports, directly or not, with ``start``:
    name -> source file."""
    found: dict[str, Traversable] = {}
    todo = list(start)
    while todo:
        name = todo.pop()
        source = None if name in found else _module_file(name)
        if source is None:
            continue
        found[name] = source
        tree = ast.parse(source.read_text(encoding="utf-8"))
        todo.extend(_imported(name, tree, source.name == "__init__.py"))
    return found


#: Folders of the package whose files are results, not inputs: no key hashes them.
_OUTPUTS = ("experiments/recorded/",)


def _data_files(folder: Traversable, prefix: str = "") -> Iterable[tuple[str, Traversable]]:
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.is_dir():
            if entry.name != "__pycache__" and f"{prefix}{entry.name}/" not in _OUTPUTS:
                yield from _data_files(entry, f"{prefix}{entry.name}/")
        elif not entry.name.endswith((".py", ".pyc")):
            yield f"{prefix}{entry.name}", entry


@cache
def code_digest(start: tuple[str, ...]) -> str:
    """A hash of the code that ``start`` runs (see the module's docstring) and of the
    package's data files (TOML files by their content, not their comments)."""
    digest = hashlib.sha256()
    for name, source in sorted(modules(start).items()):
        tree = _WithoutDocstrings().visit(ast.parse(source.read_text(encoding="utf-8")))
        digest.update(f"{name}\n{ast.dump(tree)}\n".encode())
    for name, data in _data_files(files(PACKAGE)):
        raw = data.read_bytes()
        if name.endswith(".toml"):
            raw = json.dumps(tomllib.loads(raw.decode("utf-8")), sort_keys=True).encode()
        digest.update(name.encode() + b"\n" + raw)
    return digest.hexdigest()


def key(name: str, values: dict, start: tuple[str, ...]) -> str:
    """The cache key of experiment ``name`` with settings ``values`` run by the modules
    ``start``."""
    digest = hashlib.sha256()
    digest.update(json.dumps([name, values, __version__], sort_keys=True).encode())
    digest.update(code_digest(tuple(sorted(start))).encode())
    return digest.hexdigest()[:20]


def path(name: str, size: str, key_: str, folder: str | os.PathLike | None = None) -> Path:
    """The file of experiment ``name`` at ``size`` with key ``key_`` in ``folder``."""
    folder = Path(folder) if folder is not None else directory()
    return folder / f"{name}-{size}-{key_}.json"


def read(file: Path) -> Result | None:
    """The result kept in ``file``, or None when there is none (or only a damaged one, which
    the next :func:`write` replaces)."""
    try:
        return Result.from_json(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (ValueError, TypeError):  # not JSON, or not the fields of a Result
        return None


def write(file: Path, result: Result) -> None:
    """Keep ``result`` in ``file`` (written whole, then renamed into place) and remove the
    results of the same experiment and size made with other settings or code."""
    file.parent.mkdir(parents=True, exist_ok=True)
    partial = file.with_suffix(f".{os.getpid()}.tmp")
    partial.write_text(result.to_json(), encoding="utf-8")
    partial.replace(file)
    for stale in file.parent.glob(f"{result.name}-{result.size}-*.json"):
        if stale != file:
            stale.unlink(missing_ok=True)
