"""The floor plan: no module imports a layer above its own, none imports another stage,
and no modules import each other in a circle.

Layers, lowest first:
  base       the top-level modules every part may use (model, paths, errors, registry,
             identifiers, reuse, cache, atomic, progress, workers, ...)
  kb         evidencekb.kb: read, validate, import and export kb/
  stages     evidencekb.search, evidencekb.database, evidencekb.site: each reads the
             knowledge base and writes its own part of the site; none imports another
  top        the orchestration above them: build.py, live.py, cli.py and the commands
             it runs (evidencekb.commands), __main__.py

Every import is counted, at module level and inside functions (where the CLI and the
stages import what they need lazily): a function-level import runs when it runs and
closes a cycle as surely as a module-level one. The graph is read with `ast` from the
source files, never by importing them.

The command line's modules (cli.py and evidencekb.commands) are all imported as `ekb`
starts, whatever the command: at their top they import only the base layer and each
other, and each command imports its stage inside itself.
"""

from __future__ import annotations

import ast
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from fixtures import REPO

PACKAGE = "evidencekb"
STAGES = ("search", "database", "site")
TOP = ("build", "live", "cli", "commands", "__main__")
COMMAND_LINE = ("cli", "commands")
BASE, KB, STAGE, ORCHESTRATION = range(4)
LAYER_NAMES = ("base", "kb", "stage", "top")


@dataclass(frozen=True)
class Graph:
    """Each module of a package (dotted name) and the package's modules it imports."""

    imports: dict[str, frozenset[str]]


def module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def read_graph(root: Path, *, at_import: bool = False) -> Graph:
    """The import graph of the package in folder `root` (its name is the folder's);
    `at_import`: only the imports a module runs as it is imported, none inside its
    functions."""
    sources = {module_name(root, path): path for path in sorted(root.rglob("*.py"))}
    imports = {
        name: frozenset(_imported(name, path, set(sources), root.name, at_import))
        for name, path in sources.items()
    }
    return Graph(imports)


def _imported(name: str, path: Path, modules: set[str], package: str, at_import: bool) -> set[str]:
    """The package's modules that `path` imports, anywhere in it (`at_import`: outside
    its functions). `from a import b` names module a.b when there is one, else a
    itself."""
    found: set[str] = set()
    is_package = path.name == "__init__.py"
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    for node in _outside_functions(tree) if at_import else ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(name, node, is_package)
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                found.add(submodule if submodule in modules else base)
    return {
        module
        for module in found
        if module in modules and module != name and module.split(".")[0] == package
    }


def _outside_functions(tree: ast.AST) -> Iterator[ast.AST]:
    """Every node of `tree` but the functions and what is in them."""
    functions = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)
    waiting = [tree]
    while waiting:
        node = waiting.pop()
        yield node
        waiting.extend(
            child for child in ast.iter_child_nodes(node) if not isinstance(child, functions)
        )


def _absolute(name: str, node: ast.ImportFrom, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    parts = name.split(".")
    here = parts if is_package else parts[:-1]
    anchor = here[: len(here) - node.level + 1]
    return ".".join([*anchor, node.module] if node.module else anchor)


def layer(module: str) -> int:
    parts = module.split(".")
    if len(parts) == 1:
        return BASE  # the package's own __init__
    if parts[1] == "kb":
        return KB
    if parts[1] in STAGES:
        return STAGE
    if parts[1] in TOP:
        return ORCHESTRATION
    return BASE


def stage(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in STAGES else None


def upward_imports(graph: Graph) -> list[str]:
    """Each import of a higher layer, or of another stage, as `a -> b (why)`."""
    found = []
    for module, imported in sorted(graph.imports.items()):
        for target in sorted(imported):
            if layer(target) > layer(module):
                why = f"{LAYER_NAMES[layer(module)]} imports {LAYER_NAMES[layer(target)]}"
                found.append(f"{module} -> {target} ({why})")
            elif layer(module) == layer(target) == STAGE and stage(module) != stage(target):
                found.append(f"{module} -> {target} (a stage imports another stage)")
    return found


def command_line_loads(graph: Graph) -> list[str]:
    """Each import by a module of the command line (`COMMAND_LINE`) of a module above
    the base layer that is not of the command line, as `a -> b`."""
    return [
        f"{module} -> {target}"
        for module, imported in sorted(graph.imports.items())
        if part(module) in COMMAND_LINE
        for target in sorted(imported)
        if layer(target) != BASE and part(target) not in COMMAND_LINE
    ]


def part(module: str) -> str | None:
    """The top-level module or package of the package that `module` is in (or is)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else None


def cycles(graph: Graph) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm,
    iterative), each sorted, in sorted order."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in sorted(graph.imports):
        if start in index:
            continue
        work = [(start, iter(sorted(graph.imports[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, targets = work[-1]
            target = next(targets, None)
            if target is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
            elif target not in index:
                index[target] = low[target] = len(index)
                stack.append(target)
                on_stack.add(target)
                work.append((target, iter(sorted(graph.imports[target]))))
            elif target in on_stack:
                low[node] = min(low[node], index[target])
    return sorted(found)


def test_no_module_imports_a_higher_layer_or_another_stage() -> None:
    assert upward_imports(read_graph(REPO / "src" / PACKAGE)) == []


def test_no_modules_import_each_other_in_a_circle() -> None:
    assert cycles(read_graph(REPO / "src" / PACKAGE)) == []


def test_the_graph_is_read_whole() -> None:
    # The checker sees function-level imports and `from package import module`.
    graph = read_graph(REPO / "src" / PACKAGE)
    assert "evidencekb.search.engine" in graph.imports["evidencekb.search"]
    assert "evidencekb.kb.load" in graph.imports["evidencekb.search.writer"]  # in a function
    assert "evidencekb.build" in graph.imports["evidencekb.live"]
    assert "evidencekb.build" in graph.imports["evidencekb.commands.site"]  # in a function


def test_each_command_imports_its_stage_inside_itself() -> None:
    """`ekb` imports every command's module as it starts (`cli.EKB`), `ekb search`
    too: a stage, kb/ or the build imported at the top of one would load with every
    command. (tests/test_layout.py checks in a fresh interpreter what a search loads.)"""
    assert command_line_loads(read_graph(REPO / "src" / PACKAGE, at_import=True)) == []


def write_package(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / "evidencekb" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return root / "evidencekb"


def test_the_checker_catches_a_bad_floor_plan(tmp_path: Path) -> None:
    package = write_package(
        tmp_path,
        {
            "__init__.py": "",
            "model.py": "def load():\n    from evidencekb.kb.load import read\n",
            "kb/__init__.py": "",
            "kb/load.py": "from evidencekb import model\n",
            "search/__init__.py": "",
            "search/index.py": "from evidencekb.search import segments\n",
            "search/segments.py": "from . import index\n",
            "site/__init__.py": "",
            "site/render.py": "from evidencekb.search.index import x\nimport evidencekb.build\n",
            "build.py": "from evidencekb.site.render import render\n",
        },
    )
    graph = read_graph(package)
    assert upward_imports(graph) == [
        "evidencekb.model -> evidencekb.kb.load (base imports kb)",
        "evidencekb.site.render -> evidencekb.build (stage imports top)",
        "evidencekb.site.render -> evidencekb.search.index (a stage imports another stage)",
    ]
    assert cycles(graph) == [
        ["evidencekb.build", "evidencekb.site.render"],
        ["evidencekb.kb.load", "evidencekb.model"],
        ["evidencekb.search.index", "evidencekb.search.segments"],
    ]


def test_the_checker_catches_a_command_that_loads_its_stage_at_the_top(tmp_path: Path) -> None:
    package = write_package(
        tmp_path,
        {
            "__init__.py": "",
            "paths.py": "",
            "kb/__init__.py": "",
            "kb/load.py": "",
            "site/__init__.py": "",
            "commands/__init__.py": "",
            "commands/output.py": "from evidencekb import paths\n",
            "commands/kb.py": (
                "from evidencekb.commands.output import echo\n"
                "from evidencekb.kb import load\n"
                "def check():\n    from evidencekb import site\n"
            ),
            "cli.py": "from evidencekb.commands import kb\n",
        },
    )
    assert command_line_loads(read_graph(package, at_import=True)) == [
        "evidencekb.commands.kb -> evidencekb.kb.load"
    ]
    assert "evidencekb.site" in read_graph(package).imports["evidencekb.commands.kb"]


def test_the_checker_passes_a_good_floor_plan(tmp_path: Path) -> None:
    package = write_package(
        tmp_path,
        {
            "__init__.py": "",
            "model.py": "import json\n",
            "kb/__init__.py": "from evidencekb.kb.load import read\n",
            "kb/load.py": "from evidencekb import model\n",
            "site/__init__.py": "",
            "site/render.py": "from evidencekb.kb import read\nfrom evidencekb.model import x\n",
            "build.py": "from evidencekb.site.render import render\nfrom evidencekb import kb\n",
        },
    )
    graph = read_graph(package)
    assert upward_imports(graph) == []
    assert cycles(graph) == []
