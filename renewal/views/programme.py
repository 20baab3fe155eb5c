"""Staff pages: programme."""

urlpatterns: list = []
