"""No import cycles between wirewatch's modules (issue 19).

import-linter's layers contract keeps ``pipelines`` below ``crawler``; this
keeps every module below the ones that import it, inside a layer too.  Imports
under ``TYPE_CHECKING`` do not count: they never run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import grimp

PACKAGES = ("wirewatch",)


def cycles(nodes: Iterable[str], edges: Callable[[str], Iterable[str]]) -> list[list[str]]:
    """Groups of two or more modules that import each other, directly or not (Tarjan)."""
    nodes = sorted(nodes)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(edges(node)):
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
                found.append(sorted(group))

    for node in nodes:
        if node not in index:
            visit(node)
    return found


def test_the_cycle_finder_finds_a_cycle_and_only_cycles() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert cycles(graph, lambda n: graph[n]) == [["a", "b", "c"]]


def test_no_module_imports_itself_back() -> None:
    graph = grimp.build_graph(*PACKAGES, exclude_type_checking_imports=True)
    modules = set(graph.modules)

    def imported_by(module: str) -> set[str]:
        return graph.find_modules_directly_imported_by(module) & modules

    assert len(modules) > 100  # the packages were found
    assert cycles(modules, imported_by) == []
