from django.urls import URLPattern, URLResolver

app_name = "calls"

urlpatterns: list[URLPattern | URLResolver] = []
