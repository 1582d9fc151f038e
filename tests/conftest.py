"""Shared data and fitted estimators: each network is trained once per session."""

from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_iris
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.preprocessing import StandardScaler

from sk_mcdropout import MCDropoutClassifier, MCDropoutRegressor

# Small, fast, seeded networks: the recipe of every estimator the tests fit.
TINY_CLASSIFIER = dict(
    hidden_layer_sizes=(16,),
    epochs=10,
    learning_rate=0.01,
    n_samples=20,
    random_state=0,
)
TINY_REGRESSOR = dict(
    hidden_layer_sizes=(16,), epochs=5, learning_rate=0.01, n_samples=10, random_state=0
)


def _classifier(**params):
    return MCDropoutClassifier(**{**TINY_CLASSIFIER, **params})


def _regressor(**params):
    return MCDropoutRegressor(**{**TINY_REGRESSOR, **params})


@pytest.fixture(scope="session")
def tiny_params():
    """The parameters of the small seeded classifier (a fresh dict)."""
    return dict(TINY_CLASSIFIER)


@pytest.fixture(scope="session")
def make_classifier():
    """Factory of small, fast, seeded classifiers; keywords override."""
    return _classifier


@pytest.fixture(scope="session")
def make_regressor():
    """Factory of small, fast, seeded regressors; keywords override."""
    return _regressor


@pytest.fixture(scope="session")
def binary_data():
    X, y = load_breast_cancer(return_X_y=True)
    return StandardScaler().fit_transform(X).astype(np.float32), y


@pytest.fixture(scope="session")
def multiclass_data():
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), y


@pytest.fixture(scope="session")
def binary_clf(binary_data):
    X, y = binary_data
    return _classifier().fit(X, y)


@pytest.fixture(scope="session")
def multiclass_clf(multiclass_data):
    X, y = multiclass_data
    return _classifier(hidden_layer_sizes=(16, 16), epochs=30).fit(X, y)


@pytest.fixture(scope="session")
def cancer():
    """Breast cancer, scaled, split 60/40: X_train, X_test, y_train, y_test."""
    X, y = load_breast_cancer(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    return train_test_split(X, y, test_size=0.4, random_state=0)


@pytest.fixture(scope="session")
def mc_clf(cancer):
    X_train, _, y_train, _ = cancer
    return _classifier(hidden_layer_sizes=(8,), epochs=5).fit(X_train, y_train)


@pytest.fixture
def trainings(monkeypatch):
    """Names of the estimators whose network trained in this process, one per
    training run, from the start of the test: a cache hit adds nothing."""
    from sk_mcdropout.neural_network._base import MCDropoutMixin

    calls = []
    train = MCDropoutMixin._train

    def counting(self, *args, **kwargs):
        calls.append(type(self).__name__)
        return train(self, *args, **kwargs)

    monkeypatch.setattr(MCDropoutMixin, "_train", counting)
    return calls


@pytest.fixture(scope="session")
def cache_entries():
    """Number of fits stored in a ``memory`` cache directory."""

    def entries(location):
        return sum(1 for _ in Path(location).rglob("output.pkl"))

    return entries


@pytest.fixture(scope="session")
def grid_search(binary_data, make_classifier):
    """The small grid search that tests repeat in parallel or through a cache.

    Its rows (X, y), a factory of the search (estimator parameters, then
    GridSearchCV's), and the cv_results_ of the search run sequentially.
    """
    X, y = binary_data
    X, y = X[:200], y[:200]
    grid = {"p": [0.1, 0.3], "n_samples": [5, 10]}

    def search(estimator_params=None, **params):
        estimator = make_classifier(epochs=3, **(estimator_params or {}))
        return GridSearchCV(estimator, grid, **{"cv": 2, "refit": False, **params})

    return X, y, search, search().fit(X, y).cv_results_
