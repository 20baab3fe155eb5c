"""The site's URLs plus what the lead mounts for the golden ideas' adoption (renewal's
page at /ideas-adopt/ in the namespace `ideas`, and its API route), for the tests that
need them before the lead wires them into renewal/urls.py and renewal/api/routes.py."""

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from renewal.api import ideas as ideas_api
from renewal.urls import urlpatterns as site
from renewal.views import ideas

router = SimpleRouter()
for prefix, viewset, basename in ideas_api.routes:
    router.register(prefix, viewset, basename=basename)

urlpatterns = [
    path("api/v1/", include(router.urls)),
    *site,
    path("ideas-adopt/", include((ideas.urlpatterns, "ideas"))),
]
