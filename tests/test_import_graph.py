"""The import graph stays one-way: no module imports itself back through others, the rooms of `programs/`
form layers, and the recipe runs without the optimizer.

The graph is read from the source (every `import`, also inside functions and `TYPE_CHECKING` blocks, since a
deferred import that closes a circle is still a circle), and every module is imported once more alone, in a
fresh set of personaqa modules, so an import that only works in a lucky order fails here."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = {
    "signatures": "personaqa.signatures",
    "programs": "personaqa.programs",
    "optimize": "personaqa.optimize",
}
# The rooms of programs/, lowest first: a room imports only from rooms before it (and from signatures).
ROOMS = ["core", "corpus", "config", "lm", "tracking", "retrieval", "recipe", "run", "evaluation", "cli"]


def _modules() -> dict[str, Path]:
    found = {}
    for folder, package in PACKAGES.items():
        for path in sorted((ROOT / folder).rglob("*.py")):
            parts = path.relative_to(ROOT / folder).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join((package, *parts))] = path
    return found


def _imports(module: str, path: Path, known: set[str]) -> set[str]:
    """The personaqa modules `module` imports, resolved to the module that defines each name."""
    is_package = path.name == "__init__.py"
    targets = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = module.split(".")[: len(module.split(".")) - node.level + (1 if is_package else 0)]
                base = ".".join([*anchor, base] if base else anchor)
            names = [
                f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base for alias in node.names
            ]
        else:
            continue
        for name in names:
            while name and name not in known:
                name = name.rpartition(".")[0]
            if name and name != module:
                targets.add(name)
    return targets


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imports(name, path, set(modules)) for name, path in modules.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one member (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
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

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def _room(module: str) -> str | None:
    parts = module.split(".")
    if parts[:2] != ["personaqa", "programs"] or len(parts) < 3:
        return None
    return parts[2]


def test_no_module_imports_itself_back():
    assert _cycles(_graph()) == []


def test_the_check_finds_a_circle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_every_module_of_programs_lives_in_a_known_room():
    rooms = {_room(m) for m in _modules()} - {None}
    assert rooms <= set(ROOMS) | {"sample"}, sorted(rooms - set(ROOMS))


def test_rooms_import_only_from_rooms_below():
    upward = []
    for module, targets in _graph().items():
        room = _room(module)
        if room is None:
            continue
        for target in targets:
            other = _room(target)
            if other is not None and other != room and ROOMS.index(other) > ROOMS.index(room):
                upward.append(f"{module} -> {target}")
    assert upward == []


def test_the_recipe_and_signatures_run_without_the_optimizer():
    # Only the command line, the top room, calls compile and compare; signatures import nothing of programs.
    wrong = [
        f"{m} -> {t}"
        for m, targets in _graph().items()
        for t in targets
        if (t.startswith("personaqa.optimize") and m.startswith("personaqa.programs") and _room(m) != "cli")
        or (m.startswith("personaqa.signatures") and not t.startswith("personaqa.signatures"))
    ]
    assert wrong == []


def test_every_module_imports_alone():
    # One interpreter keeps the third-party libraries loaded; personaqa's modules are forgotten before each.
    script = """
import importlib, sys, traceback
failed = []
for name in sys.argv[1:]:
    for loaded in [m for m in sys.modules if m == "personaqa" or m.startswith("personaqa.")]:
        del sys.modules[loaded]
    try:
        importlib.import_module(name)
    except Exception:
        failed.append(name + ": " + traceback.format_exc(limit=3).strip().splitlines()[-1])
print("\\n".join(failed))
"""
    modules = [m for m in _modules() if not m.endswith("__main__")]
    result = subprocess.run(
        [sys.executable, "-c", script, *modules], check=False, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == ""


def test_every_module_says_what_it_is_for():
    undocumented = [
        name
        for name, path in _modules().items()
        if not ast.get_docstring(ast.parse(path.read_text(), str(path)))
    ]
    assert undocumented == []


def test_the_public_api_spells_out_what_it_re_exports():
    # programs/__init__ names each re-export three times: in _EXPORTS (what __getattr__ imports on first
    # use), in `__all__`, and in its TYPE_CHECKING imports; the three agree.
    from personaqa import programs

    tree = ast.parse((ROOT / "programs" / "__init__.py").read_text())
    typed = {
        alias.name: node.module
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("personaqa.programs.")
        for alias in node.names
    }
    assert programs.__all__ == sorted(programs._MODULE_OF)
    assert typed == programs._MODULE_OF
