"""gunicorn settings for the web process (`gunicorn -c gunicorn.conf.py portal.wsgi`).

The host sets PORT; WEB_CONCURRENCY sets the number of worker processes. Each request
is logged as one JSON line with no query string, no referrer and no user agent, and a
secret token in a path (calendar feeds, invitations, password resets) is masked.
"""

from __future__ import annotations

import json
import os
import re
from typing import Any

from gunicorn.glogging import Logger
from gunicorn.http import wsgi

# Every interface: the host's router reaches the process from outside its container.
bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"  # noqa: S104
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
accesslog = "-"
errorlog = "-"

_SECRET_IN_PATH = re.compile(
    r"^(?P<keep>/(?:p/[^/]+/)?labs/calendar/|/invitations/|/accounts/reset/)[^?#]*"
)


def _masked(path: str) -> str:
    return _SECRET_IN_PATH.sub(r"\g<keep>…", path)


class JsonAccessLogger(Logger):
    def access(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> None:
        if not self.access_log_enabled:
            return
        status = resp.status.split(None, 1)[0] if isinstance(resp.status, str) else resp.status
        line = {
            "method": environ.get("REQUEST_METHOD"),
            "path": _masked(environ.get("PATH_INFO", "")),
            "status": int(status),
            "bytes": getattr(resp, "sent", None),
            "ms": round(request_time.total_seconds() * 1000, 1),
            "request_id": environ.get("HTTP_X_REQUEST_ID"),
        }
        self.access_log.info(json.dumps(line, ensure_ascii=False))


logger_class = JsonAccessLogger


# gunicorn has no setting for its Server header (it names the product and version
# family to every client), so the config file drops it from each response's headers.
# tests/portal/test_gunicorn.py fails if an upgrade brings it back.
_default_headers = wsgi.Response.default_headers


def _default_headers_without_server(self: wsgi.Response) -> list[str]:
    return [line for line in _default_headers(self) if not line.startswith("Server:")]


wsgi.Response.default_headers = _default_headers_without_server
