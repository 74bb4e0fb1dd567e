"""Souk's shared Lambda layer: HTTP plumbing, auth, data access and business rules."""
