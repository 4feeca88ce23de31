"""The one exception a check raises when it cannot say anything useful on the data.

It lives apart from :mod:`cleanaudit.checks.base` so that the neighbour graph
(:mod:`cleanaudit.checks.graph.knn`), which base refers to, can raise it without importing base.
"""


class CheckSkipped(Exception):
    """A check could not run on this data; the message says why (shown to the user)."""
