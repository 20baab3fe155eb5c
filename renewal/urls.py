from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from consultation import urls as consultation_urls
from grievances import urls as grievances_urls
from renewal.views import commitments, programme, quality, works
from renewal.views import ideas as idea_views
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
    path("r/", include((consultation_urls.public_urlpatterns, "resident"))),
    path("c/<int:compound_id>/", compound_public, name="compound-public"),
    path("compounds/", include("compounds.urls")),
    path("programme/", include((programme.urlpatterns, "programme"))),
    path("works/", include((works.urlpatterns, "works"))),
    path("quality/", include((quality.urlpatterns, "quality"))),
    path("consultation/", include((consultation_urls.urlpatterns, "consultation"))),
    path("grievances/", include((grievances_urls.staff_urlpatterns, "grievances"))),
    path("open311/v2/", include((grievances_urls.open311_urlpatterns, "open311"))),
    path("", include((grievances_urls.public_urlpatterns, "public-issues"))),
    path("ideas-adopt/", include((idea_views.urlpatterns, "ideas"))),
    path("commitments/", include((commitments.urlpatterns, "commitments"))),
    path("api/v1/", include("renewal.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("media/<path:path>", protected_media, name="media"),
    path("admin/", admin.site.urls),
]
