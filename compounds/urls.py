from django.urls import path

from compounds import views

app_name = "compounds"
urlpatterns = [
    path("", views.compound_list, name="list"),
    path("<int:pk>/", views.compound_detail, name="detail"),
]
