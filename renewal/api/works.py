"""API: works (see docs/architecture.md)."""

routes: list = []
