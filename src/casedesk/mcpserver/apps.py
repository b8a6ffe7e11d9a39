from django.apps import AppConfig


class McpServerConfig(AppConfig):
    name = "casedesk.mcpserver"
    label = "mcpserver"
