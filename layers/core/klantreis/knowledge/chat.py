"""The suggestion signals of an open chat: the visitor's latest messages and the journey."""

from __future__ import annotations

from collections.abc import Sequence

from klantreis.conversations.context import ChatContext
from klantreis.conversations.models import Chat, Message
from klantreis.knowledge.suggest import MESSAGES_READ, ChatSignals

MESSAGES_LOOKED_AT = 20
"""The chat's last messages read to find the visitor's last `MESSAGES_READ` among the agent's."""


def chat_signals(chat: Chat, latest: Sequence[Message], context: ChatContext) -> ChatSignals:
    """The visitor's messages only (those to a chatbot before the handover too): the agent's own
    answers would pull the ranking towards what was already said. Products in the cart first,
    then the most viewed."""
    said = [m.text for m in latest if m.author == "visitor"][-MESSAGES_READ:]
    products = sorted(context.products, key=lambda p: (not p.in_cart, -p.views))[:3]
    return ChatSignals(
        visitor_messages=said,
        category=chat.category,
        product_ids=[p.product_id for p in products],
        stage=str(context.stage),
    )
