"""What staff see of a customer's e-mail address in the admin: enough to recognise it, never the address.

The address is where sign-in links go; staff are not trusted with customers' sign-in, so no staff page,
list or search shows or matches it (`b•••@acme.example`).
"""

import json
import re

EMAIL = re.compile(r"([^\s@\"'<>,;]+)@([^\s@\"'<>,;]+\.[^\s@\"'<>,;]+)")


def _masked(match: re.Match) -> str:
    return f"{match.group(1)[:1]}•••@{match.group(2)}"


def mask_email(address: str) -> str:
    return EMAIL.sub(_masked, address or "")


def mask_emails(value) -> str:
    """Any text or JSON-able value, with every e-mail address in it masked."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return EMAIL.sub(_masked, text)
