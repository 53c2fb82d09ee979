"""Conversations: chats, their messages and routing records, discounts, surveys, attribution."""
