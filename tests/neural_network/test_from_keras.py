"""Wrapping a network trained with plain Keras: ``from_keras``."""

import pickle

import keras
import numpy as np
import pandas as pd
import pytest
from sklearn.calibration import CalibratedClassifierCV
from sklearn.frozen import FrozenEstimator
from sklearn.utils.validation import check_is_fitted

from sk_mcdropout import (
    MCDropoutClassifier,
    MCDropoutRegressor,
    RejectOptionClassifier,
)
from sk_mcdropout._keras import MIN_VARIANCE


def _network(n_in, n_out, activation="softmax", dropout=True):
    inputs = keras.Input((n_in,))
    x = keras.layers.Dense(16, activation="relu")(inputs)
    if dropout:
        x = keras.layers.Dropout(0.2)(x)
    return keras.Model(inputs, keras.layers.Dense(n_out, activation=activation)(x))


@pytest.fixture(scope="module")
def trained(cancer):
    """A network trained by plain Keras on the breast cancer training rows."""
    X_train, _, y_train, _ = cancer
    keras.utils.set_random_seed(0)
    model = _network(X_train.shape[1], 2)
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(X_train, y_train, epochs=10, verbose=0)
    return model


@pytest.fixture(scope="module")
def wrapped(trained):
    return MCDropoutClassifier.from_keras(
        trained, classes=[0, 1], n_samples=30, random_state=0
    )


def test_wrapped_is_fitted_like_a_fit(wrapped, trained, cancer):
    _, X_test, _, y_test = cancer
    check_is_fitted(wrapped)
    assert wrapped.model_ is trained
    assert wrapped.n_features_in_ == X_test.shape[1]
    np.testing.assert_array_equal(wrapped.classes_, [0, 1])
    assert wrapped.p is None and wrapped.history_["loss"]
    proba = wrapped.predict_proba(X_test)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert wrapped.score(X_test, y_test) > 0.9
    assert wrapped.predict_uncertainty(X_test).max() > 0
    np.testing.assert_allclose(
        wrapped.predict_proba_deterministic(X_test),
        trained.predict(X_test, verbose=0),
        rtol=1e-5,
        atol=1e-6,
    )
    # The network is used as it is: its rates untouched.
    np.testing.assert_allclose(wrapped.dropout_rates_, [0.2])


def test_wrapped_checks_the_input_width(wrapped, cancer):
    _, X_test, _, _ = cancer
    with pytest.raises(ValueError, match="X has 5 features, but .* expecting 30"):
        wrapped.predict_proba(X_test[:, :5])


def test_wrapped_works_with_scikit_learn_tools(wrapped, cancer):
    _, X_test, _, y_test = cancer
    X_cal, y_cal = X_test[:100], y_test[:100]
    frozen = FrozenEstimator(wrapped)
    np.testing.assert_array_equal(
        frozen.predict_proba(X_test), wrapped.predict_proba(X_test)
    )
    calibrated = CalibratedClassifierCV(frozen, method="sigmoid").fit(X_cal, y_cal)
    assert calibrated.score(X_test[100:], y_test[100:]) > 0.85
    reject = RejectOptionClassifier(
        wrapped, measure="mutual_information", coverage=0.8, cv="prefit"
    ).fit(X_cal, y_cal)
    accepted = reject.predict(X_test[100:]) != reject.reject_label_
    assert 0.5 < accepted.mean() < 1.0
    restored = pickle.loads(pickle.dumps(wrapped))
    np.testing.assert_array_equal(
        restored.predict_proba(X_test), wrapped.predict_proba(X_test)
    )


def test_network_loaded_from_a_keras_file(trained, wrapped, cancer, tmp_path):
    _, X_test, _, _ = cancer
    path = tmp_path / "network.keras"
    trained.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    clf = MCDropoutClassifier.from_keras(
        loaded, classes=["benign?", "malignant?"], n_samples=30, random_state=0
    )
    # Same weights, same random_state: the same Monte Carlo predictions.
    np.testing.assert_array_equal(
        clf.predict_proba(X_test), wrapped.predict_proba(X_test)
    )
    assert set(clf.predict(X_test)) <= {"benign?", "malignant?"}


def test_sigmoid_output_and_feature_names(cancer):
    _, X_test, _, _ = cancer
    X = X_test[:, :3]
    model = _network(3, 1, activation="sigmoid")
    names = ["a", "b", "c"]
    clf = MCDropoutClassifier.from_keras(
        model, classes=[False, True], feature_names=names, random_state=0
    )
    proba = clf.predict_proba(pd.DataFrame(X, columns=names))
    # The single sigmoid unit is the probability of the second class: the
    # first column is its complement, pass by pass and on average.
    samples = clf.predict_proba_samples(X)
    np.testing.assert_allclose(samples[..., 0], 1 - samples[..., 1], atol=1e-6)
    np.testing.assert_allclose(proba[:, 1], samples[..., 1].mean(axis=0), atol=1e-6)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    sigmoid = model.predict(X, verbose=0)[:, 0]
    deterministic = clf.predict_proba_deterministic(X)
    np.testing.assert_allclose(deterministic[:, 1], sigmoid, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(deterministic[:, 0], 1 - sigmoid, rtol=1e-5, atol=1e-6)
    # With a rate of 0 every pass is the sigmoid itself, in column 1.
    model.layers[2].rate = 0.0
    exact = MCDropoutClassifier.from_keras(model, classes=[False, True], n_samples=3)
    for sample in exact.predict_proba_samples(X):
        np.testing.assert_allclose(sample[:, 1], sigmoid, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(clf.feature_names_in_, names)
    with pytest.warns(UserWarning, match="feature names"):
        clf.predict_proba(X)
    with pytest.raises(ValueError, match="feature_names has 2 names"):
        MCDropoutClassifier.from_keras(model, classes=[0, 1], feature_names=["a", "b"])


class _Subclassed(keras.Model):
    def __init__(self):
        super().__init__()
        self.dense = keras.layers.Dense(2, activation="softmax")
        self.dropout = keras.layers.Dropout(0.2)

    def call(self, x):
        return self.dense(self.dropout(x))


@pytest.mark.parametrize(
    "make, classes, message",
    [
        (lambda: _network(4, 2, dropout=False), [0, 1], "no keras.layers.Dropout"),
        (lambda: _network(4, 2, activation=None), [0, 1], "not probabilities"),
        (lambda: _network(4, 2, activation="sigmoid"), [0, 1], "not probabilities"),
        (lambda: _network(4, 3), [0, 1], "3 columns, but 2 classes"),
        (lambda: _network(4, 2), [1, 0], "unique and sorted"),
        (lambda: _network(4, 2), [1], "at least 2 labels"),
        (_Subclassed, [0, 1], "subclassed"),
    ],
)
def test_refused_networks(make, classes, message):
    model = make()
    if not model.built:
        model(np.zeros((1, 4), np.float32))
    with pytest.raises(ValueError, match=message):
        MCDropoutClassifier.from_keras(model, classes=classes)


def test_parameters_set_by_from_keras_are_refused():
    with pytest.raises(TypeError, match="'p'"):
        MCDropoutClassifier.from_keras(_network(4, 2), classes=[0, 1], p=0.5)


@pytest.fixture(scope="module")
def regression_data():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((300, 3)).astype(np.float32)
    y = 3.0 * X[:, 0] + rng.normal(scale=0.5, size=300)
    return X, y


def test_regressor_from_keras(regression_data):
    X, y = regression_data
    keras.utils.set_random_seed(0)
    model = _network(3, 1, activation=None)
    model.compile("adam", "mse")
    mean, scale = y.mean(), y.std()
    model.fit(X, (y - mean) / scale, epochs=5, verbose=0)
    reg = MCDropoutRegressor.from_keras(
        model,
        noise_std=0.5,
        target_mean=mean,
        target_scale=scale,
        n_samples=30,
        random_state=0,
    )
    np.testing.assert_allclose(reg.noise_std_, [0.5])
    pred, std = reg.predict(X, return_std=True)
    assert pred.shape == std.shape == (300,)
    assert np.all(std >= 0.5)
    np.testing.assert_allclose(
        reg.predict_deterministic(X),
        mean + scale * model.predict(X, verbose=0)[:, 0],
        rtol=1e-5,
    )
    np.testing.assert_allclose(
        reg.predict_uncertainty(X, kind="aleatoric"), np.full(300, 0.5)
    )
    with pytest.raises(ValueError, match="noise_std is required"):
        MCDropoutRegressor.from_keras(model)


def _heteroscedastic_network(rate):
    inputs = keras.Input((3,))
    x = keras.layers.Dense(8, activation="relu")(inputs)
    x = keras.layers.Dropout(rate)(x)
    means = keras.layers.Dense(2)(x)
    variances = keras.layers.Dense(2, activation="softplus")(x)
    return keras.Model(inputs, keras.layers.Concatenate()([means, variances]))


def test_heteroscedastic_regressor_from_keras(regression_data):
    X, _ = regression_data
    keras.utils.set_random_seed(0)
    model = _heteroscedastic_network(0.0)
    mean, scale = np.array([10.0, -3.0]), np.array([2.0, 0.5])
    names = ["a", "b", "c"]
    reg = MCDropoutRegressor.from_keras(
        model,
        heteroscedastic=True,
        target_mean=mean,
        target_scale=scale,
        feature_names=names,
        n_samples=10,
    )
    assert reg.noise_std_ is None and reg.n_outputs_ == 2
    np.testing.assert_array_equal(reg.noise_scale_, [1.0, 1.0])
    # With a rate of 0 every pass is the network itself: the means are its
    # first two columns and the noise variances its last two, both mapped
    # back through target_mean and target_scale.
    out = model.predict(X, verbose=0).astype(np.float64)
    y_mean, y_std = reg.predict(pd.DataFrame(X, columns=names), return_std=True)
    np.testing.assert_allclose(y_mean, mean + scale * out[:, :2], rtol=1e-5)
    aleatoric = scale * np.sqrt(out[:, 2:] + MIN_VARIANCE)
    np.testing.assert_allclose(y_std, aleatoric, rtol=1e-5)
    np.testing.assert_allclose(
        reg.predict_uncertainty(X, kind="aleatoric"), aleatoric, rtol=1e-5
    )
    assert reg.predict_uncertainty(X, kind="epistemic").max() == 0.0
    np.testing.assert_array_equal(reg.feature_names_in_, names)
    with pytest.raises(ValueError, match="noise_std must be None"):
        MCDropoutRegressor.from_keras(model, heteroscedastic=True, noise_std=1.0)
    inputs = keras.Input((3,))
    hidden = keras.layers.Dropout(0.1)(keras.layers.Dense(8)(inputs))
    # The "variance" column is -1 on every row.
    constant = dict(kernel_initializer="zeros", bias_initializer="ones")
    negative = keras.layers.Dense(2, **constant)(hidden) * np.array([1.0, -1.0])
    with pytest.raises(ValueError, match="variances .* are negative"):
        MCDropoutRegressor.from_keras(
            keras.Model(inputs, negative), heteroscedastic=True
        )
    with pytest.raises(ValueError, match="even number of columns"):
        MCDropoutRegressor.from_keras(_network(3, 3), heteroscedastic=True)
    with pytest.raises(ValueError, match="target_scale must be finite and positive"):
        MCDropoutRegressor.from_keras(model, heteroscedastic=True, target_scale=0.0)


def test_heteroscedastic_passes_average_their_variances(regression_data):
    X, _ = regression_data
    keras.utils.set_random_seed(0)
    reg = MCDropoutRegressor.from_keras(
        _heteroscedastic_network(0.3), heteroscedastic=True, n_samples=20
    )
    # Dropout on: the predictive variance is the spread of the passes' means
    # plus the mean of their noise variances.
    means, noise_std = reg.predict_samples(X, return_noise_std=True)
    _, y_std = reg.predict(X, return_std=True)
    expected = means.var(axis=0) + np.mean(noise_std**2, axis=0)
    np.testing.assert_allclose(y_std**2, expected, rtol=1e-5)
    assert reg.predict_uncertainty(X, kind="epistemic").min() > 0


def test_wrapped_network_can_be_trained_further(cancer):
    # scikeras' behaviour for a network instance: fit trains it further; a
    # warm start needs the state a fit leaves (callbacks included).
    X_train, _, y_train, _ = cancer
    model = _network(X_train.shape[1], 2)
    clf = MCDropoutClassifier.from_keras(
        model, classes=[0, 1], epochs=1, warm_start=True, random_state=0
    )
    before = model.get_weights()
    clf.fit(X_train, y_train)
    assert clf.model_ is model
    assert any(
        not np.array_equal(a, b)
        for a, b in zip(before, model.get_weights(), strict=True)
    )
