"""RateDropout: Keras' Dropout with its rate in a variable of the layer."""

import numpy as np
import pytest

from sk_mcdropout._keras._backend import keras
from sk_mcdropout._keras._dropout import RateDropout


def test_drops_at_its_rate_and_scales_the_kept_units():
    layer = RateDropout(0.3, seed=0)
    x = np.ones((2000, 50), np.float32)
    out = np.asarray(layer(x, training=True))
    kept = np.unique(out[out != 0])
    assert len(kept) == 1
    np.testing.assert_allclose(kept, 1 / 0.7, rtol=1e-6)
    assert abs((out == 0).mean() - 0.3) < 0.01
    np.testing.assert_array_equal(np.asarray(layer(x, training=False)), x)
    layer.rate = 0.6
    assert layer.rate == 0.6
    dropped = (np.asarray(layer(x, training=True)) == 0).mean()
    assert abs(dropped - 0.6) < 0.01


def test_a_rate_of_zero_is_fixed_and_rates_are_checked():
    zero = RateDropout(0.0)
    x = np.ones((10, 4), np.float32)
    np.testing.assert_array_equal(np.asarray(zero(x, training=True)), x)
    with pytest.raises(ValueError, match="a rate of 0 can neither be set nor left"):
        zero.rate = 0.1
    with pytest.raises(ValueError, match="a rate of 0 can neither be set nor left"):
        RateDropout(0.2).rate = 0.0
    with pytest.raises(ValueError, match=r"must be in \[0, 1\), got rate=1.0"):
        RateDropout(1.0)


def test_a_network_with_it_saves_and_loads(tmp_path):
    inputs = keras.Input((3,))
    outputs = keras.layers.Dense(1)(RateDropout(0.25, name="drop")(inputs))
    model = keras.Model(inputs, outputs)
    model.get_layer("drop").rate = 0.4
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    layer = loaded.get_layer("drop")
    assert isinstance(layer, RateDropout) and layer.rate == 0.4
    x = np.ones((4, 3), np.float32)
    np.testing.assert_array_equal(np.asarray(loaded(x)), np.asarray(model(x)))


def test_the_rate_is_a_hyperparameter_not_a_weight():
    # As a Dropout's: weights saved, loaded or set never carry a rate that
    # the float the layer reports (and the sampler reads) would not show.
    inputs = keras.Input((3,))
    drop = RateDropout(0.25, seed=0, name="drop")
    outputs = keras.layers.Dense(1)(drop(inputs))
    model = keras.Model(inputs, outputs)
    plain = keras.layers.Dropout(0.25, seed=0)
    assert len(drop.weights) == len(plain.weights)
    assert model.count_params() == 3 + 1
    weights = model.get_weights()
    drop.rate = 0.5
    model.set_weights(weights)
    assert drop.rate == 0.5
    x = np.ones((4000, 3), np.float32)
    dropped = (np.asarray(drop(x, training=True)) == 0).mean()
    assert abs(dropped - 0.5) < 0.01
