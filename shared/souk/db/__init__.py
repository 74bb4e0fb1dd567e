"""Single-table data access: the base model, key builders, cursors and transactions."""
