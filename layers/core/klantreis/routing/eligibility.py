"""The one rule of who may take a chat. Placement (`klantreis.dispatch`), the decision to offer a chat
(`engagement.decide`, through `AgentProfile.serving`), the routing simulation (`bench/routing_sim.py`)
and the test fakes all ask it, so they cannot drift apart. The DynamoDB adapter enforces the same
in the condition of its take (`available`, a free slot); presence and categories it leaves to the
caller, who read the agent a moment before."""

from __future__ import annotations

from collections.abc import Collection, Iterable


def serves(
    categories: Collection[str], skills: Collection[str], category: str | None, wanted: Iterable[str]
) -> bool:
    """The chat's category is one of the agent's (any when None) and every skill it asks for is theirs."""
    return (category is None or category in categories) and set(wanted) <= set(skills)


def may_serve(*, available: bool, present: bool, serving: bool) -> bool:
    """Available, present (a fresh heartbeat) and serving the category and skills: an agent whose
    slots, full or free, a queued chat waits for."""
    return available and present and serving


def may_take(*, available: bool, present: bool, serving: bool, free_slots: int) -> bool:
    """May this agent take this chat now: `may_serve` with a free slot."""
    return free_slots > 0 and may_serve(available=available, present=present, serving=serving)
