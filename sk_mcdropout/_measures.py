"""The uncertainty measures by name, and the scores they give an estimator's rows.

Shared by the reject options and the risk-coverage Display: both name a
measure with a string and compute it from the same predictions. Estimators
are duck-typed: an MC measure needs ``predict_proba_samples`` (directly, or on
the last step of a Pipeline, possibly frozen).
"""

import numpy as np
from sklearn.frozen import FrozenEstimator
from sklearn.pipeline import Pipeline

from .uncertainty import (
    max_probability_uncertainty,
    mutual_information,
    predicted_class_std,
    predictive_entropy,
    variation_ratio,
)

# Measure name -> (function, needs MC passes). The names are the values of
# RejectOptionClassifier(measure=...) and RejectionCurveDisplay(measure=...),
# validated there by StrOptions(set(MEASURES)).
MEASURES = {
    "max_probability": (max_probability_uncertainty, False),
    "predictive_entropy": (predictive_entropy, True),
    "mutual_information": (mutual_information, True),
    "variation_ratio": (variation_ratio, True),
    "predicted_class_std": (predicted_class_std, True),
}


def proba_samples(estimator, X):
    """MC passes of ``estimator`` on ``X``, through Pipelines and freezing.

    Pipeline and FrozenEstimator only forward the standard prediction methods,
    so ``predict_proba_samples`` of a final MCDropoutClassifier step is reached
    by transforming X through the preceding steps by hand.
    """
    if hasattr(estimator, "predict_proba_samples"):
        return estimator.predict_proba_samples(X)
    inner = estimator.estimator if isinstance(estimator, FrozenEstimator) else estimator
    if isinstance(inner, Pipeline):
        return proba_samples(inner[-1], inner[:-1].transform(X))
    if inner is not estimator:
        return proba_samples(inner, X)
    raise ValueError(
        "This measure needs Monte Carlo passes: the estimator (or the last step "
        "of its Pipeline) must have a predict_proba_samples method, such as "
        f"MCDropoutClassifier; {type(estimator).__name__} has none. Use "
        "measure='max_probability' for a classifier with only predict_proba."
    )


def classifier_scores(estimator, X, measure, novelty_measure=None):
    """Mean probabilities, uncertainty, its tie-breaker and novelty score.

    All come from the same predictions (one set of MC passes), so the labels
    derived from the probabilities and the scores used to reject them cannot
    disagree. The tie-breaker is a continuous score of the mean probabilities:
    the entropy for ``max_probability`` (it orders multiclass rows that tie on
    their top probability), one minus the top probability for the MC measures
    (the variation ratio takes only ``n_samples + 1`` values).
    """
    needs_samples = MEASURES[measure][1] or (
        novelty_measure is not None and MEASURES[novelty_measure][1]
    )
    if needs_samples:
        source = np.asarray(proba_samples(estimator, X), dtype=np.float64)
        proba = source.mean(axis=0)
    else:
        source = proba = np.asarray(estimator.predict_proba(X))
    primary = np.asarray(MEASURES[measure][0](source), dtype=np.float64)
    if measure == "max_probability":
        secondary = predictive_entropy(proba[np.newaxis])
    else:
        secondary = max_probability_uncertainty(proba)
    novelty = (
        None
        if novelty_measure is None
        else np.asarray(MEASURES[novelty_measure][0](source), dtype=np.float64)
    )
    return proba, primary, secondary, novelty


def proba_and_uncertainty(estimator, X, measure):
    """Mean class probabilities and the chosen uncertainty of each row."""
    proba, primary, _, _ = classifier_scores(estimator, X, measure)
    return proba, primary
