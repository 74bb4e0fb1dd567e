"""Identity and access: accounts, passwords, one-time codes, sessions, 2FA, OAuth, API keys."""
