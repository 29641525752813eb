"""Talking to the dlgrade service with ``urllib``: every failure becomes one :class:`Problem` sentence."""

from __future__ import annotations

import http.client
import json
import socket
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Dict, Optional, Tuple

from dlgrade_client._text import say

USER_AGENT = "dlgrade-client"


class Problem(Exception):
    """A server or network problem, worded for the student (``text(lang)``); ``retry`` if sending the very
    same request again (same Idempotency-Key) may succeed, after ``wait`` seconds."""

    def __init__(self, key: str, retry: bool = False, wait: Optional[float] = None, status: Optional[int] = None,
                 **values: Any):
        super().__init__(key)
        self.key, self.retry, self.wait, self.status, self.values = key, retry, wait, status, values

    def text(self, lang: str) -> str:
        return say(self.key, lang, **self.values)


def _retry_after(headers) -> Optional[float]:
    value = headers.get("Retry-After") if headers is not None else None
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


def _detail(body: bytes, key: str = "detail") -> Optional[str]:
    try:
        detail = json.loads(body.decode("utf-8")).get(key)
    except (ValueError, AttributeError, UnicodeDecodeError):
        return None
    return detail if isinstance(detail, str) and detail.strip() else None


def request(method: str, url: str, token: Optional[str], lang: str, body: Optional[dict] = None,
            headers: Optional[Dict[str, str]] = None, timeout: float = 30.0) -> Tuple[int, Dict[str, str], Any]:
    """``(status, headers, JSON body)`` of a successful request; :class:`Problem` otherwise."""
    data = json.dumps(body).encode("utf-8") if body is not None else None
    all_headers = {"Accept": "application/json", "Accept-Language": lang, "User-Agent": USER_AGENT}
    if data is not None:
        all_headers["Content-Type"] = "application/json"
    if token:
        all_headers["Authorization"] = "Bearer " + token
    all_headers.update(headers or {})
    sep = "&" if "?" in url else "?"
    req = urllib.request.Request(f"{url}{sep}lang={lang}", data=data, headers=all_headers, method=method)
    host = urllib.parse.urlsplit(url).netloc
    try:
        with urllib.request.urlopen(req, timeout=timeout) as response:
            raw = response.read()
            headers = {k.lower(): v for k, v in response.headers.items()}
            return response.status, headers, json.loads(raw.decode("utf-8")) if raw else None
    except urllib.error.HTTPError as exc:
        raise _http_problem(exc.code, exc.headers, exc.read() if exc.fp else b"", host) from None
    except urllib.error.URLError as exc:
        reason = exc.reason
        if isinstance(reason, ConnectionRefusedError):
            raise Problem("connection_refused", host=host) from None
        if isinstance(reason, (socket.timeout, TimeoutError)):
            raise Problem("timeout", retry=True, host=host, seconds=f"{timeout:g}") from None
        if isinstance(reason, socket.gaierror):
            raise Problem("unknown_host", host=host) from None
        if isinstance(reason, (ConnectionResetError, ConnectionAbortedError, BrokenPipeError)):
            raise Problem("connection_lost", retry=True, host=host) from None
        raise Problem("network", host=host, reason=str(reason)[:120]) from None
    except (socket.timeout, TimeoutError):
        raise Problem("timeout", retry=True, host=host, seconds=f"{timeout:g}") from None
    except (http.client.RemoteDisconnected, http.client.IncompleteRead, ConnectionResetError,
            ConnectionAbortedError, BrokenPipeError):
        raise Problem("connection_lost", retry=True, host=host) from None
    except ValueError:  # a body that is not JSON: not a dlgrade server
        raise Problem("not_dlgrade", host=host) from None


def _http_problem(status: int, headers, body: bytes, host: str) -> Problem:
    detail = _detail(body)
    wait = _retry_after(headers)
    if status == 401:
        return Problem("unauthorized", status=status)
    if status == 403:
        return Problem("forbidden", status=status)
    if status == 413:
        return Problem("too_large", status=status, detail=detail or "")
    if status == 429:
        seconds = f"{wait:g}" if wait is not None else "?"
        return Problem("rate_limited", status=status, wait=wait, detail=detail or "", seconds=seconds)
    if status == 503:
        seconds = f"{wait:g}" if wait is not None else "?"
        return Problem("unavailable", retry=wait is not None and wait <= 10, wait=wait, status=status,
                       detail=detail or "", seconds=seconds)
    if status == 404:  # no_route: the server has no such path (its words follow Accept-Language)
        no_route = detail in (None, "Not Found") or _detail(body, "reason") == "no_such_path"
        return Problem("not_found", status=status, detail=detail or "Not Found", no_route=no_route)
    if status in (400, 409, 415, 422):
        return Problem("rejected", status=status, detail=detail or f"HTTP {status}", code=status)
    if status >= 500:
        return Problem("server_error", retry=status in (502, 504), status=status, code=status)
    return Problem("http", status=status, code=status, host=host)
