"""Discount codes an agent gives in a chat, within the agent's mandate: single use, one per chat.
Domain logic over the `ChatDiscounts` port."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import UTC, datetime

from klantreis.conversations.models import Chat
from klantreis.conversations.ports import AgentReader, ChatDiscounts, Discount
from klantreis.errors import Conflict, Forbidden
from klantreis.sites import Site

DISCOUNT_CODE_CHARS = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
"""No 0/O or 1/I: codes are read aloud and typed."""


class DiscountService:
    def __init__(
        self,
        discounts: ChatDiscounts,
        agents: AgentReader,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._discounts = discounts
        self._agents = agents
        self._clock = clock

    def discount(self, site: Site, chat: Chat, agent_id: str, percent: float) -> Discount:
        if chat.agent_id != agent_id:
            raise Forbidden("only the chat's agent can give a discount")
        if chat.status != "assigned":
            raise Conflict("discounts are given during the chat")
        agent = self._agents.get(site.site_id, agent_id)
        if agent is None:
            raise Forbidden("no such agent")
        if percent > agent.discount_mandate_percent:
            raise Forbidden(f"{percent:g}% is above your mandate of {agent.discount_mandate_percent:g}%")
        code = "KR-" + "".join(secrets.choice(DISCOUNT_CODE_CHARS) for _ in range(10))
        discount = Discount(
            site_id=site.site_id,
            code=code,
            chat_id=chat.chat_id,
            agent_id=agent_id,
            percent=percent,
            visitor_id=chat.visitor_id,
            created_at=self._clock(),
        )
        self._discounts.add_discount(chat, discount)
        return discount
