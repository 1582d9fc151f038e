"""The library's version, read by pyproject.toml and stored in saved files."""

__version__ = "0.1.0"
