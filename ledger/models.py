"""Double-entry ledger (placeholder: being written)."""
