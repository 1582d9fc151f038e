"""Regression uncertainty metrics: closed forms, scipy.stats, validation, scorer."""

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from scipy import integrate, stats
from sklearn.base import clone
from sklearn.gaussian_process import GaussianProcessRegressor
from sklearn.linear_model import BayesianRidge, LinearRegression
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sk_mcdropout import MCDropoutRegressor
from sk_mcdropout._compat import InvalidParameterError
from sk_mcdropout.metrics import (
    crps_gaussian,
    gaussian_nll,
    interval_coverage,
    mean_interval_width,
    miscalibration_area,
    neg_gaussian_nll_scorer,
    regression_calibration_curve,
    sharpness,
)

METRICS = [
    gaussian_nll,
    crps_gaussian,
    interval_coverage,
    mean_interval_width,
    sharpness,
    miscalibration_area,
]


@pytest.fixture(scope="module")
def predictions():
    rng = np.random.default_rng(0)
    n = 300
    y_mean = rng.normal(size=n)
    y_std = rng.uniform(0.2, 2.0, size=n)
    y_true = y_mean + y_std * rng.standard_normal(n) + 0.3
    weights = rng.uniform(0, 3, size=n)
    return y_true, y_mean, y_std, weights


def test_nll_matches_scipy(predictions):
    y, mu, s, w = predictions
    logpdf = stats.norm.logpdf(y, loc=mu, scale=s)
    assert gaussian_nll(y, mu, s) == pytest.approx(-logpdf.mean(), rel=1e-12)
    assert gaussian_nll(y, mu, s, sample_weight=w) == pytest.approx(
        -np.average(logpdf, weights=w), rel=1e-12
    )


def test_crps_matches_its_definition(predictions):
    y, mu, s, _ = predictions
    # CRPS(F, y) = integral of (F(x) - 1{x >= y})**2 dx, by quadrature.
    expected = []
    for yi, mi, si in zip(y[:20], mu[:20], s[:20], strict=True):
        cdf = stats.norm(mi, si).cdf
        left = integrate.quad(lambda x, c=cdf: c(x) ** 2, -np.inf, yi)[0]
        right = integrate.quad(lambda x, c=cdf: (1 - c(x)) ** 2, yi, np.inf)[0]
        expected.append(left + right)
    assert crps_gaussian(y[:20], mu[:20], s[:20]) == pytest.approx(
        np.mean(expected), rel=1e-6
    )
    # Tends to the absolute error as the std vanishes; scales with the units.
    assert crps_gaussian([3.0], [1.0], [1e-9]) == pytest.approx(2.0)
    assert crps_gaussian(10 * y, 10 * mu, 10 * s) == pytest.approx(
        10 * crps_gaussian(y, mu, s)
    )


def test_interval_coverage_and_width(predictions):
    y, mu, s, w = predictions
    for level in (0.5, 0.9, 0.95):
        low, high = stats.norm.interval(level, loc=mu, scale=s)
        inside = (y >= low) & (y <= high)
        assert interval_coverage(y, mu, s, confidence_level=level) == pytest.approx(
            inside.mean()
        )
        assert interval_coverage(
            y, mu, s, confidence_level=level, sample_weight=w
        ) == pytest.approx(np.average(inside, weights=w))
        assert mean_interval_width(y, mu, s, confidence_level=level) == pytest.approx(
            (high - low).mean()
        )
    # A calibrated Gaussian covers about the nominal share.
    rng = np.random.default_rng(1)
    z = rng.standard_normal(20_000)
    ones = np.ones_like(z)
    assert interval_coverage(z, 0 * z, ones) == pytest.approx(0.95, abs=0.005)


def test_sharpness_is_the_root_mean_variance(predictions):
    y, mu, s, w = predictions
    assert sharpness(y, mu, s) == pytest.approx(np.sqrt(np.mean(s**2)))
    assert sharpness(y, mu, s, sample_weight=w) == pytest.approx(
        np.sqrt(np.average(s**2, weights=w))
    )


@pytest.mark.parametrize("kind", ["interval", "quantile"])
def test_calibration_curve_counts_rows(predictions, kind):
    y, mu, s, w = predictions
    expected, observed = regression_calibration_curve(
        y, mu, s, n_levels=11, kind=kind, sample_weight=w
    )
    assert expected.tolist() == pytest.approx(np.linspace(0, 1, 11).tolist())
    for q, obs in zip(expected[1:-1], observed[1:-1], strict=True):
        if kind == "interval":
            low, high = stats.norm.interval(q, loc=mu, scale=s)
            hit = (y >= low) & (y <= high)
        else:
            hit = y <= stats.norm.ppf(q, loc=mu, scale=s)
        assert obs == pytest.approx(np.average(hit, weights=w))
    assert observed[-1] == 1.0
    assert np.all(np.diff(observed) >= 0)


def test_miscalibration_area():
    rng = np.random.default_rng(0)
    z = rng.standard_normal(50_000)
    zeros, ones = np.zeros_like(z), np.ones_like(z)
    assert miscalibration_area(z, zeros, ones) < 0.005
    # Closed form for std scaled by k: observed(q) = 2 Phi(Phi^-1((1+q)/2) / k) - 1.
    k = 0.5
    levels = np.linspace(0, 1, 2001)
    truth = 2 * stats.norm.cdf(stats.norm.ppf((1 + levels[:-1]) / 2) / k) - 1
    area = integrate.trapezoid(np.abs(np.r_[truth, 1.0] - levels), levels)
    assert miscalibration_area(z, zeros, k * ones) == pytest.approx(area, abs=0.01)
    # Too wide and too narrow both count; the quantile kind sees a bias.
    assert miscalibration_area(z, zeros, 3 * ones) > 0.2
    assert miscalibration_area(z, zeros + 1, ones, kind="quantile") > 0.25
    # Weights: duplicating rows equals weighting them by 2.
    y, m, s = z[:500], zeros[:500], 0.8 * ones[:500]
    weights = np.r_[np.full(250, 2.0), np.ones(250)]
    assert miscalibration_area(y, m, s, sample_weight=weights) == pytest.approx(
        miscalibration_area(np.r_[y[:250], y], np.r_[m[:250], m], np.r_[s[:250], s])
    )


def test_multi_output_averages_over_outputs(predictions):
    y, mu, s, _ = predictions
    Y, M, S = (np.column_stack([a, 2 * a]) for a in (y, mu, s))
    for metric in (gaussian_nll, crps_gaussian, interval_coverage):
        both = (metric(y, mu, s) + metric(2 * y, 2 * mu, 2 * s)) / 2
        assert metric(Y, M, S) == pytest.approx(both)


@pytest.mark.parametrize("metric", METRICS)
def test_validation(metric):
    y = np.array([0.0, 1.0, 2.0])
    std = np.ones(3)
    with pytest.raises(ValueError, match="same shape"):
        metric(y, y[:, None].repeat(2, axis=1), std)
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        metric(y, y[:2], std)
    with pytest.raises(ValueError, match="y_mean contains NaN"):
        metric(y, np.array([0.0, np.nan, 1.0]), std)
    with pytest.raises(ValueError, match="y_std contains infinity"):
        metric(y, y, np.array([1.0, np.inf, 1.0]))
    with pytest.raises(ValueError, match="y_std must be positive"):
        metric(y, y, np.array([1.0, 0.0, 1.0]))
    with pytest.raises(ValueError, match="sample_weight must be non-negative"):
        metric(y, y, std, sample_weight=[1.0, -1.0, 1.0])
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        metric(y, y, std, sample_weight=[1.0, 1.0])
    with pytest.raises(ValueError, match="dim 3"):
        metric(np.ones((3, 1, 1)), np.ones((3, 1, 1)), np.ones((3, 1, 1)))


@pytest.mark.parametrize(
    "call, match",
    [
        (
            lambda y: interval_coverage(y, y, y + 1, confidence_level=95),
            r"The 'confidence_level' parameter of interval_coverage must be a "
            r"float in the range \(0.0, 1.0\). Got 95 instead.",
        ),
        (
            lambda y: mean_interval_width(y, y, y + 1, confidence_level=0.0),
            r"The 'confidence_level' parameter of mean_interval_width must be a "
            r"float in the range \(0.0, 1.0\). Got 0.0 instead.",
        ),
        (
            lambda y: miscalibration_area(y, y, y + 1, n_levels=1),
            r"The 'n_levels' parameter of miscalibration_area must be an int in "
            r"the range \[2, inf\). Got 1 instead.",
        ),
        (
            lambda y: regression_calibration_curve(y, y, y + 1, n_levels=10.0),
            r"The 'n_levels' parameter of regression_calibration_curve must be an "
            r"int in the range \[2, inf\). Got 10.0 instead.",
        ),
        (
            lambda y: regression_calibration_curve(y, y, y + 1, kind="cdf"),
            r"The 'kind' parameter of regression_calibration_curve must be a str "
            r"among \{'(interval|quantile)', '(interval|quantile)'\}. Got 'cdf' "
            r"instead.",
        ),
        (
            lambda y: gaussian_nll(y, y, 1.0),
            r"The 'y_std' parameter of gaussian_nll must be an array-like. Got 1.0 "
            r"instead.",
        ),
        (
            lambda y: neg_gaussian_nll_scorer("model", y, y),
            r"The 'estimator' parameter of neg_gaussian_nll_scorer must be an "
            r"object implementing 'predict'. Got 'model' instead.",
        ),
    ],
)
def test_parameter_validation(call, match):
    with pytest.raises(InvalidParameterError, match=f"^{match}$"):
        call(np.zeros(3))


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_scorer_with_any_std_regressor():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    y = X @ [1.0, -2.0, 0.5] + 0.5 * rng.standard_normal(200)
    for model in (BayesianRidge(), GaussianProcessRegressor()):
        pipe = make_pipeline(StandardScaler(), model).fit(X, y)
        mean, std = pipe.predict(X, return_std=True)
        assert neg_gaussian_nll_scorer(pipe, X, y) == -gaussian_nll(y, mean, std)
    with pytest.raises(TypeError, match="return_std"):
        neg_gaussian_nll_scorer(LinearRegression().fit(X, y), X, y)


def test_grid_search_over_p_on_log_likelihood():
    rng = np.random.default_rng(0)
    X = rng.uniform(-2, 2, size=(120, 2))
    y = np.sin(X[:, 0]) + 0.1 * rng.standard_normal(120)
    reg = MCDropoutRegressor(
        hidden_layer_sizes=(8,),
        epochs=3,
        learning_rate=0.02,
        n_samples=5,
        random_state=0,
    )
    search = GridSearchCV(
        reg, {"p": [0.05, 0.3]}, scoring=neg_gaussian_nll_scorer, cv=KFold(2)
    ).fit(X, y)
    scores = search.cv_results_["mean_test_score"]
    # Each is the mean over folds of the held-out log-likelihood of the same
    # seeded network, refitted here by hand.
    for p, score in zip([0.05, 0.3], scores, strict=True):
        by_hand = []
        for train, test in KFold(2).split(X):
            fold = clone(reg).set_params(p=p).fit(X[train], y[train])
            mean, std = fold.predict(X[test], return_std=True)
            by_hand.append(-gaussian_nll(y[test], mean, std))
        assert score == pytest.approx(np.mean(by_hand), rel=1e-12)
    best = search.best_estimator_
    mean, std = best.predict(X, return_std=True)
    assert search.score(X, y) == pytest.approx(-gaussian_nll(y, mean, std))
    assert best.p == search.cv_results_["params"][int(np.argmax(scores))]["p"]


def test_every_metric_weights_its_rows(predictions):
    y, mu, s, w = predictions
    z = np.abs(y - mu) / s
    crps = s * (
        z * (2 * stats.norm.cdf(z) - 1) + 2 * stats.norm.pdf(z) - 1 / np.sqrt(np.pi)
    )
    assert crps_gaussian(y, mu, s, sample_weight=w) == pytest.approx(
        np.average(crps, weights=w)
    )
    width = 2 * stats.norm.ppf(0.95) * s
    assert mean_interval_width(
        y, mu, s, confidence_level=0.9, sample_weight=w
    ) == pytest.approx(np.average(width, weights=w))


def test_defaults_are_the_documented_ones(predictions):
    y, mu, s, _ = predictions
    assert mean_interval_width(y, mu, s) == mean_interval_width(
        y, mu, s, confidence_level=0.95
    )
    assert interval_coverage(y, mu, s) == interval_coverage(
        y, mu, s, confidence_level=0.95
    )
    expected, observed = regression_calibration_curve(y, mu, s)
    assert_array_equal(expected, np.linspace(0, 1, 101))
    assert_array_equal(
        observed, regression_calibration_curve(y, mu, s, kind="interval")[1]
    )
    assert miscalibration_area(y, mu, s) == miscalibration_area(
        y, mu, s, n_levels=101, kind="interval"
    )
    assert miscalibration_area(y, mu, s) != miscalibration_area(y, mu, s, n_levels=102)


def test_intervals_are_closed():
    # A target exactly on the edge of its interval is inside it.
    z = stats.norm.ppf(0.975)
    assert interval_coverage([z, -z], [0.0, 0.0], [1.0, 1.0]) == 1.0
    # A target exactly at its mean is inside the interval of level 0 (a
    # point), and at its median for the quantile of level 1/2.
    y = np.array([0.0, 0.0, 1.0, -2.0])
    _, observed = regression_calibration_curve(y, 0 * y, 0 * y + 1, n_levels=3)
    assert observed.tolist() == [0.5, 0.5, 1.0]
    _, observed = regression_calibration_curve(
        y, 0 * y, 0 * y + 1, n_levels=3, kind="quantile"
    )
    assert observed.tolist() == [0.0, 0.75, 1.0]


def test_gaussian_inputs_are_refused_in_full():
    y, std = np.array([0.0, 1.0, 2.0]), np.ones(3)
    with pytest.raises(
        ValueError,
        match=r"^Found input variables with inconsistent numbers of samples: "
        r"\[3, 3, 2\]$",
    ):
        gaussian_nll(y, y, std[:2])
    with pytest.raises(
        ValueError,
        match=r"^Found input variables with inconsistent numbers of samples: "
        r"\[2, 3, 3\]$",
    ):
        gaussian_nll(y[:2], y, std)
    with pytest.raises(
        ValueError,
        match=r"^y_true, y_mean and y_std must have the same shape; got \(3,\), "
        r"\(3, 2\) and \(3,\).$",
    ):
        gaussian_nll(y, y[:, None].repeat(2, axis=1), std)
    with pytest.raises(
        ValueError,
        match=r"^y_std must be positive; got a minimum of 0. A Gaussian needs a "
        r"positive standard deviation.$",
    ):
        gaussian_nll(y, y, np.array([1.0, 0.0, 1.0]))
    for args in (
        (np.array(["a", "b", "c"]), y, std),
        (y, np.array(["a", "b", "c"]), std),
    ):
        with pytest.raises(ValueError, match="could not convert string to float"):
            gaussian_nll(*args)
    with pytest.raises(ValueError, match="^Input y_true contains NaN.$"):
        gaussian_nll(np.array([0.0, np.nan, 1.0]), y, std)
    # Integer arrays are numbers like any other.
    assert gaussian_nll([0, 1, 2], [0, 1, 2], [1, 1, 1]) == pytest.approx(
        0.5 * np.log(2 * np.pi)
    )


def test_scorer_weights_its_rows():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(100, 2))
    y = X @ [1.0, -1.0] + rng.standard_normal(100)
    model = BayesianRidge().fit(X, y)
    weights = rng.uniform(0, 2, size=100)
    mean, std = model.predict(X, return_std=True)
    assert neg_gaussian_nll_scorer(model, X, y, sample_weight=weights) == pytest.approx(
        -gaussian_nll(y, mean, std, sample_weight=weights)
    )
    assert neg_gaussian_nll_scorer(model, X, y, sample_weight=weights) != pytest.approx(
        neg_gaussian_nll_scorer(model, X, y)
    )
