"""Connecting deme to a real workspace: Notion databases, the quote template, the pool."""
