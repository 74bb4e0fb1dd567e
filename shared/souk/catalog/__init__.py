"""Stores, categories, products, inventory, listing and search indexes (uploads: :mod:`souk.uploads`)."""
