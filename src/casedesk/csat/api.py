"""The CSAT API: the tenant's survey results (`GET /csat`, managers and admins) and the
survey settings (`GET /csat/settings` managers and admins, `PATCH` admins)."""

from datetime import UTC, datetime
from typing import Any

from django.http import HttpRequest
from ninja import Router
from ninja.params.functions import Query

from casedesk.core import clock
from casedesk.core.errors import Invalid
from casedesk.core.schemas import Error
from casedesk.csat import selectors, services
from casedesk.csat.config import csat_settings, rating_label
from casedesk.csat.models import CsatSettings, Survey
from casedesk.csat.schemas import CsatSettingsOut, CsatSettingsPatch, SurveyPage
from casedesk.tenancy.api_auth import require_admin, require_manager

router = Router(tags=["csat"])
ERRORS: dict[int, type[Error]] = {401: Error, 403: Error, 404: Error, 409: Error, 422: Error}


def _survey_out(survey: Survey) -> dict[str, Any]:
    case = survey.case
    return {"case_number": case.display_number, "scale": survey.scale, "rating": survey.rating,
            "rating_label": rating_label(survey.scale, survey.rating),
            "comment": survey.comment, "sent_at": survey.sent_at,
            "answered_at": survey.answered_at}


def _settings_out(config: CsatSettings) -> dict[str, Any]:
    return {"enabled": config.enabled, "delay_hours": config.delay_hours,
            "queues": list(config.queues), "scale": config.scale}


def _in_range(name: str, moment: datetime | None) -> None:
    try:
        if moment is not None and moment.tzinfo is not None:
            moment.astimezone(UTC)  # the database compares in UTC
    except OverflowError:
        raise Invalid(f"{name} is out of range.", field=name) from None


@router.get("/csat", response={200: SurveyPage, **ERRORS}, summary="Survey results")
def list_surveys(request: HttpRequest,
                 since: datetime | None = Query(None, description="Sent at or after"),
                 until: datetime | None = Query(None, description="Sent before"),
                 rating: int | None = Query(None, ge=1, le=5),
                 answered: bool | None = None,
                 cursor: str | None = Query(None, max_length=500),
                 limit: int = Query(50, ge=1, le=100)) -> Any:
    """The tenant's surveys, latest sent first; unanswered ones have a null `rating`."""
    membership = require_manager(request)
    _in_range("since", since)
    _in_range("until", until)
    filters = selectors.SurveyFilters(since=since, until=until, rating=rating,
                                      answered=answered)
    page = selectors.survey_list(membership.tenant, filters, cursor=cursor, limit=limit)
    return {"items": [_survey_out(s) for s in page.items], "next_cursor": page.next_cursor}


@router.get("/csat/settings", response={200: CsatSettingsOut, **ERRORS},
            summary="Survey settings")
def get_settings(request: HttpRequest) -> Any:
    return _settings_out(csat_settings(require_manager(request).tenant))


@router.patch("/csat/settings", response={200: CsatSettingsOut, **ERRORS},
              summary="Change the survey settings")
def patch_settings(request: HttpRequest, payload: CsatSettingsPatch) -> Any:
    """Admins. `delay_hours` 0 to 336; `queues` the tenant's queue ids (empty: all)."""
    membership = require_admin(request)
    changes = payload.dict(exclude_unset=True)
    for name, value in changes.items():
        if value is None:
            raise Invalid(f"{name} cannot be null.", field=name)
    config = services.csat_settings_update(
        tenant=membership.tenant, change=services.SettingsChange(**changes), now=clock.now())
    return _settings_out(config)
