"""The package's shape: no import cycles, layers that look down only.

Every module is imported in a fresh interpreter, in sorted and in reversed
order (a cycle that breaks at import time fails in one order or the other),
and the import graph read from the sources must have no cycle at all.
"""

import ast
import pathlib
import subprocess
import sys

import pytest

import sk_softmax

PACKAGE = pathlib.Path(sk_softmax.__file__).parent
OPTIONAL = {"sk_softmax.onnx"}  # needs skl2onnx


def _modules():
    names = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        names.append(".".join(parts))
    return [n for n in names if n not in OPTIONAL and not n.endswith("__main__")]


MODULES = _modules()


@pytest.mark.parametrize("order", ["sorted", "reversed"])
def test_every_module_imports_in_a_fresh_interpreter(order):
    names = MODULES if order == "sorted" else MODULES[::-1]
    code = "import importlib\n" + "".join(
        f"importlib.import_module({name!r})\n" for name in names
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr


def _imports_of(module):
    path = PACKAGE.parent / (module.replace(".", "/") + ".py")
    if not path.exists():
        path = PACKAGE.parent / module.replace(".", "/") / "__init__.py"
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    # Importing a.b.c runs a/__init__ and a/b/__init__ first.
    parents = {
        ".".join(n.split(".")[:i]) for n in found for i in range(2, n.count(".") + 1)
    }
    return {
        name
        for name in found | parents
        if name.startswith("sk_softmax")
        and not module.startswith(name + ".")
        and name != "sk_softmax"
    }


def test_no_import_cycle_between_modules():
    graph = {m: _imports_of(m) & set(MODULES) for m in MODULES}
    # Imports of a package's own submodules from its __init__ are re-exports.
    for module, targets in graph.items():
        graph[module] = {t for t in targets if t != module}
    seen, on_path = set(), []

    def visit(node):
        if node in on_path:
            cycle = [*on_path[on_path.index(node) :], node]
            pytest.fail("import cycle: " + " -> ".join(cycle))
        if node in seen:
            return
        seen.add(node)
        on_path.append(node)
        for target in sorted(graph[node]):
            # a package imports its submodules: follow them, not the reverse
            visit(target)
        on_path.pop()

    for module in MODULES:
        visit(module)


@pytest.mark.parametrize(
    "layer, forbidden",
    [
        ("sk_softmax._softmax", ("sk_softmax.",)),
        (
            "sk_softmax._optim",
            (
                "sk_softmax._objective",
                "sk_softmax._backends",
                "sk_softmax._classifier",
                "sklearn.base",
            ),
        ),
        (
            "sk_softmax._objective",
            (
                "sk_softmax._backends",
                "sk_softmax._classifier",
                "sk_softmax._optim",
                "sk_softmax._solvers",
            ),
        ),
        (
            "sk_softmax._backends",
            (
                "sk_softmax._classifier",
                "sk_softmax._optim",
                "sk_softmax._solvers",
                "sk_softmax._fit",
            ),
        ),
    ],
)
def test_layers_look_down_only(layer, forbidden):
    members = [m for m in MODULES if m == layer or m.startswith(layer + ".")]
    assert members
    for module in members:
        path = PACKAGE.parent / (module.replace(".", "/") + ".py")
        if not path.exists():
            path = PACKAGE.parent / module.replace(".", "/") / "__init__.py"
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                assert not node.module.startswith(forbidden), (module, node.module)
