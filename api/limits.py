"""Sizes of everything the service stores or parses, and the check every stored string passes.

The string columns of the database (api/storage.py) have these sizes. Every string bound
for one is checked here before any work is done (a solve, a key), so a request whose
string would not fit is refused with 422 naming the field, never a 500 after the solve.
"""

from __future__ import annotations

import unicodedata

# --- string columns -----------------------------------------------------------------------
ORGANISATION = 100  # api_keys.organisation, plans.organisation
KEY_LABEL = 100  # api_keys.label
KEY_HASH = 64  # api_keys.key_hash (SHA-256, hex)
PLAN_ID = 32  # plans.id (a UUID, hex)
SCENARIO_NAME = 200  # plans.scenario_name
CREATED_BY = 200  # plans.created_by, plan_versions.created_by, plan_events.reported_by
VERSION_KIND = 20  # plan_versions.kind: planned, imported, replanned
VERSION_NOW = 40  # plan_versions.now: an ISO 8601 moment with its offset
EVENT_ID = 100  # plan_events.event_id
EVENT_KIND = 40  # plan_events.kind
RISK_POLICY = 10  # plan_risk_reports.policy: replan or follow
SHARE_LABEL = 100  # share_tokens.label
WEBHOOK_URL = 2000  # webhooks.url
WEBHOOK_SECRET = 200  # webhooks.secret
WEBHOOK_EVENT = 40  # webhook_deliveries.event
DELIVERY_STATE = 20  # webhook_deliveries.state: pending, delivered, failed
DELIVERY_ERROR = 500  # webhook_deliveries.last_error (longer errors are cut)

# created_by is composed by KeyOwner.author: "ORGANISATION/LABEL (key ID)", or
# "ORGANISATION/configured (configured key)" for a key from PLANNER_API_KEYS.
LARGEST_KEY_ID = 2**63 - 1  # the largest id any database gives a key row
AUTHOR_OVERHEAD = len("/") + len(f" (key {LARGEST_KEY_ID})")
# A new key's label is shorter than its column, so that created_by always fits: with the
# longest organisation and the largest key id it is 100 + 64 + 27 = 191 characters.
NEW_KEY_LABEL = 64
assert ORGANISATION + NEW_KEY_LABEL + AUTHOR_OVERHEAD <= CREATED_BY

# --- JSON request bodies -----------------------------------------------------------------
MAX_JSON_DEPTH = 64  # nesting of objects and arrays, the body itself being level 1
LARGEST_JSON_INTEGER = 2**63 - 1  # integers beyond 64 bits are refused anywhere in a body

# Characters no stored name may hold: control characters (line breaks, tabs, NUL, DEL,
# C1), line and paragraph separators, and lone surrogates (not text in any encoding).
_UNPRINTABLE = frozenset({"Cc", "Cs", "Zl", "Zp"})


def unprintable(text: str) -> str | None:
    """The first character of ``text`` that no stored name may hold, if any."""
    return next((c for c in text if unicodedata.category(c) in _UNPRINTABLE), None)


def text_problem(text: str, limit: int) -> str | None:
    """Why ``text`` cannot be stored in a column of ``limit`` characters, or None if it can."""
    if len(text) > limit:
        return f"{len(text)} characters; at most {limit} are stored"
    bad = unprintable(text)
    if bad is not None:
        return f"contains the control character U+{ord(bad):04X}; give printable text"
    return None


def printable(text: str) -> str:
    """``text`` with every character no stored name may hold replaced by a space."""
    return "".join(" " if unicodedata.category(c) in _UNPRINTABLE else c for c in text)
