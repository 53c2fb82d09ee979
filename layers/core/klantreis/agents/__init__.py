"""Agents: the operator's profile of each agent, and the live state routing keeps on the same
item (status, heartbeat, the chats the agent is in). `ports.py` holds the profile, its live state
and the store port; `dynamo_store.py` the DynamoDB adapter.

One item per agent (SITE#{site} / AGENT#{agent}) holds both, so an assignment is one conditional
update of that item: `active_chats < max_chats` is checked and the count raised atomically, which
keeps capacity exact however many Lambda instances assign at once.
"""
