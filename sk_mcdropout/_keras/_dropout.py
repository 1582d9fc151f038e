"""The built-in networks' dropout layer: Keras' Dropout with its rate in a variable."""

from ._backend import keras, tf


@keras.saving.register_keras_serializable(package="sk_mcdropout", name="RateDropout")
class RateDropout(keras.layers.Dropout):
    """``keras.layers.Dropout`` whose rate is a variable of the layer.

    A compiled training step reads a plain Dropout's rate as a constant, so a
    network kept for many fits (the built-in networks are: see ``_pool``)
    would need a step traced per rate, and a grid search over ``p`` would
    trace one per candidate. This layer's step reads the rate from a
    float64 TensorFlow variable; setting ``rate`` assigns it. A rate of
    exactly 0 stays 0: such a layer has no seed generator (as a Dropout of
    rate 0), which makes it another architecture.

    The rate is a hyperparameter, as Dropout's: the Python float is what
    ``rate`` returns (reading a variable from Python costs tens of
    microseconds, on the one-row prediction path), it is in the config, and
    the variable is not one of the layer's Keras weights, so saving, loading,
    ``set_weights`` and the pool's resets never change it behind the float.

    Training drops each unit with probability ``rate`` and scales the kept
    ones by ``1 / (1 - rate)``, as Keras' Dropout does; in inference the layer
    is the identity. ``noise_shape`` is not supported.
    """

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        if noise_shape is not None:
            raise ValueError("RateDropout does not support noise_shape.")
        rate = float(rate)
        if not 0.0 <= rate < 1.0:
            raise ValueError(f"The dropout rate must be in [0, 1), got rate={rate}.")
        # Dropout's own __init__ would mark the layer built before the rate
        # variable exists (and, in recent Keras, lock its state): what it
        # sets is set here.
        keras.layers.Layer.__init__(self, **kwargs)
        self.seed = seed
        self.noise_shape = None
        self.supports_masking = True
        self._zero = rate == 0.0
        if not self._zero:
            self.seed_generator = keras.random.SeedGenerator(seed)
        self._rate_value = rate
        self._rate = tf.Variable(rate, dtype=tf.float64, trainable=False, name="rate")
        self.built = True

    @property
    def rate(self):
        """The dropout rate, a Python float."""
        return self._rate_value

    @rate.setter
    def rate(self, value):
        value = float(value)
        if not 0.0 <= value < 1.0 or (value == 0.0) != self._zero:
            raise ValueError(
                f"Cannot set the rate of {self.name} from {self.rate} to {value}: "
                "a rate must be in [0, 1), and a rate of 0 can neither be set "
                "nor left (the layer has no seed generator at 0)."
            )
        self._rate.assign(value)
        self._rate_value = value

    def call(self, inputs, training=False):
        if not training or self._zero:
            return inputs
        rate = tf.cast(self._rate, inputs.dtype)
        # 1 - rate in float64, then rounded once: the scale of a constant rate.
        keep = tf.cast(1.0 - self._rate, inputs.dtype)
        uniform = keras.random.uniform(
            keras.ops.shape(inputs), dtype=inputs.dtype, seed=self.seed_generator
        )
        kept = keras.ops.cast(keras.ops.greater_equal(uniform, rate), inputs.dtype)
        return inputs * kept / keep

    def get_config(self):
        config = super().get_config()
        config.pop("noise_shape", None)
        return config
