"""The audit log: one immutable record for every mutation (who, what, which resource, from where)."""
