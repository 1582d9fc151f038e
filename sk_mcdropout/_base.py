"""What the Monte Carlo dropout estimators share: parameters, seeding, the
scikeras hooks and the Monte Carlo prediction path.

No TensorFlow here: everything that touches the network goes through
``_network``.
"""

import functools
import inspect
import numbers

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils.validation import (
    check_is_fitted,
    check_random_state,
    check_scalar,
    validate_data,
)

from . import _cache, _network, _persist

_SEED_MAX = 2**31 - 1


def _mix(*ints):
    """A seed in [0, 2**31) derived from integers, stable across processes."""
    state = np.random.SeedSequence([int(i) for i in ints]).generate_state(1)
    return int(state[0]) % _SEED_MAX


class MCDropoutMixin:
    """Shared machinery; put it left of scikeras' wrapper in the bases.

    Subclasses define ``_default_build_fn`` (the built-in network) and
    ``_n_classes_out`` (classes for the sampler, or None for regression).
    """

    __repr__ = BaseEstimator.__repr__

    def __sklearn_is_fitted__(self):
        return hasattr(self, "model_") and hasattr(self, "mc_seed_")

    # The networks travel as their .keras bytes, loaded in safe mode: skops
    # can then store a fitted estimator (it cannot walk a Keras model), and
    # pickle stores what scikeras' own Model.__reduce__ would.
    def __getstate__(self):
        return _persist.getstate(super().__getstate__())

    def __setstate__(self, state):
        super().__setstate__(_persist.setstate(state))

    # ------------------------------------------------------------------
    # Parameters
    # ------------------------------------------------------------------

    def _check_params(self):
        if isinstance(self.p, str) and self.p == _network.CONCRETE:
            pass
        elif self.p is not None:
            check_scalar(
                self.p,
                "p",
                numbers.Real,
                min_val=0.0,
                max_val=1.0,
                include_boundaries="left",
            )
        elif self.model is None:
            raise ValueError(
                "p=None keeps the dropout rates of a user's network, but the "
                "built-in network (model=None) needs a float p in [0, 1)."
            )
        self._check_predict_params()

    def _check_predict_params(self):
        check_scalar(self.n_samples, "n_samples", numbers.Integral, min_val=1)
        check_scalar(
            self.max_chunk_memory,
            "max_chunk_memory",
            numbers.Real,
            min_val=0.0,
            include_boundaries="neither",
        )

    def _draw_seeds(self):
        # None draws fresh OS entropy rather than from NumPy's global stream, so
        # an unseeded fit leaves global random state untouched too.
        if self.random_state is None:
            base = _mix(*np.random.SeedSequence().generate_state(2))
        elif isinstance(self.random_state, numbers.Integral):
            base = int(self.random_state)
        else:
            base = int(check_random_state(self.random_state).randint(_SEED_MAX))
        self._train_seed = _mix(base, 0)
        self.mc_seed_ = _mix(base, 1)

    # ------------------------------------------------------------------
    # scikeras hooks
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

    def _build_keras_model(self):
        # Seeding is ours (see _fit): scikeras' own would switch TensorFlow op
        # determinism on for good and turn a RandomState into seed 0.
        self._random_state = None
        model = super()._build_keras_model()
        _network.check_model(model)
        if isinstance(self.p, str):
            if not _network.concrete_layers(model):
                raise ValueError(
                    "p='concrete' learns the rates of ConcreteDropout layers, "
                    "but the network has none: wrap its Dense layers in "
                    "sk_mcdropout.ConcreteDropout, or give a float p."
                )
        elif self.p is not None:
            _network.set_dropout_rate(model, self.p)
        # Concrete dropout's regulariser weights scale with the training rows.
        nll = getattr(self, "noise", None) != "homoscedastic"
        _network.set_concrete_regularizers(model, self.X_shape_[0], nll=nll)
        return model

    def _get_compile_kwargs(self):
        kwargs = super()._get_compile_kwargs()
        if (
            self.learning_rate is not None
            and isinstance(self.optimizer, (str, type))
            and not hasattr(self, "optimizer__learning_rate")
        ):
            kwargs["optimizer"].learning_rate = self.learning_rate
        return kwargs

    # Keyword arguments of validate_data for (X, y); subclasses widen them.
    _validate_y_kwargs = {}

    def _validate_y_alone(self, y):
        """Validate y given without X (scikeras' ``score`` path)."""
        raise NotImplementedError

    def _check_target(self, y, reset):
        """Estimator-specific checks of a validated y."""

    def _validate_data(self, X=None, y=None, reset=False):
        # Replaces scikeras' check_X_y: scikit-learn's own wording, feature
        # names, no sparse input, and float32 whatever the dtype seen at fit.
        common = dict(reset=reset, dtype=np.float32, accept_sparse=False)
        if X is not None and y is not None:
            X, y = validate_data(self, X, y, **common, **self._validate_y_kwargs)
        elif X is not None:
            X = validate_data(self, X, **common)
        elif y is not None:
            y = self._validate_y_alone(y)
        if y is not None:
            self._check_target(y, reset)
            if reset:
                # Metadata scikeras passes to build functions as ``meta``.
                self.target_type_ = self._type_of_target(y)
                self.y_dtype_ = y.dtype
                self.y_ndim_ = y.ndim
        if X is not None and reset:
            self.X_dtype_ = X.dtype
            self.X_shape_ = X.shape
        return X, y

    def _fit(self, X, y, sample_weight, warm_start, epochs, initial_epoch, **kwargs):
        self._check_params()
        _network.ensure_runtime()
        fit_args = dict(epochs=epochs, initial_epoch=initial_epoch, **kwargs)
        if _cache.applies(self, warm_start):
            _cache.fit(self, X, y, sample_weight, fit_args)
        else:
            self._train(X, y, sample_weight, warm_start, **fit_args)

    def _train(self, X, y, sample_weight, warm_start, epochs, initial_epoch, **kwargs):
        fresh = not ((self.warm_start or warm_start) and self.initialized_)
        if fresh or not hasattr(self, "_train_seed"):
            self._draw_seeds()
        # A new seed per continued run, so that warm starts and partial_fit do
        # not replay the same shuffles and dropout masks.
        seed = self._train_seed if fresh else _mix(self._train_seed, initial_epoch)
        with _network.seeded(seed):
            super()._fit(
                X,
                y,
                sample_weight=sample_weight,
                warm_start=warm_start,
                epochs=epochs,
                initial_epoch=initial_epoch,
                **kwargs,
            )

    def initialize(self, X, y):
        """Build the network without training it (see scikeras).

        Parameters
        ----------
        X : array-like of shape (n_rows, n_features)
            Data that fixes the input width.
        y : array-like of shape (n_rows,)
            Targets that fix the output.

        Returns
        -------
        self : object
            The initialised estimator.
        """
        self._check_params()
        self._draw_seeds()
        with _network.seeded(self._train_seed):
            return super().initialize(X, y)

    @property
    def dropout_rates_(self):
        """ndarray of shape (n_dropout_layers,): the rate of each dropout layer
        of the fitted network, in layer order; learnt rates for
        ``ConcreteDropout`` layers."""
        check_is_fitted(self)
        return np.array(_network.dropout_rates(self.model_))

    # ------------------------------------------------------------------
    # Prediction
    # ------------------------------------------------------------------

    def _prepare(self, X):
        check_is_fitted(self)
        self._check_predict_params()
        X, _ = self._validate_data(X)
        return self.feature_encoder_.transform(X)

    def _run(self, X, mode):
        """Validate X, then run ``n_samples`` passes over it."""
        return self._sample(self._prepare(X), int(self.n_samples), mode)

    def _sample(self, X, n_passes, mode, verbose=None):
        """Run ``n_passes`` passes over already validated X (see MCSampler.run)."""
        return _network.get_sampler(self.model_, self._n_classes_out()).run(
            X,
            n_passes,
            self.mc_seed_,
            mode=mode,
            memory_mb=self.max_chunk_memory,
            verbose=self.verbose if verbose is None else verbose,
        )
