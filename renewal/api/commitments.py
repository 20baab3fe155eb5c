"""API: commitments (see docs/architecture.md)."""

routes: list = []
