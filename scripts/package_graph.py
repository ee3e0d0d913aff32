"""The package dependency graph: which product or lab package imports which (top level, then second level).

    PYTHONPATH=. python scripts/package_graph.py

`make lint`'s import contracts (`lint-imports`) say whether the layers hold; this prints the whole graph,
to compare two checkouts (run it in each and diff). Tests and scripts are left out as importers.
"""

from __future__ import annotations

import importlib.util
from collections import defaultdict

import grimp

ROOTS = ("recommender", "feedback", "bot", "common", "lab", "migrations")


def main() -> None:
    roots = [root for root in ROOTS if importlib.util.find_spec(root)]
    graph = grimp.build_graph(*roots, include_external_packages=False)
    for depth in (1, 2):
        edges: dict[str, set[str]] = defaultdict(set)
        for module in graph.modules:
            for imported in graph.find_modules_directly_imported_by(module):
                a, b = ".".join(module.split(".")[:depth]), ".".join(imported.split(".")[:depth])
                if a != b:
                    edges[a].add(b)
        print(f"== depth {depth}")
        for a in sorted(edges):
            print(f"{a} -> {', '.join(sorted(edges[a]))}")


if __name__ == "__main__":
    main()
