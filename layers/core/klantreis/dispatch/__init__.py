"""Dispatch: the services that place chats with agents. A new chat's placement (`placement`), the
queue and its draining (`queue`), agents' status, heartbeat and the scheduled sweep (`sweep`), all
through `picking`, which asks the routing policies (`klantreis.routing`) who may and who should
take a chat. Domain logic over the narrow ports of `klantreis.conversations.ports` and the agents'
store; it sits above `routing`, `agents` and `conversations`, and nothing of the core imports it."""
