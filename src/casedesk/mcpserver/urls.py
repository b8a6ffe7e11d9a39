from django.urls import URLPattern

app_name = "mcpserver"

urlpatterns: list[URLPattern] = []
