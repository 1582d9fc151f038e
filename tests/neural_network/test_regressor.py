"""MCDropoutRegressor: predictive mean and std that users can rely on."""

import pickle

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.compose import TransformedTargetRegressor
from sklearn.model_selection import GridSearchCV, KFold, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sk_mcdropout import MCDropoutRegressor

NOISE = 0.1


def _gap_data(n=200, seed=0, heteroscedastic=False):
    """y = sin(x) + noise on [-3, -1] and [1, 3]: nothing around 0."""
    rng = np.random.default_rng(seed)
    x = np.concatenate([rng.uniform(-3, -1, n // 2), rng.uniform(1, 3, n // 2)])
    noise = NOISE * (1 + 3 * (x > 0)) if heteroscedastic else NOISE
    y = np.sin(x) + noise * rng.standard_normal(n)
    return x[:, None], y


@pytest.fixture(scope="module")
def data():
    return _gap_data()


@pytest.fixture(scope="module")
def reg(data):
    X, y = data
    return MCDropoutRegressor(
        hidden_layer_sizes=(32, 32),
        p=0.1,
        epochs=60,
        learning_rate=0.01,
        n_samples=50,
        random_state=0,
    ).fit(X, y)


@pytest.fixture(scope="module")
def hetero():
    X, y = _gap_data(heteroscedastic=True)
    reg = MCDropoutRegressor(
        hidden_layer_sizes=(32, 32),
        p=0.1,
        noise="heteroscedastic",
        epochs=60,
        learning_rate=0.01,
        n_samples=30,
        random_state=0,
    )
    return reg.fit(X, y)


def test_shapes_and_consistency(reg, data):
    X, y = data
    mean, std = reg.predict(X, return_std=True)
    assert mean.shape == std.shape == (len(X),)
    assert mean.dtype == np.float64
    np.testing.assert_array_equal(reg.predict(X), mean)
    np.testing.assert_allclose(reg.predict_uncertainty(X), std)
    means, noise_std = reg.predict_samples(X, return_noise_std=True)
    assert means.shape == noise_std.shape == (reg.n_samples, len(X))
    np.testing.assert_allclose(means.mean(axis=0), mean, rtol=1e-5, atol=1e-5)
    epistemic = reg.predict_uncertainty(X, kind="epistemic")
    aleatoric = reg.predict_uncertainty(X, kind="aleatoric")
    np.testing.assert_allclose(means.std(axis=0), epistemic, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(std**2, epistemic**2 + aleatoric**2)
    assert (std > 0).all()
    assert reg.score(X, y) > 0.8


def test_noise_is_part_of_the_predictive_std(reg, data):
    X, _ = data
    # Homoscedastic: one estimated noise level, in target units, on every row.
    assert reg.noise_std_.shape == (1,)
    assert 0.5 * NOISE < reg.noise_std_[0] < 3 * NOISE
    np.testing.assert_allclose(
        reg.predict_uncertainty(X, kind="aleatoric"), reg.noise_std_[0]
    )
    _, noise_std = reg.predict_samples(X[:5], return_noise_std=True)
    np.testing.assert_allclose(noise_std, reg.noise_std_[0])
    # The predictive std is never below the noise.
    assert (reg.predict_uncertainty(X) >= reg.noise_std_[0]).all()


def test_std_grows_away_from_the_training_data(reg, data):
    X, _ = data
    near = reg.predict_uncertainty(X, kind="epistemic").mean()
    far = reg.predict_uncertainty(np.array([[-8.0], [8.0]]), kind="epistemic")
    gap = reg.predict_uncertainty(np.array([[0.0]]), kind="epistemic")
    # A ReLU network's pass spread grows away from the data, though not in
    # every direction for every trained network (over seeds 0-5 of this
    # fixture: the larger far side 1.8-3.9x the spread on the data, the
    # smaller 0.5-3.9x; the gap between the two clusters 1.3-1.9x).
    assert far.max() > 1.5 * near
    assert gap[0] > 1.2 * near
    assert (reg.predict_uncertainty(np.array([[8.0]])) > reg.noise_std_).all()


def test_heteroscedastic_noise_follows_the_data(hetero):
    assert hetero.noise_std_ is None
    low, high = hetero.predict_uncertainty(np.array([[-2.0], [2.0]]), kind="aleatoric")
    # True noise std: 0.1 left, 0.4 right.
    assert high > 2 * low
    assert 0.03 < low < 0.3 and 0.15 < high < 0.8
    means, noise_std = hetero.predict_samples(np.array([[2.0]]), return_noise_std=True)
    assert means.shape == noise_std.shape == (30, 1)
    assert (noise_std > 0).all()


def test_reproducible_and_invariant_to_rows(data, make_regressor):
    X, y = data
    first = make_regressor().fit(X, y)
    second = make_regressor().fit(X, y)
    np.testing.assert_array_equal(first.predict(X), second.predict(X))
    mean, std = first.predict(X, return_std=True)
    np.testing.assert_array_equal(first.predict(X, return_std=True)[1], std)
    order = np.random.default_rng(0).permutation(len(X))
    np.testing.assert_allclose(first.predict(X[order]), mean[order], rtol=1e-12)
    sub_mean, sub_std = first.predict(X[10:20], return_std=True)
    np.testing.assert_allclose(sub_mean, mean[10:20], rtol=1e-12)
    np.testing.assert_allclose(sub_std, std[10:20], rtol=1e-12)
    assert not np.array_equal(make_regressor(random_state=1).fit(X, y).predict(X), mean)


def test_n_samples_changes_prediction_not_the_noise(data, make_regressor):
    X, y = data
    reg = make_regressor().fit(X, y)
    noise = reg.noise_std_.copy()
    samples = reg.predict_samples(X[:5])
    reg.set_params(n_samples=4)
    assert reg.predict_samples(X[:5]).shape == (4, 5)
    np.testing.assert_array_equal(reg.predict_samples(X[:5]), samples[:4])
    np.testing.assert_array_equal(reg.noise_std_, noise)


def test_zero_dropout_is_the_deterministic_network(data, make_regressor):
    X, y = data
    reg = make_regressor(p=0.0).fit(X, y)
    np.testing.assert_allclose(reg.predict(X), reg.predict_deterministic(X), atol=1e-5)
    assert reg.predict_uncertainty(X, kind="epistemic").max() == 0.0
    np.testing.assert_allclose(reg.predict_uncertainty(X), reg.noise_std_[0])


def test_pickle_round_trip(reg, data):
    X, _ = data
    clone = pickle.loads(pickle.dumps(reg))
    for a, b in zip(
        reg.predict(X, return_std=True), clone.predict(X, return_std=True), strict=True
    ):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(reg.noise_std_, clone.noise_std_)


def test_heteroscedastic_pickle_round_trip(hetero):
    X = np.array([[-2.0], [2.0]])
    clone = pickle.loads(pickle.dumps(hetero))
    np.testing.assert_array_equal(
        hetero.predict_uncertainty(X), clone.predict_uncertainty(X)
    )


@pytest.mark.parametrize("noise", ["homoscedastic", "heteroscedastic"])
def test_multi_output(data, noise, make_regressor):
    X, y = data
    Y = np.column_stack([y, 100 * y + 1000])
    reg = make_regressor(noise=noise).fit(X, Y)
    mean, std = reg.predict(X, return_std=True)
    assert mean.shape == std.shape == (len(X), 2)
    assert reg.predict_samples(X).shape == (reg.n_samples, len(X), 2)
    # Targets are standardised per output, so the second is 100 x the first.
    np.testing.assert_allclose(mean[:, 1], 100 * mean[:, 0] + 1000, rtol=0.05)
    assert (std[:, 1] > 20 * std[:, 0]).all()
    column = make_regressor(noise=noise).fit(X, y[:, None])
    assert column.predict(X).shape == (len(X), 1)
    assert column.predict(X, return_std=True)[1].shape == (len(X), 1)


def test_transformed_target_regressor(data, make_regressor):
    X, y = data
    ttr = TransformedTargetRegressor(
        regressor=make_regressor(epochs=30), transformer=StandardScaler()
    ).fit(X, 1000 * y + 5000)
    pred = ttr.predict(X)
    assert pred.shape == (len(X),)
    assert ttr.score(X, 1000 * y + 5000) > 0.5
    log_ttr = TransformedTargetRegressor(
        regressor=make_regressor(), func=np.log, inverse_func=np.exp
    ).fit(X, np.exp(y))
    assert (log_ttr.predict(X) > 0).all()


def test_grid_search_and_cross_validate(data, make_regressor):
    X, y = data
    X, y = X[::2], y[::2]
    grid = GridSearchCV(
        make_regressor(epochs=3),
        [{"p": [0.05, 0.2]}, {"n_samples": [5, 10]}, {"noise": ["heteroscedastic"]}],
        cv=2,
    ).fit(X, y)
    assert len(grid.cv_results_["params"]) == 5
    assert grid.best_params_.keys() <= {"p", "n_samples", "noise"}
    assert grid.predict(X).shape == (len(X),)
    assert grid.best_estimator_.predict(X, return_std=True)[1].shape == (len(X),)
    scores = cross_validate(
        make_pipeline(StandardScaler(), make_regressor()),
        X,
        y,
        cv=KFold(2, shuffle=True, random_state=0),
        scoring=["r2", "neg_mean_squared_error"],
    )
    assert np.isfinite(scores["test_r2"]).all()


def test_user_network(data, make_regressor):
    import keras

    def build(meta, p):
        inputs = keras.Input((meta["n_features_in_"],))
        hidden = keras.layers.Dense(16, activation="tanh")(inputs)
        hidden = keras.layers.Dropout(p)(hidden)
        return keras.Model(inputs, keras.layers.Dense(1)(hidden))

    X, y = data
    reg = make_regressor(model=build, p=0.3).fit(X, y)
    assert reg.model_.layers[2].rate == 0.3
    assert reg.predict(X, return_std=True)[1].shape == (len(X),)
    # The same network has too few outputs for a heteroscedastic fit.
    with pytest.raises(ValueError, match="2 columns"):
        make_regressor(model=build, noise="heteroscedastic").fit(X, y)


def test_errors(reg, data, make_regressor):
    X, y = data
    with pytest.raises(ValueError, match="'noise' parameter of MCDropoutRegressor"):
        make_regressor(noise="gaussian").fit(X, y)
    with pytest.raises(ValueError, match="requires y"):
        make_regressor().fit(X, None)
    with pytest.raises(ValueError, match="kind must be one of"):
        reg.predict_uncertainty(X, kind="both")
    with pytest.raises(ValueError, match="1 features"):
        reg.predict(np.ones((3, 2)))
    with pytest.raises(ValueError, match="NaN"):
        make_regressor().fit(X, np.where(np.arange(len(y)) == 3, np.nan, y))
    with pytest.raises(TypeError, match="[Ss]parse"):
        make_regressor().fit(sp.csr_matrix(X), y)
    with pytest.raises(ValueError, match="p"):
        make_regressor(p=1.0).fit(X, y)
    fitted = make_regressor().fit(X, y).set_params(noise="heteroscedastic")
    with pytest.raises(ValueError, match="Refit"):
        fitted.predict(X)
    with pytest.raises(Exception, match="not fitted"):
        make_regressor().predict(X)


def test_memory_caches_the_noise_estimate_too(data, tmp_path, make_regressor):
    X, y = data
    first = make_regressor(memory=str(tmp_path)).fit(X, y)
    second = make_regressor(memory=str(tmp_path), n_samples=3).fit(X, y)
    np.testing.assert_array_equal(first.noise_std_, second.noise_std_)
    np.testing.assert_array_equal(
        first.predict_samples(X)[:3], second.predict_samples(X)
    )


# ----------------------------------------------------------------------
# Out-of-sample noise calibration (calibration_fraction)
# ----------------------------------------------------------------------


def test_noise_is_estimated_on_held_out_rows(reg, data):
    # The default holds out 10% of the training rows: fitted state says so,
    # and the noise matches the truth (0.1) within the estimate's error.
    assert reg.calibration_fraction == 0.1
    assert reg.noise_scale_ is None
    assert 0.7 * NOISE < reg.noise_std_[0] < 1.5 * NOISE
    # New data from the same distribution: the 95% interval covers about 95%.
    X_new, y_new = _gap_data(n=2000, seed=1)
    mean, std = reg.predict(X_new, return_std=True)
    covered = np.mean(np.abs(y_new - mean) <= 1.96 * std)
    # 20 calibration rows: the estimate is good to about +-30% in variance.
    assert 0.9 < covered < 0.99


def test_training_row_noise_is_still_available(data, make_regressor):
    # calibration_fraction=None: the weights see every row, and the noise is
    # the mean squared residual of the passes on those same rows.
    X, y = data
    old = make_regressor(calibration_fraction=None, n_samples=100).fit(X, y)
    means = old.predict_samples(X)
    expected = np.mean((y - means) ** 2)
    np.testing.assert_allclose(old.noise_std_[0] ** 2, expected, rtol=1e-3)
    new = make_regressor().fit(X, y)
    assert not np.array_equal(old.predict(X), new.predict(X))


def test_heteroscedastic_scale_is_fitted_on_held_out_rows(hetero):
    assert hetero.noise_std_ is None
    assert hetero.noise_scale_.shape == (1,)
    assert 0.3 < hetero.noise_scale_[0] < 3
    X = np.array([[-2.0], [2.0]])
    uncalibrated = MCDropoutRegressor(
        **{**hetero.get_params(), "calibration_fraction": None}
    ).fit(*_gap_data(heteroscedastic=True))
    np.testing.assert_array_equal(uncalibrated.noise_scale_, [1.0])
    assert uncalibrated.predict_uncertainty(X).shape == (2,)


def test_fit_noise_scale_closed_forms():
    from sk_mcdropout.neural_network._noise import calibration_split, fit_noise_scale

    rng = np.random.default_rng(0)
    r2 = rng.chisquare(1, size=(500, 2)) * [1.0, 4.0]
    zeros, ones = np.zeros_like(r2), np.ones_like(r2)
    weights = rng.uniform(0, 2, size=500)
    # Without pass variance the maximum-likelihood variance is the mean
    # squared residual (weighted), and a base variance divides out.
    np.testing.assert_allclose(fit_noise_scale(r2, zeros, ones), r2.mean(0), rtol=1e-4)
    np.testing.assert_allclose(
        fit_noise_scale(r2, zeros, ones, sample_weight=weights),
        np.average(r2, axis=0, weights=weights),
        rtol=1e-4,
    )
    base = rng.uniform(0.5, 2, size=r2.shape)
    np.testing.assert_allclose(
        fit_noise_scale(r2 * base, zeros, base), r2.mean(0), rtol=1e-4
    )
    # Pass variance that already explains the residuals leaves ~no noise.
    assert (fit_noise_scale(r2, r2.mean(0) * 5 * ones, ones) < 1e-3).all()
    fit_rows, cal_rows = calibration_split(50, 0.1, seed=3)
    assert len(cal_rows) == 5 and len(fit_rows) == 45
    assert set(fit_rows) | set(cal_rows) == set(range(50))
    np.testing.assert_array_equal(calibration_split(50, 0.1, seed=3)[1], cal_rows)


def test_calibration_fraction_errors(data, make_regressor):
    X, y = data
    for bad in (0.0, 1.0, 1.5):
        with pytest.raises(ValueError, match="calibration_fraction"):
            make_regressor(calibration_fraction=bad).fit(X, y)
    with pytest.raises(ValueError, match="at least 2 training rows"):
        make_regressor().fit(X[:1], y[:1])
    assert make_regressor(calibration_fraction=None).fit(
        X[:1], y[:1]
    ).noise_std_.shape == (1,)
