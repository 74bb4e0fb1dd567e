"""Marketplace finance: store balances on a double-entry ledger, commissions, payouts (API.md, Finance)."""
