"""gunicorn settings for the web process (`gunicorn -c gunicorn.conf.py portal.wsgi`).

The host sets PORT; WEB_CONCURRENCY sets the number of worker processes. Each request
is logged as one JSON line with no query string, no referrer and no user agent, and
with the request id the portal gave it (the X-Request-ID header, also on the error page
and on the portal's own log lines). A secret in a path (calendar feeds, invitations,
password resets, email confirmations) is masked in the access and the error log alike.
"""

from __future__ import annotations

import json
import os
from typing import Any

from gunicorn.config import Config
from gunicorn.glogging import Logger
from gunicorn.http import wsgi

from portal.log_filters import RedactSecretsFilter, redact

# Every interface: the host's router reaches the process from outside its container.
bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"  # noqa: S104
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
accesslog = "-"
errorlog = "-"


def _request_id(resp: Any) -> str | None:
    for name, value in resp.headers:
        if name.lower() == "x-request-id":
            return str(value)
    return None


class JsonAccessLogger(Logger):
    def setup(self, cfg: Config) -> None:
        super().setup(cfg)
        # On the loggers, not their handlers: gunicorn replaces its handlers when it
        # reopens the log files, and an invalid request line is logged whole.
        for log in (self.error_log, self.access_log):
            if not any(isinstance(f, RedactSecretsFilter) for f in log.filters):
                log.addFilter(RedactSecretsFilter())

    def access(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> None:
        if not self.access_log_enabled:
            return
        status = resp.status.split(None, 1)[0] if isinstance(resp.status, str) else resp.status
        line = {
            "method": environ.get("REQUEST_METHOD"),
            "path": redact(environ.get("PATH_INFO", "")),
            "status": int(status),
            "bytes": getattr(resp, "sent", None),
            "ms": round(request_time.total_seconds() * 1000, 1),
            # The portal's own id, not one a client sent: it is what the error page shows.
            "request_id": _request_id(resp),
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
