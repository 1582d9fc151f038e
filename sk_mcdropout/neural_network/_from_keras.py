"""Fitted estimators around networks trained elsewhere (``from_keras``).

The network is checked through ``sk_mcdropout._keras``.
"""

import numpy as np

from .. import _compat, _keras

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


def _reject_params(params, owned):
    taken = sorted(set(params) & set(owned))
    if taken:
        raise TypeError(
            f"from_keras() sets {', '.join(map(repr, taken))} itself: the network "
            "is used as it is, with the dropout rates it has."
        )


def assemble(estimator, model, n_features, y_dummy, feature_names, history):
    """Give ``estimator`` the fitted state a fit on (X, y) of that shape would.

    What scikeras' ``initialize`` does, without building or touching the
    network: validate dummy data of the right shape (which sets
    ``n_features_in_`` and the metadata), fit the target and feature encoders,
    draw the Monte Carlo seed from ``random_state``.
    """
    _keras.ensure_runtime()
    estimator._check_params()
    X_dummy = np.zeros((len(y_dummy), n_features), dtype=np.float32)
    X, y = estimator._validate_data(X_dummy, y_dummy, reset=True)
    estimator.target_encoder_ = estimator.target_encoder.fit(y)
    vars(estimator).update(getattr(estimator.target_encoder_, "get_metadata", dict)())
    estimator.feature_encoder_ = estimator.feature_encoder.fit(X)
    vars(estimator).update(getattr(estimator.feature_encoder_, "get_metadata", dict)())
    if feature_names is not None:
        names = np.asarray(feature_names, dtype=object)
        if names.ndim != 1 or len(names) != n_features:
            raise ValueError(
                f"feature_names has {names.size} names, but the network takes "
                f"{n_features} features."
            )
        estimator.feature_names_in_ = names
    estimator._draw_seeds()
    estimator.model_ = model
    _compat.initialize_callbacks(estimator)
    # Seeding is the estimator's own, as after its fit (see _build_keras_model).
    setattr(estimator, _compat.SCIKERAS_RANDOM_STATE_ATTR, None)
    estimator.history_ = {k: list(v) for k, v in (history or {}).items()}
    return estimator


def _history(model):
    """The Keras training history still attached to ``model``, if any."""
    history = getattr(model, "history", None)
    return getattr(history, "history", None) or {}


def classifier(cls, model, classes, feature_names, params):
    _reject_params(params, ("model", "p"))
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
    estimator = cls(model=model, p=None, **params)
    # As scikeras' initialize: the target encoder then sets classes_.
    estimator.classes_ = None
    return assemble(
        estimator, model, n_features, classes, feature_names, _history(model)
    )


def regressor(
    cls,
    model,
    noise_std,
    heteroscedastic,
    target_mean,
    target_scale,
    feature_names,
    params,
):
    _reject_params(params, ("model", "p", "noise"))
    n_features, width = _keras.check_prefit(model)
    if heteroscedastic and width % 2:
        raise ValueError(
            f"A heteroscedastic network outputs the means then the noise "
            f"variances, an even number of columns; this one has {width}."
        )
    n_outputs = width // 2 if heteroscedastic else width
    out = probe(model, n_features)
    if heteroscedastic:
        if noise_std is not None:
            raise ValueError(
                "noise_std must be None for a heteroscedastic network: the "
                "network predicts the noise variance of each row."
            )
        if np.any(out[:, n_outputs:] < 0):
            raise ValueError(
                "The network's noise variances (its last "
                f"{n_outputs} output column(s)) are negative on random inputs; "
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
    k = n_outputs

    def per_output(value, name, positive):
        value = np.broadcast_to(np.asarray(value, dtype=np.float64), (k,)).copy()
        bad = value <= 0 if positive else value < 0
        if not np.all(np.isfinite(value)) or np.any(bad):
            sign = "positive" if positive else "non-negative"
            raise ValueError(f"{name} must be finite and {sign}, got {value}.")
        return value

    mean = np.broadcast_to(np.asarray(target_mean, dtype=np.float64), (k,)).copy()
    scale = per_output(target_scale, "target_scale", positive=True)
    noise = "heteroscedastic" if heteroscedastic else "homoscedastic"
    estimator = cls(model=model, p=None, noise=noise, **params)
    # Two distinct values: continuous targets, as a regression fit sees.
    y_dummy = np.tile([[0.0], [0.5]], (1, k))
    y_dummy = y_dummy.ravel() if k == 1 else y_dummy
    assemble(estimator, model, n_features, y_dummy, feature_names, _history(model))
    estimator.target_encoder_.mean_ = mean
    estimator.target_encoder_.scale_ = scale
    # The network's own noise is used as trained: no calibration factor.
    estimator._noise_scale = np.ones(k)
    if heteroscedastic:
        estimator._noise_var = None
    else:
        std = per_output(noise_std, "noise_std", positive=False)
        estimator._noise_var = np.maximum((std / scale) ** 2, _keras.MIN_VARIANCE)
    estimator._set_noise_attributes()
    if not heteroscedastic:
        estimator.noise_std_ = std
    return estimator
