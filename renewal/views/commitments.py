"""Staff pages: commitments."""

urlpatterns: list = []
