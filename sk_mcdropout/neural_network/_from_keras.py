"""Checks of a network trained elsewhere, for ``from_keras``.

Each function checks what it is given and returns what it found; the
estimators' ``from_keras`` classmethods assemble the fitted estimator. The
network is inspected through ``sk_mcdropout._keras``.
"""

from typing import NamedTuple

import numpy as np

from .. import _keras

# Rows of random inputs on which a wrapped network's outputs are checked.
_PROBE_ROWS = 64


def probe(model, n_features):
    """Outputs of one deterministic pass over random rows, for sanity checks.

    Standardised-looking inputs, at three scales, from a fixed seed: a network
    whose output is not what it should be shows it on such rows.
    """
    rng = np.random.default_rng(0)
    scales = np.repeat([0.5, 2.0, 8.0], _PROBE_ROWS // 3 + 1)[:_PROBE_ROWS]
    X = rng.standard_normal((_PROBE_ROWS, n_features)) * scales[:, None]
    out = _keras.deterministic_outputs(model, X)
    if not np.all(np.isfinite(out)):
        raise ValueError(
            "The network's outputs are not finite on random standardised inputs."
        )
    return out


def refuse_params(params, owned):
    """Refuse parameters that ``from_keras`` sets itself."""
    taken = sorted(set(params) & set(owned))
    if taken:
        raise TypeError(
            f"from_keras() sets {', '.join(map(repr, taken))} itself: the network "
            "is used as it is, with the dropout rates it has."
        )


def check_feature_names(feature_names, n_features):
    """``feature_names`` as ``feature_names_in_`` (object array), or None."""
    if feature_names is None:
        return None
    names = np.asarray(feature_names, dtype=object)
    if names.ndim != 1 or len(names) != n_features:
        raise ValueError(
            f"feature_names has {names.size} names, but the network takes "
            f"{n_features} features."
        )
    return names


def history(model):
    """The Keras training history still attached to ``model``, if any."""
    history = getattr(model, "history", None)
    return getattr(history, "history", None) or {}


def check_classifier_network(model, classes):
    """Check a classifier's network; return (n_features, classes as an array)."""
    n_features, width = _keras.check_prefit(model)
    classes = np.asarray(classes)
    if classes.ndim != 1 or len(classes) < 2:
        raise ValueError(
            f"classes must be a 1-d array of at least 2 labels, got {classes!r}."
        )
    if len(np.unique(classes)) != len(classes) or not np.array_equal(
        np.unique(classes), classes
    ):
        raise ValueError(
            "classes must be unique and sorted, as scikit-learn's classes_ are: "
            f"got {classes!r}. Column j of the network's output is the "
            "probability of classes[j]; reorder the output columns to match."
        )
    if width != len(classes) and not (len(classes) == 2 and width == 1):
        raise ValueError(
            f"The network's output has {width} columns, but {len(classes)} "
            "classes were given: a classifier's network outputs one probability "
            "per class (or a single sigmoid unit for 2 classes)."
        )
    out = probe(model, n_features)
    sums = out.sum(axis=1)
    in_range = np.all((out >= -1e-6) & (out <= 1 + 1e-6))
    if not in_range or (width > 1 and not np.allclose(sums, 1.0, atol=1e-4)):
        raise ValueError(
            "The network's outputs are not probabilities: on random inputs they "
            f"range over [{out.min():.3g}, {out.max():.3g}] with row sums in "
            f"[{sums.min():.3g}, {sums.max():.3g}]. The output layer must be a "
            "softmax (or one sigmoid unit for 2 classes); if it gives logits, "
            "add keras.layers.Softmax() after it."
        )
    return n_features, classes


class RegressorNetwork(NamedTuple):
    """What ``check_regressor_network`` found."""

    n_features: int
    n_outputs: int
    # Targets of the right shape for the encoders: continuous, as a
    # regression fit sees (two distinct values per output).
    y: np.ndarray
    target_mean: np.ndarray
    target_scale: np.ndarray
    # Homoscedastic noise: its variance in standardised units and its std in
    # the units of y; None for a heteroscedastic network.
    noise_var: np.ndarray | None
    noise_std: np.ndarray | None


def check_regressor_network(
    model, noise_std, heteroscedastic, target_mean, target_scale
):
    """Check a regressor's network and its noise and target scale."""
    n_features, width = _keras.check_prefit(model)
    if heteroscedastic and width % 2:
        raise ValueError(
            f"A heteroscedastic network outputs the means then the noise "
            f"variances, an even number of columns; this one has {width}."
        )
    k = width // 2 if heteroscedastic else width
    out = probe(model, n_features)
    if heteroscedastic:
        if noise_std is not None:
            raise ValueError(
                "noise_std must be None for a heteroscedastic network: the "
                "network predicts the noise variance of each row."
            )
        if np.any(out[:, k:] < 0):
            raise ValueError(
                "The network's noise variances (its last "
                f"{k} output column(s)) are negative on random inputs; "
                "they need a positive activation such as softplus."
            )
    elif noise_std is None:
        raise ValueError(
            "noise_std is required for a network that predicts means only: the "
            "observation noise is not in the network. Give its standard "
            "deviation in the units of y (for instance the network's RMSE on "
            "held-out data), or 0 to report the model's (epistemic) "
            "uncertainty only."
        )
    mean = np.broadcast_to(np.asarray(target_mean, dtype=np.float64), (k,)).copy()
    scale = _per_output(target_scale, k, "target_scale", positive=True)
    noise_var = std = None
    if not heteroscedastic:
        std = _per_output(noise_std, k, "noise_std", positive=False)
        noise_var = np.maximum((std / scale) ** 2, _keras.MIN_VARIANCE)
    y = np.tile([[0.0], [0.5]], (1, k))
    return RegressorNetwork(
        n_features, k, y.ravel() if k == 1 else y, mean, scale, noise_var, std
    )


def _per_output(value, k, name, positive):
    value = np.broadcast_to(np.asarray(value, dtype=np.float64), (k,)).copy()
    bad = value <= 0 if positive else value < 0
    if not np.all(np.isfinite(value)) or np.any(bad):
        sign = "positive" if positive else "non-negative"
        raise ValueError(f"{name} must be finite and {sign}, got {value}.")
    return value
