"""Docstrings: every public object's parses and documents what it has.

In the spirit of scikit-learn's ``test_docstring_parameters`` and
``test_fit_docstring_attributes``: numpydoc validates each public class,
method and function (methods a class inherits from the package's own bases
included), so every parameter of a signature is documented and nothing
undocumented is listed, and an estimator's ``Attributes`` lists exactly the
fitted attributes it has.
"""

import inspect

import numpydoc.validate
import pytest
from numpydoc.docscrape import ClassDoc
from sklearn.base import BaseEstimator
from sklearn.datasets import load_diabetes, load_iris
from sklearn.linear_model import BayesianRidge, LogisticRegression

import sk_mcdropout
from sk_mcdropout import metrics, uncertainty

PACKAGE = "sk_mcdropout"
# Checks scikit-learn's dialect does not follow: "name : type" in Returns
# (RT02), and sections every docstring need not have (See Also, Examples,
# an extended summary). GL01 asks numpydoc < 1.7 for the summary on the
# line after the opening quotes; scikit-learn writes it on the same line.
IGNORED = {"RT02", "SA01", "EX01", "ES01", "GL01"}


def _public_objects():
    for module in (sk_mcdropout, metrics, uncertainty):
        for name in module.__all__:
            obj = getattr(module, name)
            if inspect.ismodule(obj) or name.startswith("__"):
                continue
            # Each object once, under the path users import it from first.
            if module is metrics and name in sk_mcdropout.__all__:
                continue
            qualname = f"{module.__name__}.{name}"
            yield qualname
            if inspect.isclass(obj):
                # Its own methods and those of the package's classes it
                # inherits from (a mixin's partial_fit is the estimator's).
                own = [
                    k for k in obj.__mro__ if k.__module__.startswith("sk_mcdropout")
                ]
                for attr in {a for klass in own for a in vars(klass)}:
                    value = inspect.getattr_static(obj, attr)
                    public = not attr.startswith("_")
                    if public and (
                        inspect.isfunction(value)
                        or isinstance(value, (classmethod, staticmethod, property))
                    ):
                        yield f"{qualname}.{attr}"


@pytest.mark.parametrize("qualname", sorted(set(_public_objects())))
def test_docstring_is_valid_numpydoc(qualname):
    result = numpydoc.validate.validate(qualname)
    errors = [
        f"{code}: {message}"
        for code, message in result["errors"]
        if code not in IGNORED
    ]
    assert not errors, "\n".join([qualname, *errors])


def _documented(cls, section):
    return {item.name.split(":")[0].strip() for item in ClassDoc(cls)[section]}


def _fitted(estimator_name):
    X, y = load_iris(return_X_y=True)
    Xr, yr = load_diabetes(return_X_y=True)
    tiny = dict(hidden_layer_sizes=(4,), epochs=1, n_samples=3, random_state=0)
    if estimator_name == "MCDropoutClassifier":
        return sk_mcdropout.MCDropoutClassifier(**tiny).fit(X, y)
    if estimator_name == "MCDropoutRegressor":
        return sk_mcdropout.MCDropoutRegressor(**tiny).fit(Xr, yr)
    if estimator_name == "RejectOptionClassifier":
        reject = sk_mcdropout.RejectOptionClassifier(
            LogisticRegression(max_iter=500),
            coverage=0.9,
            novelty_quantile=0.95,
            novelty_measure="max_probability",
            cv=2,
        )
        return reject.fit(X, y)
    if estimator_name == "RejectOptionRegressor":
        reject = sk_mcdropout.RejectOptionRegressor(BayesianRidge(), coverage=0.9, cv=2)
        return reject.fit(Xr, yr)
    if estimator_name == "PredictiveStd":
        return sk_mcdropout.PredictiveStd(BayesianRidge().fit(Xr, yr)).fit()
    raise ValueError(f"No fitted fixture for {estimator_name}: add one here.")


ESTIMATORS = [
    name
    for name in sk_mcdropout.__all__
    if inspect.isclass(getattr(sk_mcdropout, name))
    and issubclass(getattr(sk_mcdropout, name), BaseEstimator)
]


@pytest.mark.parametrize("name", ESTIMATORS)
def test_init_parameters_are_documented(name):
    cls = getattr(sk_mcdropout, name)
    parameters = {
        p.name if p.kind is not p.VAR_KEYWORD else f"**{p.name}"
        for p in inspect.signature(cls.__init__).parameters.values()
        if p.name != "self"
    }
    assert parameters <= _documented(cls, "Parameters")


@pytest.mark.parametrize("name", ESTIMATORS)
def test_fitted_attributes_are_documented(name):
    estimator = _fitted(name)
    params = set(estimator.get_params(deep=False))
    fitted = {
        attr
        for attr in [*vars(estimator), *dir(type(estimator))]
        if attr.endswith("_")
        and not attr.startswith("_")
        and attr not in params
        and hasattr(estimator, attr)
    }
    documented = _documented(type(estimator), "Attributes")
    undocumented = sorted(fitted - documented)
    assert not undocumented, f"{name} does not document {undocumented}"
    # And documents nothing it does not have (feature_names_in_ needs a
    # DataFrame, the fixtures fit arrays; a reject option sets one of
    # estimator_ and estimators_, as refit says).
    exempt = {"feature_names_in_"}
    either = {"estimator_", "estimators_"}
    if either & fitted:
        exempt |= either
    missing = sorted(documented - fitted - exempt)
    assert not missing, f"{name} documents {missing}, which a fit does not set"
