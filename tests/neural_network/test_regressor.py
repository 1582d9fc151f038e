"""MCDropoutRegressor: predictive mean and std that users can rely on."""

import copy
import pickle

import numpy as np
import pytest
from scipy.stats import norm
from sklearn.base import clone
from sklearn.compose import TransformedTargetRegressor
from sklearn.datasets import make_regression
from sklearn.metrics import r2_score
from sklearn.model_selection import GridSearchCV, KFold, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sk_mcdropout import MCDropoutRegressor
from sk_mcdropout._keras import BetaNLL, gaussian_nll_loss
from sk_mcdropout.neural_network._base import derive_seed
from sk_mcdropout.neural_network._noise import calibration_split, fit_noise_scale

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
        noise="homoscedastic",
        epochs=60,
        learning_rate=0.01,
        n_samples=50,
        random_state=0,
    ).fit(X, y)


@pytest.fixture(scope="module")
def small(data, make_regressor):
    """The small seeded homoscedastic regressor, fitted on ``data``."""
    return make_regressor(noise="homoscedastic").fit(*data)


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
    # (Its value: test_noise_is_estimated_on_held_out_rows.)
    assert reg.noise_std_.shape == (1,)
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
    gap = reg.predict_uncertainty(np.array([[0.0]]), kind="epistemic")
    # Far from the data a ReLU network is affine along a ray: pass k gives
    # a_k * x + b_k, whose spread over the passes grows as |x| * std(a), so
    # it doubles when the distance does, on both sides (up to the offsets
    # b_k, whose share falls as 1 / |x|: 5% at |x| = 256).
    far = np.array([[-512.0], [-256.0], [256.0], [512.0]])
    left2, left, right, right2 = reg.predict_uncertainty(far, kind="epistemic")
    assert 1.9 < left2 / left < 2.1 and 1.9 < right2 / right < 2.1
    assert min(left, right) > 10 * near
    # Between the two clusters the spread grows too, though no rule bounds it
    # (over seeds 0-5 of this fixture: 1.3-1.9 times the spread on the data).
    assert gap[0] > 1.2 * near
    assert (reg.predict_uncertainty(np.array([[8.0]])) > reg.noise_std_).all()


def test_heteroscedastic_noise_follows_the_data(hetero):
    assert hetero.noise_std_ is None
    low, high = hetero.predict_uncertainty(np.array([[-2.0], [2.0]]), kind="aleatoric")
    # True noise std: 0.1 left, 0.4 right; each within a factor 2.
    assert high > 2 * low
    assert 0.05 < low < 0.2 and 0.2 < high < 0.8
    means, noise_std = hetero.predict_samples(np.array([[2.0]]), return_noise_std=True)
    assert means.shape == noise_std.shape == (30, 1)
    # The aleatoric std is that of the passes' mean variance.
    np.testing.assert_allclose(np.sqrt(np.mean(noise_std**2)), high, rtol=1e-9)


def test_reproducible_and_invariant_to_rows(data, make_regressor):
    # The defaults: a heteroscedastic head, calibrated, then refitted.
    X, y = data
    small = make_regressor().fit(X, y)
    again = make_regressor().fit(X, y)
    mean, std = small.predict(X, return_std=True)
    np.testing.assert_array_equal(again.predict(X, return_std=True), (mean, std))
    np.testing.assert_array_equal(small.predict(X, return_std=True)[1], std)
    # Bit-identical for any row order, subset and chunk size, as the
    # classifier's probabilities.
    order = np.random.default_rng(0).permutation(len(X))
    np.testing.assert_array_equal(
        small.predict(X[order], return_std=True), (mean[order], std[order])
    )
    np.testing.assert_array_equal(
        small.predict(X[10:20], return_std=True), (mean[10:20], std[10:20])
    )
    chunked = copy.deepcopy(small).set_params(max_chunk_memory=0.01)
    assert chunked.model_ is not small.model_
    np.testing.assert_array_equal(chunked.predict(X, return_std=True), (mean, std))
    np.testing.assert_array_equal(
        chunked.predict_samples(X, return_noise_std=True),
        small.predict_samples(X, return_noise_std=True),
    )
    assert not np.array_equal(make_regressor(random_state=1).fit(X, y).predict(X), mean)


def test_n_samples_changes_prediction_not_the_noise(data, small):
    X, _ = data
    reg = copy.deepcopy(small)
    noise = reg.noise_std_.copy()
    samples = reg.predict_samples(X[:5])
    reg.set_params(n_samples=4)
    assert reg.predict_samples(X[:5]).shape == (4, 5)
    np.testing.assert_array_equal(reg.predict_samples(X[:5]), samples[:4])
    np.testing.assert_array_equal(reg.noise_std_, noise)


def test_zero_dropout_is_the_deterministic_network(data, make_regressor):
    X, y = data
    reg = make_regressor(p=0.0, noise="homoscedastic").fit(X, y)
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
    # Targets are standardised per output: the network's outputs map back
    # through each column's own mean and std.
    encoder = reg.target_encoder_
    np.testing.assert_allclose(encoder.mean_, Y.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(encoder.scale_, Y.std(axis=0), rtol=1e-12)
    k = 2
    raw = reg.model_.predict(X, verbose=0)[:, :k].astype(np.float64)
    np.testing.assert_allclose(
        reg.predict_deterministic(X), encoder.mean_ + encoder.scale_ * raw, rtol=1e-6
    )
    # Both outputs then fit the same standardised target: the second is
    # 100 times the first plus 1000, up to the two heads' disagreement,
    # which is smaller than the error either makes.
    disagreement = (mean[:, 1] - 1000) / 100 - mean[:, 0]
    residual = y - mean[:, 0]
    assert np.sqrt(np.mean(disagreement**2)) < np.sqrt(np.mean(residual**2))
    # The same holds for the std: about 100 times, within a factor 2.
    ratio = std[:, 1] / std[:, 0]
    assert (50 < ratio).all() and (ratio < 200).all()
    column = make_regressor(noise=noise).fit(X, y[:, None])
    assert column.predict(X).shape == (len(X), 1)
    assert column.predict(X, return_std=True)[1].shape == (len(X), 1)


def test_transformed_target_regressor(data, make_regressor):
    X, y = data
    ttr = TransformedTargetRegressor(
        regressor=make_regressor(epochs=30), transformer=StandardScaler()
    ).fit(X, 1000 * y + 5000)
    # The regressor's predictions, mapped back by the transformer.
    inner = ttr.regressor_.predict(X)
    np.testing.assert_allclose(
        ttr.predict(X), ttr.transformer_.inverse_transform(inner[:, None]).ravel()
    )
    assert ttr.score(X, 1000 * y + 5000) > 0.5
    log_ttr = TransformedTargetRegressor(
        regressor=make_regressor(), func=np.log, inverse_func=np.exp
    ).fit(X, np.exp(y))
    np.testing.assert_allclose(
        log_ttr.predict(X), np.exp(log_ttr.regressor_.predict(X)), rtol=1e-12
    )


def test_grid_search_and_cross_validate(data, make_regressor):
    X, y = data
    X, y = X[::2], y[::2]
    candidates = [
        {"p": [0.05, 0.2]},
        {"n_samples": [5, 10]},
        {"noise": ["homoscedastic"]},
    ]
    grid = GridSearchCV(make_regressor(epochs=3), candidates, cv=2).fit(X, y)
    assert len(grid.cv_results_["params"]) == 5
    # The refitted estimator is the seeded fit of the best candidate.
    best = make_regressor(epochs=3, **grid.best_params_).fit(X, y)
    np.testing.assert_array_equal(
        grid.best_estimator_.predict(X, return_std=True),
        best.predict(X, return_std=True),
    )
    # Candidates differ only by p, n_samples or noise: each got its own.
    scores = grid.cv_results_["mean_test_score"]
    assert len(set(scores)) == len(scores)
    pipeline = make_pipeline(StandardScaler(), make_regressor())
    folds = KFold(2, shuffle=True, random_state=0)
    scores = cross_validate(
        pipeline, X, y, cv=folds, scoring=["r2", "neg_mean_squared_error"]
    )
    for score, (train, test) in zip(scores["test_r2"], folds.split(X), strict=True):
        fitted = clone(pipeline).fit(X[train], y[train])
        assert score == r2_score(y[test], fitted.predict(X[test]))


def test_user_network(data, make_regressor):
    import keras

    def build(meta, p):
        inputs = keras.Input((meta["n_features_in_"],))
        hidden = keras.layers.Dense(16, activation="tanh")(inputs)
        hidden = keras.layers.Dropout(p)(hidden)
        return keras.Model(inputs, keras.layers.Dense(1)(hidden))

    X, y = data
    reg = make_regressor(model=build, p=0.3, noise="homoscedastic").fit(X, y)
    assert reg.model_.layers[2].rate == 0.3
    assert reg.predict(X, return_std=True)[1].shape == (len(X),)
    # The same network has too few outputs for the default, heteroscedastic,
    # noise.
    with pytest.raises(ValueError, match="2 columns"):
        make_regressor(model=build).fit(X, y)


@pytest.mark.parametrize("noise", ["homoscedastic", "heteroscedastic"])
def test_memory_caches_the_noise_estimate_too(
    data, tmp_path, make_regressor, trainings, cache_entries, noise
):
    X, y = data
    first = make_regressor(noise=noise, memory=str(tmp_path)).fit(X, y)
    second = make_regressor(noise=noise, memory=str(tmp_path), n_samples=3).fit(X, y)
    # One network trained and stored; the second fit loaded it.
    assert trainings == ["MCDropoutRegressor"]
    assert cache_entries(tmp_path) == 1
    assert second.model_ is not first.model_
    for name in ("noise_std_", "noise_scale_"):
        np.testing.assert_array_equal(getattr(first, name), getattr(second, name))
    np.testing.assert_array_equal(
        first.predict_samples(X, return_noise_std=True)[1][:3],
        second.predict_samples(X, return_noise_std=True)[1],
    )
    np.testing.assert_array_equal(
        first.predict_samples(X)[:3], second.predict_samples(X)
    )


def _noise_on(reg, X, y):
    """The held-out noise estimate of ``reg``'s network on (X, y): its
    maximum-likelihood variance given 100 passes, in the units of y."""
    means = copy.deepcopy(reg).set_params(n_samples=100).predict_samples(X)
    scale = reg.target_encoder_.scale_
    z, z_means = y / scale, means / scale
    mean, model_var = z_means.mean(axis=0), z_means.var(axis=0)
    c = fit_noise_scale(
        ((z - mean) ** 2)[:, None], model_var[:, None], np.ones((len(y), 1))
    )
    return np.sqrt(c) * scale


def test_partial_fit_trains_one_epoch_per_batch_and_reestimates_the_noise(
    data, make_regressor
):
    X, y = data
    order = np.random.default_rng(0).permutation(len(X))
    (X1, y1), (X2, y2) = ((X[rows], y[rows]) for rows in np.split(order, 2))
    reg = make_regressor(noise="homoscedastic")
    reg.partial_fit(X1, y1)
    weights, noise = reg.model_.get_weights(), reg.noise_std_.copy()
    network = reg.model_
    reg.partial_fit(X2, y2)
    assert reg.model_ is network and reg.n_iter_ == 2
    assert len(reg.history_["loss"]) == 2 and reg.loss_curve_ == reg.history_["loss"]
    assert any(
        not np.array_equal(a, b)
        for a, b in zip(weights, network.get_weights(), strict=True)
    )
    # The noise is estimated again, on the second batch's held-out rows.
    assert not np.array_equal(reg.noise_std_, noise)
    _, held_out = calibration_split(len(y2), 0.1, derive_seed(reg._train_seed, 2))
    np.testing.assert_allclose(
        reg.noise_std_, _noise_on(reg, X2[held_out], y2[held_out]), rtol=1e-5
    )


def test_partial_fit_without_calibration_uses_the_batch(data, make_regressor):
    X, y = data
    reg = make_regressor(
        calibration_fraction=None, n_samples=100, noise="homoscedastic"
    )
    reg.partial_fit(X[:100], y[:100]).partial_fit(X[100:], y[100:])
    # The mean squared residual of the passes on the second batch's rows.
    means = reg.predict_samples(X[100:])
    expected = np.mean((y[100:] - means) ** 2)
    np.testing.assert_allclose(reg.noise_std_[0] ** 2, expected, rtol=1e-6)


def test_warm_start_continues_the_network(data, make_regressor):
    X, y = data
    reg = make_regressor(epochs=2, warm_start=True).fit(X, y)
    network, weights = reg.model_, reg.model_.get_weights()
    first = reg.predict(X)
    reg.fit(X, y)
    # The same network trained further; each fit's history is its own.
    assert reg.model_ is network and reg.n_iter_ == len(reg.history_["loss"]) == 2
    assert any(
        not np.array_equal(a, b)
        for a, b in zip(weights, network.get_weights(), strict=True)
    )
    assert not np.array_equal(reg.predict(X), first)
    # Not the fresh fit of the same epochs: the continued network.
    fresh = make_regressor(epochs=2).fit(X, y)
    assert not np.array_equal(reg.predict(X), fresh.predict(X))


# ----------------------------------------------------------------------
# Out-of-sample noise calibration (calibration_fraction)
# ----------------------------------------------------------------------


def test_defaults_are_a_heteroscedastic_head_calibrated_then_refitted():
    reg = MCDropoutRegressor()
    assert (
        reg.noise,
        reg.nll_beta,
        reg.calibration_fraction,
        reg.calibration_refit,
    ) == ("heteroscedastic", 0.5, 0.1, True)


def test_nll_beta_sets_the_heteroscedastic_loss(data, make_regressor):
    X, y = data
    default = make_regressor(noise="heteroscedastic").fit(X, y)
    assert isinstance(default.model_.loss, BetaNLL)
    assert default.model_.loss.beta == 0.5
    plain = make_regressor(noise="heteroscedastic", nll_beta=0.0).fit(X, y)
    assert plain.model_.loss is gaussian_nll_loss
    assert not np.allclose(default.predict(X), plain.predict(X))
    # A pickled network warm-starts with the loss it was trained with.
    restored = pickle.loads(pickle.dumps(default)).set_params(warm_start=True)
    assert restored.fit(X, y).model_.loss.beta == 0.5
    # Homoscedastic networks learn the mean by mean squared error, whatever
    # nll_beta says.
    homo = make_regressor(noise="homoscedastic", nll_beta=0.0).fit(X, y)
    assert homo.model_.loss == "mse"


@pytest.mark.parametrize("noise", ["homoscedastic", "heteroscedastic"])
def test_refit_trains_on_every_row_and_keeps_the_held_out_noise(
    data, noise, make_regressor
):
    # The noise comes from the network fitted without the held-out rows; the
    # weights are then those of a network fitted on every row from the same
    # start: exactly what calibration_fraction=None trains.
    X, y = data
    refit = make_regressor(noise=noise).fit(X, y)
    held_out = make_regressor(noise=noise, calibration_refit=False).fit(X, y)
    every_row = make_regressor(noise=noise, calibration_fraction=None).fit(X, y)
    for name in ("noise_std_", "noise_scale_"):
        np.testing.assert_array_equal(
            getattr(refit, name), getattr(held_out, name), err_msg=name
        )
    np.testing.assert_array_equal(
        refit.predict_samples(X), every_row.predict_samples(X)
    )
    assert not np.array_equal(refit.predict(X), held_out.predict(X))
    assert refit.n_iter_ == len(refit.loss_curve_) == refit.epochs
    np.testing.assert_array_equal(refit.loss_curve_, every_row.loss_curve_)


def test_warm_start_of_a_refitted_network_keeps_its_noise(data, make_regressor):
    X, y = data
    reg = make_regressor(epochs=2, warm_start=True).fit(X, y)
    weights, scale = reg.model_.get_weights(), reg.noise_scale_.copy()
    reg.fit(X, y)
    # Trained further on every row; no row is left to recalibrate on.
    assert any(
        not np.array_equal(a, b)
        for a, b in zip(weights, reg.model_.get_weights(), strict=True)
    )
    np.testing.assert_array_equal(reg.noise_scale_, scale)


def test_partial_fit_recalibrates_at_every_call_and_never_refits(data, make_regressor):
    X, y = data
    a = make_regressor().partial_fit(X[:100], y[:100])
    b = make_regressor(calibration_refit=False).partial_fit(X[:100], y[:100])
    first = a.noise_scale_.copy()
    for reg in (a, b):
        reg.partial_fit(X[100:], y[100:])
    np.testing.assert_array_equal(a.predict_samples(X), b.predict_samples(X))
    np.testing.assert_array_equal(a.noise_scale_, b.noise_scale_)
    assert not np.array_equal(a.noise_scale_, first)


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
    # 20 calibration rows: the variance is good to about +-30% (one standard
    # error), the std to +-15%, so the coverage to about 0.93-0.97, and
    # within 0.90-0.99 at two standard errors.
    assert 0.9 < covered < 0.99
    # And given the predictive std, exactly what Gaussian intervals of it
    # cover of the true distribution N(sin x, 0.1**2), up to 4 binomial
    # standard errors of the 2000 draws.
    offset = (mean - np.sin(X_new[:, 0])) / NOISE
    width = 1.96 * std / NOISE
    expected = np.mean(norm.cdf(offset + width) - norm.cdf(offset - width))
    assert abs(covered - expected) < 4 * np.sqrt(expected * (1 - expected) / 2000)


def test_training_row_noise_is_still_available(data, small, make_regressor):
    # calibration_fraction=None: the weights see every row, and the noise is
    # the mean squared residual of the passes on those same rows (the same
    # 100 passes: an identity up to rounding).
    X, y = data
    old = make_regressor(
        calibration_fraction=None, n_samples=100, noise="homoscedastic"
    ).fit(X, y)
    means = old.predict_samples(X)
    expected = np.mean((y - means) ** 2)
    np.testing.assert_allclose(old.noise_std_[0] ** 2, expected, rtol=1e-6)
    assert not np.array_equal(old.predict(X), small.predict(X))


def test_heteroscedastic_scale_is_fitted_on_held_out_rows(hetero):
    assert hetero.noise_std_ is None
    assert hetero.noise_scale_.shape == (1,)
    # A factor on the head's variances fitted on 20 rows: about 1, within a
    # factor 2 (its variance is good to +-30% per standard error).
    assert 0.5 < hetero.noise_scale_[0] < 2
    X = np.array([[-2.0], [2.0]])
    uncalibrated = MCDropoutRegressor(
        **{**hetero.get_params(), "calibration_fraction": None}
    ).fit(*_gap_data(heteroscedastic=True))
    np.testing.assert_array_equal(uncalibrated.noise_scale_, [1.0])
    # The head's variances are used as trained: the aleatoric std is the
    # root of the passes' mean variance, factor 1.
    _, noise_std = uncalibrated.predict_samples(X, return_noise_std=True)
    np.testing.assert_allclose(
        uncalibrated.predict_uncertainty(X, kind="aleatoric"),
        np.sqrt(np.mean(noise_std**2, axis=0)),
        rtol=1e-9,
    )


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


@pytest.mark.parametrize("noise", ["homoscedastic", "heteroscedastic"])
def test_a_collapsed_noise_calibration_warns_and_keeps_an_aleatoric_part(
    noise, make_regressor
):
    # Noise-free targets and a wide dropout: on 20 held-out rows the spread of
    # the passes explains every residual and the likelihood's best noise is
    # about 0. That must not silently remove the aleatoric part.
    X, y = make_regression(200, 5, noise=0.0, random_state=1)
    params = dict(hidden_layer_sizes=(32,), p=0.3, epochs=60, n_samples=30)
    reg = make_regressor(noise=noise, random_state=1, **params)
    with pytest.warns(UserWarning, match="alone explains their residuals") as record:
        reg.fit(X, y)
    assert "on the 20 held-out rows" in str(record[0].message)
    aleatoric = reg.predict_uncertainty(X, kind="aleatoric")
    total = reg.predict_uncertainty(X, kind="total")
    assert np.mean(aleatoric**2) / np.mean(total**2) > 0.01
