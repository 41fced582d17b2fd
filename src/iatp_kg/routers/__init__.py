"""One module per surface."""
