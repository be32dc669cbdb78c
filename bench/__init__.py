"""Benchmarks for `make bench`: tenant provisioning and no-op migrations, on a database of their own."""
