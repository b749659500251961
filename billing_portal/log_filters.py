"""Logging filters that keep customer data out of the logs."""

import logging
import re

# PostgreSQL explains a failed constraint with a DETAIL line that repeats the whole row ("Failing
# row contains (…)") or the key ("Key (email)=(…) already exists"): an account's address, PO
# number, phone and card holder would land in the log of a 500.
_DETAIL = re.compile(r"^(\s*)DETAIL:.*$", re.MULTILINE)
_REDACTED = r"\1DETAIL: (left out of the log: it may hold customer data)"


class DatabaseDetailFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[1] is not None and not record.exc_text:
            text = logging.Formatter().formatException(record.exc_info)
            record.exc_text = _DETAIL.sub(_REDACTED, text)
        message = record.getMessage()
        if "DETAIL:" in message:
            record.msg, record.args = _DETAIL.sub(_REDACTED, message), ()
        return True
