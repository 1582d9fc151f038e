"""Parameter descriptions written once and shared by several docstrings.

A docstring that uses a fragment names it in braces (``{random_state}``) and
its object is decorated with ``@Substitution(random_state=...)``; literal
braces in such a docstring are doubled (``{{"a", "b"}}``). Fragments are
full numpydoc entries (name, type and description, four-space indented, as
they appear under ``Parameters``), so every docstring that shares one says
the same, complete thing.
"""


class Substitution:
    """Fill the ``{name}`` fields of the decorated object's docstring.

    Parameters
    ----------
    **fragments : str
        The text of each field.

    Examples
    --------
    >>> @Substitution(seed="seed : int\\n    Seeds everything.")
    ... def f(seed):
    ...     '''Do nothing.
    ...
    ...     {seed}
    ...     '''
    >>> "Seeds everything." in f.__doc__
    True
    """

    def __init__(self, **fragments):
        self.fragments = fragments

    def __call__(self, obj):
        if obj.__doc__:
            obj.__doc__ = obj.__doc__.format(**self.fragments)
        return obj
