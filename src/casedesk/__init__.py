"""casedesk: a self-hosted, multi-tenant case management system."""
