from django.urls import include, path, re_path

from casedesk.api.app import api, not_found
from casedesk.core.observability import views as observability

urlpatterns = [
    # Answered by ProbeMiddleware before the host check; listed here for their names and routes.
    path("healthz", observability.healthz, name="healthz"),
    path("readyz", observability.readyz, name="readyz"),
    path("metrics", observability.metrics_view, name="metrics"),
    path("api/v1/", api.urls),
    # Every other address under /api (another version, none): a JSON 404, never a page.
    re_path(r"^api(?:/(?P<rest>.*))?$", not_found),
    path("", include("casedesk.web.urls")),
]
