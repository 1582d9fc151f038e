"""Validation of the arrays users pass to the metrics, measures and reject options.

scikit-learn's own helpers do most of the work; these add what they do not
check (probability rows, labels of one kind, non-negative weights), in
scikit-learn's wording. Parameters that are not arrays are validated by
scikit-learn's constraints (``validate_params``, ``_parameter_constraints``).
"""

import numpy as np
from sklearn.utils import check_array, check_consistent_length, column_or_1d
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
    except (ValueError, TypeError) as error:
        # An object array of strings and numbers cannot even be sorted.
        detail = (
            error
            if isinstance(error, ValueError)
            else (f"labels that cannot be ordered ({error})")
        )
        raise ValueError(
            f"{' and '.join(names)} must hold class labels of one kind, without "
            f"NaN: {detail}"
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
    # C order: numpy's sums over an axis take another path (and give other
    # last bits) on other layouts, e.g. the rows picked out of the passes by
    # fancy indexing; a row's measure must depend on its values only.
    y_proba = np.ascontiguousarray(y_proba, dtype=np.float64)
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


def check_selective_inputs(y_true, y_pred, uncertainty, sample_weight):
    """Labels, uncertainties and weights of a selective metric.

    Returns
    -------
    errors : ndarray of shape (n_rows,)
        1.0 where ``y_pred`` differs from ``y_true``, else 0.0.
    uncertainty, sample_weight : ndarray of shape (n_rows,)
        As float64.
    """
    y_true = column_or_1d(y_true)
    y_pred = column_or_1d(y_pred)
    check_consistent_length(y_true, y_pred)
    if y_true.shape[0]:
        check_labels(y_true, y_pred, names=("y_true", "y_pred"))
    uncertainty = column_or_1d(uncertainty)
    check_consistent_length(y_true, y_pred, uncertainty)
    if y_true.shape[0] == 0:
        raise ValueError("Found empty input: y_true has 0 rows.")
    if uncertainty.dtype.kind not in "biuf":
        raise ValueError(f"uncertainty must be numeric, got dtype {uncertainty.dtype}.")
    uncertainty = uncertainty.astype(np.float64)
    assert_all_finite(uncertainty, input_name="uncertainty")
    errors = np.asarray(y_true != y_pred)
    if errors.shape != y_true.shape:
        raise ValueError(
            "y_true and y_pred could not be compared element-wise; make sure "
            "they hold labels of the same kind."
        )
    sample_weight = check_sample_weight(sample_weight, y_true.shape[0])
    return errors.astype(np.float64), uncertainty, sample_weight


def check_top_label_inputs(y_true, y_proba, labels, sample_weight):
    """Labels, probabilities, column labels and weights of a top-label metric.

    A 1-D ``y_proba`` is the probability of the greater of two labels, as in
    :func:`sklearn.metrics.log_loss`. ``labels`` name the columns; None means
    the sorted labels of ``y_true``, which must then show every class.
    """
    y_true = column_or_1d(y_true)
    y_proba = np.asarray(y_proba)
    if y_proba.ndim == 1:
        y_proba = np.column_stack([1.0 - y_proba, y_proba])
    if y_proba.ndim != 2:
        raise ValueError(
            "Expected a 1-D or 2-D array of shape (n_rows,) or (n_rows, n_classes) "
            f"for y_proba, got shape {y_proba.shape}."
        )
    check_consistent_length(y_true, y_proba)
    if y_true.shape[0] == 0:
        raise ValueError("Found empty input: y_true has 0 rows.")
    # Rows must be probability vectors (in [0, 1], summing to one), as the
    # uncertainty functions require: the top value of any other row is no
    # confidence.
    y_proba = check_proba(y_proba, name="y_proba", allow_2d=True)
    if labels is None:
        check_labels(y_true, names=("y_true",))
        labels = np.unique(y_true)
    else:
        labels = column_or_1d(labels)
        check_labels(y_true, labels, names=("y_true", "labels"))
        unknown = np.setdiff1d(y_true, labels)
        if unknown.size:
            raise ValueError(
                f"y_true contains values {unknown[:5].tolist()} that are not in "
                f"labels {labels.tolist()}."
            )
    if labels.shape[0] != y_proba.shape[1]:
        raise ValueError(
            f"y_proba has {y_proba.shape[1]} columns but there are "
            f"{labels.shape[0]} labels ({labels!r}); pass labels= with one "
            "label per column."
        )
    sample_weight = check_sample_weight(sample_weight, y_true.shape[0])
    return y_true, y_proba, labels, sample_weight


def check_gaussian_inputs(y_true, y_mean, y_std, sample_weight):
    """Targets, means, stds and weights of a Gaussian predictive metric.

    Returns float64 arrays of shape (n_rows, n_outputs) and the row weights.
    """
    arrays = []
    for name, value in (("y_true", y_true), ("y_mean", y_mean), ("y_std", y_std)):
        # check_array refuses more than 2 dimensions, NaN and infinity.
        value = check_array(value, ensure_2d=False, dtype=np.float64, input_name=name)
        arrays.append(value)
    y_true, y_mean, y_std = arrays
    check_consistent_length(y_true, y_mean, y_std)
    if not y_true.shape == y_mean.shape == y_std.shape:
        raise ValueError(
            "y_true, y_mean and y_std must have the same shape; got "
            f"{y_true.shape}, {y_mean.shape} and {y_std.shape}."
        )
    if np.any(y_std <= 0):
        raise ValueError(
            "y_std must be positive; got a minimum of "
            f"{y_std.min():.3g}. A Gaussian needs a positive standard deviation."
        )
    n_rows = y_true.shape[0]
    sample_weight = check_sample_weight(sample_weight, n_rows)
    shape = (n_rows, -1)
    return (
        y_true.reshape(shape),
        y_mean.reshape(shape),
        y_std.reshape(shape),
        sample_weight,
    )
