"""API: quality (see docs/architecture.md)."""

routes: list = []
