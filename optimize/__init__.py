"""Metrics and compilers."""
