"""Cognito triggers."""
