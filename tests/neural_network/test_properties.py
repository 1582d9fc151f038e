"""Property-based tests: whatever a careless or unlucky user sends, the call
either succeeds with finite, well-shaped output or raises ValueError/TypeError
naming the offending input, and never modifies its inputs; and valid input at
an ordinary scale always fits.

Budgets: the "ci" profile (default) is small and derandomized, so the suite
stays fast and reproducible; ``HYPOTHESIS_PROFILE=thorough`` runs many more
examples with fresh randomness, by hand::

    HYPOTHESIS_PROFILE=thorough python -m pytest tests/test_properties.py
"""

import copy
import os
import pickle
import re
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from sk_mcdropout import MCDropoutClassifier, MCDropoutRegressor

_COMMON = dict(
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
    ],
)
settings.register_profile("ci", derandomize=True, print_blob=True, **_COMMON)
settings.register_profile("thorough", derandomize=False, **_COMMON)
_PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")
# Examples per test: prediction is cheap, every successful fit costs a second.
_BUDGET = {
    "ci": {"predict": 100, "fit": 12},
    "thorough": {"predict": 1000, "fit": 150},
}[_PROFILE]


def _budget(kind):
    return settings(settings.get_profile(_PROFILE), max_examples=_BUDGET[kind])


# What an error about each input must mention: its name, or one of
# scikit-learn's own messages about arrays, which say "array" rather than "X".
_NAMES = {
    "X": r"\bX\b|2D array|sample\(s\)|Complex data|could not convert|"
    r"inconsistent numbers of samples",
    "y": r"\by\b|`y`|'y'|label|class|target y|sample\(s\)|"
    r"inconsistent numbers of samples",
    "sample_weight": r"sample_weight|[Ss]ample weights|had any weight",
    "params": r"\bp\b|n_samples|max_chunk_memory|hidden_layer_sizes",
}


def _call(fn, *names):
    """fn's result, or None if it raised ValueError/TypeError naming an input.

    Without names, nothing may be refused: any error propagates.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return fn()
    except (ValueError, TypeError) as exc:
        if not names:
            raise
        message = str(exc)
        pattern = "|".join(_NAMES[name] for name in names)
        assert re.search(pattern, message), f"{type(exc).__name__}: {message}"
        event(f"refused ({', '.join(names)})")
        return None


def _assert_unchanged(before, after):
    # Pickles compare values bit for bit (NaN included), dtype and layout.
    assert pickle.dumps(before) == pickle.dumps(after), "an input was modified"


# ---------------------------------------------------------------------------
# Strategies
# ---------------------------------------------------------------------------

_DTYPES = ["float64", "float32", "float16", "int64", "uint8", "bool", "object"]
_SPECIALS = [np.nan, np.inf, -np.inf]


@st.composite
def features(draw, n_rows, n_features, specials=None, exponent=None):
    """X of a drawn dtype, scale (10**exponent, drawn from 1e-30 to 1e30 if
    None) and layout; NaN/inf cells when ``specials`` (None: drawn)."""
    values = draw(
        hnp.arrays(
            np.float64,
            (n_rows, n_features),
            elements=st.floats(-1, 1, allow_subnormal=False),
        )
    )
    if exponent is None:
        exponent = draw(st.integers(-30, 30))
    values = values * 10.0**exponent
    if specials is None:
        specials = draw(st.booleans())
    dtype = draw(st.sampled_from(_DTYPES))
    if specials and values.size:
        cells = draw(st.lists(st.integers(0, values.size - 1), min_size=1, max_size=3))
        values.flat[cells] = draw(st.sampled_from(_SPECIALS))
        # Only floating dtypes hold NaN and inf.
        dtype = draw(st.sampled_from(["float64", "float32", "object"]))
    if dtype in ("int64", "uint8", "bool"):
        values = np.round(values).clip(-100, 100).astype(dtype)
    elif dtype == "float16":
        # Beyond 65504 float16 holds inf: that would be an X fault.
        values = values.clip(-6e4, 6e4).astype(np.float16)
    else:
        values = values.astype(dtype)
    layout = draw(st.sampled_from(["C", "F", "strided", "list"]))
    if layout == "F":
        return np.asfortranarray(values)
    if layout == "strided":
        return np.repeat(values, 2, axis=1)[:, ::2]
    if layout == "list":
        return values.tolist()
    return values


_LABEL_KINDS = ["int", "str", "bool", "float", "negative", "object"]


def _labels(kind, codes):
    if kind == "int":
        return codes
    if kind == "str":
        return np.array(["no", "yes", "maybe"])[codes]
    if kind == "bool":
        return codes.astype(bool)
    if kind == "float":
        return codes.astype(np.float64)
    if kind == "negative":
        return codes - 1
    return np.array(["no", "yes", "maybe"], dtype=object)[codes]


@st.composite
def labels(draw, n_rows, fault):
    """Class labels of a drawn kind with 2 or 3 classes, or a bad y."""
    kind = draw(st.sampled_from(_LABEL_KINDS))
    n_classes = draw(st.integers(2, 2 if kind == "bool" else 3))
    codes = draw(
        st.lists(st.integers(0, n_classes - 1), min_size=n_rows, max_size=n_rows)
    )
    codes = np.array(codes, dtype=np.int64)
    codes[:n_classes] = np.arange(n_classes)  # every class present
    y = _labels(kind, codes)
    if fault:
        bad = draw(st.sampled_from(["one class", "continuous", "nan", "length"]))
        if bad == "one class":
            y = y[np.zeros(n_rows, dtype=int)]
        elif bad == "length":
            y = y[:-1]
        else:
            y = codes.astype(np.float64)
            y[-1] = 0.5 if bad == "continuous" else np.nan
    return y


@st.composite
def targets(draw, n_rows, fault):
    """Regression targets at scales from 1e-30 to 1e30, one or two outputs."""
    n_outputs = draw(st.sampled_from([None, 1, 2]))
    shape = (n_rows,) if n_outputs is None else (n_rows, n_outputs)
    y = draw(hnp.arrays(np.float64, shape, elements=st.floats(-1, 1)))
    y = y * 10.0 ** draw(st.integers(-30, 30))
    if draw(st.booleans()):
        y = y.astype(np.float32)
    if fault:
        bad = draw(st.sampled_from(_SPECIALS + ["length"]))
        if bad == "length":
            return y[:-1]
        y.flat[-1] = bad
    return y


@st.composite
def sample_weights(draw, n_rows, fault):
    rng = np.random.RandomState(draw(st.integers(0, 2**16)))
    weight = rng.uniform(0.5, 2, size=n_rows)
    if fault:
        bad = draw(st.sampled_from(["zeros", "negative", "nan", "length"]))
        if bad == "zeros":
            return np.zeros(n_rows)
        if bad == "negative":
            weight[-1] = -1.0
        elif bad == "nan":
            weight[-1] = np.nan
        else:
            weight = np.ones(n_rows + 1)
        return weight
    kind = draw(st.sampled_from(["none", "none", "uniform", "some zeros", "scaled"]))
    if kind == "none":
        return None
    if kind == "some zeros":
        weight[n_rows // 2 :] = 0.0
    elif kind == "scaled":
        weight = weight * 10.0 ** draw(st.integers(-30, 30))
    return weight


@st.composite
def parameters(draw, fault):
    params = {
        "p": draw(st.sampled_from([0.0, 0.2, 0.5, 0.95])),
        "n_samples": draw(st.sampled_from([1, 3])),
        "hidden_layer_sizes": draw(st.sampled_from([(2,), (3, 2)])),
        "max_chunk_memory": draw(st.sampled_from([256, 1e-6])),
    }
    if fault:
        name, value = draw(
            st.sampled_from(
                [
                    ("p", 1.0),
                    ("p", -0.1),
                    ("p", "0.2"),
                    ("n_samples", 0),
                    ("n_samples", 2.5),
                    ("max_chunk_memory", 0),
                ]
            )
        )
        params[name] = value
    return params


_FIXED = dict(epochs=1, random_state=0)

# One fault per example, or none: an error must then name that input. Valid
# data at an extreme scale may still be refused, naming X or sample_weight
# (training diverged, or all the weight left on one class); valid data with X
# within 1e-2 to 1e2 and weights near 1 must fit (no names: nothing excused).
_FAULTS = ["none", "none", "none", "X", "y", "sample_weight", "params"]
_EXCUSED = {"none": ("X", "sample_weight")}
_ORDINARY_EXPONENT = 2


def _ordinary(weight):
    return weight is None or bool(np.all((weight >= 0.5) & (weight <= 2)))


@st.composite
def fit_inputs(draw, target_strategy):
    fault = draw(st.sampled_from(_FAULTS), label="fault")
    n_rows = draw(st.integers(3, 12), label="n_rows")
    n_features = draw(st.integers(1, 3), label="n_features")
    # Half the draws at an ordinary scale, so that some must fit.
    ordinary = st.integers(-_ORDINARY_EXPONENT, _ORDINARY_EXPONENT)
    exponent = draw(st.one_of(ordinary, st.integers(-30, 30)), label="exponent")
    X = draw(
        features(n_rows, n_features, specials=fault == "X", exponent=exponent),
        label="X",
    )
    y = draw(target_strategy(n_rows, fault == "y"), label="y")
    weight = draw(sample_weights(n_rows, fault == "sample_weight"), label="weight")
    params = draw(parameters(fault == "params"), label="params")
    if fault == "none" and abs(exponent) <= _ORDINARY_EXPONENT and _ordinary(weight):
        names = ()
    else:
        names = _EXCUSED.get(fault, (fault,))
    return X, y, weight, params, names


# Ordinary inputs that must fit, tried before any drawn one.
_RNG = np.random.RandomState(0)
_X = _RNG.randn(8, 2)
_PARAMS = {
    "p": 0.2,
    "n_samples": 3,
    "hidden_layer_sizes": (3, 2),
    "max_chunk_memory": 256,
}
_ORDINARY_LABELS = [
    (_X, np.array([0, 1] * 4), None, _PARAMS, ()),
    (_X.tolist(), np.array(["no", "yes", "maybe", "no"] * 2), np.ones(8), _PARAMS, ()),
]
_ORDINARY_TARGETS = [
    (_X, _X @ [1.0, -1.0], None, _PARAMS, ()),
    (
        _X.astype(np.float32),
        np.column_stack([_X[:, 0], 1e6 * _X[:, 1]]),
        None,
        _PARAMS,
        (),
    ),
]


# ---------------------------------------------------------------------------
# Properties
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fitted():
    rng = np.random.RandomState(0)
    X = rng.randn(30, 3)
    y = np.array(["no", "yes", "maybe"])[rng.randint(0, 3, 30)]
    clf = MCDropoutClassifier(hidden_layer_sizes=(4,), n_samples=3, **_FIXED)
    reg = MCDropoutRegressor(hidden_layer_sizes=(4,), n_samples=3, **_FIXED)
    return clf.fit(X, y), reg.fit(X, X @ [1.0, -2.0, 0.5])


def _check_proba(clf, X, n_rows):
    proba = _call(lambda: clf.predict_proba(X), "X")
    if proba is None:
        return
    assert proba.shape == (n_rows, len(clf.classes_))
    assert np.isfinite(proba).all()
    assert ((proba >= 0) & (proba <= 1)).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)
    pred = clf.predict(X)
    assert pred.dtype == clf.classes_.dtype
    assert np.isin(pred, clf.classes_).all()
    std = clf.predict_uncertainty(X)
    assert std.shape == proba.shape and np.isfinite(std).all() and (std >= 0).all()


def _check_regression(reg, X, n_rows, y_shape=(None,)):
    out = _call(lambda: reg.predict(X, return_std=True), "X")
    if out is None:
        return
    mean, std = out
    shape = (n_rows, *y_shape[1:])
    assert mean.shape == shape and std.shape == shape
    assert np.isfinite(mean).all() and np.isfinite(std).all() and (std >= 0).all()


@_budget("predict")
@given(data=st.data())
def test_prediction_on_any_X(fitted, data):
    clf, reg = fitted
    n_rows = data.draw(st.integers(0, 5), label="n_rows")
    n_features = data.draw(st.sampled_from([3, 3, 3, 1, 4]), label="n_features")
    X = data.draw(features(n_rows, n_features), label="X")
    before = copy.deepcopy(X)
    _check_proba(clf, X, n_rows)
    _check_regression(reg, X, n_rows)
    _assert_unchanged([before], [X])


@_budget("fit")
@given(inputs=fit_inputs(labels))
@example(inputs=_ORDINARY_LABELS[0])
@example(inputs=_ORDINARY_LABELS[1])
def test_classifier_fit_on_any_input(inputs):
    X, y, weight, params, names = inputs
    before = copy.deepcopy([X, y, weight])
    clf = MCDropoutClassifier(**params, **_FIXED)
    fitted = _call(lambda: clf.fit(X, y, sample_weight=weight), *names)
    _assert_unchanged(before, [X, y, weight])
    if fitted is None:
        return
    event("fitted" if names else "fitted (ordinary input)")
    # Labels keep their own type: str stays str, bool stays bool.
    np.testing.assert_array_equal(clf.classes_, np.unique(np.asarray(y)))
    assert clf.classes_.dtype.kind == np.asarray(y).dtype.kind
    _check_proba(clf, X, len(y))
    _assert_unchanged(before, [X, y, weight])


@_budget("fit")
@given(
    inputs=fit_inputs(targets),
    noise=st.sampled_from(["homoscedastic", "heteroscedastic"]),
)
@example(inputs=_ORDINARY_TARGETS[0], noise="homoscedastic")
@example(inputs=_ORDINARY_TARGETS[1], noise="heteroscedastic")
def test_regressor_fit_on_any_input(inputs, noise):
    X, y, weight, params, names = inputs
    before = copy.deepcopy([X, y, weight])
    reg = MCDropoutRegressor(**params, noise=noise, **_FIXED)
    fitted = _call(lambda: reg.fit(X, y, sample_weight=weight), *names)
    _assert_unchanged(before, [X, y, weight])
    if fitted is None:
        return
    event("fitted" if names else "fitted (ordinary input)")
    if reg.noise_std_ is not None:
        assert np.isfinite(reg.noise_std_).all()
    _check_regression(reg, X, len(y), np.shape(y))
    _assert_unchanged(before, [X, y, weight])
