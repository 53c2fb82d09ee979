"""The local stack: the template's routes served by chalice's local gateway, DynamoDB embedded
(moto) or at AWS_ENDPOINT_URL_DYNAMODB, the demo site seeded, local tokens for agents."""
