"""MCDropoutClassifier: Monte Carlo dropout class probabilities.

Its scikeras side is ``_scikeras.ScikerasClassifier``; everything that
touches the network goes through ``sk_mcdropout._keras``.
"""

import functools

import numpy as np
from sklearn.metrics import accuracy_score
from sklearn.utils import ClassifierTags

from .. import _keras
from .._compat import StrOptions
from .._docstrings import (
    MC_DROPOUT_ATTRIBUTES,
    MC_DROPOUT_FIT,
    MC_DROPOUT_PARAMETERS,
    Substitution,
    dropout_rate,
    early_stopping,
    validation_scores,
)
from . import _from_keras
from ._base import MCDropoutMixin
from ._scikeras import ScikerasClassifier


@Substitution(
    **MC_DROPOUT_PARAMETERS,
    **MC_DROPOUT_ATTRIBUTES,
    p=dropout_rate(0.2),
    early_stopping=early_stopping("stratified by class", "accuracy"),
    validation_scores_=validation_scores("Accuracy"),
)
class MCDropoutClassifier(MCDropoutMixin, ScikerasClassifier):
    """Monte Carlo dropout classifier: a Keras network that knows when it is unsure.

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
    {hidden_layer_sizes}
    {activation}
    {p}
    {n_samples}
    {epochs}
    {batch_size}
    {optimizer}
    {learning_rate}
    loss : str or keras loss, default="sparse_categorical_crossentropy"
        Training loss. With the built-in network, losses that compare the
        target with the whole softmax output (``"categorical_crossentropy"``,
        ``"binary_crossentropy"``, their focal variants,
        ``"categorical_hinge"``, ``"kl_divergence"``) receive one-hot targets,
        binary ones included.
    {max_chunk_memory}
    {random_state}
    {verbose}
    {warm_start}
    class_weight : dict, "balanced" or None, default=None
        Class weights, multiplied into ``sample_weight`` (which is not
        modified).
    {early_stopping}
    {validation_fraction}
    {n_iter_no_change}
    {tol}
    {memory}
    {callbacks}
    {metrics}
    {validation_split}
    {validation_batch_size}
    {shuffle}
    {run_eagerly}
    {build_fn}
    {kwargs}

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    n_classes_ : int
        Number of classes.
    n_outputs_ : int
        Number of targets: 1.
    {n_features_in_}
    {feature_names_in_}
    {model_}
    {history_}
    {mc_seed_}
    {n_iter_}
    {loss_curve_}
    {validation_scores_}
    {best_validation_score_}
    {best_loss_}
    {dropout_rates_}
    {initialized_}
    {target_encoder_}
    {feature_encoder_}
    {n_outputs_expected_}
    {target_type_}
    {y_dtype_}
    {y_ndim_}
    {X_dtype_}
    {X_shape_}

    See Also
    --------
    sklearn.neural_network.MLPClassifier : A deterministic multi-layer
        perceptron.
    MCDropoutRegressor : The regressor counterpart.

    References
    ----------
    Y. Gal and Z. Ghahramani, "Dropout as a Bayesian Approximation: Representing
    Model Uncertainty in Deep Learning", ICML 2016.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_iris
    >>> from sk_mcdropout import MCDropoutClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = MCDropoutClassifier(hidden_layer_sizes=16, epochs=5,
    ...                           n_samples=20, random_state=0).fit(X, y)
    >>> proba = clf.predict_proba(X[:2])
    >>> proba.shape, proba.sum(axis=1).round(6).tolist()
    ((2, 3), [1.0, 1.0])
    >>> passes = clf.predict_proba_samples(X[:2])
    >>> passes.shape
    (20, 2, 3)
    >>> bool(np.allclose(passes.mean(axis=0), proba, atol=1e-6))
    True
    >>> bool(np.allclose(passes.std(axis=0), clf.predict_uncertainty(X[:2])))
    True
    """

    _parameter_constraints = {
        **MCDropoutMixin._parameter_constraints,
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
        n_iter_no_change=None,
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
        >>> import numpy as np
        >>> from sk_mcdropout import MCDropoutClassifier
        >>> inputs = keras.Input((4,))
        >>> hidden = keras.layers.Dropout(0.2)(keras.layers.Dense(8)(inputs))
        >>> outputs = keras.layers.Dense(3, activation="softmax")(hidden)
        >>> network = keras.Model(inputs, outputs)
        >>> clf = MCDropoutClassifier.from_keras(network, classes=["a", "b", "c"],
        ...                                      n_samples=20, random_state=0)
        >>> clf.n_features_in_, clf.classes_.tolist()
        (4, ['a', 'b', 'c'])
        >>> X = [[0.0, 1.0, 2.0, 3.0]]
        >>> clf.predict_proba(X).shape
        (1, 3)
        >>> deterministic = clf.predict_proba_deterministic(X)
        >>> bool(np.allclose(deterministic, network.predict(np.array(X), verbose=0)))
        True
        """
        _from_keras.refuse_params(params, ("model", "p"))
        n_features, classes = _from_keras.check_classifier_network(model, classes)
        names = _from_keras.check_feature_names(feature_names, n_features)
        estimator = cls(model=model, p=None, **params)
        return estimator._assemble_fitted(
            model, n_features, classes, names, _from_keras.history(model)
        )

    def __sklearn_tags__(self):
        # scikeras only defines _more_tags, which scikit-learn >= 1.7 ignores,
        # and BaseEstimator.__sklearn_tags__ does not reach ClassifierMixin in
        # scikeras' MRO: without this, is_classifier() is False.
        tags = super().__sklearn_tags__()
        tags.estimator_type = "classifier"
        tags.classifier_tags = ClassifierTags(multi_class=True, multi_label=False)
        tags.target_tags.required = True
        tags.input_tags.sparse = True
        tags.input_tags.allow_nan = False
        tags.non_deterministic = False
        return tags

    def _default_build_fn(self):
        return functools.partial(
            _keras.build_mlp,
            hidden_layer_sizes=self._layer_sizes(),
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

    @Substitution(**MC_DROPOUT_FIT)
    def fit(self, X, y, sample_weight=None, **kwargs):
        """Build the network and train it on (X, y).

        Parameters
        ----------
        {fit_X}
        y : array-like of shape (n_rows,)
            Class labels.
        {sample_weight}
        {fit_kwargs}

        Returns
        -------
        self : MCDropoutClassifier
            The fitted estimator.
        """
        # Before scikeras turns class_weight into row weights.
        self._check_params()
        return super().fit(X, y, sample_weight=sample_weight, **kwargs)

    @Substitution(**MC_DROPOUT_FIT)
    def partial_fit(self, X, y, classes=None, sample_weight=None, **kwargs):
        """Train for one epoch, keeping the current network.

        Like ``MLPClassifier.partial_fit``: one epoch on all the rows given,
        without early stopping.

        Parameters
        ----------
        {fit_X}
        y : array-like of shape (n_rows,)
            Class labels.
        classes : array-like of shape (n_classes,), default=None
            All classes; needed on the first call if ``y`` lacks some. Once
            the classes are known, a call may hold rows of one class only.
        {sample_weight}
        {fit_kwargs}

        Returns
        -------
        self : MCDropoutClassifier
            The fitted estimator.
        """
        self._check_params()
        return super().partial_fit(
            X, y, classes=classes, sample_weight=sample_weight, **kwargs
        )

    # ------------------------------------------------------------------
    # Prediction
    # ------------------------------------------------------------------

    def _predict_mean_std(self, X):
        """Validate X; mean and std of the class probabilities over the passes."""
        mean, std = self._run(X, "moments").astype(np.float64)
        # Averaging float32 passes leaves rows off 1 by ~1e-7.
        mean /= mean.sum(axis=1, keepdims=True)
        return mean, std

    def predict_proba(self, X):
        """Mean class probabilities over ``n_samples`` passes with dropout on.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_rows, n_features)
            Input data.

        Returns
        -------
        proba : ndarray of shape (n_rows, n_classes)
            Probabilities in the order of ``classes_``; rows sum to 1.
        """
        return self._predict_mean_std(X)[0]

    def predict_uncertainty(self, X):
        """Standard deviation of the class probabilities across the passes.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_rows, n_features)
            Input data.

        Returns
        -------
        std : ndarray of shape (n_rows, n_classes)
            Per-class standard deviation (population, ``ddof=0``) over the
            ``n_samples`` passes.
        """
        return self._predict_mean_std(X)[1]

    def predict_proba_samples(self, X):
        """The raw stochastic passes.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_rows, n_features)
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
        X : {array-like, sparse matrix} of shape (n_rows, n_features)
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
        """Predict the class with the highest mean probability.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_rows, n_features)
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
        X : {array-like, sparse matrix} of shape (n_rows, n_features)
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
