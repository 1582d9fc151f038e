"""Only a class's own code sets its private attributes or calls its private methods.

Helpers return values and the class assigns them. What is checked, by reading
the package's source:

- the private members of the estimators are the names with one leading
  underscore that the bodies of the public estimator classes, and of the
  package's classes in their MRO, define (methods, class attributes) or
  assign on ``self``;
- anywhere in the package, ``obj._member = ...``, ``del obj._member``,
  ``obj._member += ...``, ``obj._member(...)``, ``setattr(obj, "_member",
  ...)`` and ``delattr(obj, "_member")`` are allowed only where ``obj`` is
  the class's own object: ``self``, ``super()``, in a classmethod ``cls``
  and a name bound to ``cls(...)`` there (the classmethod's new instance),
  or any object in the module of a class that defines ``_member`` (a
  module-level helper of the class's own module).

Reading another object's private attribute is not checked here.
"""

import ast
import inspect
from pathlib import Path

import sk_mcdropout

PACKAGE = Path(sk_mcdropout.__file__).parent
ESTIMATORS = [
    sk_mcdropout.MCDropoutClassifier,
    sk_mcdropout.MCDropoutRegressor,
    sk_mcdropout.RejectOptionClassifier,
    sk_mcdropout.RejectOptionRegressor,
]


def _private(name):
    return name.startswith("_") and not name.startswith("__")


def _own_classes():
    return {
        klass
        for estimator in ESTIMATORS
        for klass in estimator.__mro__
        if klass.__module__.startswith("sk_mcdropout.")
    }


def _source_file(klass):
    # The public classes carry their public package as __module__, whose
    # file does not define them; their functions know where they are.
    functions = [
        f
        for f in vars(klass).values()
        if inspect.isfunction(f) and f.__qualname__.startswith(klass.__qualname__ + ".")
    ]
    return Path(inspect.getsourcefile(functions[0])).resolve()


def _class_node(klass):
    tree = ast.parse(_source_file(klass).read_text())
    return next(
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.ClassDef) and node.name == klass.__name__
    )


def _members(klass):
    """Private names the body of ``klass`` defines or assigns on ``self``."""
    body = _class_node(klass)
    names = set()
    for node in ast.walk(body):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            names.add(node.name)
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            if node.value.id == "self" and isinstance(node.ctx, ast.Store):
                names.add(node.attr)
    for item in body.body:
        if isinstance(item, (ast.Assign, ast.AnnAssign)):
            targets = item.targets if isinstance(item, ast.Assign) else [item.target]
            names.update(t.id for t in targets if isinstance(t, ast.Name))
    return {name for name in names if _private(name)}


def _is_classmethod(node):
    return any(
        isinstance(d, ast.Name) and d.id == "classmethod" for d in node.decorator_list
    )


def _is_own(node, own_names):
    if isinstance(node, ast.Name):
        return node.id in own_names
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "super"
    )


def _uses(node, own_names=frozenset({"self"})):
    """(object node, member name, line, names of the class's own objects) for
    every set, delete or call of an attribute, and every setattr/delattr by
    name, each judged in its innermost function. ``cls`` is the class's own
    only in a classmethod, and so are the instances it makes there."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        own_names = frozenset({"self"})
        if _is_classmethod(node):
            own_names |= {"cls"} | {
                target.id
                for inner in ast.walk(node)
                if isinstance(inner, ast.Assign)
                and isinstance(inner.value, ast.Call)
                and isinstance(inner.value.func, ast.Name)
                and inner.value.func.id == "cls"
                for target in inner.targets
                if isinstance(target, ast.Name)
            }
    if isinstance(node, ast.Attribute) and isinstance(node.ctx, (ast.Store, ast.Del)):
        yield node.value, node.attr, node.lineno, own_names
    elif isinstance(node, ast.Call):
        func = node.func
        if isinstance(func, ast.Attribute):
            yield func.value, func.attr, node.lineno, own_names
        elif (
            isinstance(func, ast.Name)
            and func.id in {"setattr", "delattr"}
            and len(node.args) >= 2
            and isinstance(node.args[1], ast.Constant)
            and isinstance(node.args[1].value, str)
        ):
            yield node.args[0], node.args[1].value, node.lineno, own_names
    for child in ast.iter_child_nodes(node):
        yield from _uses(child, own_names)


def test_only_a_class_sets_or_calls_its_private_members():
    classes = _own_classes()
    members = set().union(*map(_members, classes))
    assert {"_train", "_set_noise", "_assemble_fitted", "_check_params"} <= members
    # The members of the classes each module defines.
    defined_in = {}
    for klass in classes:
        path = _source_file(klass)
        defined_in.setdefault(path, set()).update(_members(klass))
    offenders = set()
    for path in sorted(PACKAGE.rglob("*.py")):
        defined = defined_in.get(path.resolve(), set())
        for obj, name, line, own_names in _uses(ast.parse(path.read_text())):
            if name not in members or name in defined:
                continue
            if not _is_own(obj, own_names):
                offenders.add(f"{path.relative_to(PACKAGE)}:{line}: .{name}")
    assert not offenders, "\n".join(sorted(offenders))


def test_the_check_sees_a_helper_that_reaches_into_an_estimator():
    # The rule above on the shape of code it must refuse.
    code = (
        "def helper(cls, estimator):\n"
        "    estimator._noise_var = None\n"
        "    estimator._check_params()\n"
        "    setattr(estimator, '_train_seed', 0)\n"
        "    made = cls()\n"
        "    made._draw_seeds()\n"
        "class Own:\n"
        "    @classmethod\n"
        "    def make(cls):\n"
        "        new = cls()\n"
        "        new._set_noise(None, 1)\n"
        "        return new\n"
    )
    uses = [(name, _is_own(obj, own)) for obj, name, _, own in _uses(ast.parse(code))]
    assert ("_noise_var", False) in uses
    assert ("_check_params", False) in uses
    assert ("_train_seed", False) in uses
    assert ("_draw_seeds", False) in uses
    assert ("_set_noise", True) in uses
