"""The reports API: scorecard (being built)."""

from ninja import Router

router = Router(tags=["reports"])
