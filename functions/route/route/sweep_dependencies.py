"""The providers of the scheduled sweep (sweep.py), reading the instance's services
(`klantreis.services`). Apart from the routes' providers so that the sweep function imports
neither the chat, message and knowledge services nor the decision records (cold start); the
routes' providers (dependencies.py) take the two from here."""

from __future__ import annotations

from klantreis import services
from klantreis.dispatch.sweep import AgentPresence
from klantreis.scheduled import SiteLister


def agent_presence() -> AgentPresence:
    return services.current().agent_presence


def site_lister() -> SiteLister:
    return services.current().site_lister
