from django.urls import include, path
from rest_framework.routers import DefaultRouter

from compounds.api.views import CommunityViewSet, CompoundViewSet, SubdistrictViewSet
from renewal.api.views import TokenView

router = DefaultRouter()
router.register("subdistricts", SubdistrictViewSet, basename="subdistrict")
router.register("communities", CommunityViewSet, basename="community")
router.register("compounds", CompoundViewSet, basename="compound")

urlpatterns = [
    path("auth/token/", TokenView.as_view(), name="api-token"),
    path("", include(router.urls)),
]
