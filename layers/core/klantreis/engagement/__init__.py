"""Engagement: whether and how to offer a live session a chat. The purchase-propensity model
(`model`, pure Python, no training libraries; `make train` builds its JSON, `make evaluate` measures
it), the rules and scores (`rules`, `features`), the decision (`decide`), offers by expected gain
(`uplift`), the records each decision leaves (`records`) and their ports and DynamoDB adapters.

Nothing is imported here: a function that reads one record type (a chat's survey, the report's
settings) does not load the propensity model's module (docs/decisions.md, "Cold start: each
function imports what it uses")."""
