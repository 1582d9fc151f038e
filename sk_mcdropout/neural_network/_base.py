"""What the Monte Carlo dropout estimators share: parameters, seeding, the
``memory`` cache, stopping rules, divergence and the Monte Carlo prediction
path.

The scikeras hooks that hand over to this machinery are in ``_scikeras``;
everything that touches the network goes through ``sk_mcdropout._keras``.
"""

import numbers
import os

import numpy as np
from sklearn.model_selection import train_test_split
from sklearn.utils.validation import check_is_fitted, check_random_state

from .. import _keras
from .._compat import (
    HasMethods,
    Interval,
    InvalidParameterError,
    Options,
    StrOptions,
    validate_parameter_constraints,
)
from .._docstrings import MC_DROPOUT_FIT, Substitution
from . import _fit_cache

_SEED_MAX = 2**31 - 1


def derive_seed(*ints):
    """A seed in [0, 2**31) derived from integers, stable across processes."""
    state = np.random.SeedSequence([int(i) for i in ints]).generate_state(1)
    return int(state[0]) % _SEED_MAX


_POSITIVE_INT = Interval(numbers.Integral, 1, None, closed="left")

# Prediction-time parameters, which can change after fit.
_PREDICT_PARAMS = ("n_samples", "max_chunk_memory")


class _Diverged(Exception):
    """Training left non-finite weights (MCDropoutMixin._train handles it)."""


class MCDropoutMixin:
    """Shared machinery; put it left of the scikeras adapter in the bases.

    Subclasses define ``_default_build_fn`` (the built-in network) and
    ``_n_classes_out`` (classes for the sampler, or None for regression).
    """

    # The parameters both estimators have, in scikit-learn's vocabulary;
    # checked at fit.
    _parameter_constraints = {
        "model": [None, callable],
        # scikeras' former name of `model`.
        "build_fn": [None],
        "hidden_layer_sizes": ["array-like", _POSITIVE_INT],
        "activation": [str, callable],
        "p": [
            Interval(numbers.Real, 0, 1, closed="left"),
            StrOptions({"concrete"}),
            None,
        ],
        "n_samples": [_POSITIVE_INT],
        "epochs": [_POSITIVE_INT],
        "batch_size": [_POSITIVE_INT, None],
        "validation_batch_size": [_POSITIVE_INT, None],
        "optimizer": [str, type, HasMethods(["apply_gradients"])],
        "learning_rate": [Interval(numbers.Real, 0, None, closed="neither"), None],
        "loss": [str, callable, None],
        "metrics": [list, tuple, dict, None],
        "max_chunk_memory": [Interval(numbers.Real, 0, None, closed="neither")],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        "memory": [None, str, os.PathLike, HasMethods(["cache"])],
        "callbacks": [list, tuple, None],
        "validation_split": [Interval(numbers.Real, 0, 1, closed="left")],
        "shuffle": ["boolean", StrOptions({"batch"})],
        "run_eagerly": ["boolean"],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(numbers.Real, 0, 1, closed="neither")],
        "n_iter_no_change": [_POSITIVE_INT, Options(numbers.Real, {np.inf}), None],
        "tol": [Interval(numbers.Real, 0, None, closed="left")],
    }

    def __sklearn_is_fitted__(self):
        return hasattr(self, "model_") and hasattr(self, "mc_seed_")

    # The networks travel as their .keras bytes, loaded in safe mode: skops
    # can then store a fitted estimator (it cannot walk a Keras model), and
    # pickle stores what scikeras' own Model.__reduce__ would.
    def __getstate__(self):
        return _keras.encode_networks(super().__getstate__())

    def __setstate__(self, state):
        super().__setstate__(_keras.decode_networks(state))

    # ------------------------------------------------------------------
    # Parameters
    # ------------------------------------------------------------------

    def _check_params(self):
        """Validate the parameters as scikit-learn does, before any work."""
        self._validate(self._parameter_constraints)
        if self.p is None and self.model is None:
            raise InvalidParameterError(
                f"The 'p' parameter of {type(self).__name__} must be a float in "
                "the range [0, 1) with the built-in network (model=None); p=None "
                "keeps the dropout rates of a user's network. Got None instead."
            )
        sizes = self.hidden_layer_sizes
        sizes = [sizes] if isinstance(sizes, numbers.Integral) else list(sizes)
        if not all(
            isinstance(n, numbers.Integral) and not isinstance(n, bool) and n >= 1
            for n in sizes
        ):
            raise InvalidParameterError(
                f"The 'hidden_layer_sizes' parameter of {type(self).__name__} must "
                "be an int in the range [1, inf) or a sequence of them. Got "
                f"{self.hidden_layer_sizes!r} instead."
            )
        if self.model is None and isinstance(self.activation, str):
            _keras.check_activation(self.activation, type(self).__name__)
        if self.early_stopping and self.validation_split:
            raise ValueError(
                f"{type(self).__name__} got early_stopping=True and "
                f"validation_split={self.validation_split!r}: early stopping "
                "holds out validation_fraction of the rows itself. Set "
                "validation_split=0.0, or early_stopping=False to keep Keras' "
                "split."
            )
        self._check_keywords()

    def _layer_sizes(self):
        """``hidden_layer_sizes`` as a tuple of Python ints (Keras takes no other)."""
        sizes = self.hidden_layer_sizes
        if isinstance(sizes, numbers.Integral):
            sizes = [sizes]
        return tuple(int(n) for n in sizes)

    def _check_predict_params(self):
        self._validate(
            {name: self._parameter_constraints[name] for name in _PREDICT_PARAMS}
        )

    def _validate(self, constraints):
        # Parameters are plain attributes; reading them directly keeps
        # scikeras' get_params (a walk over every attribute) off the
        # prediction path.
        validate_parameter_constraints(
            constraints,
            {name: getattr(self, name) for name in constraints if hasattr(self, name)},
            caller_name=type(self).__name__,
        )
        if "max_chunk_memory" in constraints and not np.isfinite(self.max_chunk_memory):
            # Interval(Real, 0, None) admits inf, which cannot size a chunk.
            raise InvalidParameterError(
                f"The 'max_chunk_memory' parameter of {type(self).__name__} must "
                f"be a finite float in the range (0, inf). Got "
                f"{self.max_chunk_memory!r} instead."
            )

    def _draw_seeds(self):
        # None draws fresh OS entropy rather than from NumPy's global stream, so
        # an unseeded fit leaves global random state untouched too.
        if self.random_state is None:
            base = derive_seed(*np.random.SeedSequence().generate_state(2))
        elif isinstance(self.random_state, numbers.Integral):
            base = int(self.random_state)
        else:
            base = int(check_random_state(self.random_state).randint(_SEED_MAX))
        self._train_seed = derive_seed(base, 0)
        self.mc_seed_ = derive_seed(base, 1)

    # ------------------------------------------------------------------
    # Fitting
    # ------------------------------------------------------------------

    def _fit_network(self, X, y, sample_weight, warm_start, fit_args):
        """A fit or ``partial_fit``: from the ``memory`` cache, or by training."""
        self._check_params()
        _keras.ensure_runtime()
        # Resolved even when the cache is not used, so a wrong value fails early.
        memory = _fit_cache.resolve_memory(self.memory)
        if _fit_cache.applies(memory, self.random_state, warm_start or self.warm_start):
            self._fit_through_cache(memory, X, y, sample_weight, fit_args)
        else:
            self._train(X, y, sample_weight, warm_start, fit_args)

    def _fit_through_cache(self, memory, X, y, sample_weight, fit_args):
        params = self.get_params(deep=False)
        key = _fit_cache.fit_key(
            type(self), params, self._build_function(), X, y, sample_weight, fit_args
        )
        ignore = ["estimator", "X", "y", "sample_weight", "fit_args"]
        cached = memory.cache(_train_for_cache, ignore=ignore)
        state = cached(key, self, X, y, sample_weight, fit_args)
        # The estimator must end up exactly as a fresh fit would leave it: drop
        # fitted attributes of an earlier fit that this one does not have (e.g.
        # feature_names_in_ after a DataFrame fit), then set this fit's.
        for name in _fit_cache.stale_attributes(vars(self), params, state):
            delattr(self, name)
        vars(self).update(state)

    def _train(self, X, y, sample_weight, warm_start, fit_args):
        fresh = not ((self.warm_start or warm_start) and self.initialized_)
        if fresh or not hasattr(self, "_train_seed"):
            self._draw_seeds()
        # A new seed per continued run, so that warm starts and partial_fit do
        # not replay the same shuffles and dropout masks.
        initial_epoch = fit_args["initial_epoch"]
        seed = (
            self._train_seed if fresh else derive_seed(self._train_seed, initial_epoch)
        )
        before = None if fresh else self._training_state()
        # Whether this call trains a new network or continues one, for the
        # training of a subclass (a regressor refits only a new network).
        self._fresh_start = fresh
        try:
            self._encode_and_train(X, y, sample_weight, warm_start, seed, fit_args)
        except _Diverged:
            pass  # _check_weights refuses the network and restores the state
        finally:
            del self._fresh_start
        self._check_weights(before)

    @Substitution(**MC_DROPOUT_FIT)
    def partial_fit(self, X, y, sample_weight=None, **kwargs):
        """Train for one epoch, keeping the current network.

        Like ``MLPClassifier.partial_fit``: one epoch on all the rows given,
        without early stopping.

        Parameters
        ----------
        {fit_X}
        y : array-like of shape (n_rows,) or (n_rows, n_outputs)
            Targets.
        {sample_weight}
        {fit_kwargs}

        Returns
        -------
        self : object
            The fitted estimator.
        """
        self._partial = True
        try:
            return super().partial_fit(X, y, sample_weight=sample_weight, **kwargs)
        finally:
            del self._partial

    def _train_network(self, X, y, seed, callbacks, fit_args):
        """Train the network on encoded arrays; the Keras history and stopping rule.

        ``fit_args`` are ``keras.Model.fit``'s (``sample_weight`` included);
        the training loop is ``_keras.train`` (whole epochs per compiled call
        where possible) with scikit-learn's stopping rules as an epoch-level
        callback.
        """
        stopping = None
        if not getattr(self, "_partial", False):
            stopping, X, y, fit_args["sample_weight"] = self._stopping_rule(
                X, y, fit_args["sample_weight"], seed
            )
        callbacks = [*callbacks, *([stopping] if stopping else [])]
        hist = _keras.train(
            self.model_, X, y, seed=seed, callbacks=callbacks, **fit_args
        )
        if not _keras.weights_finite(self.model_):
            # Stop here, before anything (history, a regressor's noise
            # estimate) is computed from the network; _train refuses it.
            raise _Diverged
        return hist.history, stopping

    def _prepare_network(self, model):
        """Check a freshly built network and give it the estimator's rates."""
        _keras.check_model(model)
        if isinstance(self.p, str):
            if not _keras.concrete_layers(model):
                raise ValueError(
                    "p='concrete' learns the rates of ConcreteDropout layers, "
                    "but the network has none: wrap its Dense layers in "
                    "sk_mcdropout.ConcreteDropout, or give a float p."
                )
        self._set_rate(model)
        # Concrete dropout's regulariser weights scale with the training rows.
        nll = getattr(self, "noise", None) != "homoscedastic"
        _keras.set_concrete_regularizers(model, self.X_shape_[0], nll=nll)
        return model

    def _set_rate(self, model):
        """Set the rate of the network's Dropout layers to a float ``p``."""
        if self.p is not None and not isinstance(self.p, str):
            _keras.set_dropout_rate(model, self.p)

    # ------------------------------------------------------------------
    # Stopping rules (MLPClassifier's)
    # ------------------------------------------------------------------

    def _validation_score(self, X, y, sample_weight):
        """Validation score of the network on encoded data; higher is better."""
        raise NotImplementedError

    def _stratify(self, y):
        """Labels to stratify the early-stopping split by, or None."""
        return None

    def _stopping_rule(self, X, y, sample_weight, seed):
        """The stopping callback and the training rows left for the network."""
        if not self.early_stopping:
            if self.n_iter_no_change is None:
                return None, X, y, sample_weight
            rule = _keras.StoppingRule(self.tol, self.n_iter_no_change)
            return rule, X, y, sample_weight
        train, val = train_test_split(
            np.arange(len(X)),
            test_size=self.validation_fraction,
            random_state=derive_seed(seed, 2),
            stratify=self._stratify(y),
        )
        val_weight = None if sample_weight is None else sample_weight[val]
        X_val, y_val = X[val], y[val]
        patience = 10 if self.n_iter_no_change is None else self.n_iter_no_change
        rule = _keras.StoppingRule(
            self.tol,
            patience,
            score=lambda: self._validation_score(X_val, y_val, val_weight),
        )
        weight = None if sample_weight is None else sample_weight[train]
        return rule, X[train], y[train], weight

    def _set_stopping_attributes(self, rule):
        self.loss_curve_ = [float(v) for v in self.history_.get("loss", [])]
        self.n_iter_ = len(self.loss_curve_)
        if rule is not None:
            self.validation_scores_ = rule.validation_scores
        elif not hasattr(self, "validation_scores_"):
            self.validation_scores_ = None
        if self.validation_scores_ is None:
            self.best_loss_ = min(self.loss_curve_, default=None)
            self.best_validation_score_ = None
        else:
            self.best_loss_ = None
            self.best_validation_score_ = max(self.validation_scores_, default=None)

    # ------------------------------------------------------------------
    # Divergence
    # ------------------------------------------------------------------

    def _training_state(self):
        # Fitted attributes are replaced, not changed in place, by training;
        # only the history grows in place, so its lengths are enough.
        history = getattr(self, "history_", {})
        lengths = {key: len(values) for key, values in history.items()}
        return _keras.training_state(self.model_), dict(vars(self)), lengths

    def _check_weights(self, before):
        """Refuse a network whose training diverged.

        A fresh fit leaves the estimator unfitted; a warm start or partial_fit
        puts back the network, optimizer state and history it started from.
        """
        if _keras.weights_finite(self.model_):
            return
        if before is None:
            del self.model_
        else:
            weights, attributes, lengths = before
            vars(self).clear()
            vars(self).update(attributes)
            _keras.restore_training_state(self.model_, weights)
            if "history_" in attributes:
                for key in list(self.history_):
                    if key in lengths:
                        del self.history_[key][lengths[key] :]
                    else:
                        del self.history_[key]
        raise ValueError(
            "Solver produced non-finite parameter weights. The input data may "
            "contain large values and need to be preprocessed. Scale X (for "
            "instance with StandardScaler), check sample_weight, or lower "
            "learning_rate. "
            + (
                "The estimator is left unfitted."
                if before is None
                else "The estimator keeps the weights it had before this call."
            )
        )

    def initialize(self, X, y):
        """Build the network without training it (see scikeras).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_rows, n_features)
            Data that fixes the input width.
        y : array-like of shape (n_rows,) or (n_rows, n_outputs)
            Targets that fix the output.

        Returns
        -------
        self : object
            The initialised estimator.
        """
        self._check_params()
        self._draw_seeds()
        self._build_untrained(X, y, self._train_seed)
        return self

    @property
    def dropout_rates_(self):
        """Rate of each dropout layer of the fitted network, in layer order.

        An ndarray of shape (n_dropout_layers,); learnt rates for
        ``ConcreteDropout`` layers.
        """
        check_is_fitted(self)
        return np.array(_keras.dropout_rates(self.model_))

    # ------------------------------------------------------------------
    # Prediction
    # ------------------------------------------------------------------

    def _prepare(self, X):
        check_is_fitted(self)
        self._check_predict_params()
        return self._encode_features(X)

    def _run(self, X, mode):
        """Validate X, then run ``n_samples`` passes over it."""
        return self._check_output(
            self._sample(self._prepare(X), int(self.n_samples), mode)
        )

    @staticmethod
    def _check_output(out):
        # The weights are finite (see _check_weights), so only inputs whose
        # values overflow the network's float32 arithmetic get here.
        if not np.isfinite(out).all():
            raise ValueError(
                "The network's output is not finite for some rows of X: their "
                "values are too large for its float32 arithmetic. Scale X as "
                "the training data was scaled."
            )
        return out

    def _sample(self, X, n_passes, mode, verbose=None):
        """Run ``n_passes`` passes over already validated X (see MCSampler.run)."""
        return _keras.get_sampler(self.model_, self._n_classes_out()).run(
            X,
            n_passes,
            self.mc_seed_,
            mode=mode,
            memory_mb=self.max_chunk_memory,
            verbose=self.verbose if verbose is None else verbose,
        )


def _train_for_cache(key, estimator, X, y, sample_weight, fit_args):
    """A fresh fit of ``estimator``, as the state a cache entry stores.

    Only ``key`` is hashed by joblib: it already covers everything else, and
    hashing a keras.Model argument would not be stable across pickles.
    """
    estimator._train(X, y, sample_weight, False, fit_args)
    return _fit_cache.fitted_state(vars(estimator), estimator.get_params(deep=False))
