"""The review page: ``page.html`` (package data) with the review's data embedded as JSON.

The data sits in a ``<script type="application/json">`` block, escaped so that nothing in it can
end that block or start markup (``<``, ``>``, ``&`` and U+2028/U+2029 as ``\\u`` escapes); the
page's script reads it with ``JSON.parse`` and shows every value through ``textContent``. A
Content-Security-Policy with a per-page nonce lets only the page's own script and style run.
"""

from __future__ import annotations

import json
import secrets
from importlib import resources
from typing import Any

_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def embedded_json(data: Any) -> str:
    """``data`` as JSON that is safe inside an HTML ``<script>`` block.

    >>> embedded_json({"label": "</script><b>"})
    '{"label": "\\\\u003c/script\\\\u003e\\\\u003cb\\\\u003e"}'
    """
    text = json.dumps(data, ensure_ascii=False, allow_nan=False)
    for char, escape in _ESCAPES.items():
        text = text.replace(char, escape)
    return text


def render_page(payload: dict[str, Any], *, mode: str, token: str = "", nonce: str | None = None) -> str:
    """The page's HTML: ``mode`` is ``server`` (decisions POSTed with ``token``) or ``static`` (downloaded).

    >>> html = render_page({"rows": [], "x": "<script>"}, mode="static", nonce="n")
    >>> "<script>" in html.split('id="review-data"')[1].split("</script>")[0]
    False
    """
    nonce = nonce or secrets.token_urlsafe(16)
    data = embedded_json({**payload, "mode": mode, "token": token})
    template = resources.files("cleanaudit.review").joinpath("page.html").read_text(encoding="utf-8")
    return template.replace("__NONCE__", nonce).replace("__REVIEW_DATA__", data)


def content_security_policy(nonce: str) -> str:
    """The policy the server sends with the page (the static page carries the same in a meta tag)."""
    return (
        f"default-src 'none'; script-src 'nonce-{nonce}'; style-src 'nonce-{nonce}'; "
        "connect-src 'self'; img-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )
