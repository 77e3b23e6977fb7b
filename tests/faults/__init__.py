"""Fault injection between acloud clients and the servers they talk to."""
