"""wallet domain (see docs/commerce.md)."""
