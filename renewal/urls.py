from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from renewal.views import commitments, programme, quality, works
from renewal.views.auth import LoginView
from renewal.views.health import healthz
from renewal.views.home import home
from renewal.views.media import protected_media
from renewal.views.public import compound_public, resident_welcome

urlpatterns = [
    path("", home, name="home"),
    path("login/", LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("healthz", healthz, name="healthz"),
    path("r/", resident_welcome, name="resident-welcome"),
    path("c/<int:compound_id>/", compound_public, name="compound-public"),
    path("compounds/", include("compounds.urls")),
    path("programme/", include((programme.urlpatterns, "programme"))),
    path("works/", include((works.urlpatterns, "works"))),
    path("quality/", include((quality.urlpatterns, "quality"))),
    path("commitments/", include((commitments.urlpatterns, "commitments"))),
    path("api/v1/", include("renewal.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("media/<path:path>", protected_media, name="media"),
    path("admin/", admin.site.urls),
]
