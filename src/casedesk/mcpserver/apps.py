from django.apps import AppConfig


class McpServerConfig(AppConfig):
    name = "casedesk.mcpserver"
    label = "mcpserver"

    def ready(self) -> None:
        from casedesk.cases.hooks import on_timeline_written
        from casedesk.mcpserver.marks import mark_mcp_events

        # Every timeline event an MCP call writes says "via MCP" and the token's name.
        on_timeline_written(mark_mcp_events)
