"""Validation of the arrays users pass to the metrics, measures and reject options.

scikit-learn's own helpers do most of the work; these add what they do not
check (probability rows, labels of one kind, non-negative weights), in
scikit-learn's wording.
"""

import numpy as np
from sklearn.utils import check_consistent_length, column_or_1d
from sklearn.utils.multiclass import unique_labels
from sklearn.utils.validation import assert_all_finite


def check_sample_weight(sample_weight, n_rows):
    if sample_weight is None:
        return np.ones(n_rows)
    sample_weight = column_or_1d(sample_weight).astype(np.float64)
    check_consistent_length(sample_weight, np.empty(n_rows))
    assert_all_finite(sample_weight, input_name="sample_weight")
    if np.any(sample_weight < 0):
        raise ValueError("sample_weight must be non-negative.")
    if sample_weight.sum() <= 0:
        raise ValueError(
            "All sample weights are zero; sample_weight must have a positive sum."
        )
    return sample_weight


def check_labels(*labels, names):
    """Refuse NaN, continuous values and a mix of strings and numbers.

    Comparing the string "1" with the number 1 is never equal, so such a mix
    would silently count every row as an error.
    """
    for name, values in zip(names, labels, strict=True):
        values = np.asarray(values)
        if values.dtype.kind == "f" and np.isnan(values).any():
            raise ValueError(f"Input {name} contains NaN.")
    try:
        unique_labels(*labels)
    except ValueError as error:
        raise ValueError(
            f"{' and '.join(names)} must hold class labels of one kind, without "
            f"NaN: {error}"
        ) from None


def check_proba(y_proba, *, name, allow_2d=False):
    """Validate an array of probabilities and return it as float64.

    The last axis holds the classes. Rows must be probability vectors: values
    in [0, 1] that sum to one within sqrt(float32 eps), about 3.5e-4, whatever
    the dtype: network outputs are usually computed in float32 and only later
    cast to float64, where their sums are off by about 1e-7.
    """
    y_proba = np.asarray(y_proba)
    expected = "a 2-D or 3-D array" if allow_2d else "a 3-D array"
    shape_hint = (
        "(n_rows, n_classes) or (n_samples, n_rows, n_classes)"
        if allow_2d
        else "(n_samples, n_rows, n_classes)"
    )
    if y_proba.ndim not in ((2, 3) if allow_2d else (3,)):
        raise ValueError(
            f"Expected {expected} of shape {shape_hint} for {name}, got an array "
            f"with {y_proba.ndim} dimension(s) and shape {y_proba.shape}."
        )
    if y_proba.dtype.kind not in "biuf":
        raise ValueError(
            f"{name} must contain numeric probabilities, got dtype {y_proba.dtype}."
        )
    if 0 in y_proba.shape:
        raise ValueError(
            f"Found an empty array of shape {y_proba.shape} for {name}; expected "
            f"at least one pass, one row and two classes in {shape_hint}."
        )
    if y_proba.shape[-1] < 2:
        raise ValueError(
            f"{name} has {y_proba.shape[-1]} class column; expected probabilities "
            "for at least 2 classes in the last axis. For a binary model that "
            "outputs only P(class 1), stack [1 - p, p] on the last axis."
        )
    tol = np.sqrt(np.finfo(np.float32).eps)
    y_proba = y_proba.astype(np.float64, copy=False)
    assert_all_finite(y_proba, input_name=name)
    if y_proba.min() < -tol or y_proba.max() > 1 + tol:
        raise ValueError(
            f"{name} must contain probabilities in [0, 1], got values in "
            f"[{y_proba.min():.6g}, {y_proba.max():.6g}]."
        )
    sums = y_proba.sum(axis=-1)
    if not np.allclose(sums, 1.0, rtol=0, atol=tol * y_proba.shape[-1]):
        worst = sums.ravel()[np.argmax(np.abs(sums - 1.0))]
        raise ValueError(
            f"The probabilities in {name} do not sum to one over the last axis "
            f"(classes); found a sum of {worst:.6g}. Pass probabilities, e.g. "
            "the output of predict_proba_samples."
        )
    return np.clip(y_proba, 0.0, 1.0)
