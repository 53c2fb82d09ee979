"""Routing: which agent gets a chat (`choice`), from what each agent has shown per category
(`performance`), and what a queued visitor is told about the wait (`wait`). Pure domain code: no
AWS, no clock, randomness only through the `random.Random` the caller passes."""
