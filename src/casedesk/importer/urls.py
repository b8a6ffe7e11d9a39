from django.urls import URLPattern

app_name = "importer"

urlpatterns: list[URLPattern] = []
