"""The chat function: the chat routes the widget calls (start a chat, read it, write in it), which
the chat's agent shares."""
