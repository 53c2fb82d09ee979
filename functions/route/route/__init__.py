"""The route function: chats, agents, queues and routing."""
