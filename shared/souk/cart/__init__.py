"""cart domain (see docs/commerce.md)."""
