"""Reports' pages, mounted at the site root by casedesk.urls: the scorecard and the agent
and queue reports (`/reports/scorecard`, `/reports/agents`, `/reports/queues`), the monthly
SLA compliance reports (`/reports/compliance`) and the forecast (`/reports/forecast`). Each
view module lists its own paths."""

from django.urls import URLPattern, URLResolver

from casedesk.reports.views import compliance, forecast, scorecard

app_name = "reports"

urlpatterns: list[URLPattern | URLResolver] = [*scorecard.urls, *compliance.urls,
                                               *forecast.urls]
