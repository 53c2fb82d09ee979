"""Every chat adapter of klantreis.conversations.dynamo_store at once, for tests that seed the
table through the adapters and read it back (production code names the one port it uses); and the
chat services wired over any store that has every chat port (the fake or the adapters)."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from klantreis.agents.ports import AgentStore
from klantreis.conversations.discounts import DiscountService
from klantreis.conversations.dynamo_store import (
    DynamoChatDiscounts,
    DynamoChatEnding,
    DynamoChatMessages,
    DynamoChatPlacement,
    DynamoChatReader,
    DynamoChatSurveys,
)
from klantreis.conversations.ending import ChatEnder
from klantreis.conversations.inbox import ChatLookup
from klantreis.conversations.messages import MessageService
from klantreis.conversations.ports import (
    ChatDiscounts,
    ChatEnding,
    ChatMessages,
    ChatPlacement,
    ChatReader,
    ChatSurveys,
)
from klantreis.dispatch.picking import AgentPicker
from klantreis.dispatch.placement import ChatStarter, StartReads, StartWrites
from klantreis.dispatch.queue import QueueDrainer
from klantreis.dispatch.sweep import AgentPresence


class ChatPorts(ChatReader, ChatPlacement, ChatEnding, ChatMessages, ChatDiscounts, ChatSurveys, Protocol):
    """Every chat port at once: the in-memory fake, or DynamoChatStore below."""


class DynamoChatStore(
    DynamoChatReader,
    DynamoChatPlacement,
    DynamoChatEnding,
    DynamoChatMessages,
    DynamoChatDiscounts,
    DynamoChatSurveys,
):
    """The chat table through all of its adapters."""


@dataclass
class ChatDesk:
    """The chat services over given ports, wired as klantreis.services wires them, on a clock,
    ids and randomness the test controls."""

    starter: ChatStarter
    queue: QueueDrainer
    ender: ChatEnder
    presence: AgentPresence
    messaging: MessageService
    discounts: DiscountService
    lookup: ChatLookup


def chat_desk(
    chats: ChatPorts,
    agents: AgentStore,
    reads: StartReads,
    *,
    clock: Callable[[], datetime],
    ids: Callable[[], str],
    heartbeat_seconds: float,
    rng: random.Random | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> ChatDesk:
    picker = AgentPicker(chats, clock=clock, rng=rng, heartbeat_seconds=heartbeat_seconds, sleep=sleep)
    queue = QueueDrainer(chats, chats, agents, picker)
    ender = ChatEnder(chats, chats, agents, queue, clock=clock)
    starter = ChatStarter(
        chats,
        StartWrites(chats, chats, chats),
        reads,
        agents,
        queue=queue,
        ender=ender,
        picker=picker,
        ids=ids,
    )
    return ChatDesk(
        starter=starter,
        queue=queue,
        ender=ender,
        presence=AgentPresence(agents, chats, chats, chats, queue=queue, picker=picker),
        messaging=MessageService(chats, clock=clock),
        discounts=DiscountService(chats, agents, clock=clock),
        lookup=ChatLookup(chats, chats, agents, reads.decisions),
    )
