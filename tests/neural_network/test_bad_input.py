"""Regression tests for fuzzing findings: bad or unusual input
gets a clear error or a correct answer, never silently wrong output."""

import keras
import numpy as np
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LinearRegression
from sklearn.metrics import r2_score

from sk_mcdropout import MCDropoutClassifier, MCDropoutRegressor

KW = dict(hidden_layer_sizes=(4,), epochs=2, n_samples=5, random_state=0)
X = np.random.RandomState(0).randn(20, 3)
Y = np.array([0, 1] * 10)
Y3 = np.array([0, 1, 2] * 6 + [0, 1])
DIVERGED = "Solver produced non-finite parameter weights"


@pytest.fixture(scope="module")
def clf():
    return MCDropoutClassifier(**KW).fit(X, Y)


# Finding 1: diverged training, and inputs beyond float32 ---------------------


@pytest.mark.parametrize(
    "scale, weight", [(1e20, None), (1.0, np.full(20, 1e30))], ids=["X", "weights"]
)
def test_diverged_fit_is_refused_and_leaves_estimator_unfitted(scale, weight):
    est = MCDropoutClassifier(**KW)
    with pytest.raises(ValueError, match=f"{DIVERGED}.*left unfitted"):
        est.fit(X * scale, Y, sample_weight=weight)
    with pytest.raises(NotFittedError):
        est.predict_proba(X)


def test_diverged_regressor_fit_is_refused():
    with pytest.raises(ValueError, match=DIVERGED):
        MCDropoutRegressor(**KW).fit(X * 1e20, X[:, 0])


def test_diverged_partial_fit_keeps_previous_network():
    est = MCDropoutClassifier(**KW).fit(X, Y)
    proba = est.predict_proba(X)
    n_epochs = len(est.history_["loss"])
    # One step per row: the first Adam step is bounded, the next ones diverge.
    est.set_params(batch_size=1)
    with pytest.raises(ValueError, match=f"{DIVERGED}.*weights it had before"):
        est.partial_fit(X, Y, sample_weight=np.full(20, 1e30))
    np.testing.assert_array_equal(est.predict_proba(X), proba)
    assert len(est.history_["loss"]) == n_epochs
    # Training goes on from the restored network and optimizer state.
    est.partial_fit(X, Y)
    assert np.isfinite(est.predict_proba(X)).all()


def test_diverged_regressor_partial_fit_keeps_its_noise_estimate():
    reg = MCDropoutRegressor(**KW).fit(X, X[:, 0])
    mean, std = reg.predict(X, return_std=True)
    noise = reg.noise_std_
    reg.set_params(batch_size=1)
    with pytest.raises(ValueError, match=DIVERGED):
        reg.partial_fit(X * 1e20, X[:, 0], sample_weight=np.full(20, 1e30))
    assert reg.noise_std_ is noise
    np.testing.assert_array_equal(reg.predict(X, return_std=True), (mean, std))


@pytest.mark.parametrize("method", ["fit", "predict_proba"])
def test_values_beyond_float32_are_refused(clf, method):
    match = "Input X contains infinity or a value too large for dtype\\('float32'\\)"
    with pytest.raises(ValueError, match=match):
        if method == "fit":
            MCDropoutClassifier(**KW).fit(X * 1e39, Y)
        else:
            clf.predict_proba(X * 1e39)


def _big_weights(meta):
    # Finite weights large enough for X * 1e30 to overflow float32 inside.
    big = keras.initializers.Constant(1e10)
    inputs = keras.Input(shape=(meta["n_features_in_"],))
    x = keras.layers.Dense(4, activation="relu", kernel_initializer=big)(inputs)
    x = keras.layers.Dropout(0.2)(x)
    outputs = keras.layers.Dense(2, activation="softmax", kernel_initializer=big)(x)
    return keras.Model(inputs, outputs)


def test_overflowing_network_output_is_refused():
    est = MCDropoutClassifier(_big_weights, epochs=1, n_samples=5, random_state=0)
    est.fit(X, Y)
    assert np.isfinite(est.predict_proba(X)).all()
    with pytest.raises(ValueError, match="not finite for some rows of X"):
        est.predict_proba(X * 1e30)
    with pytest.raises(ValueError, match="not finite for some rows of X"):
        est.predict_proba_deterministic(X * 1e30)


# Findings 2 and 3: regression targets at tiny and huge scales -----------------


@pytest.fixture(scope="module")
def linear():
    rng = np.random.RandomState(0)
    X = rng.randn(60, 3)
    y = X @ [1.0, 2.0, -1.0] + 0.1 * rng.randn(60)
    reg = MCDropoutRegressor(hidden_layer_sizes=(16,), epochs=10, n_samples=10)
    reg.set_params(random_state=0).fit(X, y)
    mean, std = reg.predict(X, return_std=True)
    return X, y, reg, mean, std


@pytest.mark.parametrize("scale", [1e-20, 1e300])
def test_regressor_is_scale_equivariant(linear, scale):
    X, y, reg, mean, std = linear
    scaled = MCDropoutRegressor(**reg.get_params()).fit(X, y * scale)
    mean_s, std_s = scaled.predict(X, return_std=True)
    assert np.isfinite(mean_s).all() and np.isfinite(std_s).all()
    # Standardised targets are the same, so the network is too.
    np.testing.assert_allclose(mean_s / scale, mean, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(std_s / scale, std, rtol=1e-5)
    np.testing.assert_allclose(scaled.noise_std_ / scale, reg.noise_std_, rtol=1e-5)
    # As close to least squares at this scale as at unit scale.
    lr = LinearRegression().fit(X, y * scale).predict(X)
    assert r2_score(lr / scale, mean_s / scale) == pytest.approx(
        r2_score(lr / scale, mean), abs=1e-6
    )


def test_constant_tiny_target_keeps_its_scale():
    reg = MCDropoutRegressor(**KW).fit(X, np.full(20, 1e-20))
    mean, std = reg.predict(X, return_std=True)
    # The old absolute floor made the scale 1 here: predictions near 0.1.
    assert np.all(np.abs(mean - 1e-20) < 1e-19)
    assert np.all((std > 0) & (std < 1e-19))


# Finding 8: partial_fit with one class per batch ------------------------------


def test_partial_fit_one_class_batch_with_declared_classes():
    est = MCDropoutClassifier(**KW).partial_fit(X[Y == 0], Y[Y == 0], classes=[0, 1])
    np.testing.assert_array_equal(est.classes_, [0, 1])
    est.partial_fit(X[Y == 1], Y[Y == 1])
    assert est.predict_proba(X).shape == (20, 2)


def test_partial_fit_one_class_batch_after_two_class_call(clf):
    est = MCDropoutClassifier(**KW).partial_fit(X, Y)
    est.partial_fit(X[Y == 0], Y[Y == 0])
    assert est.predict_proba(X).shape == (20, 2)


def test_fit_on_one_weighted_class_is_still_refused():
    weight = (Y == 0).astype(float)
    with pytest.raises(ValueError, match="non-zero sample_weight contain only one"):
        MCDropoutClassifier(**KW).fit(X, Y, sample_weight=weight)


# Finding 9: None for X ---------------------------------------------------------


@pytest.mark.parametrize("Est", [MCDropoutClassifier, MCDropoutRegressor])
def test_none_X_gets_scikit_learn_error(clf, Est):
    with pytest.raises(ValueError, match="Expected 2D array"):
        Est(**KW).fit(None, Y)
    with pytest.raises(ValueError, match="requires y to be passed"):
        Est(**KW).fit(X, None)


@pytest.mark.parametrize(
    "method", ["predict", "predict_proba", "predict_uncertainty", "score"]
)
def test_none_X_at_prediction(clf, method):
    args = (None, Y) if method == "score" else (None,)
    with pytest.raises(ValueError, match="Expected 2D array"):
        getattr(clf, method)(*args)


# Finding 10: new classes on warm start and partial_fit ------------------------


def test_warm_start_with_new_classes():
    est = MCDropoutClassifier(**KW, warm_start=True).fit(X, Y)
    match = (
        r"warm_start can only be used where `y` has the same classes as in the "
        r"previous call to fit. Previously got \[0 1\], `y` has \[0 1 2\]"
    )
    with pytest.raises(ValueError, match=match):
        est.fit(X, Y3)
    np.testing.assert_array_equal(est.classes_, [0, 1])
    assert est.predict(X).shape == (20,)


def test_partial_fit_with_unseen_class(clf):
    est = MCDropoutClassifier(**KW).partial_fit(X, Y)
    match = (
        r"`y` has classes not in `self.classes_`. `self.classes_` has \[0 1\]. "
        r"'y' has \[0 1 2\]."
    )
    with pytest.raises(ValueError, match=match):
        est.partial_fit(X, Y3)
    with pytest.raises(ValueError, match="not in `self.classes_`"):
        MCDropoutClassifier(**KW).partial_fit(X, Y3, classes=[0, 1])
    with pytest.raises(ValueError, match="is not the same as on last call"):
        est.partial_fit(X, Y, classes=[0, 1, 2])
    np.testing.assert_array_equal(est.classes_, [0, 1])


# Finding 11: negative sample weights ------------------------------------------


@pytest.mark.parametrize("Est", [MCDropoutClassifier, MCDropoutRegressor])
def test_negative_sample_weight_is_refused(Est):
    weight = np.r_[np.ones(10), -np.ones(10)]
    y = Y if Est is MCDropoutClassifier else X[:, 0]
    with pytest.raises(ValueError, match="Negative values in data passed to"):
        Est(**KW).fit(X, y, sample_weight=weight)
    with pytest.raises(ValueError, match="had any weight|at least one non-zero"):
        Est(**KW).fit(X, y, sample_weight=np.zeros(20))


# Finding 12: no hidden layer in the built-in network --------------------------


def test_no_hidden_layer_says_what_to_do():
    with pytest.raises(ValueError, match=r"hidden_layer_sizes=\(100,\)"):
        MCDropoutClassifier(**{**KW, "hidden_layer_sizes": ()}).fit(X, Y)
    with pytest.raises(ValueError, match="input_dropout=True"):
        MCDropoutRegressor(**{**KW, "hidden_layer_sizes": ()}).fit(X, X[:, 0])
    # Dropped inputs into a linear output: a valid MC dropout network.
    reg = MCDropoutRegressor(**{**KW, "hidden_layer_sizes": ()}, input_dropout=True)
    assert np.isfinite(reg.fit(X, X[:, 0]).predict(X)).all()


# Finding 13: one-hot losses with the built-in network -------------------------


@pytest.fixture(scope="module")
def sparse_proba():
    return {"binary": MCDropoutClassifier(**KW).fit(X, Y).predict_proba(X)}


@pytest.mark.parametrize(
    "loss, target",
    [
        (keras.losses.CategoricalCrossentropy(), "binary"),
        ("binary_crossentropy", "binary"),
        ("binary_crossentropy", "multiclass"),
    ],
    ids=["CategoricalCrossentropy()", "bce", "bce-multiclass"],
)
def test_one_hot_losses_train_the_built_in_network(sparse_proba, loss, target):
    y = Y if target == "binary" else Y3
    proba = MCDropoutClassifier(**KW, loss=loss).fit(X, y).predict_proba(X)
    if target == "multiclass":
        # Binary crossentropy per class: a different loss, but it trains.
        assert proba.shape == (20, 3)
        np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    else:
        # On a two-class softmax these losses equal the sparse one (Keras
        # clips binary crossentropy a little differently).
        atol = 1e-2 if loss == "binary_crossentropy" else 1e-4
        np.testing.assert_allclose(proba, sparse_proba[target], atol=atol)
