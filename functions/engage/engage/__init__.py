"""The engage function: proactive-chat decisions."""
