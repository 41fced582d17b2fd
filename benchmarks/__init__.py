"""Benchmarks of iatp-kg against Oxigraph's own server and rdflib-endpoint: `scripts/bench`."""
