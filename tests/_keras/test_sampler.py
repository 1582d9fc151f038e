"""The sampler's fast paths compute the same passes as the plain definition."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from sk_mcdropout import _keras as _network


def _rates(sampler):
    return tf.constant(sampler.rates(), tf.float64)


def _two_ways(clf, X, n_passes=12):
    sampler = _network.get_sampler(clf.model_, len(clf.classes_))
    x = tf.constant(X, tf.float32)
    seed = tf.constant(clf.mc_seed_, tf.int64)
    rates = _rates(sampler)
    folded = sampler._passes(x, n_passes, seed, True, rates).numpy()
    plain = sampler._passes(x, n_passes, seed, False, rates).numpy()
    return folded, plain


@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_folded_masks_equal_masked_activations(
    binary_data, activation, make_classifier
):
    # relu layers also fold the next mask into their columns; tanh does not.
    X, y = binary_data
    clf = make_classifier(hidden_layer_sizes=(16, 8), activation=activation, epochs=1)
    clf.fit(X, y)
    folded, plain = _two_ways(clf, X[:50])
    np.testing.assert_allclose(folded, plain, atol=1e-6)
    assert not np.allclose(plain[0], plain[1])


def test_manual_pass_matches_sampler(binary_data, make_classifier):
    # Pass k is the network with the k-th mask of each Dropout layer applied.
    X, y = binary_data
    clf = make_classifier(hidden_layer_sizes=(8,), epochs=1).fit(X, y)
    dense = [
        layer for layer in clf.model_.layers if isinstance(layer, keras.layers.Dense)
    ]
    _, plain = _two_ways(clf, X[:5], n_passes=3)
    h = dense[0](X[:5]).numpy()
    # Recover the masks from the sampler's own seed derivation.
    seed = tf.stack([tf.constant(clf.mc_seed_, tf.int64), tf.constant(0, tf.int64)])
    uniform = tf.random.stateless_uniform([3, 8], seed=seed).numpy()
    keep = (uniform >= clf.p) / (1 - clf.p)
    for k in range(3):
        expected = dense[1](h * keep[k]).numpy()
        np.testing.assert_allclose(plain[k], expected, atol=1e-6)


@pytest.mark.parametrize(
    "params",
    [
        dict(hidden_layer_sizes=(24, 24)),
        dict(hidden_layer_sizes=(20,), activation="tanh"),
        dict(hidden_layer_sizes=(16, 16), p="concrete"),
    ],
    ids=["relu", "tanh", "concrete"],
)
def test_few_rows_give_the_bits_of_a_full_block(binary_data, make_classifier, params):
    # A call with fewer rows than a block may take the flat layout; each row's
    # passes are bit for bit those it gets inside a block of 48 rows.
    X, y = binary_data
    clf = make_classifier(epochs=1, **params).fit(X, y)
    sampler = _network.get_sampler(clf.model_, 2)
    seed = tf.constant(clf.mc_seed_, tf.int64)
    block = sampler._function(30)(tf.constant(X[:48]), seed, _rates(sampler))
    block = block.numpy()
    for n_rows in (1, 2, 7, 47):
        samples = sampler.run(
            X[:n_rows], 30, clf.mc_seed_, mode="samples", memory_mb=256
        )
        np.testing.assert_array_equal(samples, block[:, :n_rows])


def test_flat_layout_is_used_only_where_it_matches(binary_data, make_classifier):
    # The flat layout computes the folded layout's passes; where the sampler
    # takes it, it gave the same bits on random rows of that shape.
    X, y = binary_data
    clf = make_classifier(hidden_layer_sizes=(16, 16), epochs=1).fit(X, y)
    sampler = _network.get_sampler(clf.model_, 2)
    seed = tf.constant(clf.mc_seed_, tf.int64)
    flat = sampler._function(20, flat=True)
    folded = sampler._function(20)
    padded = np.zeros((48, X.shape[1]), np.float32)
    padded[:3] = X[:3]
    padded = tf.constant(padded)
    rates = _rates(sampler)
    same_sums = np.array_equal(
        flat(padded, seed, rates, tf.constant(3, tf.int32)).numpy(),
        folded(padded, seed, rates).numpy()[:, :3],
    )
    assert sampler.flat_matches(20, clf.mc_seed_, 3) == same_sums
    # The layouts compute the same passes in any case.
    np.testing.assert_allclose(
        flat(padded, seed, rates, tf.constant(3, tf.int32)).numpy(),
        folded(padded, seed, rates).numpy()[:, :3],
        atol=1e-6,
    )


def test_small_moments_sum_in_pass_order():
    # The one-call path for small inputs gives the bits of the pass-by-pass sum.
    from sk_mcdropout._keras._sampler import _SMALL_MOMENTS, _mean_and_std

    rng = np.random.default_rng(0)
    for shape in [(257, 1, 1), (100, 3, 2), (7, 48, 10)]:
        samples = rng.random(shape, dtype=np.float32)
        assert samples.size <= _SMALL_MOMENTS
        total = np.zeros(shape[1:])
        for s in samples:
            total += s
        mean = total / shape[0]
        spread = np.zeros(shape[1:])
        for s in samples:
            spread += np.square(s - mean)
        np.testing.assert_array_equal(
            _mean_and_std(samples), np.stack([mean, np.sqrt(spread / shape[0])])
        )


@pytest.mark.parametrize("n_passes", [5, 30])
def test_a_rows_bits_do_not_depend_on_the_rows_beside_it(make_classifier, n_passes):
    # Behind two hidden layers the output layer multiplies the passes
    # themselves. With few passes a block's product is then small enough for
    # the matmul kernels to sum a narrow product in another order than a
    # large chunk's, unless its kernel is widened with zero columns.
    from sklearn.datasets import make_classification

    X, y = make_classification(1500, 20, random_state=0)
    clf = make_classifier(
        hidden_layer_sizes=(128, 128),
        n_samples=n_passes,
        epochs=1,
        max_chunk_memory=512,
    ).fit(X, y)
    full = clf.predict_proba(X)
    np.testing.assert_array_equal(clf.predict_proba(X[:48]), full[:48])
    np.testing.assert_array_equal(clf.predict_proba(X[:1]), full[:1])


def test_one_row_is_scored_by_a_function_with_constant_masks(
    binary_data, make_classifier
):
    # Scoring one row at a time runs a graph traced for it, whose masks are
    # constants: no random operation is left to run, and it gives the bits
    # of the row inside a block. A sampler keeps a few of those graphs.
    from sk_mcdropout._keras import _sampler

    X, y = binary_data
    clf = make_classifier(hidden_layer_sizes=(24, 24), epochs=1).fit(X, y)
    sampler = _network.get_sampler(clf.model_, 2)
    fn = sampler.row_function(40, clf.mc_seed_)
    assert fn is not None
    block = sampler._function(40)(
        tf.constant(X[:48], tf.float32),
        tf.constant(clf.mc_seed_, tf.int64),
        _rates(sampler),
    ).numpy()
    for i in (0, 5):
        row = np.asarray(X[i : i + 1], np.float32)
        samples = sampler.run(row, 40, clf.mc_seed_, mode="samples", memory_mb=256)
        np.testing.assert_array_equal(samples, block[:, i : i + 1])
    for seed in range(_sampler._ROW_FUNCTIONS + 2):
        sampler.row_function(40, seed)
    assert len(sampler._row_functions) == _sampler._ROW_FUNCTIONS
