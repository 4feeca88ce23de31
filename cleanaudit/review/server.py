"""The local review server: the page at ``/?token=…``, decisions POSTed to ``/decisions``.

Stdlib only (``http.server``). It listens on 127.0.0.1 and answers only requests from there whose
``Host`` is that address (so a web page cannot reach it through DNS rebinding) and that carry the
per-run token: in the URL for the page, in the ``X-Review-Token`` header for a decision. A decision
must be JSON (``Content-Type: application/json``, which a cross-site form cannot send) about a
flagged row; anything else is refused with 400 (403 for a wrong token) and changes nothing.
"""

from __future__ import annotations

import hmac
import json
import secrets
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from cleanaudit.review.corrections import Decisions
from cleanaudit.review.folder import ReviewFolder
from cleanaudit.review.page import content_security_policy, render_page

HOST = "127.0.0.1"
MAX_BODY = 64 * 1024  # a decision is a few dozen bytes


class ReviewServer(ThreadingHTTPServer):
    """A review of one ``--out`` folder, served on ``127.0.0.1:port`` (0: a free port).

    >>> server = ReviewServer(folder, port=0)  # doctest: +SKIP
    >>> server.url  # doctest: +SKIP
    'http://127.0.0.1:50123/?token=...'
    """

    daemon_threads = True

    def __init__(self, review: ReviewFolder, *, port: int = 0, token: str | None = None) -> None:
        self.review = review
        self.token = token or secrets.token_urlsafe(24)
        self.decisions = Decisions(review.corrections_path, review.row_ids(), review.class_names)
        super().__init__((HOST, port), _Handler)

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}/?token={self.token}"

    def page(self, nonce: str) -> str:
        payload = {**self.review.payload(), "decisions": self.decisions.snapshot()}
        return render_page(payload, mode="server", token=self.token, nonce=nonce)


class _Handler(BaseHTTPRequestHandler):
    server: ReviewServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's name
        pass  # the terminal shows the URL and nothing per request

    def do_GET(self) -> None:
        if not self._from_here():
            return
        url = urlsplit(self.path)
        if url.path != "/":
            return self._send_text(HTTPStatus.NOT_FOUND, "not found")
        if not self._token_ok(parse_qs(url.query).get("token", [""])[0]):
            return self._send_text(HTTPStatus.FORBIDDEN, "open the URL the review command printed (with its token)")
        nonce = secrets.token_urlsafe(16)
        body = self.server.page(nonce).encode("utf-8")
        self._send(
            HTTPStatus.OK, body, "text/html; charset=utf-8", {"Content-Security-Policy": content_security_policy(nonce)}
        )

    def do_POST(self) -> None:
        if not self._from_here():
            return
        if urlsplit(self.path).path != "/decisions":
            return self._send_text(HTTPStatus.NOT_FOUND, "not found")
        if not self._token_ok(self.headers.get("X-Review-Token", "")):
            return self._send_json(HTTPStatus.FORBIDDEN, {"error": "wrong or missing token"})
        if self.headers.get("Content-Type", "").split(";")[0].strip().lower() != "application/json":
            return self._send_json(HTTPStatus.BAD_REQUEST, {"error": "the body must be application/json"})
        try:
            length = int(self.headers.get("Content-Length", ""))
        except ValueError:
            return self._send_json(HTTPStatus.BAD_REQUEST, {"error": "Content-Length is required"})
        if not 0 < length <= MAX_BODY:
            return self._send_json(HTTPStatus.BAD_REQUEST, {"error": "the body is empty or too large"})
        try:
            body = json.loads(self.rfile.read(length).decode("utf-8"))
            decision = self.server.decisions.record(body)
        except (UnicodeDecodeError, json.JSONDecodeError, ValueError) as err:
            return self._send_json(HTTPStatus.BAD_REQUEST, {"error": str(err)})
        except Exception as err:  # the file could not be written (a full disk, say): the page says so
            return self._send_json(HTTPStatus.INTERNAL_SERVER_ERROR, {"error": f"not saved: {err}"})
        self._send_json(HTTPStatus.OK, {"row": body["row"], "decision": decision})

    def _from_here(self) -> bool:
        hosts = (f"{HOST}:{self.server.port}", f"localhost:{self.server.port}")
        if self.client_address[0] != HOST or self.headers.get("Host", "") not in hosts:
            self._send_text(HTTPStatus.FORBIDDEN, "only this machine's 127.0.0.1 may use the review server")
            return False
        return True

    def _token_ok(self, given: str) -> bool:
        return hmac.compare_digest(given.encode("utf-8", "replace"), self.server.token.encode("utf-8"))

    def _send_json(self, status: HTTPStatus, data: Any) -> None:
        self._send(status, json.dumps(data).encode("utf-8"), "application/json")

    def _send_text(self, status: HTTPStatus, text: str) -> None:
        self._send(status, (text + "\n").encode("utf-8"), "text/plain; charset=utf-8")

    def _send(self, status: HTTPStatus, body: bytes, kind: str, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        if status >= 400:  # a refused request's body may be unread: do not reuse the connection
            self.close_connection = True
            self.send_header("Connection", "close")
        for name, value in {
            "Content-Type": kind,
            "Content-Length": str(len(body)),
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
            "X-Frame-Options": "DENY",
            **(headers or {}),
        }.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)
