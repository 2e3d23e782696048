"""Keep secrets in URLs out of the log files.

Some links carry a secret in the path: the private lab calendar feed, a caregiver's
invitation, a password reset. Django's own lines ("Not Found: /labs/calendar/<token>.ics")
would otherwise print it for anyone who reads the logs.
"""

from __future__ import annotations

import logging
import re

SECRET_PATHS = [
    re.compile(r"(/labs/calendar/)[^/\s.]+(\.ics)"),
    re.compile(r"(/invitations/)[^/\s]+(/)"),
    re.compile(r"(/accounts/reset/)[^/\s]+/[^/\s]+(/)"),
    re.compile(r"(/account/email/confirm/)[^/\s]+(/)"),
]
HIDDEN = "[hidden]"


def redact(text: str) -> str:
    for pattern in SECRET_PATHS:
        text = pattern.sub(rf"\g<1>{HIDDEN}\g<2>", text)
    return text


class RedactSecretsFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(str(record.msg))
        if isinstance(record.args, tuple):
            args = record.args
            record.args = tuple(redact(arg) if isinstance(arg, str) else arg for arg in args)
        return True
