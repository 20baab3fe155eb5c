"""Staff pages: works."""

urlpatterns: list = []
