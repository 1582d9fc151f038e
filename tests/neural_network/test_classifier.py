"""Monte Carlo prediction: what the numbers mean and that they are reproducible."""

import copy
import io
import pickle
import time

import joblib
import numpy as np
import pytest
from sklearn.metrics import accuracy_score


@pytest.mark.parametrize("which", ["binary", "multiclass"])
def test_shapes_and_consistency(which, request):
    clf = request.getfixturevalue(f"{which}_clf")
    X, y = request.getfixturevalue(f"{which}_data")
    n_classes = len(np.unique(y))
    proba = clf.predict_proba(X)
    std = clf.predict_uncertainty(X)
    samples = clf.predict_proba_samples(X)

    assert proba.shape == (len(X), n_classes)
    assert std.shape == (len(X), n_classes)
    assert samples.shape == (clf.n_samples, len(X), n_classes)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-6)
    np.testing.assert_allclose(samples.sum(axis=2), 1.0, atol=1e-5)
    # The mean and std are those of the raw passes.
    np.testing.assert_allclose(samples.mean(axis=0), proba, atol=1e-6)
    np.testing.assert_allclose(samples.std(axis=0), std, atol=1e-6)
    assert (std >= 0).all() and std.max() > 0

    pred = clf.predict(X)
    np.testing.assert_array_equal(pred, clf.classes_[proba.argmax(axis=1)])
    assert clf.score(X, y) == accuracy_score(y, pred)


def test_passes_differ_and_mc_differs_from_deterministic(binary_clf, binary_data):
    X, _ = binary_data
    samples = binary_clf.predict_proba_samples(X[:50])
    # Different passes use different masks...
    assert not np.allclose(samples[0], samples[1])
    # ...and their mean is not the single weight-scaled pass.
    det = binary_clf.predict_proba_deterministic(X[:50])
    assert det.shape == (50, 2)
    assert not np.allclose(det, binary_clf.predict_proba(X[:50]))


def test_zero_dropout_equals_deterministic_pass(binary_data, make_classifier):
    X, y = binary_data
    clf = make_classifier(p=0.0, epochs=2).fit(X, y)
    np.testing.assert_allclose(
        clf.predict_proba(X), clf.predict_proba_deterministic(X), atol=1e-6
    )
    assert clf.predict_uncertainty(X).max() == 0.0


def test_n_samples_is_a_prediction_time_parameter(binary_clf, binary_data):
    X, _ = binary_data
    clf = copy.deepcopy(binary_clf)
    network = clf.model_
    weights = [w.copy() for w in network.get_weights()]
    small = clf.predict_proba_samples(X[:10])
    clf.set_params(n_samples=7)
    assert clf.predict_proba_samples(X[:10]).shape == (7, 10, 2)
    assert clf.model_ is network
    for before, after in zip(weights, network.get_weights(), strict=True):
        np.testing.assert_array_equal(before, after)
    # Pass k is the same pass whatever n_samples is.
    np.testing.assert_array_equal(clf.predict_proba_samples(X[:10]), small[:7])


def test_standard_error_bounds_the_monte_carlo_error(binary_clf, binary_data):
    # What the n_samples docstring promises: from 100 passes on,
    # predict_uncertainty / sqrt(n) is the size of the Monte Carlo error, so a
    # row's probability at n passes is within a few of them of its value at
    # many passes (whose first n are the same passes).
    X, _ = binary_data
    clf = copy.deepcopy(binary_clf)
    reference = clf.set_params(n_samples=2000).predict_proba(X)
    largest = []
    for n in (100, 400):
        clf.set_params(n_samples=n)
        error = np.abs(clf.predict_proba(X) - reference)
        standard_error = clf.predict_uncertainty(X) / np.sqrt(n)
        # Rows whose passes disagree; near-certain rows differ by float32
        # rounding and by passes too rare for n of them to show.
        doubtful = standard_error > 1e-3
        assert doubtful.sum() > 20
        ratio = error[doubtful] / standard_error[doubtful]
        assert ratio.max() < 4
        assert np.median(ratio) > 0.3  # the size of the error, not a loose bound
        largest.append(error.max())
    assert largest[1] < largest[0]


def test_repeated_calls_are_bit_identical(binary_clf, binary_data):
    X, _ = binary_data
    np.testing.assert_array_equal(
        binary_clf.predict_proba(X), binary_clf.predict_proba(X)
    )


def test_row_order_subset_and_chunk_size_do_not_matter(binary_clf, binary_data):
    X, _ = binary_data
    full = binary_clf.predict_proba(X)
    full_std = binary_clf.predict_uncertainty(X)
    rng = np.random.default_rng(0)
    perm = rng.permutation(len(X))
    np.testing.assert_array_equal(binary_clf.predict_proba(X[perm]), full[perm])
    for size in (1, 2, 17):
        rows = perm[:size]
        np.testing.assert_array_equal(binary_clf.predict_proba(X[rows]), full[rows])
    small_chunks = copy.deepcopy(binary_clf).set_params(max_chunk_memory=0.01)
    np.testing.assert_array_equal(small_chunks.predict_proba(X), full)
    np.testing.assert_array_equal(small_chunks.predict_uncertainty(X), full_std)


def test_pickle_joblib_and_deepcopy_round_trips(binary_clf, binary_data):
    X, _ = binary_data
    expected = binary_clf.predict_proba(X)
    restored = pickle.loads(pickle.dumps(binary_clf))
    np.testing.assert_array_equal(restored.predict_proba(X), expected)
    buffer = io.BytesIO()
    joblib.dump(binary_clf, buffer)
    buffer.seek(0)
    np.testing.assert_array_equal(joblib.load(buffer).predict_proba(X), expected)
    np.testing.assert_array_equal(copy.deepcopy(binary_clf).predict_proba(X), expected)


def test_pickles_made_seconds_apart_are_identical(binary_clf):
    # Dask's tokenize and joblib's hashing tell objects apart by their pickle;
    # Keras stamps a saved network with the time (to the second).
    first = pickle.dumps(binary_clf)
    time.sleep(1.1)
    assert pickle.dumps(binary_clf) == first


def test_same_random_state_same_model_and_predictions(binary_data, make_classifier):
    X, y = binary_data
    a = make_classifier(random_state=3, epochs=3).fit(X, y)
    b = make_classifier(random_state=3, epochs=3).fit(X, y)
    c = make_classifier(random_state=4, epochs=3).fit(X, y)
    for wa, wb in zip(a.model_.get_weights(), b.model_.get_weights(), strict=True):
        np.testing.assert_array_equal(wa, wb)
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    assert not np.allclose(a.predict_proba(X), c.predict_proba(X))


def test_verbose_zero_is_silent(binary_data, capfd, make_classifier):
    X, y = binary_data
    clf = make_classifier(epochs=2).fit(X, y)
    clf.predict_proba(X)
    out, err = capfd.readouterr()
    assert out == "" and err == ""


def test_verbose_shows_prediction_progress(binary_clf, binary_data, capfd):
    X, _ = binary_data
    clf = copy.deepcopy(binary_clf).set_params(verbose=1, max_chunk_memory=0.05)
    clf.predict_proba(X)
    out, _ = capfd.readouterr()
    assert f"{len(X)}/{len(X)}" in out
