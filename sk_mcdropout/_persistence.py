"""Saving and loading fitted estimators without pickle.

A saved file is a zip archive:

- ``format.json``: the format name and version, the library version, and
  what the archive holds;
- ``network.keras``: the network, in Keras' own format, loaded with
  ``safe_mode=True``;
- ``estimator.json``: the estimator's class (one of this library's), its
  parameters and its fitted attributes as plain JSON, arrays referring to
- ``arrays/<n>.npy``: NumPy arrays, loaded with ``allow_pickle=False``;
- ``steps/<n>.skops``: for a Pipeline, each step before the estimator, in
  skops' format (loaded with skops' ``trusted`` list).

What people deploy around an estimator (a reject option, a
``CalibratedClassifierCV``, a ``FrozenEstimator``, a Pipeline ending in one of
them) is stored whole in skops' format instead, as ``object.skops`` (format
version 2): skops builds only the types it is told to trust, which are
``trusted_types()`` and the caller's; the networks inside travel as their
``.keras`` bytes and are loaded in Keras' safe mode.

The network goes through ``_keras``, the estimators' own state through
their public parameters and fitted attributes.
"""

import functools
import io
import json
import zipfile
from collections import defaultdict

import numpy as np
from scikeras.utils.transformers import (
    ClassifierLabelEncoder,
    RegressorTargetEncoder,
    TargetReshaper,
)

from . import _atomic, _compat, _keras
from ._version import __version__
from .neural_network import MCDropoutClassifier, MCDropoutRegressor
from .neural_network._encoders import OneHotLabelEncoder, StandardTargetEncoder
from .reject import RejectOptionClassifier, RejectOptionRegressor

FORMAT = "sk_mcdropout"
FORMAT_VERSION = 1
# Files holding a whole object in skops' format.
OBJECT_FORMAT_VERSION = 2
READ_VERSIONS = (FORMAT_VERSION, OBJECT_FORMAT_VERSION)


# Types, named as skops names them (module.qualname), that objects of this
# library contain beyond those skops trusts by default.
def _type_name(cls):
    return f"{cls.__module__}.{cls.__qualname__}"


# Read off the classes, so that the names follow wherever they live.
_TRUSTED = (
    *map(_type_name, (MCDropoutClassifier, MCDropoutRegressor)),
    *map(_type_name, (OneHotLabelEncoder, StandardTargetEncoder)),
    *map(_type_name, (RejectOptionClassifier, RejectOptionRegressor)),
    *map(_type_name, (ClassifierLabelEncoder, RegressorTargetEncoder, TargetReshaper)),
    "numpy.dtype",
)


@functools.cache
def _calibration_types():
    """The types a fitted CalibratedClassifierCV holds around its estimator.

    Read off a tiny fitted one rather than written down: they are
    scikit-learn's private classes, whose names follow its version.
    """
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.dummy import DummyClassifier
    from sklearn.frozen import FrozenEstimator

    X, y = np.arange(20.0).reshape(-1, 1), np.arange(20) % 2
    names = set()
    for method in ("sigmoid", "isotonic"):
        frozen = FrozenEstimator(DummyClassifier().fit(X, y))
        fitted = CalibratedClassifierCV(frozen, method=method).fit(X, y)
        for part in fitted.calibrated_classifiers_:
            for obj in (part, *part.calibrators):
                names.add(f"{type(obj).__module__}.{type(obj).__qualname__}")
    return tuple(sorted(names))


def trusted_types():
    """The types to trust when loading this library's objects with skops.

    skops names a type by its module and qualified name and builds only the
    types it is told to trust. A fitted estimator of this library, a
    Pipeline, reject option, ``CalibratedClassifierCV`` or
    ``FrozenEstimator`` around one holds these types beyond skops' defaults:
    the estimators under their public module paths, their label and target
    encoders (scikeras' and this library's), ``numpy.dtype``, and the parts
    of a fitted ``CalibratedClassifierCV``. The networks are inside as
    ``.keras`` bytes, loaded in Keras' safe mode.

    Returns
    -------
    types : list of str
        For ``skops.io.load(file, trusted=trusted_types())``; add the types of
        your own steps (``skops.io.get_untrusted_types`` lists them).

    See Also
    --------
    save : Store these objects in one file, with the same trust.

    Examples
    --------
    >>> from sk_mcdropout import trusted_types
    >>> "sk_mcdropout.neural_network.MCDropoutClassifier" in trusted_types()
    True
    """
    return [*_TRUSTED, *_calibration_types()]


# ----------------------------------------------------------------------------
# Plain data: JSON with arrays beside it
# ----------------------------------------------------------------------------


class _Unstorable(TypeError):
    pass


class _Encoder:
    """Encodes plain Python and NumPy data as JSON, arrays as .npy members."""

    def __init__(self):
        self.arrays = []

    def __call__(self, value):
        if value is None or isinstance(value, bool | str):
            return value
        if isinstance(value, int | float) and not isinstance(value, np.generic):
            return value
        if isinstance(value, np.generic):
            return {"scalar": value.item(), "dtype": value.dtype.str}
        if isinstance(value, np.dtype):
            if value.kind == "O":
                return {"dtype": "object"}
            return {"dtype": value.str}
        if isinstance(value, np.ndarray):
            return self._array(value)
        if isinstance(value, tuple):
            return {"tuple": [self(v) for v in value]}
        if isinstance(value, list):
            return [self(v) for v in value]
        if isinstance(value, dict) and all(isinstance(k, str) for k in value):
            kind = "defaultdict" if isinstance(value, defaultdict) else "dict"
            return {kind: {k: self(v) for k, v in value.items()}}
        if _keras.is_keras_object(value):
            return {"keras": self(_keras.keras_object_config(value))}
        raise _Unstorable(type(value).__name__)

    def _array(self, array):
        dtype = array.dtype
        if dtype.kind == "O":
            # Object arrays of strings (labels, feature names) are stored as
            # unicode; anything else in them cannot be plain data.
            if not all(isinstance(v, str) for v in array.ravel()):
                raise _Unstorable("object array of non-strings")
            array = array.astype(str)
        self.arrays.append(np.ascontiguousarray(array))
        return {"array": len(self.arrays) - 1, "object": dtype.kind == "O"}


def _decode(value, arrays):
    if isinstance(value, list):
        return [_decode(v, arrays) for v in value]
    if not isinstance(value, dict):
        return value
    if "array" in value:
        array = arrays[value["array"]]
        return array.astype(object) if value["object"] else array
    if "scalar" in value:
        return np.dtype(value["dtype"]).type(value["scalar"])
    if "dtype" in value:
        return np.dtype(value["dtype"] if value["dtype"] != "object" else object)
    if "tuple" in value:
        return tuple(_decode(v, arrays) for v in value["tuple"])
    if "defaultdict" in value:
        items = {k: _decode(v, arrays) for k, v in value["defaultdict"].items()}
        return defaultdict(list, items)
    if "dict" in value:
        return {k: _decode(v, arrays) for k, v in value["dict"].items()}
    if "keras" in value:
        return _keras.keras_object_from_config(_decode(value["keras"], arrays))
    raise ValueError(f"Unknown entry in a saved estimator: {value!r}.")


# ----------------------------------------------------------------------------
# Estimators
# ----------------------------------------------------------------------------

# Re-derived on loading from the stored attributes (see _restore_encoders).
_ENCODERS = ("target_encoder_", "feature_encoder_")
# Training-time state, rebuilt by the next fit.
_TRAINING_STATE = _compat.SCIKERAS_CALLBACK_ATTRS


_ESTIMATORS = {cls.__name__: cls for cls in (MCDropoutClassifier, MCDropoutRegressor)}


def _is_estimator(obj):
    return type(obj) in _ESTIMATORS.values()


def _encode_estimator(estimator, encoder):
    params = {}
    for name, value in estimator.get_params(deep=False).items():
        if value is not None and value is estimator.model_:
            params[name] = {"network": True}
            continue
        if name == "model" and callable(value):
            # Not stored: loading needs no build function. The loaded
            # estimator's `model` is its trained network.
            params[name] = {"network": True, "build_fn": repr(value)}
            continue
        try:
            params[name] = encoder(value)
        except _Unstorable as exc:
            raise ValueError(
                f"Cannot save parameter {name}={value!r} as plain data ({exc}). "
                "Set it to a plain value (an int, a string, None, ...) with "
                "set_params before saving; fitted state does not depend on it."
            ) from None
    param_names = set(params)
    attributes, encoders = {}, {}
    for name, value in vars(estimator).items():
        if name in param_names or name in _TRAINING_STATE or name == "model_":
            continue
        if name in _ENCODERS:
            # Their plain attributes; the rest is re-derived by refitting them.
            encoders[name] = {}
            for key, item in vars(value).items():
                try:
                    encoders[name][key] = encoder(item)
                except _Unstorable:
                    continue
            continue
        try:
            attributes[name] = encoder(value)
        except _Unstorable as exc:
            raise ValueError(
                f"Cannot save the fitted attribute {name} of "
                f"{type(estimator).__name__} as plain data ({exc})."
            ) from None
    return {
        "class": type(estimator).__name__,
        "params": params,
        "attributes": attributes,
        "encoders": encoders,
    }


def _restore_encoders(estimator, stored):
    """Fit the estimator's encoders on dummy data of the fitted shape, then
    restore their stored plain attributes."""
    n_features = estimator.n_features_in_
    if hasattr(estimator, "classes_"):
        y = estimator.classes_
    else:
        k = int(estimator.n_outputs_)
        y = np.tile([[0.0], [0.5]], (1, k))
        y = y.ravel() if k == 1 else y
    X = np.zeros((len(y), n_features), dtype=np.float32)
    estimator.target_encoder_ = estimator.target_encoder.fit(y)
    estimator.feature_encoder_ = estimator.feature_encoder.fit(X)
    for name, attrs in stored.items():
        vars(getattr(estimator, name)).update(attrs)


def _decode_estimator(spec, network, arrays):
    classes = _ESTIMATORS
    if spec["class"] not in classes:
        raise ValueError(f"Unknown estimator class in the file: {spec['class']!r}.")
    cls = classes[spec["class"]]
    params = {}
    for name, value in spec["params"].items():
        if isinstance(value, dict) and value.get("network"):
            params[name] = network
        else:
            params[name] = _decode(value, arrays)
    estimator = cls(**params)
    for name, value in spec["attributes"].items():
        setattr(estimator, name, _decode(value, arrays))
    estimator.model_ = network
    encoders = {
        name: {k: _decode(v, arrays) for k, v in attrs.items()}
        for name, attrs in spec["encoders"].items()
    }
    _restore_encoders(estimator, encoders)
    _compat.initialize_callbacks(estimator)
    return estimator


# ----------------------------------------------------------------------------
# save / load
# ----------------------------------------------------------------------------


def _wraps_estimator(obj):
    """Whether ``obj`` is a meta-estimator saved whole: a reject option,
    CalibratedClassifierCV or FrozenEstimator around this library's estimator
    (possibly in a Pipeline), or a Pipeline ending in one of them."""
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.frozen import FrozenEstimator
    from sklearn.pipeline import Pipeline

    if _is_estimator(obj):
        return True
    if isinstance(obj, Pipeline):
        return bool(obj.steps) and _wraps_estimator(obj.steps[-1][1])
    if isinstance(obj, FrozenEstimator):
        return _wraps_estimator(obj.estimator)
    if isinstance(obj, (RejectOptionClassifier, RejectOptionRegressor)):
        fitted = getattr(obj, "estimators_", None) or [
            getattr(obj, "estimator_", obj.estimator)
        ]
        return all(_wraps_estimator(model) for model in fitted)
    if isinstance(obj, CalibratedClassifierCV):
        fitted = getattr(obj, "calibrated_classifiers_", None)
        inner = fitted[0].estimator if fitted else obj.estimator
        return _wraps_estimator(inner)
    return False


def _split(obj):
    """(steps before the estimator, pipeline parameters, the estimator)."""
    from sklearn.pipeline import Pipeline

    if _is_estimator(obj):
        return None, None, obj
    if isinstance(obj, Pipeline) and obj.steps and _is_estimator(obj.steps[-1][1]):
        params = {k: v for k, v in obj.get_params(deep=False).items() if k != "steps"}
        return obj.steps[:-1], params, obj.steps[-1][1]
    raise TypeError(
        "save() stores a fitted MCDropoutClassifier or MCDropoutRegressor, a "
        "Pipeline that ends with one, or a RejectOptionClassifier, "
        "RejectOptionRegressor, CalibratedClassifierCV or FrozenEstimator "
        f"around one; got {type(obj).__name__}. Other scikit-learn objects can "
        "be stored with skops.io."
    )


def save(obj, path):
    """Save a fitted estimator, or a Pipeline ending with one, without pickle.

    The network is stored in Keras' ``.keras`` format and loaded in safe
    mode; parameters and fitted attributes as JSON and NumPy arrays. The steps
    of a Pipeline before the estimator are stored with skops (install
    ``skops``), whose loader only builds types it trusts. Loading needs no
    build function and gives bit-identical predictions.

    Parameters
    ----------
    obj : estimator, Pipeline or meta-estimator
        A fitted MCDropoutClassifier or MCDropoutRegressor, a fitted
        Pipeline whose last step is one, or what is deployed around one: a
        fitted RejectOptionClassifier, RejectOptionRegressor,
        CalibratedClassifierCV or FrozenEstimator (possibly ending a
        Pipeline). The latter are stored whole with skops (install
        ``skops``), trusting :func:`trusted_types`.
    path : str or path-like
        File to write (a zip archive). It is written to a temporary file
        beside it, flushed to disk, then put in place in one step, so an
        interrupted save leaves an existing file as it was.

    Raises
    ------
    ValueError
        If a parameter or fitted attribute is not plain data (a build
        function is fine: it is not stored; a ``RandomState`` or a
        ``joblib.Memory`` is not).
    TypeError
        If ``obj`` is not one of the above.

    See Also
    --------
    load : Read the file back.

    Examples
    --------
    >>> import tempfile, os
    >>> from sklearn.datasets import load_iris
    >>> from sk_mcdropout import MCDropoutClassifier, save, load
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = MCDropoutClassifier(hidden_layer_sizes=(8,), epochs=2, n_samples=10,
    ...                           random_state=0).fit(X, y)
    >>> path = os.path.join(tempfile.mkdtemp(), "clf.skmcd")
    >>> save(clf, path)
    >>> restored = load(path)
    >>> bool((restored.predict_proba(X) == clf.predict_proba(X)).all())
    True
    """
    from sklearn.pipeline import Pipeline
    from sklearn.utils.validation import check_is_fitted

    plain = _is_estimator(obj) or (
        isinstance(obj, Pipeline) and obj.steps and _is_estimator(obj.steps[-1][1])
    )
    if not plain and _wraps_estimator(obj):
        _save_object(obj, path)
        return
    steps, pipeline_params, estimator = _split(obj)
    check_is_fitted(estimator)
    encoder = _Encoder()
    spec = _encode_estimator(estimator, encoder)
    header = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "library_version": __version__,
        "pipeline": None,
    }
    blobs = {}
    if steps is not None:
        try:
            params = {k: encoder(v) for k, v in pipeline_params.items()}
        except _Unstorable as exc:
            raise ValueError(
                f"Cannot save the Pipeline's parameters as plain data ({exc}); "
                "set memory=None before saving."
            ) from None
        names = []
        for i, (name, step) in enumerate(steps):
            names.append(name)
            if step is None or (isinstance(step, str) and step == "passthrough"):
                blobs[f"steps/{i}.json"] = json.dumps(step).encode()
            else:
                blobs[f"steps/{i}.skops"] = _skops().dumps(step)
        header["pipeline"] = {
            "names": names,
            "estimator_name": obj.steps[-1][0],
            "params": params,
        }
    # Written beside the target and moved into place once complete: a crash
    # mid-write leaves the previous file as it was.
    with (
        _atomic.replaced_file(path) as file,
        zipfile.ZipFile(file, "w", compression=zipfile.ZIP_DEFLATED) as archive,
    ):
        archive.writestr("format.json", json.dumps(header, indent=1))
        archive.writestr("estimator.json", json.dumps(spec, indent=1))
        archive.writestr("network.keras", _keras.network_to_bytes(estimator.model_))
        for i, array in enumerate(encoder.arrays):
            buffer = io.BytesIO()
            np.save(buffer, array, allow_pickle=False)
            archive.writestr(f"arrays/{i}.npy", buffer.getvalue())
        for name, data in blobs.items():
            archive.writestr(name, data)


def _save_object(obj, path):
    from sklearn.utils.validation import check_is_fitted

    check_is_fitted(obj)
    data = _skops().dumps(obj)
    header = {
        "format": FORMAT,
        "format_version": OBJECT_FORMAT_VERSION,
        "library_version": __version__,
        "object": type(obj).__name__,
    }
    with (
        _atomic.replaced_file(path) as file,
        zipfile.ZipFile(file, "w", compression=zipfile.ZIP_DEFLATED) as archive,
    ):
        archive.writestr("format.json", json.dumps(header, indent=1))
        archive.writestr("object.skops", data)


def load(path, trusted=None):
    """Load what :func:`save` wrote, without unpickling anything.

    Parameters
    ----------
    path : str or path-like
        The file.
    trusted : list of str, default=None
        For a Pipeline or a meta-estimator: types beyond skops' default
        trusted ones and :func:`trusted_types` that its other steps may
        contain, as in ``skops.io.load`` (review them with
        ``skops.io.get_untrusted_types``). The estimator and its network need
        none.

    Returns
    -------
    obj : estimator, Pipeline or meta-estimator
        The fitted object; it predicts exactly what the saved one did. Its
        ``model`` parameter is its trained network when the saved one had a
        build function or a network.

    Raises
    ------
    ValueError
        If the file was not written by :func:`save`, or by an incompatible
        version of the format.
    """
    _keras.ensure_runtime()
    foreign = ValueError(f"{path} was not written by sk_mcdropout.save.")
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        raise foreign from None
    with archive:
        try:
            header = json.loads(archive.read("format.json"))
        except (KeyError, ValueError):
            raise foreign from None
        if not isinstance(header, dict) or header.get("format") != FORMAT:
            raise foreign
        version = header.get("format_version")
        if version not in READ_VERSIONS:
            raise ValueError(
                f"{path} is in format version {version} (written by sk_mcdropout "
                f"{header.get('library_version')}), but this sk_mcdropout "
                f"({__version__}) reads format versions "
                f"{', '.join(map(str, READ_VERSIONS))} only. Load it with the "
                "version that wrote it, and save it again or refit."
            )
        if version == OBJECT_FORMAT_VERSION:
            return _skops().loads(
                archive.read("object.skops"),
                trusted=[*trusted_types(), *(trusted or [])],
            )
        spec = json.loads(archive.read("estimator.json"))
        n_arrays = sum(name.startswith("arrays/") for name in archive.namelist())
        arrays = [
            np.load(io.BytesIO(archive.read(f"arrays/{i}.npy")), allow_pickle=False)
            for i in range(n_arrays)
        ]
        network = _keras.network_from_bytes(archive.read("network.keras"))
        estimator = _decode_estimator(spec, network, arrays)
        pipeline = header["pipeline"]
        if pipeline is None:
            return estimator
        steps = []
        for i, name in enumerate(pipeline["names"]):
            if f"steps/{i}.json" in archive.namelist():
                steps.append((name, json.loads(archive.read(f"steps/{i}.json"))))
            else:
                data = archive.read(f"steps/{i}.skops")
                steps.append((name, _skops().loads(data, trusted=trusted)))
    from sklearn.pipeline import Pipeline

    steps.append((pipeline["estimator_name"], estimator))
    params = {k: _decode(v, []) for k, v in pipeline["params"].items()}
    return Pipeline(steps, **params)


def _skops():
    try:
        import skops.io
    except ImportError:
        raise ImportError(
            "Saving or loading the steps of a Pipeline before the estimator "
            "needs skops: pip install 'sk-mcdropout[safe]' (or skops)."
        ) from None
    return skops.io
