"""The heteroscedastic losses: what nll_beta changes, and what it leaves."""

import numpy as np
import pytest

from sk_mcdropout._keras import BetaNLL, gaussian_nll_loss, heteroscedastic_loss
from sk_mcdropout._keras._backend import keras, tf


def _rows():
    rng = np.random.default_rng(0)
    y = rng.standard_normal((64, 2)).astype(np.float32)
    mean = rng.standard_normal((64, 2)).astype(np.float32)
    var = rng.uniform(0.05, 3.0, (64, 2)).astype(np.float32)
    return y, mean, var


def _gradients(loss, y, mean, var):
    mean, var = tf.Variable(mean), tf.Variable(var)
    with tf.GradientTape() as tape:
        value = tf.reduce_sum(loss(y, tf.concat([mean, var], axis=-1)))
    return [g.numpy() for g in tape.gradient(value, [mean, var])]


def test_beta_zero_is_the_gaussian_nll():
    assert heteroscedastic_loss(0.0) is gaussian_nll_loss
    y, mean, var = _rows()
    y_pred = np.concatenate([mean, var], axis=-1)
    np.testing.assert_allclose(
        BetaNLL(0.0).call(y, y_pred), gaussian_nll_loss(y, y_pred), rtol=1e-6
    )


@pytest.mark.parametrize("beta", [0.5, 1.0])
def test_the_mean_gradient_is_the_nll_one_times_the_variance_to_beta(beta):
    y, mean, var = _rows()
    nll_mean, nll_var = _gradients(gaussian_nll_loss, y, mean, var)
    beta_mean, beta_var = _gradients(BetaNLL(beta).call, y, mean, var)
    weight = (var + 1e-6) ** beta
    np.testing.assert_allclose(beta_mean, nll_mean * weight, rtol=1e-5, atol=1e-7)
    # The weight is held constant: each row's variance keeps its optimum.
    np.testing.assert_allclose(beta_var, nll_var * weight, rtol=1e-5, atol=1e-7)
    if beta == 1.0:
        # ... and at beta 1 the mean learns as under mean squared error.
        n_outputs = y.shape[1]
        np.testing.assert_allclose(
            beta_mean, (mean - y) / n_outputs, rtol=1e-5, atol=1e-6
        )


def test_the_loss_survives_serialisation():
    restored = keras.losses.deserialize(keras.losses.serialize(BetaNLL(0.25)))
    assert isinstance(restored, BetaNLL)
    assert restored.beta == 0.25
