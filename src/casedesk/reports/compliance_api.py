"""The reports API: compliance (being built)."""

from ninja import Router

router = Router(tags=["reports"])
