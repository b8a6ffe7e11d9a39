"""The cases app's set-up pages: picklists and custom fields (`/settings/fields`)."""
