"""Command-line tools and the local-process helpers shared by tests, benchmark and load test."""
