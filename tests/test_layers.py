"""The layers of ARCHITECTURE.md hold: the import contracts of pyproject.toml are kept, no
module of the three packages is in an import cycle, and storage holds no network code."""

from __future__ import annotations

import ast
import subprocess
import sys
from collections import deque
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("crawler", "spiders", "archive")
# Storage writes SQLite; what talks to the network is archive/notify (webhooks) and crawler/sites
# (fetch).  urllib.parse is string work, not network.
LINT = (
    "import sys; from importlinter.cli import lint_imports;"
    " sys.exit(lint_imports(config_filename=sys.argv[1], no_cache=True, no_logo=True))"
)
NETWORK = ("urllib.request", "urllib.error", "http", "socket", "ssl", "requests", "scrapy")


def test_import_contracts_kept():
    """`lint-imports`, as .ci/run runs it (its report is the failure's message)."""
    run = subprocess.run(
        [sys.executable, "-c", LINT, str(ROOT / "pyproject.toml")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stdout + run.stderr


def test_no_import_cycle():
    """Strongly connected components of the module graph (a package's __init__ is a module of
    its own, and an import inside a function counts): each must be one module."""
    graph = grimp.build_graph(*PACKAGES, cache_dir=None)
    cycles = {
        " -> ".join(_cycle(graph, scc, m))
        for scc in _components(graph)
        if len(scc) > 1
        for m in scc
    }
    assert not cycles, "import cycles:\n" + "\n".join(sorted(cycles))


def test_storage_has_no_network_code():
    found = [
        f"{path.relative_to(ROOT)}: {name}"
        for path in sorted((ROOT / "archive" / "storage").rglob("*.py"))
        for name in _imports(path)
        if any(name == n or name.startswith(n + ".") for n in NETWORK)
    ]
    assert not found, found


def test_the_ui_plugin_file_keeps_to_its_layer():
    """Datasette loads the plugin from its file, so it is outside the graph lint-imports
    reads: the web UI's layer imports neither the CLI, the crawl service nor Scrapy."""
    above = ("crawler.cli", "crawler.service", "spiders", "scrapy", "twisted")
    found = [
        f"{path.relative_to(ROOT)}: {name}"
        for path in sorted((ROOT / "crawler" / "webui").rglob("*.py"))
        for name in _imports(path)
        if any(name == n or name.startswith(n + ".") for n in above)
    ]
    assert not found, found


def _imports(path: Path) -> list[str]:
    names = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names += [node.module] + [f"{node.module}.{a.name}" for a in node.names]
    return names


def _components(graph) -> list[list[str]]:
    """Tarjan's strongly connected components, iteratively (no recursion limit)."""
    succ = {m: sorted(graph.find_modules_directly_imported_by(m)) for m in graph.modules}
    index, low, on_stack, stack, out = {}, {}, set(), [], []
    for root in sorted(succ):
        if root in index:
            continue
        work = [(root, 0)]
        while work:
            node, i = work.pop()
            if i == 0:
                index[node] = low[node] = len(index)
                stack.append(node)
                on_stack.add(node)
            if i < len(succ[node]):
                work.append((node, i + 1))
                nxt = succ[node][i]
                if nxt not in index:
                    work.append((nxt, 0))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                scc = []
                while True:
                    m = stack.pop()
                    on_stack.discard(m)
                    scc.append(m)
                    if m == node:
                        break
                out.append(sorted(scc))
    return out


def _cycle(graph, scc: list[str], start: str) -> list[str]:
    """A shortest cycle through `start`, a module of the component `scc` (breadth-first)."""
    inside = set(scc)
    came = {start: None}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for nxt in sorted(graph.find_modules_directly_imported_by(node)):
            if nxt == start:
                path = [node]
                while came[path[-1]] is not None:
                    path.append(came[path[-1]])
                path.reverse()
                first = path.index(min(path))  # one way to write each cycle
                return path[first:] + path[:first] + [path[first]]
            if nxt in inside and nxt not in came:
                came[nxt] = node
                queue.append(nxt)
    return scc


def test_events_have_one_writer():
    """Notice events and site health events are written by archive/storage/events.py alone:
    the store and the end of a run call it, nothing writes the table behind its back."""
    writers = sorted(
        str(p.relative_to(ROOT))
        for pkg in ("crawler", "spiders", "archive")
        for p in (ROOT / pkg).rglob("*.py")
        if "INSERT INTO events" in p.read_text(encoding="utf-8")
    )
    assert writers == ["archive/storage/events.py"], writers


def test_no_spider_callback_returns_a_value_from_a_generator():
    """Scrapy's own check of this is off (WARN_ON_GENERATOR_RETURN_VALUE: it re-read the
    callback's source on most responses); a value returned from a generator is lost."""
    bad = []
    for path in sorted((ROOT / "spiders").rglob("*.py")):
        for fn in ast.walk(ast.parse(path.read_text())):
            if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            own = list(own_nodes(fn))
            if any(isinstance(n, (ast.Yield, ast.YieldFrom)) for n in own):
                bad += [
                    f"{path.name}:{n.lineno}"
                    for n in own
                    if isinstance(n, ast.Return) and n.value is not None
                ]
    assert bad == []


def own_nodes(fn):
    """The nodes of `fn`'s body, not those of functions or lambdas defined inside it."""
    todo = list(ast.iter_child_nodes(fn))
    while todo:
        n = todo.pop()
        yield n
        if not isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            todo.extend(ast.iter_child_nodes(n))
