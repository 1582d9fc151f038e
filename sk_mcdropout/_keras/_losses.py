"""The regression loss."""

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
    y_pred = tf.convert_to_tensor(y_pred)
    y_true = tf.cast(y_true, y_pred.dtype)
    mean, variance = tf.split(y_pred, 2, axis=-1)
    y_true = tf.reshape(y_true, tf.shape(mean))
    variance = variance + MIN_VARIANCE
    nll = 0.5 * (tf.math.log(variance) + tf.square(y_true - mean) / variance)
    return tf.reduce_mean(nll, axis=-1)
