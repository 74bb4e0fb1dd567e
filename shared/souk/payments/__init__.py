"""payments domain (see docs/commerce.md)."""
