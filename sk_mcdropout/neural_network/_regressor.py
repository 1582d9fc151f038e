"""MCDropoutRegressor: the scikit-learn and scikeras glue for regression.

Everything that touches the network goes through ``sk_mcdropout._keras``.
"""

import functools
import numbers

import numpy as np
from scikeras.utils.transformers import RegressorTargetEncoder
from scikeras.wrappers import KerasRegressor
from sklearn.metrics import r2_score
from sklearn.utils import RegressorTags
from sklearn.utils.validation import check_array, check_is_fitted

from .. import _keras
from .._compat import Interval, StrOptions
from . import _from_keras
from ._base import _PARAMETER_CONSTRAINTS, MCDropoutMixin, derive_seed
from ._noise import calibration_split, fit_noise_scale

_NOISE = ("homoscedastic", "heteroscedastic")
_KINDS = ("total", "epistemic", "aleatoric")
# Passes behind the noise estimate: fixed, so that n_samples stays a
# prediction-time parameter.
_NOISE_PASSES = 100


class _StandardTargetEncoder(RegressorTargetEncoder):
    """Standardises each target column for the network and maps predictions back.

    The network then trains at unit scale whatever the units of y; means map
    back as ``mean_ + scale_ * z`` and standard deviations as ``scale_ * s``.
    """

    def fit(self, y):
        super().fit(y)
        y = np.asarray(y, dtype=np.float64).reshape(len(y), -1)
        # Moments of y / max|y|, which lies in [-1, 1]: squares of targets
        # near 1e155 overflow, and any absolute floor is wrong at 1e-20.
        ref = np.abs(y).max(axis=0)
        ref = np.where(ref > 0, ref, 1.0)
        unit = y / ref
        mean = unit.mean(axis=0)
        std = unit.std(axis=0)
        self.mean_ = mean * ref
        # A constant column (up to rounding) keeps its own magnitude as scale.
        constant = std <= 10 * np.finfo(np.float64).eps * np.abs(mean)
        self.scale_ = np.where(constant, ref, std * ref)
        return self

    def transform(self, y):
        n_outputs = 1 if y.ndim == 1 else y.shape[1]
        if n_outputs != self.n_outputs_:
            raise ValueError(
                f"y has {n_outputs} output(s), but the estimator was fitted with "
                f"{self.n_outputs_}."
            )
        y = np.asarray(y, dtype=np.float64).reshape(len(y), -1)
        # Two divisions instead of (y - mean_) / scale_, whose difference can
        # overflow for targets near the float64 limit.
        return (y / self.scale_ - self.mean_ / self.scale_).astype(np.float32)

    def inverse_transform(self, y):
        y = np.asarray(y, dtype=np.float64) * self.scale_ + self.mean_
        return y.reshape(-1, *self._y_shape[1:])

    def inverse_transform_std(self, std):
        std = np.asarray(std, dtype=np.float64) * self.scale_
        return std.reshape(-1, *self._y_shape[1:])


class MCDropoutRegressor(MCDropoutMixin, KerasRegressor):
    """Monte Carlo dropout regressor: a predictive mean and standard deviation
    from a Keras dropout network.

    The network is trained with dropout as usual. At prediction time dropout is
    kept on and ``n_samples`` stochastic forward passes are made (Gal &
    Ghahramani, 2016). Their mean is the prediction. The predictive standard
    deviation combines two parts: the spread of the passes (model, or
    epistemic, uncertainty, which grows away from the training data) and the
    observation noise (aleatoric uncertainty), which the spread of the passes
    does not contain::

        predictive variance = variance of the pass means + noise variance

    Two models of the noise are offered (``noise``):

    - ``"homoscedastic"`` (default): one noise variance per output.
    - ``"heteroscedastic"``: the network has a second head that predicts a
      noise variance per row (softplus output) and is trained with the
      Gaussian negative log-likelihood (Kendall & Gal, 2017). The right choice
      when the noise level depends on the inputs and there is enough data to
      learn it; with little data it can overfit the variance.

    **Calibrated out of sample.** A network fits its training rows better
    than new ones, so a noise level read off its training residuals is
    usually too small, and the paper's closed form for the noise precision
    needs a weight decay and a prior length-scale that this network does not
    have (the paper tunes it on validation log-likelihood instead). By
    default (``calibration_fraction=0.1``) ``fit`` therefore holds out a
    random 10% of the training rows, fits the weights on the others, and
    then chooses the noise by maximum likelihood on the held-out rows, given
    the spread of the passes there: the homoscedastic noise variance ``c``,
    or a factor ``c`` on the variances predicted by the heteroscedastic head
    (std scaling, Levi et al., 2022), in::

        predictive variance = variance of the pass means + c * noise variance

    The held-out rows are drawn from ``random_state``, and 100 passes are
    used whatever ``n_samples``, which stays a prediction-time parameter.
    ``calibration_fraction=None`` fits the weights on every row and keeps the
    earlier estimate instead: the homoscedastic noise variance is the mean
    squared residual of the individual passes on the training rows (the
    residual of the Monte Carlo mean plus the variance of the passes), and
    the heteroscedastic head is used as trained. Prefer it when the data are
    too few to spare a tenth. In ``benchmarks/uci_protocol.py`` (four public
    data sets, 20 random splits each, 40 epochs) the held-out estimate put
    the 95% interval coverage at 0.934-0.943 on every set, where the
    training-row estimate covered 0.916 on one; it costs the weights a tenth
    of the rows, which showed as 0.03-0.05 nats of test log-likelihood on two
    sets, a gain of 0.015 on one and no difference on the fourth. The longer
    a network trains, the further its training residuals fall below its test
    residuals, and the more the held-out estimate gains.

    Training is as in ``MCDropoutClassifier``: one compiled loop per epoch,
    ``keras.Model.fit`` where a per-batch callback or another option needs it.

    Both settings are grid-searchable. Targets are standardised internally (per
    output, unweighted mean and std of the training targets), so the network
    trains at unit scale; predictions are mapped back to the units of y.
    Multi-output targets of shape (n_rows, n_outputs) are supported; the noise
    is modelled independently per output.

    Pass ``k`` uses one dropout mask per layer, drawn from a seed fixed at fit
    time and shared by all rows, so every prediction is a deterministic
    function of its row: the same on every call, for any row order, subset or
    chunk size, and after pickling. Only the ``Dropout`` layers are
    stochastic.

    Parameters
    ----------
    model : None, callable or keras.Model, default=None
        The network. None builds an MLP from ``hidden_layer_sizes``,
        ``activation`` and ``input_dropout``, with a ``Dropout`` layer after
        each hidden layer. A callable is a scikeras build function returning a
        Sequential or functional ``keras.Model`` that uses
        ``keras.layers.Dropout``; if it has a parameter named ``p``, it
        receives this estimator's ``p``. Its single output must have
        ``n_outputs`` linear columns (the means) for ``noise="homoscedastic"``,
        or ``2 * n_outputs`` columns, the means then positive noise variances in
        standardised target units, for ``noise="heteroscedastic"``.
    hidden_layer_sizes : tuple of int, default=(100,)
        Units of each hidden layer of the built-in MLP.
    activation : str, default="relu"
        Activation of the hidden layers of the built-in MLP.
    input_dropout : bool, default=False
        Whether the built-in MLP drops its inputs too (rate ``p``), as in the
        paper's UCI experiments. Leave False with very few features.
    p : float in [0, 1), "concrete" or None, default=0.1
        Dropout rate, set on every ``Dropout`` layer of the network when it is
        built. None keeps the rates of a user's network (not allowed with
        ``model=None``). Grid-searchable.
        ``"concrete"`` learns a rate per dropout layer instead (concrete
        dropout, Gal, Hron & Kendall 2017): the built-in MLP then uses
        :class:`ConcreteDropout` layers, and a user's network must have some
        (its Dropout layers keep their rates). Learnt rates are in
        ``dropout_rates_``.
    noise : {"homoscedastic", "heteroscedastic"}, default="homoscedastic"
        Model of the observation noise, see above. Grid-searchable.
    calibration_fraction : float in (0, 1) or None, default=0.1
        Fraction of the training rows held out from the weights to estimate
        the noise on (at least one row, rounded up); None estimates it on the
        training rows, see above. With ``sample_weight``, the held-out rows
        weigh the likelihood by their weights. Grid-searchable.
    n_samples : int, default=100
        Number of stochastic forward passes at prediction time (not a number of
        rows). ``set_params(n_samples=k)`` on a fitted estimator takes effect
        without refitting.
    epochs : int, default=50
        Number of training epochs.
    batch_size : int or None, default=None
        Training batch size; None is Keras' default of 32.
    optimizer : str, keras optimizer class or instance, default="adam"
        Optimizer, routed by scikeras (``optimizer__beta_1=...``).
    learning_rate : float or None, default=0.001
        Learning rate of an optimizer given as a string or class.
    loss : None, str or keras loss, default=None
        Training loss, on standardised targets. None is mean squared error for
        ``noise="homoscedastic"`` and the Gaussian negative log-likelihood for
        ``noise="heteroscedastic"``.
    max_chunk_memory : float, default=256
        Memory budget, in MiB, of one compiled call at prediction time. Changes
        speed only, never results.
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, shuffling, training dropout and the
        prediction masks. Global random state is left as it was found.
    verbose : int, default=0
        0 is silent. 1 shows Keras' training progress.
    warm_start : bool, default=False
        Continue training the current network on the next ``fit``.
    early_stopping : bool, default=False
        As in ``MLPClassifier``: hold out ``validation_fraction`` of the
        training rows (not stratified), score the network on them after every epoch
        (R^2 of the deterministic pass, dropout off), stop once the score
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
        Cache of fitted networks (and noise estimates), as in
        ``MCDropoutClassifier``: with an int ``random_state``, a fit equal to
        an earlier one loads it from disk instead of training again, so a grid
        over ``n_samples`` trains one network per fold. See
        ``MCDropoutClassifier`` for what the key covers.
    **kwargs
        Any other scikeras parameter (``callbacks``, ``validation_split``,
        ``metrics``, ``model__*``, ``fit__*``, ...).

    Attributes
    ----------
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Feature names, when X was a DataFrame with string column names.
    n_outputs_ : int
        Number of targets.
    noise_std_ : ndarray of shape (`n_outputs_`,) or None
        Estimated observation noise standard deviation, in target units
        (``noise="homoscedastic"``); None when the network predicts it.
    noise_scale_ : ndarray of shape (`n_outputs_`,) or None
        Factor on the noise std predicted by the heteroscedastic head, fitted
        on the held-out rows (1 with ``calibration_fraction=None``); None for
        ``noise="homoscedastic"``.
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
        R^2 on the held-out rows after each epoch, with
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
    MCDropoutClassifier : The classifier counterpart.
    sklearn.gaussian_process.GaussianProcessRegressor : Exact Bayesian
        regression with the same ``predict(X, return_std=True)`` interface.

    References
    ----------
    Y. Gal and Z. Ghahramani, "Dropout as a Bayesian Approximation: Representing
    Model Uncertainty in Deep Learning", ICML 2016.

    A. Kendall and Y. Gal, "What Uncertainties Do We Need in Bayesian Deep
    Learning for Computer Vision?", NeurIPS 2017.

    D. Levi, L. Gispan, N. Giladi and E. Fetaya, "Evaluating and Calibrating
    Uncertainty Prediction in Regression Tasks", Sensors 22(15), 2022.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sk_mcdropout import MCDropoutRegressor
    >>> X, y = load_diabetes(return_X_y=True)
    >>> reg = MCDropoutRegressor(hidden_layer_sizes=(16,), epochs=5,
    ...                          n_samples=20, random_state=0).fit(X, y)
    >>> mean, std = reg.predict(X[:3], return_std=True)
    >>> mean.shape, std.shape
    ((3,), (3,))
    >>> bool((std > 0).all())
    True
    >>> reg.predict_samples(X[:3]).shape
    (20, 3)
    """

    _parameter_constraints = {
        **_PARAMETER_CONSTRAINTS,
        "input_dropout": ["boolean"],
        "noise": [StrOptions(set(_NOISE))],
        "calibration_fraction": [
            Interval(numbers.Real, 0, 1, closed="neither"),
            None,
        ],
    }

    def __init__(
        self,
        model=None,
        *,
        hidden_layer_sizes=(100,),
        activation="relu",
        input_dropout=False,
        p=0.1,
        noise="homoscedastic",
        calibration_fraction=0.1,
        n_samples=100,
        epochs=50,
        batch_size=None,
        optimizer="adam",
        learning_rate=0.001,
        loss=None,
        max_chunk_memory=256,
        random_state=None,
        verbose=0,
        warm_start=False,
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
            **kwargs,
        )
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.input_dropout = input_dropout
        self.p = p
        self.noise = noise
        self.calibration_fraction = calibration_fraction
        self.n_samples = n_samples
        self.learning_rate = learning_rate
        self.max_chunk_memory = max_chunk_memory
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.memory = memory

    @classmethod
    def from_keras(
        cls,
        model,
        *,
        noise_std=None,
        heteroscedastic=False,
        target_mean=0.0,
        target_scale=1.0,
        feature_names=None,
        **params,
    ):
        """A fitted regressor around a trained Keras network, without training.

        The network is used as it is, dropout rates included (``p=None``), and
        the estimator holds the network itself. What its output means:

        - ``heteroscedastic=False``: ``n_outputs`` columns, the conditional
          means, as a network trained with mean squared error gives. Its
          dropout passes carry the model's (epistemic) uncertainty only; the
          observation noise is not in the network, so its standard deviation
          ``noise_std`` must be given, in the units of y (for instance the
          network's RMSE on held-out data), or 0 for epistemic uncertainty
          alone;
        - ``heteroscedastic=True``: ``2 * n_outputs`` columns, the means then
          positive noise variances, as a network trained with the Gaussian
          negative log-likelihood gives.

        Outputs are in the units of ``(y - target_mean) / target_scale``:
        leave the defaults if the network was trained on y itself, or give the
        standardisation it was trained with. Refused with a ``ValueError``: a
        network without ``Dropout`` or ``ConcreteDropout`` layers, a
        subclassed model, more than one input or output, an odd width for a
        heteroscedastic network, or non-finite outputs (negative variances) on
        random inputs.

        Parameters
        ----------
        model : keras.Model
            A trained Sequential or functional network mapping (rows,
            n_features) to (rows, width).
        noise_std : float, array-like of shape (n_outputs,) or None, \
default=None
            Observation noise standard deviation in the units of y; required
            unless ``heteroscedastic``.
        heteroscedastic : bool, default=False
            Whether the network predicts noise variances after the means.
        target_mean : float or array-like of shape (n_outputs,), default=0.0
            Mean the targets were centred with for training.
        target_scale : float or array-like of shape (n_outputs,), default=1.0
            Scale the targets were divided by for training.
        feature_names : array-like of str, default=None
            Names of the input columns, as ``feature_names_in_``.
        **params
            Other parameters of the estimator, such as ``n_samples`` or
            ``random_state`` (which seeds the prediction masks).

        Returns
        -------
        estimator : MCDropoutRegressor
            A fitted regressor; ``noise_std_`` is ``noise_std``.

        Examples
        --------
        >>> import keras
        >>> from sk_mcdropout import MCDropoutRegressor
        >>> inputs = keras.Input((3,))
        >>> hidden = keras.layers.Dropout(0.1)(keras.layers.Dense(8)(inputs))
        >>> network = keras.Model(inputs, keras.layers.Dense(1)(hidden))
        >>> reg = MCDropoutRegressor.from_keras(network, noise_std=0.5,
        ...                                     n_samples=20, random_state=0)
        >>> mean, std = reg.predict([[0.0, 1.0, 2.0]], return_std=True)
        >>> bool(std[0] >= 0.5)
        True
        """
        return _from_keras.regressor(
            cls,
            model,
            noise_std,
            heteroscedastic,
            target_mean,
            target_scale,
            feature_names,
            params,
        )

    def __sklearn_tags__(self):
        # scikeras only defines _more_tags, which scikit-learn >= 1.7 ignores.
        tags = super().__sklearn_tags__()
        tags.estimator_type = "regressor"
        tags.regressor_tags = RegressorTags()
        tags.target_tags.required = True
        tags.target_tags.single_output = True
        tags.target_tags.multi_output = True
        tags.input_tags.sparse = False
        tags.input_tags.allow_nan = False
        tags.non_deterministic = False
        return tags

    @property
    def target_encoder(self):
        """Standardises the targets for the network (see scikeras)."""
        return _StandardTargetEncoder()

    # ------------------------------------------------------------------
    # scikeras hooks
    # ------------------------------------------------------------------

    def _heteroscedastic(self):
        return self.noise == "heteroscedastic"

    def _default_build_fn(self):
        return functools.partial(
            _keras.build_regression_mlp,
            hidden_layer_sizes=tuple(self.hidden_layer_sizes),
            activation=self.activation,
            p=self.p,
            input_dropout=bool(self.input_dropout),
            heteroscedastic=self._heteroscedastic(),
        )

    def _n_classes_out(self):
        return None

    def _validation_score(self, X, y, sample_weight):
        # MLPRegressor scores R^2, which the target standardisation leaves
        # unchanged; the deterministic pass (dropout off) stands in for predict.
        out = _keras.deterministic_outputs(self.model_, X)[:, : self.n_outputs_]
        return r2_score(
            np.asarray(y).reshape(len(out), -1), out, sample_weight=sample_weight
        )

    def _get_compile_kwargs(self):
        kwargs = super()._get_compile_kwargs()
        if kwargs.get("loss") is None:
            kwargs["loss"] = (
                _keras.gaussian_nll_loss if self._heteroscedastic() else "mse"
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

    def _expected_width(self):
        return self.n_outputs_ * (2 if self._heteroscedastic() else 1)

    def _check_model_compatibility(self, y):
        width = _keras.output_width(self.model_)
        expected = self._expected_width()
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

    def _fit_keras_model(self, X, y, sample_weight, **kwargs):
        if self.calibration_fraction is None:
            super()._fit_keras_model(X, y, sample_weight, **kwargs)
            self._noise_from_training_rows(X, y, sample_weight)
            return
        # The weights never see the calibration rows. The split depends only on
        # the seed and the number of rows, so a warm start on the same data
        # keeps holding out the same rows.
        fit_rows, cal_rows = calibration_split(
            len(y), self.calibration_fraction, derive_seed(self._train_seed, 2)
        )
        weights = None if sample_weight is None else sample_weight[fit_rows]
        super()._fit_keras_model(X[fit_rows], y[fit_rows], weights, **kwargs)
        self._noise_from_calibration_rows(
            X[cal_rows],
            y[cal_rows],
            None if sample_weight is None else sample_weight[cal_rows],
        )

    def _noise_from_training_rows(self, X, y, sample_weight):
        """The uncalibrated estimate (``calibration_fraction=None``)."""
        self._noise_scale = np.ones(self.n_outputs_)
        if self._heteroscedastic():
            self._noise_var = None
            self._set_noise_attributes()
            return
        self._noise_var = np.ones(self.n_outputs_)
        mean, model_var, _ = self._moments(X, _NOISE_PASSES)
        y = np.asarray(y, dtype=np.float64).reshape(mean.shape)
        # Mean over passes of (y - pass mean)**2 == (y - mean)**2 + pass variance.
        per_row = (y - mean) ** 2 + model_var
        noise_var = np.average(per_row, axis=0, weights=sample_weight)
        self._noise_var = np.maximum(noise_var, _keras.MIN_VARIANCE)
        self._set_noise_attributes()

    def _noise_from_calibration_rows(self, X, y, sample_weight):
        """Maximum-likelihood noise on held-out rows, given the pass variance.

        Homoscedastic: the noise variance ``c``; heteroscedastic: a factor
        ``c`` on the predicted variances. Either way the predictive variance
        is ``pass variance + c * base`` and ``c`` maximises the Gaussian
        likelihood of the held-out targets.
        """
        hetero = self._heteroscedastic()
        self._noise_var = None if hetero else np.ones(self.n_outputs_)
        self._noise_scale = np.ones(self.n_outputs_)
        mean, model_var, base_var = self._moments(X, _NOISE_PASSES)
        y = np.asarray(y, dtype=np.float64).reshape(mean.shape)
        scale = fit_noise_scale(
            (y - mean) ** 2, model_var, base_var, sample_weight=sample_weight
        )
        if hetero:
            self._noise_scale = scale
        else:
            self._noise_var = np.maximum(scale, _keras.MIN_VARIANCE)
        self._set_noise_attributes()

    def _set_noise_attributes(self):
        scale = self.target_encoder_.scale_
        if self._noise_var is None:
            self.noise_std_ = None
            self.noise_scale_ = np.sqrt(self._noise_scale)
        else:
            self.noise_std_ = np.sqrt(self._noise_var) * scale
            self.noise_scale_ = None

    def initialize(self, X, y):
        """Build the network without training it (see scikeras).

        Before any training the homoscedastic noise is the target variance.

        Parameters
        ----------
        X : array-like of shape (n_rows, n_features)
            Data that fixes the input width.
        y : array-like of shape (n_rows,) or (n_rows, n_outputs)
            Targets that fix the output.

        Returns
        -------
        self : MCDropoutRegressor
            The initialised estimator.
        """
        super().initialize(X, y)
        self._noise_scale = np.ones(self.n_outputs_)
        self._noise_var = None if self._heteroscedastic() else np.ones(self.n_outputs_)
        self._set_noise_attributes()
        return self

    def fit(self, X, y, sample_weight=None, **kwargs):
        """Build the network, train it on (X, y) and estimate the noise.

        With ``calibration_fraction`` set, the weights are trained on all but
        the held-out rows and the noise is estimated on those (see the class
        docstring); ``partial_fit`` and warm starts hold out the same rows of
        data of the same length.

        Parameters
        ----------
        X : array-like of shape (n_rows, n_features)
            Training data.
        y : array-like of shape (n_rows,) or (n_rows, n_outputs)
            Targets.
        sample_weight : array-like of shape (n_rows,), default=None
            Non-negative row weights; rows of weight zero are dropped.
        **kwargs : dict
            Passed to ``keras.Model.fit`` (prefer ``fit__`` parameters).

        Returns
        -------
        self : MCDropoutRegressor
            The fitted estimator.
        """
        return super().fit(X, y, sample_weight=sample_weight, **kwargs)

    # ------------------------------------------------------------------
    # Prediction
    # ------------------------------------------------------------------

    def _check_noise_setting(self):
        check_is_fitted(self)
        if (self._noise_var is None) != self._heteroscedastic():
            raise ValueError(
                f"noise={self.noise!r} was set after fitting; the network was "
                "trained with the other setting. Refit the estimator."
            )

    def _split_noise(self, out):
        """Split network outputs (..., width) into means and noise variances.

        A heteroscedastic network's variances follow its means; otherwise the
        noise is the homoscedastic estimate on every row.
        """
        k = self.n_outputs_
        if self._noise_var is None:
            noise_var = (out[..., k:] + _keras.MIN_VARIANCE) * self._noise_scale
            return out[..., :k], noise_var
        return out, np.broadcast_to(self._noise_var, out.shape)

    def _moments(self, X, n_passes, verbose=0):
        """Mean, pass variance and noise variance of validated X, standardised."""
        mean, std = self._sample(X, n_passes, "moments", verbose=verbose)
        mean, std = mean.astype(np.float64), std.astype(np.float64)
        mean, noise_var = self._split_noise(mean)
        return mean, std[:, : self.n_outputs_] ** 2, noise_var

    def _variances(self, X):
        """Mean, pass variance and noise variance, standardised, (n_rows, k)."""
        self._check_noise_setting()
        return self._moments(self._prepare(X), int(self.n_samples), self.verbose)

    def predict(self, X, return_std=False):
        """Mean of the ``n_samples`` passes, and optionally the predictive std.

        Parameters
        ----------
        X : array-like of shape (n_rows, n_features)
            Input data.
        return_std : bool, default=False
            Also return the predictive standard deviation (model spread and
            observation noise), as ``predict_uncertainty(X)``.

        Returns
        -------
        y_mean : ndarray of shape (n_rows,) or (n_rows, n_outputs)
            Predictive mean, in the units of y.
        y_std : ndarray of shape (n_rows,) or (n_rows, n_outputs)
            Predictive standard deviation. Only returned if ``return_std``.
        """
        mean, model_var, noise_var = self._variances(X)
        encoder = self.target_encoder_
        y_mean = encoder.inverse_transform(mean)
        if not return_std:
            return y_mean
        return y_mean, encoder.inverse_transform_std(np.sqrt(model_var + noise_var))

    def predict_uncertainty(self, X, kind="total"):
        """Predictive standard deviation.

        Parameters
        ----------
        X : array-like of shape (n_rows, n_features)
            Input data.
        kind : {"total", "epistemic", "aleatoric"}, default="total"
            ``"total"``: the predictive std, ``sqrt(epistemic**2 +
            aleatoric**2)``. ``"epistemic"``: the std of the pass means
            (population, ``ddof=0``), the model's uncertainty, largest far from
            the training data. ``"aleatoric"``: the observation noise std
            (``noise_std_`` on every row, or the network's prediction).

        Returns
        -------
        std : ndarray of shape (n_rows,) or (n_rows, n_outputs)
            Standard deviation in the units of y.
        """
        if kind not in _KINDS:
            raise ValueError(f"kind must be one of {_KINDS}, got {kind!r}.")
        _, model_var, noise_var = self._variances(X)
        var = {
            "total": model_var + noise_var,
            "epistemic": model_var,
            "aleatoric": noise_var,
        }[kind]
        return self.target_encoder_.inverse_transform_std(np.sqrt(var))

    def predict_samples(self, X, return_noise_std=False):
        """The raw stochastic passes.

        Parameters
        ----------
        X : array-like of shape (n_rows, n_features)
            Input data.
        return_noise_std : bool, default=False
            Also return each pass's observation noise std, for instance to
            compute the Monte Carlo predictive log-likelihood
            ``log mean_k N(y | means[k], noise_std[k]**2)``.

        Returns
        -------
        means : ndarray of shape (n_samples, n_rows) or \
(n_samples, n_rows, n_outputs)
            The mean predicted by each pass, in the units of y;
            ``means.mean(axis=0)`` is ``predict(X)`` up to float32 rounding.
        noise_std : ndarray of the same shape
            Observation noise std of each pass. Only returned if
            ``return_noise_std``.
        """
        self._check_noise_setting()
        raw = self._run(X, "samples").astype(np.float64)
        n_passes, n_rows = raw.shape[:2]
        k = self.n_outputs_
        raw, noise_var = self._split_noise(raw)
        encoder = self.target_encoder_
        shape = (n_passes, n_rows, *encoder._y_shape[1:])
        means = encoder.inverse_transform(raw.reshape(-1, k)).reshape(shape)
        if not return_noise_std:
            return means
        std = encoder.inverse_transform_std(np.sqrt(noise_var).reshape(-1, k))
        return means, std.reshape(shape)

    def predict_deterministic(self, X):
        """Ordinary prediction of the same network, dropout off.

        The usual single deterministic pass (weights scaled by the keep
        probability), the baseline that Monte Carlo averaging improves on.

        Parameters
        ----------
        X : array-like of shape (n_rows, n_features)
            Input data.

        Returns
        -------
        y_pred : ndarray of shape (n_rows,) or (n_rows, n_outputs)
            Prediction of one pass with every layer in inference mode.
        """
        X = self._prepare(X)
        out = self._check_output(_keras.deterministic_outputs(self.model_, X))
        return self.target_encoder_.inverse_transform(out[:, : self.n_outputs_])

    def score(self, X, y, sample_weight=None):
        """Coefficient of determination R^2 of ``predict`` on (X, y).

        Parameters
        ----------
        X : array-like of shape (n_rows, n_features)
            Input data.
        y : array-like of shape (n_rows,) or (n_rows, n_outputs)
            True targets.
        sample_weight : array-like of shape (n_rows,), default=None
            Row weights.

        Returns
        -------
        score : float
            R^2, averaged uniformly over outputs.
        """
        return r2_score(y, self.predict(X), sample_weight=sample_weight)
