"""Staff pages: quality."""

urlpatterns: list = []
