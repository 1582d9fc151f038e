"""Kept built-in networks: re-initialised from the seed, they train exactly the
model a new network would, and never change a network someone still holds."""

import gc
import pickle
import subprocess
import sys
import threading
import weakref

import numpy as np
import pytest

from sk_mcdropout import MCDropoutClassifier
from sk_mcdropout._keras import _pool, _sampler
from sk_mcdropout.neural_network import _scikeras

RATES = (0.1, 0.3, 0.2)


def _fitted(estimator, X, y):
    estimator.fit(X, y)
    return (
        estimator.predict_proba(X[:30])
        if hasattr(estimator, "predict_proba")
        else estimator.predict(X[:30], return_std=True)
    )


def _outcome(estimator, X, y):
    out = _fitted(estimator, X, y)
    return out, list(estimator.loss_curve_), estimator.model_.get_weights()


def _assert_same(a, b):
    np.testing.assert_array_equal(a[0], b[0])
    assert a[1] == b[1]
    for u, v in zip(a[2], b[2], strict=True):
        np.testing.assert_array_equal(u, v)


def _unpooled(monkeypatch):
    # The code path of networks built per fit.
    monkeypatch.setattr(
        _scikeras.ScikerasAdapter, "_architecture_key", lambda self: None
    )


@pytest.mark.parametrize(
    "kind, params",
    [
        ("classifier", {}),
        ("classifier", {"p": "concrete", "validation_split": 0.2}),
        ("classifier", {"early_stopping": True, "metrics": ["accuracy"]}),
        ("regressor", {"noise": "heteroscedastic"}),
        ("regressor", {"p": "concrete", "input_dropout": True}),
    ],
)
def test_kept_network_trains_the_model_of_a_new_one(
    kind, params, binary_data, make_classifier, make_regressor, monkeypatch
):
    X, y = binary_data
    make = make_classifier if kind == "classifier" else make_regressor
    target = y if kind == "classifier" else X[:, 0] + 0.5 * y
    # An architecture no other test uses, so the first fit builds.
    params = dict(params, hidden_layer_sizes=(11, 7), epochs=3)
    built = _pool.counts["built"]
    first = _outcome(make(random_state=3, **params), X, target)
    assert _pool.counts["built"] == built + 1
    other = _outcome(make(random_state=4, **params), X, target)
    reused = _pool.counts["reused"]
    again = _outcome(make(random_state=3, **params), X, target)
    assert _pool.counts["reused"] == reused + 1
    _assert_same(again, first)
    assert not np.array_equal(other[0], first[0])
    _unpooled(monkeypatch)
    _assert_same(_outcome(make(random_state=3, **params), X, target), first)


@pytest.mark.parametrize("kind", ["classifier", "regressor"])
def test_one_kept_network_serves_every_rate(
    kind, binary_data, make_classifier, make_regressor, monkeypatch
):
    # A grid search over p: one network built, its training loop and its
    # Monte Carlo sampler traced once, and each rate's model the one a new
    # network of that rate trains.
    X, y = binary_data
    make = make_classifier if kind == "classifier" else make_regressor
    target = y if kind == "classifier" else X[:, 0] + 0.5 * y
    params = dict(hidden_layer_sizes=(13, 5), epochs=2, input_dropout=True)
    if kind == "classifier":
        del params["input_dropout"]
    traces = []
    new_function = _sampler.MCSampler._new_function
    monkeypatch.setattr(
        _sampler.MCSampler,
        "_new_function",
        lambda self, *a: traces.append(a) or new_function(self, *a),
    )
    built = _pool.counts["built"]
    kept = {}
    for p in RATES:
        kept[p] = _outcome(make(random_state=5, p=p, **params), X, target)
        if p == RATES[0]:
            first_traces = list(traces)
    assert _pool.counts["built"] == built + 1
    # The later rates trace nothing new (the first traced a layout per
    # number of passes and chunk size it met).
    assert traces == first_traces
    assert not np.array_equal(kept[0.1][0], kept[0.3][0])
    _unpooled(monkeypatch)
    for p in RATES:
        _assert_same(_outcome(make(random_state=5, p=p, **params), X, target), kept[p])


def test_a_rate_of_zero_is_another_network(binary_data, make_classifier):
    X, y = binary_data
    params = dict(hidden_layer_sizes=(6, 6), epochs=1, random_state=0)
    built = _pool.counts["built"]
    positive = make_classifier(p=0.2, **params).fit(X, y)
    zero = make_classifier(p=0.0, **params).fit(X, y)
    assert _pool.counts["built"] == built + 2
    # No dropout at all: every pass is the same.
    assert positive.predict_uncertainty(X[:50]).max() > 0
    assert zero.predict_uncertainty(X[:50]).max() == 0


def test_kept_network_matches_a_new_process(binary_data, make_classifier):
    X, y = binary_data
    params = dict(hidden_layer_sizes=(9,), epochs=2)
    make_classifier(**params, random_state=6).fit(X, y)  # leaves a network
    params["random_state"] = 5
    reused = _pool.counts["reused"]
    here = make_classifier(**params).fit(X, y)
    assert _pool.counts["reused"] == reused + 1
    script = (
        "import pickle, sys\n"
        "from sklearn.datasets import load_breast_cancer\n"
        "from sklearn.preprocessing import StandardScaler\n"
        "from sk_mcdropout import MCDropoutClassifier\n"
        "X, y = load_breast_cancer(return_X_y=True)\n"
        "X = StandardScaler().fit_transform(X).astype('float32')\n"
        f"clf = MCDropoutClassifier(**{make_classifier(**params).get_params()!r})\n"
        "clf.fit(X, y)\n"
        "pickle.dump((clf.predict_proba(X[:30]), clf.loss_curve_), sys.stdout.buffer)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, check=True
    ).stdout
    proba, curve = pickle.loads(out)
    np.testing.assert_array_equal(here.predict_proba(X[:30]), proba)
    assert here.loss_curve_ == curve


def test_a_held_network_is_never_reused(binary_data, make_classifier):
    X, y = binary_data
    params = dict(hidden_layer_sizes=(10,), epochs=2)
    clf = make_classifier(**params).fit(X, y)
    held = clf.model_
    weights = held.get_weights()
    del clf
    gc.collect()
    refit = make_classifier(**params, random_state=1).fit(X, y)
    assert refit.model_ is not held
    for a, b in zip(held.get_weights(), weights, strict=True):
        np.testing.assert_array_equal(a, b)


def test_a_refit_leaves_the_former_network_alone(binary_data, make_classifier):
    X, y = binary_data
    clf = make_classifier(hidden_layer_sizes=(10,), epochs=2).fit(X, y)
    former = clf.model_
    weights = former.get_weights()
    clf.set_params(random_state=1).fit(X, y)
    assert clf.model_ is not former
    for a, b in zip(former.get_weights(), weights, strict=True):
        np.testing.assert_array_equal(a, b)


def test_networks_of_collected_estimators_are_reused(binary_data, make_classifier):
    # What a grid search does: fit, score, drop, for every fold.
    X, y = binary_data
    params = dict(hidden_layer_sizes=(12,), epochs=1)
    make_classifier(**params).fit(X, y).predict_proba(X[:5])
    reused = _pool.counts["reused"]
    for seed in range(3):
        clf = make_classifier(**params, random_state=seed).fit(X, y)
        clf.predict_proba(X[:5])
        clf.score(X, y)
        del clf
    assert _pool.counts["reused"] == reused + 3


def test_user_networks_are_built_per_fit(binary_data, make_classifier):
    from sk_mcdropout._keras import build_mlp

    X, y = binary_data
    counts = dict(_pool.counts)
    clf = make_classifier(model=build_mlp, epochs=1)
    clf.fit(X, y)
    clf.fit(X, y)
    assert dict(_pool.counts) == counts


def test_pickles_and_clones_carry_their_own_network(binary_data, make_classifier):
    from sklearn.base import clone

    X, y = binary_data
    clf = make_classifier(hidden_layer_sizes=(10,), epochs=2).fit(X, y)
    copy = pickle.loads(pickle.dumps(clf))
    assert copy.model_ is not clf.model_
    np.testing.assert_array_equal(copy.predict_proba(X), clf.predict_proba(X))
    twin = clone(clf).fit(X, y)
    assert twin.model_ is not clf.model_
    np.testing.assert_array_equal(twin.predict_proba(X), clf.predict_proba(X))


def test_fits_in_threads_on_kept_networks_equal_sequential_fits(
    binary_data, make_classifier
):
    X, y = binary_data
    params = dict(hidden_layer_sizes=(14,), epochs=2)

    def fit(seed):
        return make_classifier(**params, random_state=seed).fit(X, y).predict_proba(X)

    expected = [fit(seed) for seed in range(4)]
    got = [None] * 4

    def work(i):
        for seed in (i, i + 2):
            got[seed] = fit(seed)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for a, b in zip(got, expected, strict=True):
        np.testing.assert_array_equal(a, b)


def test_warm_start_and_partial_fit_continue_the_kept_network(
    binary_data, make_classifier, monkeypatch
):
    X, y = binary_data
    params = dict(hidden_layer_sizes=(13,), epochs=2)

    def run():
        warm = make_classifier(**params, warm_start=True).fit(X, y)
        net = warm.model_
        warm.fit(X, y)
        assert warm.model_ is net
        partial = make_classifier(**params)
        for _ in range(2):
            partial.partial_fit(X, y, classes=np.unique(y))
        return warm.predict_proba(X), partial.predict_proba(X)

    make_classifier(**params).fit(X, y)  # leaves a network
    kept = run()
    _unpooled(monkeypatch)
    for a, b in zip(kept, run(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_the_pool_is_bounded_and_holds_no_estimator(binary_data):
    X, y = binary_data
    estimators = []
    for width in range(20, 20 + _pool._MAX_ARCHITECTURES + 3):
        clf = MCDropoutClassifier(hidden_layer_sizes=(width,), epochs=1)
        estimators.append(weakref.ref(clf.fit(X[:50], y[:50])))
        del clf
    gc.collect()
    assert [ref() for ref in estimators] == [None] * len(estimators)
    # Draining happens on the next lease.
    MCDropoutClassifier(hidden_layer_sizes=(19,), epochs=1).fit(X[:50], y[:50])
    assert len(_pool._FREE) <= _pool._MAX_ARCHITECTURES
    assert all(len(free) <= _pool._MAX_FREE for free in _pool._FREE.values())
