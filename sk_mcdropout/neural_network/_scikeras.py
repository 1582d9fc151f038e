"""The estimators on scikeras: every hook of its wrappers that they override.

scikeras (0.13, no longer released) gives the estimators parameter routing
(``model__``, ``optimizer__``, ``fit__``, ``compile__``, ``callbacks__``),
target encoding, ``warm_start``, ``partial_fit`` and class weights. Its
wrappers call private hooks, listed in ``_compat.SCIKERAS_HOOKS``; this
module (with the encoders of ``_encoders``) is the only one that overrides,
calls or sets any of them, so that moving off scikeras replaces these two
files and no other.

The hooks hand over to the library's own machinery in ``_base.MCDropoutMixin``
and the estimators, which they reach through these methods:

- ``_check_params()``: the estimator's parameter checks;
- ``_fit_network(X, y, sample_weight, warm_start, fit_args)``: what a fit or
  ``partial_fit`` does (the ``memory`` cache, seeding, divergence), which
  calls ``_encode_and_train`` below;
- ``_default_build_fn()``: the built-in network's builder;
- ``_prepare_network(model)``: checks and edits of a freshly built network;
- ``_train_network(X, y, seed, callbacks, fit_args)``: training on encoded
  arrays, returning the Keras history and the stopping rule;
- ``_set_stopping_attributes(rule)``: the fitted attributes of the stopping
  rules, once the history is recorded.

And they give that machinery: ``_encode_and_train``, ``_build_untrained``,
``_assemble_fitted``, ``_encode_features``, ``_build_function`` and
``_check_keywords``.
"""

import contextlib
import contextvars
import difflib
import functools
import inspect
import json
import numbers
from collections import defaultdict

import numpy as np
import scipy.sparse as sp
from scikeras.utils import metric_name
from scikeras.wrappers import KerasClassifier, KerasRegressor
from sklearn import config_context
from sklearn.base import BaseEstimator
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import (
    check_array,
    check_non_negative,
    column_or_1d,
    validate_data,
)

from .. import _compat, _keras
from .._compat import InvalidParameterError
from ._encoders import OneHotLabelEncoder, StandardTargetEncoder, needs_one_hot

# Seed of the fit running in this thread, from its start to the end of
# training: building the network draws its layer seeds from it, and the
# training loop its row order and dropout masks.
_FIT_SEED = contextvars.ContextVar("sk_mcdropout_fit_seed")

# Prefixes under which scikeras routes a parameter elsewhere than to the
# build function (``model__`` routes to it).
_ROUTED_ELSEWHERE = tuple(
    f"{prefix}__"
    for prefix in (
        "optimizer",
        "loss",
        "metrics",
        "fit",
        "compile",
        "predict",
        "callbacks",
    )
)
# What scikeras passes to a build function besides the routed keywords.
_BUILD_ARGUMENTS = frozenset({"meta", "compile_kwargs", "params"})
# Parameters that change how a network is trained or used, never the network
# or its compilation: fits differing only in these share kept networks.
_NOT_ARCHITECTURE = frozenset(
    {
        "batch_size",
        "calibration_fraction",
        "calibration_refit",
        "callbacks",
        "class_weight",
        "early_stopping",
        "epochs",
        "max_chunk_memory",
        "memory",
        "n_iter_no_change",
        "n_samples",
        "random_state",
        "shuffle",
        "tol",
        "validation_batch_size",
        "validation_fraction",
        "validation_split",
        "verbose",
        "warm_start",
    }
)
# What the built-in builders read from scikeras' metadata (the row count only
# for concrete dropout's regularisers).
_ARCHITECTURE_META = ("n_features_in_", "n_classes_", "n_outputs_", "target_type_")


class ScikerasAdapter:
    """The hooks both estimators override; left of scikeras' wrapper."""

    # scikeras' own repr lists every parameter; scikit-learn's shows those
    # that differ from the defaults.
    __repr__ = BaseEstimator.__repr__

    # ------------------------------------------------------------------
    # Parameters
    # ------------------------------------------------------------------

    def set_params(self, **params):
        """Set the parameters of this estimator (see scikit-learn).

        Parameters
        ----------
        **params : dict
            Estimator parameters, routed ones (``model__x``,
            ``optimizer__x``, ...) included.

        Returns
        -------
        self : object
            The estimator.
        """
        # scikeras answers an unknown name by suggesting it be passed to the
        # constructor, where it would be routed to the build function and
        # fail later. scikit-learn's message instead, with the closest name.
        valid = self.get_params(deep=False)
        for name in params:
            if "__" not in name and name not in valid:
                raise ValueError(
                    f"Invalid parameter {name!r} for estimator {self}."
                    f"{_did_you_mean(name, valid)} Valid parameters are: "
                    f"{sorted(valid)!r}."
                )
        return super().set_params(**params)

    def _check_keywords(self):
        """Refuse a keyword that neither the estimator nor its network builder takes.

        scikeras keeps every unknown keyword of ``__init__`` and passes it to
        the build function (or ignores it), whose TypeError would blame an
        internal function.
        """
        own = _init_parameters(type(self))
        builder, takes, bound = self._builder_keywords()
        for name in sorted(self.get_params(deep=False)):
            if name in own or name.startswith(_ROUTED_ELSEWHERE) or takes is None:
                continue
            if name.startswith("model__"):
                keyword = name[len("model__") :]
                # scikeras passes no nested keyword to the builder; a routed
                # one may override what the estimator binds.
                if "__" in keyword or keyword in takes:
                    continue
            elif name in takes - bound:
                continue
            else:
                keyword = name
            accepted = sorted(takes - bound)
            accepted = (
                f"{builder[1]} takes {accepted!r}"
                if builder[1]
                else "the network takes no keyword"
            )
            raise InvalidParameterError(
                f"Invalid parameter {name!r} for estimator {type(self).__name__}: "
                "it is neither a parameter of the estimator nor a keyword "
                f"argument of {builder[0]}."
                f"{_did_you_mean(keyword, [*own, *(takes - bound)])} The "
                f"estimator takes {sorted(own)!r}; {accepted}. The prefixes "
                "model__, optimizer__, loss__, metrics__, fit__, compile__, "
                "callbacks__ and predict__ route a parameter to that "
                "destination."
            )

    def _builder_keywords(self):
        """What builds the network, (description, name), and the keywords it
        takes (None: any) and those the estimator binds from its parameters."""
        if _keras.is_network(self.model):
            return ("its network, a keras.Model instance", None), set(), set()
        if self.model is None:
            partial = self._default_build_fn()
            build, bound = partial.func, set(partial.keywords)
            name = build.__name__
            builder = (f"its built-in network builder {name}", name)
        else:
            build, bound = self.model, set()
            name = getattr(build, "__name__", None) or repr(build)
            builder = (f"its build function {name}", name)
        try:
            parameters = inspect.signature(build).parameters.values()
        except (TypeError, ValueError):
            return builder, None, bound
        if any(p.kind is p.VAR_KEYWORD for p in parameters):
            return builder, None, bound
        takes = {
            p.name
            for p in parameters
            if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
        }
        return builder, takes - _BUILD_ARGUMENTS, bound

    # ------------------------------------------------------------------
    # Building the network
    # ------------------------------------------------------------------

    def _check_model_param(self):
        if self.model is None:
            return self._default_build_fn()
        build_fn = super()._check_model_param()
        if (
            self.p is not None
            and callable(build_fn)
            and "p" in inspect.signature(build_fn).parameters
            and not hasattr(self, "model__p")
        ):
            build_fn = functools.partial(build_fn, p=self.p)
        return build_fn

    def _build_function(self):
        """What builds the network: the built-in builder or the user's."""
        return self._check_model_param()

    def _build_keras_model(self):
        # Seeding is the estimator's own: scikeras' would switch TensorFlow
        # op determinism on for good and turn a RandomState into seed 0.
        self._random_state = None
        # Building draws the layer seeds: the only step of a fit that needs
        # the process-wide seeding lock (the training loop draws nothing from
        # global state; Keras' own loop takes the lock itself).
        seed = _FIT_SEED.get(None)
        key = None if seed is None else self._architecture_key()
        if key is not None:
            # The built-in network: a kept one of this architecture, reset
            # to the values this seed gives a new one, saves building,
            # compiling and tracing.
            build = super()._build_keras_model

            def build_compiled():
                model = self._prepare_network(build())
                model.compile(**self._get_compile_kwargs())
                return model

            model = _keras.lease_network(key, self, seed, build_compiled)
            # The rate is not part of the key: a kept network of another
            # rate serves this fit with its rate variables set (the rest of
            # _prepare_network was done when it was built).
            self._set_rate(model)
            return model
        with _keras.seeded(seed) if seed is not None else contextlib.nullcontext():
            model = super()._build_keras_model()
        return self._prepare_network(model)

    def _architecture_key(self):
        """What the built-in network and its compilation depend on, or None.

        None (build per fit) for a user's network or build function, and for
        parameters that cannot be compared by value (an optimizer, loss or
        metric instance, a lambda).
        """
        if self.model is not None or getattr(self, "build_fn", None) is not None:
            return None
        params = {
            name: value
            for name, value in self.get_params(deep=False).items()
            if name not in _NOT_ARCHITECTURE
            and not name.startswith(("fit__", "predict__", "callbacks__"))
        }
        if isinstance(params.get("p"), numbers.Real):
            # The built-in networks keep their rates in variables; only a
            # rate of 0 (no dropout, no seed generator) is another network.
            params["p"] = "zero" if params["p"] == 0 else "positive"
        meta = {name: getattr(self, name, None) for name in _ARCHITECTURE_META}
        meta["X_dtype_"] = str(getattr(self, "X_dtype_", None))
        if isinstance(self.p, str):
            meta["n_rows"] = int(self.X_shape_[0])
        try:
            return (
                type(self).__qualname__,
                json.dumps(params, sort_keys=True, default=_by_name),
                json.dumps(meta, sort_keys=True, default=_by_name),
            )
        except TypeError:
            return None

    def _get_compile_kwargs(self):
        kwargs = super()._get_compile_kwargs()
        if (
            self.learning_rate is not None
            and isinstance(self.optimizer, (str, type))
            and not hasattr(self, "optimizer__learning_rate")
        ):
            kwargs["optimizer"].learning_rate = self.learning_rate
        return kwargs

    def _build_untrained(self, X, y, seed):
        """scikeras' ``initialize``: build the network for (X, y), untrained."""
        token = _FIT_SEED.set(seed)
        try:
            super().initialize(X, y)
        finally:
            _FIT_SEED.reset(token)

    def _assemble_fitted(self, model, n_features, y, feature_names, history):
        """Give this estimator the state a fit on data of that shape would.

        What scikeras' ``initialize`` does, without building or touching
        ``model``: validate dummy data of the right shape (which sets
        ``n_features_in_`` and the metadata), fit the target and feature
        encoders on it, draw the Monte Carlo seed from ``random_state``.
        """
        _keras.ensure_runtime()
        self._check_params()
        X = np.zeros((len(y), n_features), dtype=np.float32)
        X, y = self._validate_data(X, y, reset=True)
        self.target_encoder_ = self.target_encoder.fit(y)
        vars(self).update(getattr(self.target_encoder_, "get_metadata", dict)())
        self.feature_encoder_ = self.feature_encoder.fit(X)
        vars(self).update(getattr(self.feature_encoder_, "get_metadata", dict)())
        if feature_names is not None:
            self.feature_names_in_ = feature_names
        self._draw_seeds()
        self.model_ = model
        # A warm-start fit reads the callbacks a fit would have built.
        self._initialize_callbacks()
        self._random_state = None  # as after a fit, see _build_keras_model
        self.history_ = {key: list(values) for key, values in history.items()}
        return self

    # ------------------------------------------------------------------
    # Data
    # ------------------------------------------------------------------

    # Keyword arguments of validate_data for (X, y); subclasses widen them.
    _validate_y_kwargs = {}

    def _validate_y_alone(self, y):
        """Validate y given without X (scikeras' ``score`` path)."""
        raise NotImplementedError

    def _check_target(self, y, reset):
        """Estimator-specific checks of a validated y."""

    def _validate_data(self, X=None, y=None, reset=False):
        # Replaces scikeras' check_X_y: scikit-learn's own wording, feature
        # names, sparse input as MLPClassifier takes it, and float32 whatever
        # the dtype seen at fit. X=None is validated like any other X
        # (scikit-learn's "Expected 2D array" error); only scikeras' score path
        # passes y without X.
        common = dict(reset=reset, dtype=np.float32)
        if not reset and y is None:
            plain = _plain_rows(self, X)
            if plain is not None:
                return plain, None
        if reset or (X is not None and y is not None):
            # Training: the compiled epoch loop holds the rows as one tensor
            # and gathers every batch from it, as do Keras' own loop, the
            # early-stopping split and the noise calibration; a dense copy
            # keeps each of them, and their bits, as for dense input.
            X, y = validate_data(
                self,
                X,
                y,
                accept_sparse=["csr", "csc"],
                **common,
                **self._validate_y_kwargs,
            )
            if sp.issparse(X):
                X = X.toarray()
        elif y is None:
            # Prediction slices rows into chunks, densified one at a time.
            X = validate_data(self, X, accept_sparse="csr", **common)
        else:
            y = self._validate_y_alone(y)
        if y is not None:
            self._check_target(y, reset)
            if reset:
                # Metadata scikeras passes to build functions as ``meta``.
                # type_of_target casts floats to int64 to look for labels;
                # targets beyond int64 warn there for no reason.
                with np.errstate(invalid="ignore", over="ignore"):
                    self.target_type_ = self._type_of_target(y)
                self.y_dtype_ = y.dtype
                self.y_ndim_ = y.ndim
        if X is not None and reset:
            self.X_dtype_ = X.dtype
            self.X_shape_ = X.shape
        return X, y

    @property
    def feature_encoder(self):
        """Transformer that encodes X for the network (see scikeras).

        Returns
        -------
        encoder : transformer
            scikeras' identity ``FunctionTransformer``, whose output stays a
            NumPy array under ``set_config(transform_output="pandas")``.
        """
        # Under pandas output an identity FunctionTransformer without feature
        # names warns on every transform; the network wants an array anyway.
        return super().feature_encoder.set_output(transform="default")

    def _encode_features(self, X):
        """Validate X against the fitted data and encode it for the network."""
        X, _ = self._validate_data(X)
        return self.feature_encoder_.transform(X)

    def _validate_sample_weight(self, X, y, sample_weight):
        # Weights are row frequencies or importances: a negative one has no
        # meaning for training (nor in the metrics and the reject option).
        X, y, sample_weight = super()._validate_sample_weight(X, y, sample_weight)
        check_non_negative(sample_weight, "`sample_weight`")
        return X, y, sample_weight

    # ------------------------------------------------------------------
    # Training
    # ------------------------------------------------------------------

    def _fit(self, X, y, sample_weight, warm_start, epochs, initial_epoch, **kwargs):
        # Where scikeras' fit and partial_fit hand over, before any check.
        fit_args = dict(epochs=epochs, initial_epoch=initial_epoch, **kwargs)
        self._fit_network(X, y, sample_weight, warm_start, fit_args)

    def _encode_and_train(self, X, y, sample_weight, warm_start, seed, fit_args):
        """scikeras' fit: validate, encode, build or reuse, then train."""
        token = _FIT_SEED.set(seed)
        # scikeras' label encoder is a scikit-learn pipeline: under
        # set_config(transform_output="pandas") it would hand the network a
        # DataFrame, which trains a different model than the same labels as
        # an array.
        try:
            with config_context(transform_output="default"):
                super()._fit(
                    X, y, sample_weight=sample_weight, warm_start=warm_start, **fit_args
                )
        finally:
            _FIT_SEED.reset(token)

    def _fit_keras_model(
        self, X, y, sample_weight, warm_start, epochs, initial_epoch, **kwargs
    ):
        # scikeras' own method, with keras.Model.fit replaced by the
        # estimator's training (whole epochs per compiled call where possible,
        # scikit-learn's stopping rules).
        if self.model_.loss is None:  # scikeras says why
            return super()._fit_keras_model(
                X, y, sample_weight, warm_start, epochs, initial_epoch, **kwargs
            )
        fit_args = _compat.route_params(
            self.get_params(), destination="fit", pass_filter=self._fit_kwargs
        )
        fit_args.update(
            sample_weight=sample_weight,
            epochs=initial_epoch + epochs,
            initial_epoch=initial_epoch,
        )
        fit_args.update(kwargs)
        for name in ("batch_size", "validation_batch_size"):
            if fit_args.get(name) == -1:
                fit_args[name] = X.shape[0]
        fit_args = {k: v for k, v in fit_args.items() if not k.startswith("callbacks")}
        history, rule = self._train_network(
            X, y, _FIT_SEED.get(), self._fit_callbacks, fit_args
        )
        if not warm_start or not hasattr(self, "history_") or initial_epoch == 0:
            self.history_ = defaultdict(list)
        for key, val in history.items():
            if not (key == "loss" or key[:4] == "val_"):
                try:
                    key = metric_name(key)
                except ValueError:  # a custom metric
                    pass
            self.history_[key] += val
        self._set_stopping_attributes(rule)


class ScikerasClassifier(ScikerasAdapter, KerasClassifier):
    """scikeras' ``KerasClassifier`` with its defects neutralised."""

    @property
    def target_encoder(self):
        """Transformer that encodes the labels for the network (see scikeras).

        Returns
        -------
        encoder : transformer
            scikeras' label encoder; one-hot for binary targets too with the
            built-in network and a loss that compares the target with the
            whole softmax output.
        """
        encoder = super().target_encoder
        if self.model is None and needs_one_hot(self.loss):
            return OneHotLabelEncoder(categories=encoder.categories)
        return encoder

    def fit(self, X, y, sample_weight=None, **kwargs):
        # scikeras multiplies the user's sample_weight by the class weights in
        # place.
        if self.class_weight is not None and sample_weight is not None:
            sample_weight = np.array(sample_weight, dtype=np.float64, copy=True)
        # scikeras resets classes_ to None on every fit and only restores it
        # when it rebuilds the network, so a warm start would lose it.
        classes = getattr(self, "classes_", None) if self.warm_start else None
        try:
            super().fit(X, y, sample_weight=sample_weight, **kwargs)
        finally:
            if getattr(self, "classes_", None) is None:
                self.classes_ = classes
        return self

    def partial_fit(self, X, y, classes=None, sample_weight=None, **kwargs):
        # scikeras takes new `classes` silently; scikit-learn refuses them.
        previous = getattr(self, "classes_", None)
        if classes is not None and previous is not None:
            classes = np.asarray(classes)
            if not np.array_equal(np.unique(classes), previous):
                raise ValueError(
                    f"`classes={classes!r}` is not the same as on last call to "
                    f"partial_fit, was: {previous!r}"
                )
        if self.class_weight is not None and sample_weight is not None:
            sample_weight = np.array(sample_weight, dtype=np.float64, copy=True)
        return super().partial_fit(
            X, y, classes=classes, sample_weight=sample_weight, **kwargs
        )

    def _assemble_fitted(self, model, n_features, y, feature_names, history):
        # As scikeras' initialize: the target encoder then sets classes_.
        self.classes_ = None
        return super()._assemble_fitted(model, n_features, y, feature_names, history)

    def _validate_y_alone(self, y):
        return column_or_1d(y, warn=True)

    def _check_target(self, y, reset):
        check_classification_targets(y)
        # scikeras sets classes_ before validation in partial_fit (from
        # `classes` or the previous call) and to None in fit.
        declared = getattr(self, "classes_", None)
        self._classes_declared = declared is not None
        present = np.unique(y)
        if declared is not None:
            # partial_fit may see one class per call once classes_ is known.
            if np.setdiff1d(present, declared).size:
                raise ValueError(
                    "`y` has classes not in `self.classes_`. `self.classes_` has "
                    f"{np.asarray(declared)}. 'y' has {present}."
                )
        elif reset:
            self._check_two_classes(present)
        elif hasattr(self, "target_encoder_"):
            previous = self.target_encoder_.classes_
            if not np.array_equal(present, previous):
                raise ValueError(
                    "warm_start can only be used where `y` has the same classes "
                    f"as in the previous call to fit. Previously got {previous}, "
                    f"`y` has {present}"
                )

    def _check_two_classes(self, classes):
        if len(classes) < 2:
            raise ValueError(
                f"{type(self).__name__} needs samples of at least 2 classes in "
                "the data, but the data contains only one class: "
                f"{classes[0]}."
            )

    def _check_model_compatibility(self, y):
        # Runs after scikeras dropped zero-weight rows: all weight on one class
        # is the single-class problem in disguise.
        # A batch of partial_fit may hold one class once all are declared.
        if self._classes_declared:
            return super()._check_model_compatibility(y)
        classes = self.target_encoder_.classes_
        y = np.asarray(y)
        codes = y.argmax(axis=1) if y.ndim == 2 and y.shape[1] > 1 else y.ravel()
        if len(classes) >= 2 and len(np.unique(codes)) < 2:
            label = classes[int(codes[0])]
            raise ValueError(
                f"{type(self).__name__} needs samples of at least 2 classes in "
                "the data, but the rows with non-zero sample_weight contain "
                f"only one class: {label}."
            )
        super()._check_model_compatibility(y)


class ScikerasRegressor(ScikerasAdapter, KerasRegressor):
    """scikeras' ``KerasRegressor`` with standardised targets."""

    @property
    def target_encoder(self):
        """Transformer that standardises the targets for the network (see scikeras).

        Returns
        -------
        encoder : transformer
            Standardises each target column; maps predicted means and
            standard deviations back to the units of y.
        """
        return StandardTargetEncoder()

    def _get_compile_kwargs(self):
        kwargs = super()._get_compile_kwargs()
        if kwargs.get("loss") is None:
            kwargs["loss"] = (
                _keras.heteroscedastic_loss(self.nll_beta)
                if self._heteroscedastic()
                else "mse"
            )
        return kwargs

    _validate_y_kwargs = {"multi_output": True, "y_numeric": True}

    def _validate_y_alone(self, y):
        return check_array(y, ensure_2d=False, dtype="numeric", input_name="y")

    def _validate_data(self, X=None, y=None, reset=False):
        if reset and y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target "
                "y is None."
            )
        return super()._validate_data(X, y, reset)

    def _check_model_compatibility(self, y):
        width = _keras.output_width(self.model_)
        expected = self.n_outputs_ * (2 if self._heteroscedastic() else 1)
        if width != expected:
            layout = (
                "the means then the noise variances"
                if self._heteroscedastic()
                else "the means"
            )
            raise ValueError(
                f"With noise={self.noise!r} and {self.n_outputs_} target(s), the "
                f"network must have one output of {expected} columns ({layout}), "
                f"but its output has {width}."
            )
        super()._check_model_compatibility(y)


def _plain_rows(estimator, X):
    """X as float32 if validate_data would do nothing else to it, else None.

    That is a finite 2D float NumPy array of the fitted width, for an
    estimator fitted without feature names. It skips validate_data's fixed
    cost, about as long as the network takes to score one row.
    """
    if not (
        type(X) is np.ndarray
        and X.ndim == 2
        and X.dtype in _NATIVE_FLOATS
        and X.shape[0] > 0
        and X.shape[1] == getattr(estimator, "n_features_in_", None)
        and not hasattr(estimator, "feature_names_in_")
    ):
        return None
    with np.errstate(over="ignore"):
        # Values beyond float32 become inf here; validate_data names them.
        X = X.astype(np.float32, copy=False)
    return X if np.isfinite(X).all() else None


_NATIVE_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


def _init_parameters(cls):
    return {
        p.name
        for p in inspect.signature(cls.__init__).parameters.values()
        if p.name != "self" and p.kind is not p.VAR_KEYWORD
    }


def _by_name(value):
    """A JSON stand-in for a class or module-level function; TypeError otherwise."""
    if isinstance(value, np.generic):
        return value.item()
    qualname = getattr(value, "__qualname__", "")
    if (isinstance(value, type) or inspect.isfunction(value)) and "<" not in qualname:
        return f"{value.__module__}.{qualname}"
    raise TypeError(f"{type(value).__name__} is not compared by value")


def _did_you_mean(name, candidates):
    close = difflib.get_close_matches(name, list(candidates), n=1)
    return f" Did you mean {close[0]!r}?" if close else ""
