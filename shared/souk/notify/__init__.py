"""Notifications: producers (service), the email worker (consumer), senders and templates; each domain
declares its own messages in ``souk/<domain>/emails.py``."""
