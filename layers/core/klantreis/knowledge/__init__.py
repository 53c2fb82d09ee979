"""The per-site knowledge base: FAQ entries and canned replies kept by operators, and the
answers suggested to an agent for an open chat (a BM25 retriever, Dutch and English)."""
