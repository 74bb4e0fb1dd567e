"""orders domain (see docs/commerce.md)."""
