"""The core's imports go one way: no package of layers/core/klantreis imports, directly or through
others, a package that imports it back (docs/architecture.md, "The one direction of imports").
Read from the source with `ast`, so a lazy import inside a function counts as much as one at the
top. `python -m tests.unit.test_import_graph` prints the cycles (none) and the package graph."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

CORE = Path(__file__).resolve().parents[2] / "layers" / "core"
ROOT = "klantreis"

Graph = dict[str, dict[str, list[str]]]
"""package → package it imports → the imports that make the edge (`module -> imported`)."""


def _modules() -> Iterator[tuple[str, Path]]:
    for path in sorted((CORE / ROOT).rglob("*.py")):
        parts = path.relative_to(CORE).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        yield name, path


def node_of(module: str) -> str | None:
    """The graph's node of a core module: its package below `klantreis` (`klantreis.journey`), or
    the top-level module itself (`klantreis.dynamo`); None for the root package."""
    parts = module.split(".")
    return ".".join(parts[:2]) if len(parts) > 1 else None


def _imported(tree: ast.AST, module: str, is_package: bool) -> Iterator[str]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolved against this module's package
                base = module.split(".")
                base = base[: len(base) - node.level + (1 if is_package else 0)]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            yield target
            # `from klantreis import dynamo` imports the module klantreis.dynamo
            yield from (f"{target}.{alias.name}" for alias in node.names)


def import_graph() -> Graph:
    modules = dict(_modules())
    graph: Graph = {}
    for module, path in modules.items():
        source = node_of(module)
        if source is None:
            continue
        tree = ast.parse(path.read_text(), filename=str(path))
        for target in _imported(tree, module, path.name == "__init__.py"):
            if target.split(".")[0] != ROOT or (
                target not in modules and target.rsplit(".", 1)[0] not in modules
            ):
                continue
            found = target if target in modules else target.rsplit(".", 1)[0]
            node = node_of(found)
            if node is None or node == source:
                continue
            graph.setdefault(source, {}).setdefault(node, []).append(f"{module} -> {target}")
    return graph


def cycles(graph: Graph) -> list[list[str]]:
    """The strongly connected groups of more than one node (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, {}):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(groups)


def describe(graph: Graph, group: list[str]) -> list[str]:
    return [
        f"{source} -> {target}: {', '.join(sorted(set(graph[source][target])))}"
        for source in group
        for target in group
        if target in graph.get(source, {})
    ]


def test_the_core_has_no_import_cycle() -> None:
    # given the core's modules as they are
    graph = import_graph()

    # when the packages are grouped by what reaches what
    found = cycles(graph)

    # then no package reaches itself through another
    assert found == [], "\n".join(line for group in found for line in describe(graph, group))


def test_a_cycle_is_found_even_through_a_lazy_import() -> None:
    # given a graph like the one the core had: journey -> reports at the top, reports -> journey
    # inside a function, and a third package in between for another pair
    graph: Graph = {
        "klantreis.journey": {"klantreis.reports": ["klantreis.journey.counters -> klantreis.reports.names"]},
        "klantreis.reports": {"klantreis.journey": ["klantreis.reports.daily -> klantreis.journey.counters"]},
        "klantreis.a": {"klantreis.b": ["x"]},
        "klantreis.b": {"klantreis.c": ["y"]},
        "klantreis.c": {"klantreis.a": ["z"]},
    }

    # when / then
    assert cycles(graph) == [
        ["klantreis.a", "klantreis.b", "klantreis.c"],
        ["klantreis.journey", "klantreis.reports"],
    ]


def test_a_lazy_import_inside_a_function_counts() -> None:
    # given a module that imports another package only inside a function
    tree = ast.parse("def f():\n    from klantreis.reports import names\n")

    # when / then
    assert "klantreis.reports.names" in set(_imported(tree, "klantreis.journey.counters", False))


if __name__ == "__main__":
    graph = import_graph()
    found = cycles(graph)
    print(f"import cycles between packages of {ROOT}: {len(found)}")
    for group in found:
        print("  " + " <-> ".join(group))
        for line in describe(graph, group):
            print("    " + line)
    for source in sorted(graph):
        print(f"{source} -> {', '.join(sorted(graph[source]))}")
