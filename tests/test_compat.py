"""Every private Keras, TensorFlow, scikeras and scikit-learn name still resolves.

A release that moves one fails here, by name, instead of breaking users.
"""

import inspect

import pytest
from scikeras.wrappers import BaseWrapper, KerasClassifier, KerasRegressor

from sk_mcdropout import _compat


@pytest.mark.parametrize("name", sorted(_compat.PRIVATE_NAMES))
def test_private_name_resolves(name):
    _compat.PRIVATE_NAMES[name]()  # raises MissingPrivateAPIError if moved


@pytest.mark.parametrize("hook", _compat.SCIKERAS_HOOKS)
def test_scikeras_hook_exists(hook):
    for wrapper in (KerasClassifier, KerasRegressor):
        assert callable(getattr(wrapper, hook))


def test_scikeras_seeds_from_the_attribute_we_neutralise():
    source = inspect.getsource(BaseWrapper._build_keras_model)
    assert f"self.{_compat.SCIKERAS_RANDOM_STATE_ATTR}" in source


def test_missing_name_is_a_clear_error():
    with pytest.raises(_compat.MissingPrivateAPIError, match="keras .* does not have"):
        _compat.resolve("keras", "Model._no_such_private_name")


def test_no_private_names_outside_the_compat_module():
    # Private modules or attributes of the dependencies appear only in _compat.
    import pathlib
    import re

    package = pathlib.Path(_compat.__file__).parent
    pattern = re.compile(
        r"keras\.src|tensorflow\.python|scikeras\.\w*\._|sklearn(\.\w+)*\._(?!_)\w"
        r"|\._(flatten_layers|run_through_graph|functional|call_has_training_arg"
        r"|omit_frequent_tracing_warning|seed|rng)\b"
    )
    offenders = [
        f"{path.relative_to(package)}:{number}: {line.strip()}"
        for path in sorted(package.rglob("*.py"))
        if path.name != "_compat.py"
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if pattern.search(line)
    ]
    assert not offenders, "\n".join(offenders)
