from django.urls import include, path
from rest_framework.routers import DefaultRouter

from renewal.api.routes import MODULES
from renewal.api.views import TokenView

router = DefaultRouter()
for module in MODULES:
    for prefix, viewset, basename in module.routes:
        router.register(prefix, viewset, basename=basename)

urlpatterns = [
    path("auth/token/", TokenView.as_view(), name="api-token"),
    path("", include(router.urls)),
]
