"""Concrete dropout: the layer, the built-in networks with p="concrete", and the
Monte Carlo sampler's treatment of learnt rates."""

import math

import keras
import numpy as np
import pytest

from sk_mcdropout import (
    ConcreteDropout,
    MCDropoutClassifier,
    MCDropoutRegressor,
    concrete_regularizers,
)


@pytest.fixture(scope="module")
def concrete_clf(cancer, make_classifier):
    X_train, _, y_train, _ = cancer
    return make_classifier(p="concrete", hidden_layer_sizes=(16, 16), epochs=5).fit(
        X_train, y_train
    )


def test_built_in_network_learns_its_rates(concrete_clf, cancer):
    X_train, X_test, _, y_test = cancer
    layers = [
        layer
        for layer in concrete_clf.model_.layers
        if isinstance(layer, ConcreteDropout)
    ]
    # After each hidden layer, as Dropout would be.
    assert len(layers) == 2 and not any(
        isinstance(layer, keras.layers.Dropout) for layer in concrete_clf.model_.layers
    )
    rates = concrete_clf.dropout_rates_
    assert rates.shape == (2,) and np.all((rates > 0) & (rates < 1))
    assert not np.allclose(rates, 0.1)  # moved from the initial rate
    # The regularisers of a cross-entropy loss with prior length-scale 3, for
    # max(N, 1000) rows: these N training rows are fewer, so tempered.
    assert len(X_train) < 1000
    for layer in layers:
        assert layer.weight_regularizer == pytest.approx(3.0**2 / (2 * 1000))
        assert layer.dropout_regularizer == pytest.approx(1 / 1000)
    assert concrete_clf.score(X_test, y_test) > 0.9


def test_concrete_predictions_are_per_row_deterministic(
    concrete_clf, cancer, make_classifier
):
    X_train, X_test, y_train, _ = cancer
    proba = concrete_clf.predict_proba(X_test)
    np.testing.assert_array_equal(concrete_clf.predict_proba(X_test[::-1])[::-1], proba)
    np.testing.assert_array_equal(concrete_clf.predict_proba(X_test[:7]), proba[:7])
    # The relaxed masks of training are seeded too: same random_state, same fit.
    first, again = (
        make_classifier(p="concrete", hidden_layer_sizes=(8,), epochs=1).fit(
            X_train, y_train
        )
        for _ in range(2)
    )
    np.testing.assert_array_equal(
        again.predict_proba(X_test), first.predict_proba(X_test)
    )


def _pair(rate):
    """The same weights behind Dropout(rate) -> Dense and ConcreteDropout(Dense)."""
    inputs = keras.Input((5,))
    hidden = keras.layers.Dense(8, activation="relu")
    head = keras.layers.Dense(3, activation="softmax")
    plain = keras.Model(inputs, head(keras.layers.Dropout(rate)(hidden(inputs))))
    logit = math.log(rate) - math.log1p(-rate)
    inputs = keras.Input((5,))
    hidden2 = keras.layers.Dense(8, activation="relu")
    head2 = keras.layers.Dense(3, activation="softmax")
    concrete = ConcreteDropout(head2)
    model = keras.Model(inputs, concrete(hidden2(inputs)))
    hidden2.set_weights(hidden.get_weights())
    head2.set_weights(head.get_weights())
    concrete.p_logit.assign(logit / concrete.logit_scale)
    return plain, model


def test_sampler_treats_concrete_dropout_as_dropout_of_its_rate():
    plain, concrete = _pair(0.3)
    X = np.random.default_rng(0).standard_normal((40, 5))
    a, b = (
        MCDropoutClassifier.from_keras(
            m, classes=[0, 1, 2], n_samples=50, random_state=3
        )
        for m in (plain, concrete)
    )
    np.testing.assert_allclose(b.dropout_rates_, [0.3])
    np.testing.assert_allclose(
        b.predict_proba_samples(X), a.predict_proba_samples(X), rtol=1e-5, atol=1e-7
    )
    # Inference mode is the wrapped Dense layer, as Dropout's is the identity.
    np.testing.assert_allclose(
        b.predict_proba_deterministic(X), a.predict_proba_deterministic(X), rtol=1e-6
    )


def test_users_network_with_concrete_dropout(cancer, tmp_path):
    X_train, X_test, y_train, _ = cancer

    def build(meta):
        inputs = keras.Input((meta["n_features_in_"],))
        x = keras.layers.Dense(8, activation="relu")(inputs)
        x = keras.layers.Dropout(0.25)(x)
        x = ConcreteDropout(keras.layers.Dense(8, activation="relu"))(x)
        outputs = keras.layers.Dense(2, activation="softmax")(x)
        return keras.Model(inputs, outputs)

    clf = MCDropoutClassifier(build, p=0.4, epochs=3, n_samples=10, random_state=0).fit(
        X_train, y_train
    )
    # p sets the Dropout layer; the ConcreteDropout layer learns its rate and
    # gets the regularisers for the training rows (fewer than min_rows, so
    # those of 1000 rows, as in the built-in networks).
    rates = clf.dropout_rates_
    assert rates[0] == pytest.approx(0.4) and rates[1] != pytest.approx(0.4)
    layer = next(
        layer for layer in clf.model_.layers if isinstance(layer, ConcreteDropout)
    )
    assert len(X_train) < 1000
    assert layer.dropout_regularizer == pytest.approx(1 / 1000)
    assert layer.weight_regularizer == pytest.approx(3.0**2 / (2 * 1000))
    # Saved and loaded in Keras' format, in safe mode: the rate comes back.
    path = tmp_path / "concrete.keras"
    clf.model_.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    restored = MCDropoutClassifier.from_keras(
        loaded, classes=clf.classes_, n_samples=10, random_state=0
    )
    np.testing.assert_allclose(restored.dropout_rates_, rates)
    with pytest.raises(ValueError, match="has none"):
        MCDropoutClassifier(
            lambda meta: keras.Sequential(
                [keras.Input((30,)), keras.layers.Dropout(0.1), keras.layers.Dense(2)]
            ),
            p="concrete",
            epochs=1,
        ).fit(X_train, y_train)


def test_regularisers_follow_the_reference_code():
    # Euclidean loss: l**2 / (tau N) and 2 / (tau N); the factor of two goes
    # for a negative log-likelihood. min_rows=1: the N rows given.
    assert concrete_regularizers(
        100, 1e-2, tau=4.0, nll=False, min_rows=1
    ) == pytest.approx((1e-4 / 400, 2 / 400))
    assert concrete_regularizers(100, 1e-2, min_rows=1) == pytest.approx(
        (1e-4 / 200, 1 / 100)
    )
    with pytest.raises(ValueError, match="n_rows"):
        concrete_regularizers(0)


def test_regularisers_weigh_as_for_at_least_min_rows():
    # Fewer rows than min_rows (default 1000) get the weights of min_rows
    # rows, i.e. tempered by n_rows / min_rows; more rows their own.
    assert concrete_regularizers(100) == pytest.approx((3.0**2 / 2000, 1 / 1000))
    assert concrete_regularizers(999) == concrete_regularizers(1000)
    assert concrete_regularizers(250, tau=2.0, nll=False) == pytest.approx(
        (3.0**2 / 2000, 2 / 2000)
    )
    assert concrete_regularizers(4000) == pytest.approx((3.0**2 / 8000, 1 / 4000))
    assert concrete_regularizers(100, min_rows=50) == pytest.approx(
        (3.0**2 / 200, 1 / 100)
    )
    with pytest.raises(ValueError, match="min_rows"):
        concrete_regularizers(100, min_rows=0)


def test_small_data_keeps_the_learnt_rates_low(multiclass_data, make_classifier):
    # On 150 rows the untempered reference regulariser (length-scale 1e-4,
    # min_rows=1) pulls the rates up from their initial 0.1, towards 0.5; the
    # default's, weighing as for 1000 rows, lets them fall.
    X, y = multiclass_data
    params = dict(p="concrete", hidden_layer_sizes=(32, 32), epochs=20)
    default = make_classifier(**params).fit(X, y).dropout_rates_
    reference = (
        make_classifier(**params, length_scale=1e-4, min_rows=1)
        .fit(X, y)
        .dropout_rates_
    )
    assert np.all(reference > 0.15) and np.all(default < 0.1)


def test_dropout_regulariser_pulls_the_rate_up():
    # The entropy term is smallest at p = 0.5: with it dominating, the rate
    # grows from its initial 0.1.
    rng = np.random.default_rng(0)
    X = rng.standard_normal((64, 4)).astype(np.float32)
    layer = ConcreteDropout(
        keras.layers.Dense(1),
        weight_regularizer=0.0,
        dropout_regularizer=1.0,
        logit_scale=1.0,
    )
    model = keras.Sequential([keras.Input((4,)), layer])
    model.compile(keras.optimizers.Adam(0.05), "mse")
    model.fit(X, np.zeros(64), epochs=5, batch_size=8, verbose=0)
    assert 0.25 < layer.rate < 0.6


def test_plain_keras_training_needs_the_regularisers():
    model = keras.Sequential(
        [keras.Input((4,)), ConcreteDropout(keras.layers.Dense(1))]
    )
    model.compile("adam", "mse")
    with pytest.raises(ValueError, match="concrete_regularizers"):
        model.fit(np.zeros((8, 4)), np.zeros(8), epochs=1, verbose=0)
    with pytest.raises(TypeError, match="Dense"):
        ConcreteDropout(keras.layers.Dropout(0.1))


@pytest.mark.parametrize("noise", ["homoscedastic", "heteroscedastic"])
def test_regressor_with_concrete_dropout(noise):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((120, 3))
    y = X[:, 0] + 0.3 * rng.standard_normal(120)
    reg = MCDropoutRegressor(
        p="concrete",
        noise=noise,
        input_dropout=True,
        hidden_layer_sizes=(8,),
        epochs=3,
        n_samples=10,
        random_state=0,
    ).fit(X, y)
    # Inputs and the hidden layer (both heads of a heteroscedastic network).
    assert len(reg.dropout_rates_) == (3 if noise == "heteroscedastic" else 2)
    layer = next(x for x in reg.model_.layers if isinstance(x, ConcreteDropout))
    # 2 / N (mean squared error) or 1 / N (negative log-likelihood), for
    # N = 1000 (min_rows) as the 120 training rows are fewer.
    expected = 2 / 1000 if noise == "homoscedastic" else 1 / 1000
    assert layer.dropout_regularizer == pytest.approx(expected)
    # The passes sample the learnt rates: the predictive std is their spread
    # plus the noise, and the mean is theirs.
    mean, std = reg.predict(X[:5], return_std=True)
    means, noise_std = reg.predict_samples(X[:5], return_noise_std=True)
    np.testing.assert_allclose(mean, means.mean(axis=0), rtol=1e-6, atol=1e-6)
    expected = means.var(axis=0) + np.mean(noise_std**2, axis=0)
    np.testing.assert_allclose(std**2, expected, rtol=1e-5)
    assert means.std(axis=0).min() > 0


def test_init_rate_and_temperature_shape_the_relaxed_mask():
    # With the identity as the Dense layer, training-mode outputs are the
    # relaxed mask itself: (1 - drop) / (1 - p) on each of 20,000 inputs.
    def masks(init_rate, temperature):
        dense = keras.layers.Dense(
            20, kernel_initializer="identity", use_bias=False, trainable=False
        )
        layer = ConcreteDropout(
            dense,
            weight_regularizer=0.0,
            dropout_regularizer=0.0,
            init_rate=init_rate,
            temperature=temperature,
        )
        out = keras.ops.convert_to_numpy(layer(np.ones((1000, 20)), training=True))
        assert layer.rate == pytest.approx(init_rate)
        return out * (1 - init_rate)  # 1 - drop, in [0, 1]

    # A low temperature gives almost Bernoulli masks with the initial rate
    # (binomial standard error 0.003 for 20,000 draws).
    kept = masks(0.3, 1e-3)
    assert np.mean((kept < 1e-3) | (kept > 1 - 1e-3)) > 0.99
    assert abs(np.mean(kept < 0.5) - 0.3) < 0.02
    # A high one spreads the mask between 0 and 1.
    soft = masks(0.3, 1.0)
    assert np.mean((soft > 0.1) & (soft < 0.9)) > 0.3
    # Both are in the layer's config, so a saved network keeps them.
    layer = ConcreteDropout(keras.layers.Dense(2), init_rate=0.25, temperature=0.5)
    config = layer.get_config()
    assert (config["init_rate"], config["temperature"]) == (0.25, 0.5)
    restored = ConcreteDropout.from_config(config)
    assert (restored.init_rate, restored.temperature) == (0.25, 0.5)
    with pytest.raises(ValueError, match="init_rate must be in"):
        ConcreteDropout(keras.layers.Dense(2), init_rate=1.0)
