"""The survey function: post-chat surveys."""
