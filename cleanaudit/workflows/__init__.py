"""One module per command: each turns a request into a result dataclass (no printing, no exits)."""
