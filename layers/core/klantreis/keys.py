"""Key design of the single table (see docs/decisions.md, "Single-table keys").

Ids are validated against `ID_PATTERN` at the edge, so a `#` never appears inside an id and no
two different (site, id) pairs can map to the same key.

| item                 | PK                            | SK                               |
|----------------------|-------------------------------|----------------------------------|
| site profile         | SITE#{site}                   | PROFILE                          |
| agent profile        | SITE#{site}                   | AGENT#{agent}                    |
| engagement rules     | SITE#{site}                   | ENGAGEMENT#CONFIG                |
| opening hours        | SITE#{site}                   | ENGAGEMENT#HOURS                 |
| site's own model     | SITE#{site}                   | MODEL                            |
| site key             | SITEKEY#{sha256(key)}         | SITEKEY                          |
| session state        | SITE#{site}#V#{visitor}       | SESSION#{session}                |
| journey chunk        | SITE#{site}#V#{visitor}       | JOURNEY#{session}#{n:05d}#{tok}  |
| daily counter shard  | SITE#{site}#DAY#{yyyy-mm-dd}  | COUNTER#{shard}                  |
| engagement state     | SITE#{site}#V#{visitor}       | ENGAGEMENT#STATE                 |
| engagement decision  | SITE#{site}#V#{visitor}       | DECISION#{iso time}#{id}         |
| chat offer           | SITE#{site}#OFFER#{offer}     | OFFER (GSI1PK = visitor's PK)    |
| chat                 | SITE#{site}#CHAT#{chat}       | CHAT (GSI1PK = visitor's PK)     |
| chat message         | SITE#{site}#CHAT#{chat}       | MSG#{message id}                 |
| routing decision     | SITE#{site}#CHAT#{chat}       | ROUTING#{iso time}#{n}           |
| survey               | SITE#{site}#CHAT#{chat}       | SURVEY                           |
| queued chat          | SITE#{site}#QUEUE             | {priority}#{created}#{chat} (GSI1PK = visitor's PK) |
| routing statistics   | SITE#{site}                   | ROUTING#STATS                    |
| agent performance    | SITE#{site}                   | PERF#{category}#{agent}          |
| live board           | SITE#{site}                   | LIVE                             |
| discount code        | SITE#{site}#DISCOUNT#{code}   | DISCOUNT (GSI1PK = visitor's PK) |
| stored daily report  | SITE#{site}#REPORT            | DAY#{yyyy-mm-dd}                 |
| report alert marker  | SITE#{site}#REPORT            | ALERT#{yyyy-mm-dd}#{condition}   |
| knowledge entry      | SITE#{site}                   | KB#{entry}                       |
| survey feedback      | SITE#{site}#FEEDBACK          | {iso time}#{chat} (GSI1PK = visitor's PK) |

Everything about one visitor lives in the visitor's partition; items about a visitor that must
live elsewhere carry GSI1PK = SITE#{site}#V#{visitor}, so erasure finds them through GSI1. A chat's
partition (messages, routing decisions, survey) goes with its chat item. Site profiles carry
GSI1PK = SITES so scheduled jobs can list the sites.
"""

from __future__ import annotations

import hashlib

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:@=+\-]{0,99}$"
"""Ids from clients: 1-100 characters, no separators or whitespace."""

PROFILE = "PROFILE"
SESSION_PREFIX = "SESSION#"
JOURNEY_PREFIX = "JOURNEY#"
COUNTER_PREFIX = "COUNTER#"
AGENT_PREFIX = "AGENT#"
ENGAGEMENT_STATE = "ENGAGEMENT#STATE"
DECISION_PREFIX = "DECISION#"
OFFER = "OFFER"
ENGAGEMENT_CONFIG = "ENGAGEMENT#CONFIG"
ENGAGEMENT_HOURS = "ENGAGEMENT#HOURS"
SITE_MODEL = "MODEL"
SITE_UPLIFT_MODEL = "UPLIFT_MODEL"
CHAT = "CHAT"
MESSAGE_PREFIX = "MSG#"
ROUTING_PREFIX = "ROUTING#"
SURVEY = "SURVEY"
ROUTING_STATS = "ROUTING#STATS"
LIVE_BOARD = "LIVE"
"""The site's live board: visitors active in the last minutes (klantreis.projections.live_board)."""
PERF_PREFIX = "PERF#"
DISCOUNT = "DISCOUNT"
SITES_INDEX_PK = "SITES"
REPORT_DAY_PREFIX = "DAY#"
REPORT_ALERT_PREFIX = "ALERT#"
KNOWLEDGE_PREFIX = "KB#"
FEEDBACK_INDEX_PREFIX = "FEEDBACK#"
"""GSI1SK of a survey's feedback item (erasure finds it through the visitor's GSI1PK)."""
UNCATEGORIZED = "*"
"""The performance and queue category of a chat without one."""


def site_pk(site_id: str) -> str:
    return f"SITE#{site_id}"


def site_key_pk(site_key: str) -> str:
    return f"SITEKEY#{hash_site_key(site_key)}"


def hash_site_key(site_key: str) -> str:
    return hashlib.sha256(site_key.encode()).hexdigest()


def agent_sk(agent_id: str) -> str:
    return f"{AGENT_PREFIX}{agent_id}"


def knowledge_sk(entry_id: str) -> str:
    return f"{KNOWLEDGE_PREFIX}{entry_id}"


def visitor_pk(site_id: str, visitor_id: str) -> str:
    return f"SITE#{site_id}#V#{visitor_id}"


def _parse_site_pk(partition_key: str, marker: str) -> tuple[str, str]:
    """(site_id, id) of a key SITE#{site}#{marker}#{id}; ValueError for any other key (a
    partition key that does not split in four fails the same way)."""
    parts = partition_key.split("#", 3)
    if len(parts) != 4 or parts[0] != "SITE" or parts[2] != marker:
        raise ValueError(f"not a SITE#…#{marker}#… partition key: {partition_key!r}")
    return parts[1], parts[3]


def parse_visitor_pk(partition_key: str) -> tuple[str, str]:
    """(site_id, visitor_id) of a visitor partition key."""
    return _parse_site_pk(partition_key, "V")


def session_sk(session_id: str) -> str:
    return f"{SESSION_PREFIX}{session_id}"


def journey_prefix(session_id: str) -> str:
    return f"{JOURNEY_PREFIX}{session_id}#"


def journey_sk(session_id: str, number: int, token: str) -> str:
    return f"{journey_prefix(session_id)}{number:05d}#{token}"


def day_pk(site_id: str, day: str) -> str:
    return f"SITE#{site_id}#DAY#{day}"


def counter_sk(shard: str) -> str:
    return f"{COUNTER_PREFIX}{shard}"


def decision_sk(at_iso: str, decision_id: str) -> str:
    return f"{DECISION_PREFIX}{at_iso}#{decision_id}"


def offer_pk(site_id: str, offer_id: str) -> str:
    return f"SITE#{site_id}#OFFER#{offer_id}"


def parse_offer_pk(partition_key: str) -> tuple[str, str]:
    """(site_id, offer_id) of an offer's partition key."""
    return _parse_site_pk(partition_key, "OFFER")


def feedback_pk(site_id: str) -> str:
    """The site's survey feedback, newest last: what operators and agents read as it arrives."""
    return f"SITE#{site_id}#FEEDBACK"


def chat_pk(site_id: str, chat_id: str) -> str:
    return f"SITE#{site_id}#CHAT#{chat_id}"


def parse_chat_pk(partition_key: str) -> tuple[str, str]:
    """(site_id, chat_id) of a chat's partition key."""
    return _parse_site_pk(partition_key, "CHAT")


def message_sk(message_id: str) -> str:
    return f"{MESSAGE_PREFIX}{message_id}"


def routing_sk(at_iso: str, number: int) -> str:
    return f"{ROUTING_PREFIX}{at_iso}#{number:03d}"


def queue_pk(site_id: str) -> str:
    return f"SITE#{site_id}#QUEUE"


def perf_prefix(category: str | None) -> str:
    return f"{PERF_PREFIX}{category or UNCATEGORIZED}#"


def perf_sk(category: str | None, agent_id: str) -> str:
    return f"{perf_prefix(category)}{agent_id}"


def discount_pk(site_id: str, code: str) -> str:
    return f"SITE#{site_id}#DISCOUNT#{code}"


def report_pk(site_id: str) -> str:
    """The partition of a site's stored daily reports and alert markers."""
    return f"SITE#{site_id}#REPORT"


def report_day_sk(day: str) -> str:
    return f"{REPORT_DAY_PREFIX}{day}"


def report_alert_sk(day: str, condition: str) -> str:
    return f"{REPORT_ALERT_PREFIX}{day}#{condition}"
