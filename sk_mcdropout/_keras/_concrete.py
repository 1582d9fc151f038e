"""Concrete dropout (Gal, Hron & Kendall, 2017) for Keras 3."""

import math
import numbers

from ._backend import keras

# Prior length-scale: weights a priori N(0, 1 / 9) on standardised inputs. The
# reference code's 1e-4 is no weight prior at all, and leaves the dropout
# (entropy) term alone to set the rates, which it pulls towards 0.5.
DEFAULT_LENGTH_SCALE = 3.0
# The regulariser weighs as for at least this many training rows: on fewer,
# the prior term of the objective would outweigh the data (see
# concrete_regularizers).
DEFAULT_MIN_ROWS = 1000
# The learnt logit is this times the trained variable (see ConcreteDropout).
DEFAULT_LOGIT_SCALE = 10.0


def concrete_regularizers(
    n_rows,
    length_scale=DEFAULT_LENGTH_SCALE,
    tau=1.0,
    nll=True,
    min_rows=DEFAULT_MIN_ROWS,
):
    """Compute the weights of the concrete dropout regulariser for a training set.

    The reference code's conventions, with N the number of rows: for a
    Euclidean loss (mean squared error, i.e. twice the Gaussian negative
    log-likelihood divided by the precision ``tau``),
    ``weight_regularizer = length_scale**2 / (tau * N)`` and
    ``dropout_regularizer = 2 / (tau * N)``. For a loss that is a negative
    log-likelihood (cross-entropy, Gaussian NLL with a learnt variance) the
    factor of two goes: ``length_scale**2 / (2 * N)`` and ``1 / N``, ``tau``
    playing no part.

    N is ``max(n_rows, min_rows)``: on fewer than ``min_rows`` rows the
    regulariser (the prior's part of the variational objective) is tempered
    by ``n_rows / min_rows``. Untempered, on a hundred or so rows it outweighs
    the data: its dropout term, per row, changes by up to ``0.69 K / N``
    between rates 0 and 0.5 for a layer of K inputs (0.4 for 64 units on 112
    rows, four times a good fit's log loss), so the rates are pulled to
    0.3-0.4, or with this prior the weights shrunk, where held-out loss
    prefers rates near 0.05. ``min_rows=1`` and ``length_scale=1e-4`` are the
    reference code's settings.

    Parameters
    ----------
    n_rows : int
        Number of training rows.
    length_scale : float, default=3.0
        Prior length-scale l of the weights (prior variance ``1 / l**2``).
    tau : float, default=1.0
        Model precision (inverse observation noise variance) of a Euclidean
        loss; ignored when ``nll`` is True.
    nll : bool, default=True
        Whether the training loss is a negative log-likelihood.
    min_rows : int, default=1000
        The regulariser weighs as for at least this many rows.

    Returns
    -------
    weight_regularizer, dropout_regularizer : float
        The two weights, for :class:`ConcreteDropout`.

    Examples
    --------
    >>> from sk_mcdropout import concrete_regularizers
    >>> weight, dropout = concrete_regularizers(2000, length_scale=0.1, nll=False)
    >>> round(weight, 9), dropout
    (5e-06, 0.001)
    >>> concrete_regularizers(200) == concrete_regularizers(1000)
    True
    """
    for name, value in (("n_rows", n_rows), ("min_rows", min_rows)):
        if not (isinstance(value, numbers.Real) and value >= 1):
            raise ValueError(f"{name} must be a positive number, got {value!r}.")
    rows = max(n_rows, min_rows)
    if nll:
        return length_scale**2 / (2.0 * rows), 1.0 / rows
    return length_scale**2 / (tau * rows), 2.0 / (tau * rows)


@keras.saving.register_keras_serializable(package="sk_mcdropout")
class ConcreteDropout(keras.layers.Wrapper):
    """Dropout on the inputs of a Dense layer, with a learnt rate.

    Concrete dropout (Gal, Hron & Kendall, 2017) replaces dropout's Bernoulli
    mask by its continuous relaxation during training, so that the rate ``p``
    is learnt by gradient descent with the weights. A regulariser derived from
    the variational objective is added to the training loss::

        weight_regularizer * sum(kernel**2) / (1 - p)
        + dropout_regularizer * n_inputs * (p log p + (1 - p) log(1 - p))

    It keeps the weights small and the rate away from 0 (the entropy term is
    smallest at p = 0.5); see :func:`concrete_regularizers` for their values,
    which depend on the number of training rows. At inference
    (``training=False``) the layer is its Dense layer. For Monte Carlo
    prediction, :class:`MCDropoutClassifier` and :class:`MCDropoutRegressor`
    draw ordinary Bernoulli masks with the learnt rate, exactly as for a
    ``keras.layers.Dropout`` of that rate before the Dense layer.

    Parameters
    ----------
    layer : keras.layers.Dense
        The layer whose inputs are dropped.
    weight_regularizer : float or None, default=None
        ``length_scale**2 / (tau * N)`` for N training rows (at least
        ``min_rows``, see :func:`concrete_regularizers`). None lets the
        estimators set it from the training data at fit; with plain Keras,
        give a number.
    dropout_regularizer : float or None, default=None
        ``2 / (tau * N)`` (see :func:`concrete_regularizers`). None as above.
    init_rate : float in (0, 1), default=0.1
        Initial dropout rate.
    temperature : float, default=0.1
        Temperature of the relaxed mask, as in the reference code.
    logit_scale : float, default=10.0
        The rate is ``sigmoid(logit_scale * v)`` for the trained variable
        ``v``. Adam moves every variable by about its learning rate per step
        whatever the gradient's size, so with the reference code's
        parametrisation (1.0) a rate moves by about 0.001 in logit per step:
        in 50 epochs of a few hundred rows it barely leaves its initial value
        (measured: 0.10 to 0.17 on breast cancer, where the grid search picks
        0.5). 10 lets it reach the objective's optimum in an ordinary
        training run (0.41 to 0.48 there, and a lower test log loss).
    **kwargs
        Passed to ``keras.layers.Wrapper``.

    Attributes
    ----------
    rate : float
        The current (learnt) dropout rate.

    References
    ----------
    Y. Gal, J. Hron and A. Kendall, "Concrete Dropout", NeurIPS 2017.

    Examples
    --------
    >>> import keras
    >>> from sk_mcdropout import ConcreteDropout
    >>> inputs = keras.Input((4,))
    >>> hidden = keras.layers.Dense(8, activation="relu")(inputs)
    >>> layer = ConcreteDropout(keras.layers.Dense(3, activation="softmax"),
    ...                         weight_regularizer=1e-6, dropout_regularizer=1e-3)
    >>> model = keras.Model(inputs, layer(hidden))
    >>> round(layer.rate, 3)
    0.1
    """

    def __init__(
        self,
        layer,
        weight_regularizer=None,
        dropout_regularizer=None,
        init_rate=0.1,
        temperature=0.1,
        logit_scale=DEFAULT_LOGIT_SCALE,
        **kwargs,
    ):
        super().__init__(layer, **kwargs)
        if not isinstance(layer, keras.layers.Dense):
            raise TypeError(
                "ConcreteDropout wraps a keras.layers.Dense layer, got "
                f"{type(layer).__name__}."
            )
        if not 0.0 < init_rate < 1.0:
            raise ValueError(f"init_rate must be in (0, 1), got {init_rate!r}.")
        self.weight_regularizer = weight_regularizer
        self.dropout_regularizer = dropout_regularizer
        self.init_rate = float(init_rate)
        self.temperature = float(temperature)
        self.logit_scale = float(logit_scale)
        # Read by the Monte Carlo sampler, as for keras.layers.Dropout.
        self.noise_shape = None
        self.seed_generator = keras.random.SeedGenerator()

    def build(self, input_shape):
        """Build the wrapped Dense layer and the trained rate variable.

        Parameters
        ----------
        input_shape : tuple of int or None
            Shape of the layer's inputs, (rows, n_inputs).
        """
        if not self.layer.built:
            self.layer.build(input_shape)
        logit = math.log(self.init_rate) - math.log1p(-self.init_rate)
        self.p_logit = self.add_weight(
            name="p_logit",
            shape=(),
            initializer=keras.initializers.Constant(logit / self.logit_scale),
            trainable=True,
        )
        self.built = True

    @property
    def rate(self):
        """The current dropout rate, ``sigmoid(p_logit)``."""
        logit = float(self.p_logit.numpy()) * self.logit_scale
        return 1.0 / (1.0 + math.exp(-logit))

    def _relaxed_drop(self, x, p):
        eps = 1e-7
        u = keras.random.uniform(keras.ops.shape(x), seed=self.seed_generator)
        drop = keras.ops.sigmoid(
            (
                keras.ops.log(p + eps)
                - keras.ops.log(1.0 - p + eps)
                + keras.ops.log(u + eps)
                - keras.ops.log(1.0 - u + eps)
            )
            / self.temperature
        )
        return x * (1.0 - drop) / (1.0 - p)

    def call(self, inputs, training=None):
        """Apply the Dense layer to the inputs, dropped in training.

        Parameters
        ----------
        inputs : tensor of shape (rows, n_inputs)
            The inputs of the wrapped Dense layer.
        training : bool or None, default=None
            Training mode: the relaxed mask with the learnt rate, and the
            regulariser added to the layer's losses. Otherwise (inference)
            the Dense layer alone.

        Returns
        -------
        outputs : tensor of shape (rows, units)
            The Dense layer's outputs.
        """
        if not training:
            return self.layer(inputs)
        if self.weight_regularizer is None or self.dropout_regularizer is None:
            raise ValueError(
                "ConcreteDropout needs weight_regularizer and dropout_regularizer "
                "to train; MCDropoutClassifier and MCDropoutRegressor set them "
                "from the training data, with plain Keras use "
                "sk_mcdropout.concrete_regularizers(n_rows)."
            )
        p = keras.ops.sigmoid(self.p_logit * self.logit_scale)
        kernel = self.weight_regularizer * keras.ops.sum(
            keras.ops.square(self.layer.kernel)
        )
        entropy = p * keras.ops.log(p) + (1.0 - p) * keras.ops.log(1.0 - p)
        n_inputs = inputs.shape[-1]
        self.add_loss(
            kernel / (1.0 - p) + self.dropout_regularizer * n_inputs * entropy
        )
        return self.layer(self._relaxed_drop(inputs, p))

    def compute_output_shape(self, input_shape):
        """Shape of the outputs: that of the wrapped Dense layer's.

        Parameters
        ----------
        input_shape : tuple of int or None
            Shape of the inputs.

        Returns
        -------
        output_shape : tuple of int or None
            Shape of the outputs.
        """
        return self.layer.compute_output_shape(input_shape)

    def get_config(self):
        """The layer's configuration, for Keras' saving (``from_config``).

        Returns
        -------
        config : dict
            The wrapped layer's configuration and this layer's parameters.
        """
        config = super().get_config()
        config.update(
            weight_regularizer=self.weight_regularizer,
            dropout_regularizer=self.dropout_regularizer,
            init_rate=self.init_rate,
            temperature=self.temperature,
            logit_scale=self.logit_scale,
        )
        return config
