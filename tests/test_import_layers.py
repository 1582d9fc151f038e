"""The package's layers, read from its import statements.

Every ``import`` of every module is parsed, those inside functions included.
The rules:

- each unit (a top-level module or subpackage of ``sk_mcdropout``) imports
  only the units ``ALLOWED`` gives it, so lower layers never import higher
  ones and the units form no circle;
- the package imports its own modules at module level only, so the graph
  above is the whole truth;
- Keras and TensorFlow are imported only by ``_keras`` (and lazily, inside
  functions, by ``_compat``, the one module of private names); the metrics,
  the measures and the reject options import neither them nor scikeras.
"""

import ast
from pathlib import Path

import pytest

import sk_mcdropout

PACKAGE = Path(sk_mcdropout.__file__).parent

LAYER_0 = {"_version", "_compat", "_docstrings", "_validation", "_atomic"}
LAYER_1 = {"uncertainty", "_measures", "metrics"}
ALLOWED = {
    # 0: third-party packages only (and each other, without a circle)
    "_version": set(),
    "_compat": set(),
    "_docstrings": set(),
    "_validation": {"_compat", "_docstrings"},
    "_atomic": set(),
    # 1: NumPy, SciPy and scikit-learn statistics
    "uncertainty": LAYER_0,
    "_measures": LAYER_0 | {"uncertainty"},
    "metrics": LAYER_0 | {"uncertainty", "_measures"},
    "_adapters": LAYER_0,
    # 2: the only door to Keras and TensorFlow
    "_keras": LAYER_0,
    # 3: the estimators; the reject options duck-type theirs
    "neural_network": LAYER_0 | LAYER_1 | {"_keras"},
    "reject": LAYER_0 | LAYER_1,
    # 4: above everything
    "_persistence": LAYER_0 | LAYER_1 | {"_keras", "neural_network", "reject"},
    "export": LAYER_0 | LAYER_1 | {"_keras", "neural_network", "reject"},
    "__init__": None,
    "__main__": None,
}
BACKEND = {"keras", "tensorflow", "tf_keras"}
NO_BACKEND = {
    "uncertainty",
    "_measures",
    "metrics",
    "reject",
    "_validation",
    "_adapters",
}


def _modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        yield path, parts


def _imports(path, parts):
    """(imported module, line, at module level) for every import in ``path``."""
    tree = ast.parse(path.read_text())
    top_level = set(map(id, tree.body))
    package = ["sk_mcdropout", *parts[:-1]]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module
            # `from . import x` imports the module x of that package.
            names = [f"{module}.{alias.name}" for alias in node.names]
            names = [module, *names] if node.module else names
        else:
            continue
        for name in names:
            yield name, node.lineno, id(node) in top_level


def _unit(module):
    """The unit of ``sk_mcdropout.<unit>...``, or None for other packages."""
    parts = module.split(".")
    if parts[0] != "sk_mcdropout":
        return None
    # A public name of the package (`from sk_mcdropout import save`) is its
    # __init__'s.
    return parts[1] if len(parts) > 1 and parts[1] in ALLOWED else "__init__"


def _own_unit(parts):
    return parts[0] if len(parts) > 1 or parts[0] != "__init__" else "__init__"


@pytest.mark.parametrize(
    "path, parts", list(_modules()), ids=lambda v: str(v) if isinstance(v, str) else ""
)
def test_module_imports_follow_the_layers(path, parts):
    unit = _own_unit(parts)
    assert unit in ALLOWED, f"{path}: unit {unit!r} has no layer in ALLOWED"
    allowed = ALLOWED[unit]
    where = path.relative_to(PACKAGE)
    for module, line, top in _imports(path, parts):
        target = _unit(module)
        root = module.split(".")[0]
        if target is not None:
            assert top, f"{where}:{line} imports {module} inside a function"
            if target != unit and allowed is not None:
                assert target in allowed, (
                    f"{where}:{line}: {unit} may not import {module}"
                )
        if root in BACKEND:
            assert unit == "_keras" or (unit == "_compat" and not top), (
                f"{where}:{line} imports {module}: only sk_mcdropout._keras "
                "imports Keras and TensorFlow"
            )
        if unit in NO_BACKEND:
            assert root != "scikeras" and target != "_keras", (
                f"{where}:{line}: {unit} must not depend on scikeras or Keras"
            )


def test_units_form_no_circle():
    graph = {unit: set() for unit in ALLOWED}
    for path, parts in _modules():
        unit = _own_unit(parts)
        for module, _, _ in _imports(path, parts):
            target = _unit(module)
            if target is not None and target != unit:
                graph[unit].add(target)

    def visit(unit, trail):
        assert unit not in trail, " -> ".join([*trail, unit])
        for target in graph[unit]:
            visit(target, [*trail, unit])

    for unit in graph:
        visit(unit, [])


def test_modules_form_no_circle():
    # Within a unit too: a module-level import circle between two modules
    # works only by accident of import order.
    graph = {}
    for path, parts in _modules():
        name = ".".join(["sk_mcdropout", *parts])
        if parts[-1] == "__init__":
            name = ".".join(["sk_mcdropout", *parts[:-1]])
        graph[name] = {m for m, _, _ in _imports(path, parts) if _unit(m)}
    # A name may be a module or an attribute of one: keep modules only.
    graph = {k: {m for m in v if m in graph and m != k} for k, v in graph.items()}
    # Importing a package's submodule runs the package's __init__ first,
    # which is not a dependency of the submodule on its siblings.
    state = {}

    def visit(node, trail):
        if state.get(node) == "done":
            return
        assert node not in trail, " -> ".join([*trail, node])
        for target in graph[node]:
            if node.startswith(target + "."):
                continue  # a submodule importing its own package's names
            visit(target, [*trail, node])
        state[node] = "done"

    for node in graph:
        visit(node, [])
