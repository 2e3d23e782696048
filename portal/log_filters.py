"""Keep secrets in URLs out of the log files.

Some links carry a secret in the path: the private lab calendar feed, a caregiver's
invitation, a password reset, an email confirmation. Django's own lines ("Not Found:
/labs/calendar/<token>.ics"), gunicorn's and the job worker's would otherwise print it
for anyone who reads the logs. Every handler in settings.LOGGING and both of gunicorn's
loggers (gunicorn.conf.py) carry RedactSecretsFilter.
"""

from __future__ import annotations

import logging
import re

# A secret runs to the end of its path segment (the reset link: to the end of the
# path), wherever the path appears in a line: alone, quoted, in JSON or in a repr.
_END = r"[^/\s\"'?#]+"
SECRET_PATHS = [
    re.compile(rf"(/labs/calendar/){_END}"),
    re.compile(rf"(/invitations/){_END}"),
    re.compile(r"(/accounts/reset/)[^\s\"'?#]+"),
    re.compile(rf"(/account/email/confirm/){_END}"),
]
HIDDEN = "[hidden]"


def redact(text: str) -> str:
    for pattern in SECRET_PATHS:
        text = pattern.sub(rf"\g<1>{HIDDEN}", text)
    return text


class RedactSecretsFilter(logging.Filter):
    """Masks the secrets in a record's whole text: message, arguments and traceback.

    The message is formatted here, once, so a secret inside any argument (a request's
    repr, a dict) is caught whatever the handler's format does with it later.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            # A message that does not match its arguments: logging reports it later
            # as its own error; a filter must never raise into the code that logged.
            message = str(record.msg)
        record.msg = redact(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True
