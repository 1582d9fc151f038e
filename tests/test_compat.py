"""Every private Keras, TensorFlow, scikeras and scikit-learn name still resolves,
and none is used outside the modules that declare them.

A release that moves one fails here, by name, instead of breaking users.
"""

import ast
import importlib.util
import inspect
import pathlib
import re

import pytest
from scikeras.utils.transformers import ClassifierLabelEncoder
from scikeras.wrappers import BaseWrapper, KerasClassifier, KerasRegressor

from sk_mcdropout import _compat

PACKAGE = pathlib.Path(_compat.__file__).parent
TESTS = pathlib.Path(__file__).parent
# The two modules that may override, call or set scikeras' private names
# (besides _compat): a move off scikeras replaces them and nothing else.
SCIKERAS_ADAPTER = {
    pathlib.Path("neural_network", "_scikeras.py"),
    pathlib.Path("neural_network", "_encoders.py"),
}
DECLARED = {
    *_compat.SCIKERAS_HOOKS,
    *_compat.SCIKERAS_ENCODER_HOOKS,
    *_compat.SCIKERAS_ATTRS,
}


@pytest.mark.parametrize("name", sorted(_compat.PRIVATE_NAMES))
def test_private_name_resolves(name):
    _compat.PRIVATE_NAMES[name]()  # raises MissingPrivateAPIError if moved


def _scikeras_source(module):
    return pathlib.Path(importlib.util.find_spec(module).origin).read_text()


@pytest.mark.parametrize("hook", _compat.SCIKERAS_HOOKS)
def test_scikeras_hook_exists_and_is_used_by_scikeras(hook):
    # Overriding a hook that scikeras no longer calls would drop what the
    # override does (a check, a neutralised defect) without an error.
    for wrapper in (KerasClassifier, KerasRegressor):
        assert hasattr(wrapper, hook)
    assert re.search(rf"\bself\.{hook}\b", _scikeras_source("scikeras.wrappers"))


@pytest.mark.parametrize("hook", _compat.SCIKERAS_ENCODER_HOOKS)
def test_scikeras_encoder_hook_is_called_by_its_fit(hook):
    assert callable(getattr(ClassifierLabelEncoder, hook))
    assert f"self.{hook}(" in inspect.getsource(ClassifierLabelEncoder.fit)


def test_scikeras_seeds_from_the_attribute_we_neutralise():
    source = inspect.getsource(BaseWrapper._build_keras_model)
    assert f"self.{_compat.SCIKERAS_RANDOM_STATE_ATTR}" in source


def test_scikeras_keeps_the_callbacks_where_we_read_them():
    source = inspect.getsource(BaseWrapper._initialize_callbacks)
    for attr in _compat.SCIKERAS_CALLBACK_ATTRS:
        assert f"self.{attr} =" in source


def test_missing_name_is_a_clear_error():
    with pytest.raises(_compat.MissingPrivateAPIError, match="keras .* does not have"):
        _compat.resolve("keras", "Model._no_such_private_name")


def _python_files(root, skip=()):
    return [path for path in sorted(root.rglob("*.py")) if path.name not in skip]


def test_no_private_names_outside_the_compat_module():
    # Private modules or attributes of the dependencies appear only in
    # _compat, in the package and in the tests alike.
    pattern = re.compile(
        r"keras\.src|tensorflow\.python|scikeras\.\w*\._|sklearn(\.\w+)*\._(?!_)\w"
        r"|\._(flatten_layers|run_through_graph|functional|call_has_training_arg"
        r"|omit_frequent_tracing_warning|seed|rng)\b"
    )
    files = [
        *_python_files(PACKAGE, skip={"_compat.py"}),
        *_python_files(TESTS, skip={"test_compat.py"}),
    ]
    offenders = [
        f"{path}:{number}: {line.strip()}"
        for path in files
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if pattern.search(line)
    ]
    assert not offenders, "\n".join(offenders)


def _scikeras_private_names():
    """Every private name scikeras defines: methods, class attributes and the
    attributes its methods set on ``self``, read from its source."""
    root = pathlib.Path(importlib.util.find_spec("scikeras").origin).parent
    names = set()
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef):
                names.add(node.name)
            elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
                if node.value.id == "self":
                    names.add(node.attr)
            elif isinstance(node, ast.ClassDef):
                for item in node.body:
                    if isinstance(item, ast.Assign):
                        names.update(
                            t.id for t in item.targets if isinstance(t, ast.Name)
                        )
    return {n for n in names if n.startswith("_") and not n.startswith("__")}


def test_scikeras_private_names_are_declared_and_used_only_by_the_adapter():
    # Every use of a private scikeras name (an override, a call, an attribute
    # read or set, or the name as a string) is listed in _compat and sits in
    # the scikeras adapter: a rename in scikeras is then caught by the tests
    # above, and moving off scikeras touches the adapter only.
    private = _scikeras_private_names()
    assert {"_y_shape", "_validate_sample_weight", "_type_of_target"} <= private
    assert DECLARED <= private
    offenders = []
    for path in _python_files(PACKAGE, skip={"_compat.py"}):
        where = path.relative_to(PACKAGE)
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute):
                name = node.attr
            elif isinstance(node, ast.FunctionDef):
                name = node.name
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                name = node.value
            else:
                continue
            allowed = name in DECLARED and where in SCIKERAS_ADAPTER
            if name in private and not allowed:
                offenders.append(f"{where}:{node.lineno}: {name}")
    assert not offenders, "\n".join(offenders)
