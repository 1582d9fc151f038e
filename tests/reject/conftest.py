"""Fitted stand-ins whose predictions are given per row: exact expected values."""

import numpy as np
import pytest
from scipy.special import expit
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.utils import resample


class LookupClassifier(ClassifierMixin, BaseEstimator):
    """A fitted classifier whose probabilities are stored per row id (X[:, 0]).

    ``samples`` (n_passes, n_rows, n_classes) gives MC passes; without it,
    two passes equal to ``proba``, so that every measure of disagreement
    between passes is 0.
    """

    def __init__(self, proba=None, classes=(0, 1), samples=None):
        self.proba = proba
        self.classes = classes
        self.samples = samples

    def fit(self, X=None, y=None):
        self.classes_ = np.asarray(self.classes)
        return self

    def _ids(self, X):
        return np.asarray(X)[:, 0].astype(int)

    def predict_proba(self, X):
        if self.samples is not None:
            return self.samples[:, self._ids(X)].mean(axis=0)
        return self.proba[self._ids(X)]

    def predict_proba_samples(self, X):
        if self.samples is not None:
            return self.samples[:, self._ids(X)]
        proba = self.predict_proba(X)
        return np.stack([proba, proba])

    def predict(self, X):
        return self.classes_[self.predict_proba(X).argmax(axis=1)]


class LookupRegressor(RegressorMixin, BaseEstimator):
    """A fitted regressor whose mean and std are stored per row id (X[:, 0])."""

    def __init__(self, mean=None, std=None):
        self.mean = mean
        self.std = std

    def fit(self, X=None, y=None):
        self.n_features_in_ = 1
        return self

    def predict(self, X, return_std=False):
        ids = np.asarray(X)[:, 0].astype(int)
        if return_std:
            return self.mean[ids], self.std[ids]
        return self.mean[ids]


class BootstrapClassifier(ClassifierMixin, BaseEstimator):
    """Logistic regressions fitted on stratified bootstrap samples.

    A fast, fittable source of passes that disagree most away from the data,
    like MC dropout's: ``predict_proba_samples`` stacks the members'.
    """

    def __init__(self, n_members=5, random_state=0):
        self.n_members = n_members
        self.random_state = random_state

    def fit(self, X, y):
        self.classes_ = np.unique(y)
        rng = np.random.RandomState(self.random_state)
        self.members_ = [
            LogisticRegression().fit(*resample(X, y, stratify=y, random_state=rng))
            for _ in range(self.n_members)
        ]
        return self

    def predict_proba_samples(self, X):
        return np.stack([member.predict_proba(X) for member in self.members_])

    def predict_proba(self, X):
        return self.predict_proba_samples(X).mean(axis=0)


@pytest.fixture(scope="session")
def lookup():
    """``lookup(proba, classes=(0, 1), samples=None)``: a frozen
    LookupClassifier and the row ids to give it as X."""

    def make(proba=None, classes=(0, 1), samples=None):
        proba = None if proba is None else np.asarray(proba, dtype=float)
        n_rows = len(proba) if proba is not None else samples.shape[1]
        ids = np.arange(n_rows).reshape(-1, 1)
        model = LookupClassifier(proba, classes, samples).fit()
        return FrozenEstimator(model), ids

    return make


@pytest.fixture(scope="session")
def make_bootstrap():
    """Factory of BootstrapClassifier; keywords are its parameters."""
    return BootstrapClassifier


@pytest.fixture(scope="session")
def lookup_regressor():
    """``lookup_regressor(mean, std)``: a frozen LookupRegressor and row ids."""

    def make(mean, std):
        ids = np.arange(len(mean)).reshape(-1, 1)
        model = LookupRegressor(np.asarray(mean), np.asarray(std)).fit()
        return FrozenEstimator(model), ids

    return make


class RowCountConfidenceClassifier(ClassifierMixin, BaseEstimator):
    """Logistic regression whose logits grow with the rows it was fitted on.

    Like a network trained for the same number of epochs on more rows (more
    optimizer steps), a model refitted on all the rows is more confident than
    the fold models were: ``predict_proba`` is the logistic regression's with
    its logit multiplied by ``(n_rows / rows_per_unit) ** 4``, a growth steep
    enough for the drift to stand out of the sampling error of a few hundred
    rows.
    """

    def __init__(self, rows_per_unit=100):
        self.rows_per_unit = rows_per_unit

    def fit(self, X, y):
        self.model_ = LogisticRegression().fit(X, y)
        self.classes_ = self.model_.classes_
        self.scale_ = (len(y) / self.rows_per_unit) ** 4
        return self

    def predict_proba(self, X):
        logit = self.scale_ * self.model_.decision_function(X)
        positive = expit(logit)
        return np.column_stack([1.0 - positive, positive])

    def predict(self, X):
        return self.classes_[self.predict_proba(X).argmax(axis=1)]


@pytest.fixture(scope="session")
def make_row_count_confident():
    """Factory of RowCountConfidenceClassifier; keywords are its parameters."""
    return RowCountConfidenceClassifier
