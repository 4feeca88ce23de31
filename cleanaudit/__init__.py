"""cleanaudit: audit classification datasets for label errors and other data issues."""

__version__ = "0.1.0"
