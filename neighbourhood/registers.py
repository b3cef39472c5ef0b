"""Excel registers of the smart neighbourhood (filled in below)."""
