"""The reports API: forecast (being built)."""

from ninja import Router

router = Router(tags=["reports"])
