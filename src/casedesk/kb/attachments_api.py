"""Placeholder: filled in by the issue-13 work."""
from ninja import Router

router = Router(tags=["kb"])
