"""MCDropoutRegressor: Monte Carlo dropout predictive means and standard deviations.

Its scikeras side is ``_scikeras.ScikerasRegressor``; everything that
touches the network goes through ``sk_mcdropout._keras``.
"""

import functools
import numbers
import warnings

import numpy as np
from sklearn.metrics import r2_score
from sklearn.utils import RegressorTags
from sklearn.utils.validation import check_is_fitted

from .. import _keras
from .._compat import Interval, StrOptions
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
from ._base import MCDropoutMixin, derive_seed
from ._noise import MIN_NOISE_SHARE, calibration_split, fit_noise_scale, noise_share
from ._scikeras import ScikerasRegressor

_NOISE = ("homoscedastic", "heteroscedastic")
_KINDS = ("total", "epistemic", "aleatoric")
# Passes behind the noise estimate: fixed, so that n_samples stays a
# prediction-time parameter.
_NOISE_PASSES = 100


@Substitution(
    **MC_DROPOUT_PARAMETERS,
    **MC_DROPOUT_ATTRIBUTES,
    p=dropout_rate(0.1),
    early_stopping=early_stopping("not stratified", "R^2"),
    validation_scores_=validation_scores("R^2"),
)
class MCDropoutRegressor(MCDropoutMixin, ScikerasRegressor):
    """Monte Carlo dropout regressor: a predictive mean and standard deviation.

    The network is trained with dropout as usual. At prediction time dropout is
    kept on and ``n_samples`` stochastic forward passes are made (Gal &
    Ghahramani, 2016). Their mean is the prediction. The predictive standard
    deviation combines two parts: the spread of the passes (model, or
    epistemic, uncertainty, which grows away from the training data) and the
    observation noise (aleatoric uncertainty), which the spread of the passes
    does not contain::

        predictive variance = variance of the pass means + noise variance

    Two models of the noise are offered (``noise``):

    - ``"heteroscedastic"`` (default): the network has a second head that
      predicts a noise variance per row (softplus output) and is trained with
      the Gaussian negative log-likelihood (Kendall & Gal, 2017), each row's
      weighted by its predicted variance to the power ``nll_beta`` (the
      beta-NLL of Seitzer et al., 2022). The plain likelihood (``nll_beta=0``)
      lets the mean give up on rows it calls noisy: their gradient is divided
      by that variance. The weight gives them back part of it (all of it, as
      in mean squared error, at ``nll_beta=1``) and leaves the best variance
      of each row where it was.
    - ``"homoscedastic"``: one noise variance per output, the network trained
      with mean squared error.

    The defaults follow the evidence of ``benchmarks/noise_schemes.py`` and
    ``benchmarks/uci_protocol.py`` (20 random splits per data set, every
    scheme on the same splits): with the calibration below, the
    heteroscedastic head had the better test log-likelihood on Boston housing
    (-2.50 against -2.62 nats, Gal & Ghahramani's protocol) and on the four
    sets of the UCI protocol (by 0.02-0.22 nats), with a 95% interval
    coverage of 0.94-0.96 on every set. ``nll_beta=0.5`` gave its mean the
    plain network's accuracy back: root mean squared error 3.11 on Boston
    against 3.27 with the plain likelihood (3.22 homoscedastic), and lower
    or equal on the four UCI sets, at the same log-likelihood. Choose
    ``"homoscedastic"`` when a few dozen rows are too few to learn a
    variance from.

    **Calibrated out of sample.** A network fits its training rows better
    than new ones, so a noise level read off its training residuals is
    usually too small, and the paper's closed form for the noise precision
    needs a weight decay and a prior length-scale that this network does not
    have (the paper tunes it on validation log-likelihood instead). By
    default (``calibration_fraction=0.1``) ``fit`` therefore holds out a
    random 10% of the training rows, fits the weights on the others, and
    then chooses the noise by maximum likelihood on the held-out rows, given
    the spread of the passes there: a factor ``c`` on the variances predicted
    by the heteroscedastic head (std scaling, Levi et al., 2022), or the
    homoscedastic noise variance ``c``, in::

        predictive variance = variance of the pass means + c * noise variance

    Then (``calibration_refit=True``, the default) the weights start again
    from their initial values and are fitted on every row, keeping ``c``: the
    mean loses no rows to the calibration, and the network is bit for bit
    the one ``calibration_fraction=None`` trains. This costs a second fit
    (a fit takes about twice as long: 1.9-2.2 times on Boston housing);
    ``calibration_refit=False`` keeps the network fitted on the other 90%
    instead. On Boston the refit improved the heteroscedastic network's
    root mean squared error from 3.42 to 3.26 and its log-likelihood from
    -2.59 to -2.49 nats.

    The held-out rows are drawn from ``random_state``, and 100 passes are
    used whatever ``n_samples``, which stays a prediction-time parameter. A
    warm start of a refitted network trains on every row and keeps ``c``
    (no row is left out of sample to recalibrate on); ``partial_fit`` fits
    the weights on the rows it is given but the held-out ones, and
    recalibrates on those, at every call (as for a stream of new rows).
    ``calibration_fraction=None`` fits the weights on every row and keeps the
    earlier estimate instead: the homoscedastic noise variance is the mean
    squared residual of the individual passes on the training rows (the
    residual of the Monte Carlo mean plus the variance of the passes), and
    the heteroscedastic head is used as trained. Its intervals are too
    narrow once the network fits its training rows closely (95% coverage
    0.917 on Boston after 400 epochs).

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
    {hidden_layer_sizes}
    {activation}
    input_dropout : bool, default=False
        Whether the built-in MLP drops its inputs too (rate ``p``), as in the
        paper's UCI experiments. Leave False with very few features.
    {p}
    noise : {{"heteroscedastic", "homoscedastic"}}, default="heteroscedastic"
        Model of the observation noise, see above. Grid-searchable.
    nll_beta : float in [0, 1], default=0.5
        Exponent of the predicted variance that weighs each row's negative
        log-likelihood in the heteroscedastic loss (see above); 0 is the
        Gaussian negative log-likelihood. Ignored with
        ``noise="homoscedastic"`` and when ``loss`` is given.
    calibration_fraction : float in (0, 1) or None, default=0.1
        Fraction of the training rows held out from the weights to estimate
        the noise on (at least one row, rounded up); None estimates it on the
        training rows, see above. With ``sample_weight``, the held-out rows
        weigh the likelihood by their weights. Grid-searchable. If the
        calibrated noise comes out below 0.1% of the predictive variance
        (the passes' spread alone explains the held-out residuals, common
        with a few dozen held-out rows), a UserWarning says so and the noise
        is fitted to those residuals without the passes' variance, so that
        the aleatoric part does not silently vanish.
    calibration_refit : bool, default=True
        Whether ``fit``, once the noise is calibrated on the held-out rows,
        fits the weights again on every row from their initial values,
        keeping the calibrated noise (see above); about twice a fit's time.
        False keeps the network fitted without the held-out rows. Ignored
        with ``calibration_fraction=None`` and by ``partial_fit``.
    {n_samples}
    {epochs}
    {batch_size}
    {optimizer}
    {learning_rate}
    loss : None, str or keras loss, default=None
        Training loss, on standardised targets. None is mean squared error for
        ``noise="homoscedastic"`` and the beta-NLL of ``nll_beta`` for
        ``noise="heteroscedastic"``.
    {max_chunk_memory}
    {random_state}
    {verbose}
    {warm_start}
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
    n_outputs_ : int
        Number of targets (columns of y; 1 for a 1-d y).
    noise_std_ : ndarray of shape (`n_outputs_`,) or None
        Estimated observation noise standard deviation, in target units
        (``noise="homoscedastic"``); None when the network predicts it (the
        default).
    noise_scale_ : ndarray of shape (`n_outputs_`,) or None
        Factor on the noise std predicted by the heteroscedastic head, fitted
        on the held-out rows (1 with ``calibration_fraction=None``); None for
        ``noise="homoscedastic"``.
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
    >>> import numpy as np
    >>> from sklearn.datasets import load_diabetes
    >>> from sk_mcdropout import MCDropoutRegressor
    >>> X, y = load_diabetes(return_X_y=True)
    >>> reg = MCDropoutRegressor(hidden_layer_sizes=(16,), epochs=5,
    ...                          n_samples=20, random_state=0).fit(X, y)
    >>> mean, std = reg.predict(X[:3], return_std=True)
    >>> mean.shape, std.shape
    ((3,), (3,))
    >>> epistemic = reg.predict_uncertainty(X[:3], kind="epistemic")
    >>> aleatoric = reg.predict_uncertainty(X[:3], kind="aleatoric")
    >>> bool(np.allclose(std**2, epistemic**2 + aleatoric**2))
    True
    >>> reg.noise_std_ is None  # the network predicts the noise of each row
    True
    >>> reg.predict_samples(X[:3]).shape
    (20, 3)
    """

    _parameter_constraints = {
        **MCDropoutMixin._parameter_constraints,
        "input_dropout": ["boolean"],
        "noise": [StrOptions(set(_NOISE))],
        "nll_beta": [Interval(numbers.Real, 0, 1, closed="both")],
        "calibration_fraction": [
            Interval(numbers.Real, 0, 1, closed="neither"),
            None,
        ],
        "calibration_refit": ["boolean"],
    }

    def __init__(
        self,
        model=None,
        *,
        hidden_layer_sizes=(100,),
        activation="relu",
        input_dropout=False,
        p=0.1,
        noise="heteroscedastic",
        nll_beta=0.5,
        calibration_fraction=0.1,
        calibration_refit=True,
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
            **kwargs,
        )
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.input_dropout = input_dropout
        self.p = p
        self.noise = noise
        self.nll_beta = nll_beta
        self.calibration_fraction = calibration_fraction
        self.calibration_refit = calibration_refit
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
        _from_keras.refuse_params(params, ("model", "p", "noise"))
        found = _from_keras.check_regressor_network(
            model, noise_std, heteroscedastic, target_mean, target_scale
        )
        names = _from_keras.check_feature_names(feature_names, found.n_features)
        noise = "heteroscedastic" if heteroscedastic else "homoscedastic"
        estimator = cls(model=model, p=None, noise=noise, **params)
        estimator._assemble_fitted(
            model, found.n_features, found.y, names, _from_keras.history(model)
        )
        estimator.target_encoder_.mean_ = found.target_mean
        estimator.target_encoder_.scale_ = found.target_scale
        # The network's own noise is used as trained: no calibration factor.
        estimator._set_noise(found.noise_var, np.ones(found.n_outputs))
        if not heteroscedastic:
            # Exactly as given (its variance has a floor).
            estimator.noise_std_ = found.noise_std
        return estimator

    def __sklearn_tags__(self):
        # scikeras only defines _more_tags, which scikit-learn >= 1.7 ignores.
        tags = super().__sklearn_tags__()
        tags.estimator_type = "regressor"
        tags.regressor_tags = RegressorTags()
        tags.target_tags.required = True
        tags.target_tags.single_output = True
        tags.target_tags.multi_output = True
        tags.input_tags.sparse = True
        tags.input_tags.allow_nan = False
        tags.non_deterministic = False
        return tags

    # ------------------------------------------------------------------
    # Network
    # ------------------------------------------------------------------

    def _heteroscedastic(self):
        return self.noise == "heteroscedastic"

    def _default_build_fn(self):
        return functools.partial(
            _keras.build_regression_mlp,
            hidden_layer_sizes=self._layer_sizes(),
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

    def _train_network(self, X, y, seed, callbacks, fit_args):
        sample_weight = fit_args["sample_weight"]
        if self.calibration_fraction is None:
            result = super()._train_network(X, y, seed, callbacks, fit_args)
            self._noise_from_training_rows(X, y, sample_weight)
            return result
        # partial_fit trains on the rows it is given: held-out rows of each
        # call calibrate, as in a stream of new rows.
        refit = self.calibration_refit and not getattr(self, "_partial", False)
        if refit and not self._fresh_start:
            # A warm start of a refitted network: it has seen every row, so
            # none is left out of sample to recalibrate on; the noise stays.
            return super()._train_network(X, y, seed, callbacks, fit_args)
        start = _keras.initial_state(self.model_) if refit else None
        # The weights never see the calibration rows. The split depends only on
        # the seed and the number of rows, so a warm start on the same data
        # keeps holding out the same rows.
        fit_rows, cal_rows = calibration_split(
            len(y), self.calibration_fraction, derive_seed(self._train_seed, 2)
        )
        weights = None if sample_weight is None else sample_weight[fit_rows]
        result = super()._train_network(
            X[fit_rows],
            y[fit_rows],
            seed,
            callbacks,
            {**fit_args, "sample_weight": weights},
        )
        self._noise_from_calibration_rows(
            X[cal_rows],
            y[cal_rows],
            None if sample_weight is None else sample_weight[cal_rows],
        )
        if not refit:
            return result
        # The noise factor stays; the weights start again from where they
        # started and learn from every row: the network calibration_fraction
        # =None trains, with the noise calibrated out of sample.
        _keras.restore_initial_state(self.model_, start)
        return super()._train_network(X, y, seed, callbacks, fit_args)

    def _fresh_noise(self):
        """The noise variance (None when the network predicts it) and the
        factor on the predicted variances, before any estimate."""
        ones = np.ones(self.n_outputs_)
        return (None if self._heteroscedastic() else ones), ones

    def _noise_from_training_rows(self, X, y, sample_weight):
        """The uncalibrated estimate (``calibration_fraction=None``)."""
        noise_var, noise_scale = self._fresh_noise()
        if noise_var is not None:
            mean, model_var, _ = self._variance_terms(
                X, _NOISE_PASSES, noise_var, noise_scale
            )
            y = np.asarray(y, dtype=np.float64).reshape(mean.shape)
            # Mean over passes of (y - pass mean)**2 == (y - mean)**2 + pass
            # variance.
            per_row = (y - mean) ** 2 + model_var
            noise_var = np.average(per_row, axis=0, weights=sample_weight)
            noise_var = np.maximum(noise_var, _keras.MIN_VARIANCE)
        self._set_noise(noise_var, noise_scale)

    def _noise_from_calibration_rows(self, X, y, sample_weight):
        """Maximum-likelihood noise on held-out rows, given the pass variance.

        Homoscedastic: the noise variance ``c``; heteroscedastic: a factor
        ``c`` on the predicted variances. Either way the predictive variance
        is ``pass variance + c * base`` and ``c`` maximises the Gaussian
        likelihood of the held-out targets.
        """
        noise_var, noise_scale = self._fresh_noise()
        mean, model_var, base_var = self._variance_terms(
            X, _NOISE_PASSES, noise_var, noise_scale
        )
        y = np.asarray(y, dtype=np.float64).reshape(mean.shape)
        sq_residual = (y - mean) ** 2
        scale = fit_noise_scale(
            sq_residual, model_var, base_var, sample_weight=sample_weight
        )
        share = noise_share(model_var, base_var, scale, sample_weight)
        collapsed = share < MIN_NOISE_SHARE
        if collapsed.any():
            # The spread of the passes alone explains these residuals, and
            # the likelihood is flat towards no noise: on a few held-out rows
            # that says little about the noise. Fit it as if the passes did
            # not vary instead, which can only widen the predictive std.
            alone = fit_noise_scale(
                sq_residual, np.zeros_like(model_var), base_var, sample_weight
            )
            scale = np.where(collapsed, alone, scale)
            outputs = np.flatnonzero(collapsed).tolist()
            warnings.warn(
                f"The noise calibrated on the {len(y)} held-out rows is "
                f"{share[collapsed].max():.2g} of the predictive variance "
                f"(output {outputs if len(outputs) > 1 else outputs[0]}): the "
                "spread of the Monte Carlo passes alone explains their "
                "residuals, which would leave no aleatoric uncertainty. The "
                "noise is fitted to the residuals without the passes' "
                "variance instead. Hold out more rows (calibration_fraction) "
                "or pass calibration_fraction=None.",
                UserWarning,
                stacklevel=2,
            )
        if noise_var is None:
            self._set_noise(None, scale)
        else:
            self._set_noise(np.maximum(scale, _keras.MIN_VARIANCE), noise_scale)

    def _set_noise(self, noise_var, noise_scale):
        """Set the fitted noise model.

        ``noise_var``: the homoscedastic noise variance per output, in
        standardised units, or None when the network predicts it;
        ``noise_scale``: the factor on the predicted variances.
        """
        self._noise_var = noise_var
        self._noise_scale = noise_scale
        scale = self.target_encoder_.scale_
        if noise_var is None:
            self.noise_std_ = None
            self.noise_scale_ = np.sqrt(noise_scale)
        else:
            self.noise_std_ = np.sqrt(noise_var) * scale
            self.noise_scale_ = None

    def initialize(self, X, y):
        """Build the network without training it (see scikeras).

        Before any training the homoscedastic noise is the target variance.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_rows, n_features)
            Data that fixes the input width.
        y : array-like of shape (n_rows,) or (n_rows, n_outputs)
            Targets that fix the output.

        Returns
        -------
        self : MCDropoutRegressor
            The initialised estimator.
        """
        super().initialize(X, y)
        self._set_noise(*self._fresh_noise())
        return self

    @Substitution(**MC_DROPOUT_FIT)
    def fit(self, X, y, sample_weight=None, **kwargs):
        """Build the network, train it on (X, y) and estimate the noise.

        With ``calibration_fraction`` set, the weights are trained on all but
        the held-out rows and the noise is estimated on those (see the class
        docstring); ``partial_fit`` and warm starts hold out the same rows of
        data of the same length.

        Parameters
        ----------
        {fit_X}
        y : array-like of shape (n_rows,) or (n_rows, n_outputs)
            Targets.
        {sample_weight}
        {fit_kwargs}

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

    def _split_noise(self, out, noise_var, noise_scale):
        """Split network outputs (..., width) into means and noise variances.

        A heteroscedastic network's variances (``noise_var`` None) follow its
        means, times ``noise_scale``; otherwise the noise is ``noise_var`` on
        every row.
        """
        k = self.n_outputs_
        if noise_var is None:
            return out[..., :k], (out[..., k:] + _keras.MIN_VARIANCE) * noise_scale
        return out, np.broadcast_to(noise_var, out.shape)

    def _variance_terms(self, X, n_passes, noise_var, noise_scale, verbose=0):
        """Mean, pass variance and noise variance of validated X, standardised."""
        mean, std = self._sample(X, n_passes, "moments", verbose=verbose)
        mean, std = mean.astype(np.float64), std.astype(np.float64)
        mean, noise_var = self._split_noise(mean, noise_var, noise_scale)
        return mean, std[:, : self.n_outputs_] ** 2, noise_var

    def _predict_variance_terms(self, X):
        """Validate X; its mean, pass variance and noise variance, standardised."""
        self._check_noise_setting()
        return self._variance_terms(
            self._prepare(X),
            int(self.n_samples),
            self._noise_var,
            self._noise_scale,
            self.verbose,
        )

    def predict(self, X, return_std=False):
        """Mean of the ``n_samples`` passes, and optionally the predictive std.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_rows, n_features)
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
        mean, model_var, noise_var = self._predict_variance_terms(X)
        encoder = self.target_encoder_
        y_mean = encoder.inverse_transform(mean)
        if not return_std:
            return y_mean
        return y_mean, encoder.inverse_transform_std(np.sqrt(model_var + noise_var))

    def predict_uncertainty(self, X, kind="total"):
        """Predictive standard deviation.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_rows, n_features)
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
        _, model_var, noise_var = self._predict_variance_terms(X)
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
        X : {array-like, sparse matrix} of shape (n_rows, n_features)
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
        raw, noise_var = self._split_noise(raw, self._noise_var, self._noise_scale)
        encoder = self.target_encoder_
        shape = (n_passes, n_rows, *encoder.output_shape_)
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
        X : {array-like, sparse matrix} of shape (n_rows, n_features)
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
        X : {array-like, sparse matrix} of shape (n_rows, n_features)
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
