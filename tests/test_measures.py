"""The measures' access to Monte Carlo passes through scikit-learn wrappers."""

import pytest
from numpy.testing import assert_array_equal
from sklearn.datasets import make_classification
from sklearn.frozen import FrozenEstimator
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import PolynomialFeatures, StandardScaler

from sk_mcdropout import MCDropoutClassifier
from sk_mcdropout._measures import proba_samples


@pytest.fixture(scope="module")
def pipeline():
    """A tiny network after two steps; the second changes the feature count."""
    X, y = make_classification(n_samples=60, n_features=4, random_state=0)
    network = MCDropoutClassifier(
        hidden_layer_sizes=(4,), epochs=1, n_samples=3, random_state=0
    )
    pipe = make_pipeline(StandardScaler(), PolynomialFeatures(degree=2), network)
    return pipe.fit(X, y), X


def test_proba_samples_of_a_pipeline_are_its_last_steps_passes(pipeline):
    pipe, X = pipeline
    expected = pipe[-1].predict_proba_samples(pipe[:-1].transform(X))
    assert expected.shape == (3, len(X), 2)
    for estimator in (pipe, FrozenEstimator(pipe)):
        assert_array_equal(proba_samples(estimator, X), expected)
