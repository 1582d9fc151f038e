"""MCDropoutClassifier: the scikit-learn and scikeras glue.

Everything that touches the network goes through ``sk_mcdropout._keras``.
"""

import functools

import numpy as np
from scikeras.utils import loss_name
from scikeras.utils.transformers import ClassifierLabelEncoder
from scikeras.wrappers import KerasClassifier
from sklearn.metrics import accuracy_score
from sklearn.utils import ClassifierTags
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import (
    column_or_1d,
)

from .. import _keras
from .._compat import StrOptions
from . import _from_keras
from ._base import _PARAMETER_CONSTRAINTS, MCDropoutMixin

# Losses that compare the target with the whole softmax output of the built-in
# network, so they need one-hot targets (scikeras one-hot encodes only for
# categorical crossentropy, and never binary targets).
_ONE_HOT_LOSSES = frozenset(
    {
        "categorical_crossentropy",
        "binary_crossentropy",
        "categorical_focal_crossentropy",
        "binary_focal_crossentropy",
        "categorical_hinge",
        "kl_divergence",
    }
)


def _loss_name(loss):
    try:
        return loss_name(loss)
    except (TypeError, ValueError):
        return None


class _OneHotLabelEncoder(ClassifierLabelEncoder):
    """scikeras' label encoder, one-hot for binary targets too."""

    def __init__(self, loss="categorical_crossentropy", categories="auto"):
        super().__init__(loss=loss, categories=categories)

    def _type_of_target(self, y):
        target_type = super()._type_of_target(y)
        return "multiclass" if target_type == "binary" else target_type


class MCDropoutClassifier(MCDropoutMixin, KerasClassifier):
    """Monte Carlo dropout classifier: a Keras dropout network that knows when it
    is unsure.

    The network is trained with dropout as usual. At prediction time dropout is
    kept on, ``n_samples`` stochastic forward passes are made, and their mean is
    the predicted probability; their standard deviation is the uncertainty
    (Gal & Ghahramani, 2016). Only the ``Dropout`` layers are stochastic:
    BatchNormalization and every other layer stay in inference mode.

    Pass ``k`` uses one dropout mask per layer, drawn from a seed fixed at fit
    time and shared by all rows. Every row therefore sees ``n_samples``
    independent masks, while ``predict_proba`` is a deterministic function of
    each row: the same on every call, for any row order, subset or chunk size,
    and after pickling.

    Built on scikeras' ``KerasClassifier``: ``model__``, ``optimizer__``,
    ``fit__`` and ``compile__`` routed parameters, ``callbacks``,
    ``class_weight``, ``sample_weight``, ``warm_start`` and ``partial_fit``
    work as there.

    Training runs each epoch as one compiled loop over the batches with the
    network's own ``train_step``, several times faster than
    ``keras.Model.fit`` on tabular data, with the same losses, metrics,
    optimizers, history and epoch-level callbacks. A callback with per-batch
    hooks, ``verbose=1``, ``run_eagerly``, ``jit_compile``,
    ``steps_per_execution`` and the ``fit__`` arguments ``steps_per_epoch``,
    ``validation_steps`` and ``validation_freq`` use ``keras.Model.fit``
    instead.

    Parameters
    ----------
    model : None, callable or keras.Model, default=None
        The network. None builds an MLP from ``hidden_layer_sizes`` and
        ``activation`` with a ``Dropout`` layer after each hidden layer and a
        softmax output. A callable is a scikeras build function returning a
        Sequential or functional ``keras.Model`` (compiled or not) that uses
        ``keras.layers.Dropout``; if it has a parameter named ``p``, it
        receives this estimator's ``p``. A network without Dropout layers is
        refused. Its output must be probabilities (softmax, or a single
        sigmoid unit for binary targets).
    hidden_layer_sizes : tuple of int, default=(100,)
        Units of each hidden layer of the built-in MLP.
    activation : str, default="relu"
        Activation of the hidden layers of the built-in MLP.
    p : float in [0, 1), "concrete" or None, default=0.2
        Dropout rate, set on every ``Dropout`` layer of the network, the
        built-in MLP's or a user's, when it is built. None keeps the rates the
        user's network was built with (not allowed with ``model=None``).
        Grid-searchable: ``GridSearchCV(clf, {"p": [0.1, 0.3]})``.
        ``"concrete"`` learns a rate per dropout layer instead (concrete
        dropout, Gal, Hron & Kendall 2017): the built-in MLP then uses
        :class:`ConcreteDropout` layers, and a user's network must have some
        (its Dropout layers keep their rates). Learnt rates are in
        ``dropout_rates_``.
    n_samples : int, default=100
        Number of stochastic forward passes at prediction time (not a number of
        rows). A prediction-time parameter: ``set_params(n_samples=k)`` on a
        fitted estimator takes effect without refitting.
    epochs : int, default=50
        Number of training epochs.
    batch_size : int or None, default=None
        Training batch size; None is Keras' default of 32.
    optimizer : str, keras optimizer class or instance, default="adam"
        Optimizer, routed by scikeras (``optimizer__beta_1=...``).
    learning_rate : float or None, default=0.001
        Learning rate of an optimizer given as a string or class. Ignored when
        ``optimizer__learning_rate`` is set or ``optimizer`` is an instance.
    loss : str or keras loss, default="sparse_categorical_crossentropy"
        Training loss. With the built-in network, losses that compare the
        target with the whole softmax output (``"categorical_crossentropy"``,
        ``"binary_crossentropy"``, their focal variants,
        ``"categorical_hinge"``, ``"kl_divergence"``) receive one-hot targets,
        binary ones included.
    max_chunk_memory : float, default=256
        Memory budget, in MiB, of one compiled call at prediction time. Rows
        are processed in chunks so that ``n_samples`` x chunk rows x the widest
        layer stays inside it; memory use is bounded whatever the number of
        rows. Changes speed only, never results.
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, shuffling, training dropout and the
        prediction masks. An int gives the same fitted model and predictions on
        every fit. Global random state (Python, NumPy, TensorFlow) is left as it
        was found.
    verbose : int, default=0
        0 is silent. 1 shows Keras' training progress and a progress bar over
        rows during long predictions.
    warm_start : bool, default=False
        Continue training the current network on the next ``fit``.
    class_weight : dict, "balanced" or None, default=None
        Class weights, multiplied into ``sample_weight``.
    early_stopping : bool, default=False
        As in ``MLPClassifier``: hold out ``validation_fraction`` of the
        training rows (stratified by class), score the network on them after every epoch
        (accuracy of the deterministic pass, dropout off), stop once the score
        has not improved by at least ``tol`` for more than
        ``n_iter_no_change`` consecutive epochs, and restore the weights of
        the best epoch. ``partial_fit`` never stops early. Not together with
        ``validation_split`` (a ValueError says so).
    validation_fraction : float in (0, 1), default=0.1
        Share of the training rows held out for early stopping. Only used if
        ``early_stopping`` is True.
    n_iter_no_change : int >= 1 or np.inf, default=10
        Epochs without an improvement of at least ``tol`` tolerated before
        training stops: of the validation score with ``early_stopping``, of
        the training loss without (as in ``MLPClassifier``; with the default
        ``tol`` a converged network stops before ``epochs``); ``np.inf``
        never stops.
    tol : float >= 0, default=1e-4
        Smallest improvement of the loss or score that counts.
    memory : str, path, joblib.Memory or None, default=None
        Cache of fitted networks, as in ``Pipeline(memory=...)``: a directory
        or a ``joblib.Memory``. With an int ``random_state``, a fit whose
        training parameters, data (X, y, ``sample_weight``) and random_state
        equal an earlier fit's loads that fitted network from disk instead of
        training again, so ``GridSearchCV`` over ``p`` and ``n_samples`` trains
        one network per value of ``p`` and fold. Prediction-time parameters
        (``n_samples``, ``max_chunk_memory``, ``verbose``) are not part of the
        key; all others are, including routed ones, the build function's
        source and the library versions. A cached model predicts exactly what
        a freshly trained one would. Works across processes sharing the
        directory. Not used when ``random_state`` is None or a RandomState,
        nor by ``warm_start`` and ``partial_fit``. On a cache hit no callback
        runs. The cache does not see code that a build function calls (clear
        it after editing such code), and it is never cleared automatically.
    **kwargs
        Any other scikeras parameter (``callbacks``, ``validation_split``,
        ``metrics``, ``shuffle``, ``model__*``, ``fit__*``, ...).

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Feature names, when X was a DataFrame with string column names.
    model_ : keras.Model
        The trained network.
    history_ : dict
        Training history, per epoch.
    mc_seed_ : int
        Seed of the Monte Carlo masks used at prediction time.
    n_iter_ : int
        Number of epochs trained (all fits and ``partial_fit`` calls of a
        warm-started network).
    loss_curve_ : list of float
        Training loss at the end of each epoch (``history_["loss"]``).
    validation_scores_ : list of float or None
        Accuracy on the held-out rows after each epoch, with
        ``early_stopping``; None otherwise.
    best_validation_score_ : float or None
        Best of ``validation_scores_`` (its epoch's weights are the fitted
        ones), with ``early_stopping``; None otherwise.
    best_loss_ : float or None
        Lowest training loss, without ``early_stopping``; None with it.
    dropout_rates_ : ndarray of shape (n_dropout_layers,)
        Rate of each dropout layer of ``model_``, in layer order (learnt ones
        for ``ConcreteDropout`` layers).

    See Also
    --------
    sklearn.neural_keras.MLPClassifier : A deterministic multi-layer perceptron.

    References
    ----------
    Y. Gal and Z. Ghahramani, "Dropout as a Bayesian Approximation: Representing
    Model Uncertainty in Deep Learning", ICML 2016.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sk_mcdropout import MCDropoutClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = MCDropoutClassifier(hidden_layer_sizes=(16,), epochs=5,
    ...                           n_samples=20, random_state=0).fit(X, y)
    >>> clf.predict_proba(X[:2]).shape
    (2, 3)
    >>> clf.predict_uncertainty(X[:2]).shape
    (2, 3)
    >>> clf.predict_proba_samples(X[:2]).shape
    (20, 2, 3)
    """

    _parameter_constraints = {
        **_PARAMETER_CONSTRAINTS,
        "class_weight": [dict, StrOptions({"balanced"}), None],
    }

    def __init__(
        self,
        model=None,
        *,
        hidden_layer_sizes=(100,),
        activation="relu",
        p=0.2,
        n_samples=100,
        epochs=50,
        batch_size=None,
        optimizer="adam",
        learning_rate=0.001,
        loss="sparse_categorical_crossentropy",
        max_chunk_memory=256,
        random_state=None,
        verbose=0,
        warm_start=False,
        class_weight=None,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=10,
        tol=1e-4,
        memory=None,
        callbacks=None,
        metrics=None,
        validation_split=0.0,
        validation_batch_size=None,
        shuffle=True,
        run_eagerly=False,
        build_fn=None,
        **kwargs,
    ):
        super().__init__(
            model=model,
            epochs=epochs,
            batch_size=batch_size,
            optimizer=optimizer,
            loss=loss,
            random_state=random_state,
            verbose=verbose,
            warm_start=warm_start,
            callbacks=callbacks,
            metrics=metrics,
            validation_split=validation_split,
            validation_batch_size=validation_batch_size,
            shuffle=shuffle,
            run_eagerly=run_eagerly,
            build_fn=build_fn,
            class_weight=class_weight,
            **kwargs,
        )
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.p = p
        self.n_samples = n_samples
        self.learning_rate = learning_rate
        self.max_chunk_memory = max_chunk_memory
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.memory = memory

    @classmethod
    def from_keras(cls, model, classes, *, feature_names=None, **params):
        """A fitted classifier around a trained Keras network, without training.

        The network is used as it is, dropout rates included (``p=None``):
        nothing is built, compiled or trained, and the estimator holds the
        network itself (``model`` and ``model_``), not a copy. Its input
        width becomes ``n_features_in_`` and is checked on every prediction.
        Refused with a ``ValueError``: a network without ``Dropout`` or
        ``ConcreteDropout`` layers, a subclassed model, more than one input or
        output, an output width that is not the number of classes (or one
        sigmoid unit for two classes), or outputs that are not probabilities
        on random inputs (logits, for instance).

        Parameters
        ----------
        model : keras.Model
            A trained Sequential or functional network, for instance from
            ``keras.saving.load_model``, mapping (rows, n_features) to class
            probabilities.
        classes : array-like of shape (n_classes,)
            The labels of the output columns, sorted (column j is the
            probability of ``classes[j]``), as ``classes_`` always is.
        feature_names : array-like of str, default=None
            Names of the input columns, to check DataFrames against, as
            ``feature_names_in_``.
        **params
            Other parameters of the estimator, such as ``n_samples``,
            ``random_state`` (which seeds the prediction masks) or
            ``max_chunk_memory``. Calling ``fit`` trains the network further
            (scikeras' behaviour for a network instance).

        Returns
        -------
        estimator : MCDropoutClassifier
            A fitted classifier.

        Examples
        --------
        >>> import keras
        >>> from sk_mcdropout import MCDropoutClassifier
        >>> inputs = keras.Input((4,))
        >>> hidden = keras.layers.Dropout(0.2)(keras.layers.Dense(8)(inputs))
        >>> outputs = keras.layers.Dense(3, activation="softmax")(hidden)
        >>> network = keras.Model(inputs, outputs)
        >>> clf = MCDropoutClassifier.from_keras(network, classes=["a", "b", "c"],
        ...                                      n_samples=20, random_state=0)
        >>> clf.n_features_in_, clf.classes_.tolist()
        (4, ['a', 'b', 'c'])
        >>> clf.predict_proba([[0.0, 1.0, 2.0, 3.0]]).shape
        (1, 3)
        """
        return _from_keras.classifier(cls, model, classes, feature_names, params)

    def __sklearn_tags__(self):
        # scikeras only defines _more_tags, which scikit-learn >= 1.7 ignores,
        # and BaseEstimator.__sklearn_tags__ does not reach ClassifierMixin in
        # scikeras' MRO: without this, is_classifier() is False.
        tags = super().__sklearn_tags__()
        tags.estimator_type = "classifier"
        tags.classifier_tags = ClassifierTags(multi_class=True, multi_label=False)
        tags.target_tags.required = True
        tags.input_tags.sparse = False
        tags.input_tags.allow_nan = False
        tags.non_deterministic = False
        return tags

    @property
    def target_encoder(self):
        """Encodes the labels for the network (see scikeras)."""
        encoder = super().target_encoder
        if self.model is None and _loss_name(self.loss) in _ONE_HOT_LOSSES:
            return _OneHotLabelEncoder(categories=encoder.categories)
        return encoder

    def _default_build_fn(self):
        return functools.partial(
            _keras.build_mlp,
            hidden_layer_sizes=tuple(self.hidden_layer_sizes),
            activation=self.activation,
            p=self.p,
        )

    def _n_classes_out(self):
        return len(self.classes_)

    @staticmethod
    def _codes(y):
        # The network's targets: class codes, or one-hot rows for a
        # categorical loss.
        y = np.asarray(y)
        return y.argmax(axis=1) if y.ndim == 2 and y.shape[1] > 1 else y.ravel()

    def _stratify(self, y):
        return self._codes(y)

    def _validation_score(self, X, y, sample_weight):
        # MLPClassifier scores accuracy; the deterministic pass (dropout off)
        # stands in for predict, which would cost n_samples passes per epoch.
        proba = _keras.deterministic_proba(self.model_, X, len(self.classes_))
        return accuracy_score(
            self._codes(y), proba.argmax(axis=1), sample_weight=sample_weight
        )

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
            self._check_two_classes(y)
        elif hasattr(self, "target_encoder_"):
            previous = self.target_encoder_.classes_
            if not np.array_equal(present, previous):
                raise ValueError(
                    "warm_start can only be used where `y` has the same classes "
                    f"as in the previous call to fit. Previously got {previous}, "
                    f"`y` has {present}"
                )

    def _check_two_classes(self, y):
        classes = np.unique(y)
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

    def fit(self, X, y, sample_weight=None, **kwargs):
        """Build the network and train it on (X, y).

        Parameters
        ----------
        X : array-like of shape (n_rows, n_features)
            Training data.
        y : array-like of shape (n_rows,)
            Class labels.
        sample_weight : array-like of shape (n_rows,), default=None
            Non-negative row weights; rows of weight zero are dropped.
        **kwargs : dict
            Passed to ``keras.Model.fit`` (prefer ``fit__`` parameters).

        Returns
        -------
        self : MCDropoutClassifier
            The fitted estimator.
        """
        self._check_params()
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
        """Train for one epoch, keeping the current network.

        Parameters
        ----------
        X : array-like of shape (n_rows, n_features)
            Training data.
        y : array-like of shape (n_rows,)
            Class labels.
        classes : array-like of shape (n_classes,), default=None
            All classes; needed on the first call if ``y`` lacks some. Once
            the classes are known, a call may hold rows of one class only.
        sample_weight : array-like of shape (n_rows,), default=None
            Non-negative row weights.
        **kwargs : dict
            Passed to ``keras.Model.fit``.

        Returns
        -------
        self : MCDropoutClassifier
            The fitted estimator.
        """
        self._check_params()
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

    # ------------------------------------------------------------------
    # Prediction
    # ------------------------------------------------------------------

    def _moments(self, X):
        mean, std = self._run(X, "moments").astype(np.float64)
        # Averaging float32 passes leaves rows off 1 by ~1e-7.
        mean /= mean.sum(axis=1, keepdims=True)
        return mean, std

    def predict_proba(self, X):
        """Mean class probabilities over ``n_samples`` passes with dropout on.

        Parameters
        ----------
        X : array-like of shape (n_rows, n_features)
            Input data.

        Returns
        -------
        proba : ndarray of shape (n_rows, n_classes)
            Probabilities in the order of ``classes_``; rows sum to 1.
        """
        return self._moments(X)[0]

    def predict_uncertainty(self, X):
        """Standard deviation of the class probabilities across the passes.

        Parameters
        ----------
        X : array-like of shape (n_rows, n_features)
            Input data.

        Returns
        -------
        std : ndarray of shape (n_rows, n_classes)
            Per-class standard deviation (population, ``ddof=0``) over the
            ``n_samples`` passes.
        """
        return self._moments(X)[1]

    def predict_proba_samples(self, X):
        """The raw stochastic passes.

        Parameters
        ----------
        X : array-like of shape (n_rows, n_features)
            Input data.

        Returns
        -------
        samples : ndarray of shape (n_samples, n_rows, n_classes), float32
            Class probabilities of each pass; ``samples.mean(axis=0)`` is
            ``predict_proba(X)`` up to float32 rounding.
        """
        return self._run(X, "samples")

    def predict_proba_deterministic(self, X):
        """Ordinary prediction of the same network, dropout off.

        This is the usual single deterministic pass (weights scaled by the keep
        probability), the baseline that Monte Carlo averaging improves on.

        Parameters
        ----------
        X : array-like of shape (n_rows, n_features)
            Input data.

        Returns
        -------
        proba : ndarray of shape (n_rows, n_classes)
            Class probabilities of one pass with every layer in inference mode.
        """
        X = self._prepare(X)
        proba = _keras.deterministic_proba(self.model_, X, len(self.classes_))
        return self._check_output(proba)

    def predict(self, X):
        """Class with the highest mean probability.

        Parameters
        ----------
        X : array-like of shape (n_rows, n_features)
            Input data.

        Returns
        -------
        y_pred : ndarray of shape (n_rows,)
            Predicted labels, from ``classes_``.
        """
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]

    def score(self, X, y, sample_weight=None):
        """Accuracy of ``predict`` on (X, y).

        Parameters
        ----------
        X : array-like of shape (n_rows, n_features)
            Input data.
        y : array-like of shape (n_rows,)
            True labels.
        sample_weight : array-like of shape (n_rows,), default=None
            Row weights.

        Returns
        -------
        score : float
            Mean accuracy.
        """
        return accuracy_score(y, self.predict(X), sample_weight=sample_weight)
