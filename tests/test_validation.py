"""The array checks shared by the metrics, the measures and the reject options."""

import re

import numpy as np
import pytest

from sk_mcdropout._validation import check_labels, check_proba


def test_check_proba_clips_values_within_the_tolerance_into_zero_one():
    y_proba = np.array([[-1e-9, 1.0 + 1e-9], [0.25, 0.75]])
    clipped = check_proba(y_proba, name="y_proba", allow_2d=True)
    assert clipped[0, 0] == 0.0 and not np.signbit(clipped[0, 0])
    assert clipped[0, 1] == 1.0
    assert (clipped[1] == y_proba[1]).all()
    assert clipped.dtype == np.float64


def test_check_labels_passes_on_scikit_learns_message():
    message = (
        "y_true and y_pred must hold class labels of one kind, without NaN: "
        "Mix of label input types (string and number)"
    )
    with pytest.raises(ValueError, match=f"^{re.escape(message)}"):
        check_labels(np.array(["a", "b"]), np.array([0, 1]), names=("y_true", "y_pred"))
