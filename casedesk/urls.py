from django.urls import include, path, re_path

from casedesk.api.app import api, not_found
from casedesk.core.observability import views as observability

urlpatterns = [
    # Answered by ProbeMiddleware before the host check; listed here for their names and routes.
    path("healthz", observability.healthz, name="healthz"),
    path("readyz", observability.readyz, name="readyz"),
    path("metrics", observability.metrics_view, name="metrics"),
    path("api/v1/", api.urls),
    re_path(r"^api/v1/(?P<rest>.*)$", not_found),
    path("", include("casedesk.web.urls")),
]
