"""The sampler's fast paths compute the same passes as the plain definition."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from sk_mcdropout import _keras as _network


def _two_ways(clf, X, n_passes=12):
    sampler = _network.get_sampler(clf.model_, len(clf.classes_))
    x = tf.constant(X, tf.float32)
    seed = tf.constant(clf.mc_seed_, tf.int64)
    folded = sampler._passes(x, n_passes, seed, fold=True).numpy()
    plain = sampler._passes(x, n_passes, seed, fold=False).numpy()
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
