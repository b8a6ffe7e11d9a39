from django.urls import URLPattern

app_name = "exporter"

urlpatterns: list[URLPattern] = []
