"""Delivery: zones and fees, quotes, couriers, dispatch and tracking (API.md, Delivery)."""
