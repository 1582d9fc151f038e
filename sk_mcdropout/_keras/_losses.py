"""The regression losses of a heteroscedastic head."""

from ._backend import keras, tf

# Smallest noise variance a heteroscedastic head can predict, in the
# standardised target units the network is trained in.
MIN_VARIANCE = 1e-6


# Registered under its first name, which networks saved earlier refer to.
@keras.saving.register_keras_serializable(package="sk_mcdropout", name="gaussian_nll")
def gaussian_nll_loss(y_true, y_pred):
    """Gaussian negative log-likelihood, up to the constant ``log(2 pi) / 2``.

    ``y_pred`` holds the means in its first half of columns and the noise
    variances (positive) in the second half; ``y_true`` has one column per
    mean. Averaged over outputs, per row.
    """
    nll, _ = _nll_and_variance(y_true, y_pred)
    return tf.reduce_mean(nll, axis=-1)


def _nll_and_variance(y_true, y_pred):
    """Each output's Gaussian NLL (without the constant) and noise variance."""
    y_pred = tf.convert_to_tensor(y_pred)
    y_true = tf.cast(y_true, y_pred.dtype)
    mean, variance = tf.split(y_pred, 2, axis=-1)
    y_true = tf.reshape(y_true, tf.shape(mean))
    variance = variance + MIN_VARIANCE
    nll = 0.5 * (tf.math.log(variance) + tf.square(y_true - mean) / variance)
    return nll, variance


@keras.saving.register_keras_serializable(package="sk_mcdropout", name="BetaNLL")
class BetaNLL(keras.losses.Loss):
    """The beta-NLL of Seitzer et al. (2022): each row's Gaussian NLL weighted
    by its predicted variance to the power ``beta``, the weight held constant.

    The gradient with respect to the mean is the NLL's times ``variance **
    beta``: beta 0 is the NLL (whose mean gradient vanishes on rows it calls
    noisy, so the mean underfits them), beta 1 gives the mean the gradient of
    mean squared error. The variance's own optimum is unchanged.
    """

    def __init__(self, beta=0.5, name="beta_nll", **kwargs):
        super().__init__(name=name, **kwargs)
        self.beta = float(beta)

    def call(self, y_true, y_pred):
        nll, variance = _nll_and_variance(y_true, y_pred)
        weight = tf.stop_gradient(variance) ** self.beta
        return tf.reduce_mean(weight * nll, axis=-1)

    def get_config(self):
        return {**super().get_config(), "beta": self.beta}


def heteroscedastic_loss(beta):
    """The training loss of a heteroscedastic head for ``nll_beta=beta``."""
    return gaussian_nll_loss if beta == 0 else BetaNLL(beta)
