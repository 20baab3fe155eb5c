"""Excel import (with preview) and export of the registry."""

urlpatterns: list = []
