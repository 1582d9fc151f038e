"""Bad parameters and inputs of the reject options, refused in scikit-learn's words.

Single parameters are checked by scikit-learn's constraints (every one of
them, by ``check_param_validation`` in ``tests/test_common.py``); these
tests pin the messages a user reads, and the checks that span several
parameters or need the data.
"""

import re

import numpy as np
import pytest
from sklearn.linear_model import BayesianRidge, LinearRegression, LogisticRegression

from sk_mcdropout import RejectOptionClassifier, RejectOptionRegressor
from sk_mcdropout._compat import InvalidParameterError

MEASURE_NAMES = (
    r"\{('(max_probability|predictive_entropy|mutual_information"
    r"|variation_ratio|predicted_class_std)'(, )?){5}\}"
)


@pytest.fixture(scope="module")
def classification():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(60, 3))
    return X, (X[:, 0] > 0).astype(int)


@pytest.mark.parametrize("Estimator", [RejectOptionClassifier, RejectOptionRegressor])
@pytest.mark.parametrize(
    "value, shown",
    [(1.5, "1.5"), (1.2, "1.2"), ("a", "'a'"), (0.0, "0.0"), (-1, "-1")],
)
def test_bad_coverage_in_scikit_learns_words(classification, Estimator, value, shown):
    X, y = classification
    estimator = LogisticRegression() if Estimator is RejectOptionClassifier else None
    estimator = estimator or BayesianRidge()
    message = (
        f"The 'coverage' parameter of {Estimator.__name__} must be a float in the "
        f"range (0.0, 1.0] or None. Got {shown} instead."
    )
    with pytest.raises(InvalidParameterError, match=f"^{re.escape(message)}$"):
        Estimator(estimator, coverage=value).fit(X, y)


@pytest.mark.parametrize(
    "params, match",
    [
        (
            dict(measure="entropy"),
            rf"The 'measure' parameter of RejectOptionClassifier must be a str "
            rf"among {MEASURE_NAMES}. Got 'entropy' instead.",
        ),
        (
            dict(max_risk=-0.1),
            r"The 'max_risk' parameter of RejectOptionClassifier must be a float "
            r"in the range \[0.0, 1.0\] or None. Got -0.1 instead.",
        ),
        (
            dict(max_risk=0.1, confidence=1.0),
            r"The 'confidence' parameter of RejectOptionClassifier must be a float "
            r"in the range \(0.0, 1.0\) or None. Got 1.0 instead.",
        ),
        (
            dict(max_risk=0.1, correction="bonferroni"),
            r"The 'correction' parameter of RejectOptionClassifier must be a str "
            r"among \{'(fixed_sequence|sgr)', '(fixed_sequence|sgr)'\}. Got "
            r"'bonferroni' instead.",
        ),
        (
            dict(cv=1.5),
            r"The 'cv' parameter of RejectOptionClassifier must be an int in the "
            r"range \[2, inf\), .* or a float in the range \(0.0, 1.0\). Got 1.5 "
            r"instead.",
        ),
        (
            # numpy.bool_ before NumPy 2.
            dict(refit="no"),
            r"The 'refit' parameter of RejectOptionClassifier must be an instance "
            r"of 'bool' or an instance of 'numpy.bool_?'. Got 'no' instead.",
        ),
        (
            dict(error_cost=[1, 0.2]),
            r"The 'error_cost' parameter of RejectOptionClassifier must be an "
            r"instance of 'dict' or None. Got \[1, 0.2\] instead.",
        ),
        (
            dict(novelty_quantile=1.0),
            r"The 'novelty_quantile' parameter of RejectOptionClassifier must be a "
            r"float in the range \(0.0, 1.0\) or None. Got 1.0 instead.",
        ),
        (
            dict(novelty_quantile=0.9, novelty_measure="bald"),
            rf"The 'novelty_measure' parameter of RejectOptionClassifier must be a "
            rf"str among {MEASURE_NAMES}. Got 'bald' instead.",
        ),
        (
            dict(n_jobs=1.5),
            r"The 'n_jobs' parameter of RejectOptionClassifier must be an instance "
            r"of 'int' or None. Got 1.5 instead.",
        ),
    ],
)
def test_bad_classifier_parameter(classification, params, match):
    X, y = classification
    with pytest.raises(InvalidParameterError, match=f"^{match}$"):
        RejectOptionClassifier(LogisticRegression(), **params).fit(X, y)


@pytest.mark.parametrize(
    "params, match",
    [
        (
            dict(coverage=0.9, max_risk=0.1),
            r"Set at most one of the 'coverage' and 'max_risk' parameters of "
            r"RejectOptionClassifier: the threshold is chosen either for a "
            r"coverage or for a risk. Got coverage=0.9 and max_risk=0.1 instead.",
        ),
        (
            dict(confidence=0.9),
            r"The 'confidence' parameter of RejectOptionClassifier is the "
            r"probability that the selective risk is at most 'max_risk'; set "
            r"max_risk too \(a coverage target has no guarantee\).",
        ),
        (
            dict(error_cost={0: 1.0, 1: 5.0}),
            r"The 'error_cost' parameter of RejectOptionClassifier must map each "
            r"class to a cost in \[0, 1\]. Got 5.0 for class 1 instead.",
        ),
        (
            dict(error_cost={0: 1.0, 1: float("nan")}),
            r"The 'error_cost' parameter of RejectOptionClassifier must map each "
            r"class to a cost in \[0, 1\]. Got nan for class 1 instead.",
        ),
        (
            dict(error_cost={0: 1.0}),
            r"The 'error_cost' parameter of RejectOptionClassifier must give a "
            r"cost for each class of \[0, 1\]. Got none for the classes \[1\] "
            r"instead.",
        ),
        (dict(measure="mutual_information"), ".*predict_proba_samples method.*"),
        (dict(novelty_quantile=0.9), ".*predict_proba_samples method.*"),
    ],
)
def test_classifier_parameters_that_depend_on_each_other(classification, params, match):
    # Not single bad values: a plain ValueError, still in scikit-learn's
    # words where a parameter is named.
    X, y = classification
    with pytest.raises(ValueError, match=f"^{match}$") as error:
        RejectOptionClassifier(LogisticRegression(), cv=2, **params).fit(X, y)
    assert not isinstance(error.value, InvalidParameterError)


@pytest.mark.parametrize(
    "params, match",
    [
        (
            dict(loss="absolute_error"),
            r"The 'loss' parameter of RejectOptionRegressor must be a str among "
            r"\{'(squared_error|interval_miss)', '(squared_error|interval_miss)'\}. "
            r"Got 'absolute_error' instead.",
        ),
        (
            dict(max_risk=-1.0),
            r"The 'max_risk' parameter of RejectOptionRegressor must be a float in "
            r"the range \[0.0, inf\) or None. Got -1.0 instead.",
        ),
        (
            dict(interval_level=1.0),
            r"The 'interval_level' parameter of RejectOptionRegressor must be a "
            r"float in the range \(0.0, 1.0\). Got 1.0 instead.",
        ),
    ],
)
def test_bad_regressor_parameter(params, match):
    with pytest.raises(InvalidParameterError, match=f"^{match}$"):
        RejectOptionRegressor(BayesianRidge(), **params).fit(
            np.ones((10, 1)), np.arange(10.0)
        )


@pytest.mark.parametrize(
    "params, match",
    [
        (
            dict(max_risk=2.0, loss="interval_miss"),
            r"The 'max_risk' parameter of RejectOptionRegressor must be a float in "
            r"the range \[0, 1\] with loss='interval_miss' \(a fraction of "
            r"misses\). Got 2.0 instead.",
        ),
        (
            dict(confidence=0.9),
            r"The 'confidence' parameter of RejectOptionRegressor is the "
            r"probability that the selective risk is at most 'max_risk'; set "
            r"max_risk too \(a coverage target has no guarantee\).",
        ),
        (
            dict(max_risk=1.0, confidence=0.9),
            r"The 'confidence' parameter of RejectOptionRegressor needs a bounded "
            r"loss: the squared error has no finite-sample bound. Use "
            r"loss='interval_miss' for a guarantee, or drop confidence.",
        ),
        (
            dict(coverage=0.5, max_risk=0.1),
            r"Set at most one of the 'coverage' and 'max_risk' parameters of "
            r"RejectOptionRegressor: .*",
        ),
    ],
)
def test_regressor_parameters_that_depend_on_each_other(params, match):
    with pytest.raises(ValueError, match=f"^{match}$"):
        RejectOptionRegressor(BayesianRidge(), **params).fit(
            np.ones((10, 1)), np.arange(10.0)
        )


def test_regressor_without_return_std_is_refused():
    message = (
        "The 'estimator' parameter of RejectOptionRegressor must be a regressor "
        "whose predict accepts return_std=True (MCDropoutRegressor, "
        "GaussianProcessRegressor, BayesianRidge, or a Pipeline ending with one). "
        "Got LinearRegression, whose predict does not."
    )
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        RejectOptionRegressor(LinearRegression()).fit(np.ones((10, 1)), np.ones(10))


@pytest.mark.parametrize(
    "y, match",
    [
        (
            None,
            "RejectOptionRegressor requires y to be passed, but the target y is None",
        ),
        (np.array(["a", "b"] * 5), "could not convert string to float"),
        (np.r_[np.ones(9), np.nan], "Input y contains NaN"),
    ],
)
def test_regressor_target_is_checked(y, match):
    with pytest.raises(ValueError, match=match):
        RejectOptionRegressor(BayesianRidge()).fit(np.ones((10, 1)), y)


@pytest.mark.parametrize("Estimator", [RejectOptionClassifier, RejectOptionRegressor])
def test_confidence_refuses_sample_weight(classification, Estimator):
    X, y = classification
    estimator = LogisticRegression() if Estimator is RejectOptionClassifier else None
    reject = Estimator(
        estimator or BayesianRidge(),
        max_risk=0.2,
        confidence=0.9,
        **({} if estimator else {"loss": "interval_miss"}),
    )
    with pytest.raises(
        ValueError,
        match="^sample_weight cannot be used with confidence: the certified bound "
        "is on the selective risk of unweighted rows.$",
    ):
        reject.fit(X, y, sample_weight=np.ones(len(y)))


@pytest.mark.parametrize(
    "sample_weight, match",
    [
        (np.r_[np.ones(59), -1.0], "sample_weight must be non-negative"),
        (np.zeros(60), "All sample weights are zero"),
        (np.ones(59), "inconsistent numbers of samples"),
    ],
)
def test_bad_sample_weight(classification, sample_weight, match):
    X, y = classification
    with pytest.raises(ValueError, match=match):
        RejectOptionClassifier(LogisticRegression(), cv=2).fit(
            X, y, sample_weight=sample_weight
        )
