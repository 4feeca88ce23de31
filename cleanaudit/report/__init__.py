"""Turning results into text and files: terminal tables, JSON, CSV, Markdown."""
