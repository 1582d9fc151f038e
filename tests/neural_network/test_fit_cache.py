"""The ``memory`` fit cache: hits are exact, anything that trains differently misses."""

import numpy as np
import pandas as pd
import pytest
from joblib import Memory

from sk_mcdropout import MCDropoutClassifier


class CountingClassifier(MCDropoutClassifier):
    """Counts the networks actually trained, in this process."""

    trained = 0

    def _fit_keras_model(self, *args, **kwargs):
        type(self).trained += 1
        return super()._fit_keras_model(*args, **kwargs)


@pytest.fixture
def counting(tiny_params):
    """A counting classifier with the cache at ``memory``."""

    def make(memory, **params):
        params = {**tiny_params, "epochs": 3, "memory": memory, **params}
        return CountingClassifier(**params)

    return make


@pytest.fixture
def data(binary_data):
    X, y = binary_data
    return X[:200], y[:200]


def assert_same_fit(a, b, X):
    assert set(vars(a)) == set(vars(b))
    for wa, wb in zip(a.model_.get_weights(), b.model_.get_weights(), strict=True):
        np.testing.assert_array_equal(wa, wb)
    assert a.history_ == b.history_
    assert a.mc_seed_ == b.mc_seed_
    assert a.n_features_in_ == b.n_features_in_
    np.testing.assert_array_equal(a.classes_, b.classes_)
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    np.testing.assert_array_equal(a.predict_uncertainty(X), b.predict_uncertainty(X))


def test_hit_is_bit_identical_and_does_not_train(
    data, tmp_path, counting, cache_entries
):
    X, y = data
    CountingClassifier.trained = 0
    first = counting(tmp_path).fit(X, y)
    assert CountingClassifier.trained == 1
    second = counting(tmp_path).fit(X, y)
    assert CountingClassifier.trained == 1
    # Loaded from disk, not shared with the first estimator.
    assert second.model_ is not first.model_
    fresh = counting(None).fit(X, y)
    assert CountingClassifier.trained == 2
    assert_same_fit(second, fresh, X)
    assert_same_fit(first, fresh, X)
    assert cache_entries(tmp_path) == 1


def test_prediction_time_parameters_are_not_in_the_key(data, tmp_path, counting):
    X, y = data
    CountingClassifier.trained = 0
    counting(tmp_path).fit(X, y)
    clf = counting(str(tmp_path), n_samples=7, max_chunk_memory=1, verbose=0)
    clf.fit(X, y)
    assert CountingClassifier.trained == 1
    assert clf.predict_proba_samples(X[:5]).shape == (7, 5, 2)
    # A joblib.Memory on the same directory shares the entries.
    counting(Memory(str(tmp_path), verbose=0), n_samples=3).fit(X, y)
    assert CountingClassifier.trained == 1


@pytest.mark.parametrize(
    "change",
    [
        {"p": 0.3},
        {"epochs": 4},
        {"random_state": 1},
        {"hidden_layer_sizes": (8,)},
        {"learning_rate": 0.02},
        {"class_weight": "balanced"},
        {"optimizer__beta_1": 0.8},
        {"fit__shuffle": False},
        {"model__activation": "tanh"},
    ],
    ids=lambda change: next(iter(change)),
)
def test_training_parameters_are_in_the_key(
    change, data, tmp_path, counting, cache_entries
):
    X, y = data
    CountingClassifier.trained = 0
    base = counting(tmp_path).fit(X, y)
    other = counting(tmp_path, **change).fit(X, y)
    assert CountingClassifier.trained == 2
    assert cache_entries(tmp_path) == 2
    assert not np.array_equal(base.predict_proba(X), other.predict_proba(X))


def test_data_and_weights_are_in_the_key(data, tmp_path, counting):
    X, y = data
    CountingClassifier.trained = 0
    counting(tmp_path).fit(X, y)
    X2 = X.copy()
    X2[0, 0] += 1e-3
    counting(tmp_path).fit(X2, y)
    y2 = y.copy()
    y2[0] = 1 - y2[0]
    counting(tmp_path).fit(X, y2)
    counting(tmp_path).fit(X, y, sample_weight=np.ones(len(y)))
    weights = np.ones(len(y))
    weights[3] = 2.0
    counting(tmp_path).fit(X, y, sample_weight=weights)
    assert CountingClassifier.trained == 5
    counting(tmp_path).fit(X, y, sample_weight=weights.copy())
    assert CountingClassifier.trained == 5


def build_a(meta, p):
    from keras import layers, models

    return models.Sequential(
        [
            layers.Input((meta["n_features_in_"],)),
            layers.Dense(8, activation="relu"),
            layers.Dropout(p),
            layers.Dense(meta["n_classes_"], activation="softmax"),
        ]
    )


def build_b(meta, p):
    from keras import layers, models

    return models.Sequential(
        [
            layers.Input((meta["n_features_in_"],)),
            layers.Dense(8, activation="tanh"),
            layers.Dropout(p),
            layers.Dense(meta["n_classes_"], activation="softmax"),
        ]
    )


def test_build_function_is_in_the_key(data, tmp_path, counting):
    X, y = data
    CountingClassifier.trained = 0
    counting(tmp_path, model=build_a).fit(X, y)
    counting(tmp_path, model=build_b).fit(X, y)
    counting(tmp_path, model=build_a).fit(X, y)
    assert CountingClassifier.trained == 2


def test_no_cache_without_int_random_state_or_with_warm_start(
    data, tmp_path, counting, cache_entries
):
    X, y = data
    CountingClassifier.trained = 0
    counting(tmp_path, random_state=None).fit(X, y)
    counting(tmp_path, random_state=None).fit(X, y)
    counting(tmp_path, random_state=np.random.RandomState(0)).fit(X, y)
    assert CountingClassifier.trained == 3
    assert cache_entries(tmp_path) == 0
    clf = counting(tmp_path, warm_start=True).fit(X, y)
    clf.fit(X, y)
    clf.partial_fit(X, y)
    assert CountingClassifier.trained == 6
    assert cache_entries(tmp_path) == 0


def test_restored_state_replaces_the_previous_fit(data, tmp_path, counting):
    X, y = data
    columns = [f"f{i}" for i in range(X.shape[1])]
    counting(tmp_path).fit(X, y)
    clf = counting(tmp_path).fit(pd.DataFrame(X, columns=columns), y)
    assert list(clf.feature_names_in_) == columns
    clf.fit(X, y)
    assert not hasattr(clf, "feature_names_in_")


def test_invalid_memory_is_refused(data, counting):
    X, y = data
    with pytest.raises(ValueError, match="memory"):
        counting(memory=3).fit(X, y)


def test_grid_search_across_processes(grid_search, tmp_path, cache_entries):
    X, y, search, plain = grid_search
    cached = search({"memory": tmp_path}, n_jobs=2, refit=True).fit(X, y)
    for key in ("mean_test_score", "split0_test_score", "split1_test_score"):
        np.testing.assert_array_equal(plain[key], cached.cv_results_[key])
    # One network per value of p and fold, plus the refit.
    assert cache_entries(tmp_path) == 2 * 2 + 1
