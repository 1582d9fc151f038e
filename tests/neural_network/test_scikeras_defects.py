"""scikeras' defects on current scikit-learn, each neutralised,
and bad input refused with a clear message."""

import random

import numpy as np
import pytest
import scipy.sparse as sp
import tensorflow as tf

from sk_mcdropout import MCDropoutClassifier, _compat


def test_unseeded_fit_after_seeded_fit(binary_data, make_classifier):
    X, y = binary_data
    make_classifier(epochs=1, random_state=0).fit(X, y)
    # scikeras leaves op determinism on: the next unseeded, shuffling fit
    # raised "Random ops require a seed to be set when determinism is enabled".
    assert not _compat.op_determinism_enabled()
    clf = make_classifier(epochs=1, random_state=None, shuffle=True).fit(X, y)
    assert clf.predict_proba(X[:3]).shape == (3, 2)


def test_random_state_instance_is_honoured(binary_data, make_classifier):
    X, y = binary_data

    def proba(rs):
        return (
            make_classifier(epochs=1, random_state=rs).fit(X, y).predict_proba(X[:20])
        )

    a = proba(np.random.RandomState(1))
    # scikeras turned every RandomState into seed 0.
    assert not np.allclose(a, proba(np.random.RandomState(2)))
    np.testing.assert_array_equal(a, proba(np.random.RandomState(1)))


def test_unseeded_fits_differ(binary_data, make_classifier):
    X, y = binary_data
    a = make_classifier(epochs=1, random_state=None).fit(X, y).predict_proba(X[:20])
    b = make_classifier(epochs=1, random_state=None).fit(X, y).predict_proba(X[:20])
    assert not np.allclose(a, b)


@pytest.mark.parametrize("random_state", [0, None])
def test_global_random_state_is_left_as_found(
    binary_data, random_state, make_classifier
):
    X, y = binary_data

    def draws():
        return (random.random(), np.random.random(), float(tf.random.uniform(())))  # noqa: NPY002 (the global stream is the point)

    def seed_all():
        random.seed(7)
        np.random.seed(7)  # noqa: NPY002 (the global stream is the point)
        tf.random.set_seed(7)

    seed_all()
    draws()
    expected = draws()

    seed_all()
    draws()
    clf = make_classifier(epochs=1, random_state=random_state).fit(X, y)
    clf.predict_proba(X[:10])
    assert draws() == expected


def test_float64_after_float32_fit(binary_data, make_classifier):
    X, y = binary_data
    clf = make_classifier(epochs=1).fit(X.astype(np.float32), y)
    proba64 = clf.predict_proba(X.astype(np.float64))
    np.testing.assert_array_equal(proba64, clf.predict_proba(X.astype(np.float32)))


def test_one_row_predict_proba_is_two_dimensional(
    binary_clf, multiclass_clf, binary_data, multiclass_data
):
    assert binary_clf.predict_proba(binary_data[0][:1]).shape == (1, 2)
    assert multiclass_clf.predict_proba(multiclass_data[0][:1]).shape == (1, 3)
    assert binary_clf.predict(binary_data[0][:1]).shape == (1,)


def test_wrong_feature_count_uses_sklearn_wording(binary_clf, binary_data):
    X, _ = binary_data
    msg = "X has 29 features, but MCDropoutClassifier is expecting 30 features"
    for method in (
        "predict",
        "predict_proba",
        "predict_uncertainty",
        "predict_proba_samples",
    ):
        with pytest.raises(ValueError, match=msg):
            getattr(binary_clf, method)(X[:, :29])


@pytest.mark.parametrize("fmt", ["csr_matrix", "csr_array"])
def test_sparse_input_is_refused(binary_clf, binary_data, fmt, make_classifier):
    X, y = binary_data
    sparse = getattr(sp, fmt)(X)
    with pytest.raises(TypeError, match="Sparse data was passed"):
        make_classifier().fit(sparse, y)
    with pytest.raises(TypeError, match="Sparse data was passed"):
        binary_clf.predict_proba(sparse)


def test_single_class_is_refused(binary_data, make_classifier):
    X, _ = binary_data
    with pytest.raises(ValueError, match="at least 2 classes.*only one class: 1"):
        make_classifier().fit(X[:20], np.ones(20, dtype=int))


def test_all_weight_on_one_class_is_refused(binary_data, make_classifier):
    X, y = binary_data
    weight = (y == 1).astype(float)
    with pytest.raises(ValueError, match="only one class: 1"):
        make_classifier().fit(X, y, sample_weight=weight)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_nan_and_inf_are_refused(binary_clf, binary_data, bad, make_classifier):
    X, y = binary_data
    X_bad = X.copy()
    X_bad[3, 2] = bad
    with pytest.raises(ValueError, match="Input X contains (NaN|infinity)"):
        make_classifier().fit(X_bad, y)
    with pytest.raises(ValueError, match="Input X contains (NaN|infinity)"):
        binary_clf.predict_proba(X_bad)


def test_multilabel_target_is_refused(binary_data, make_classifier):
    X, y = binary_data
    with pytest.raises(ValueError, match="y should be a 1d array"):
        make_classifier().fit(X, np.column_stack([y, 1 - y]))
    with pytest.raises(ValueError, match="Unknown label type: continuous"):
        make_classifier().fit(X, y + 0.5)


def test_class_weight_does_not_modify_sample_weight(binary_data, make_classifier):
    X, y = binary_data
    weight = np.ones(len(y))
    make_classifier(epochs=1, class_weight="balanced").fit(X, y, sample_weight=weight)
    np.testing.assert_array_equal(weight, np.ones(len(y)))


def test_warm_start_partial_fit_and_callbacks(binary_data, make_classifier):
    import keras

    X, y = binary_data
    clf = make_classifier(epochs=2, warm_start=True).fit(X, y)
    first = clf.model_
    weights = [w.copy() for w in first.get_weights()]
    clf.fit(X, y)
    assert clf.model_ is first
    assert not np.allclose(weights[0], first.get_weights()[0])

    clf = MCDropoutClassifier(hidden_layer_sizes=(4,), random_state=0)
    clf.partial_fit(X, y).partial_fit(X, y)
    assert clf.current_epoch == 2

    stop = keras.callbacks.EarlyStopping(monitor="loss", patience=0, min_delta=10)
    clf = make_classifier(epochs=50, callbacks=[stop]).fit(X, y)
    assert len(clf.history_["loss"]) < 50


def test_learning_rate_reaches_the_optimizer(binary_data, make_classifier):
    X, y = binary_data
    clf = make_classifier(epochs=1, learning_rate=0.123).fit(X, y)
    assert float(clf.model_.optimizer.learning_rate) == pytest.approx(0.123)
    routed = make_classifier(epochs=1, optimizer__learning_rate=0.05).fit(X, y)
    assert float(routed.model_.optimizer.learning_rate) == pytest.approx(0.05)


def test_other_threads_drawing_random_numbers_do_not_change_the_model(
    binary_data, make_classifier
):
    # A Dask worker's event loop draws from Python's global random stream while
    # a task fits; Keras' layer seeds must not come from that shared stream.
    import threading

    X, y = binary_data
    expected = make_classifier(epochs=1).fit(X, y).predict_proba(X[:20])
    stop = threading.Event()

    def draw():
        while not stop.is_set():
            random.random()

    thread = threading.Thread(target=draw)
    thread.start()
    try:
        got = make_classifier(epochs=1).fit(X, y).predict_proba(X[:20])
    finally:
        stop.set()
        thread.join()
    np.testing.assert_array_equal(got, expected)
