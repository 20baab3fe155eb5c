"""API: programme (see docs/architecture.md)."""

routes: list = []
