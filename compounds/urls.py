from compounds.views import imports, registry

app_name = "compounds"
urlpatterns = registry.urlpatterns + imports.urlpatterns
