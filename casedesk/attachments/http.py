"""A file as an HTTP answer, the same for the API and the web (docs/security.md, "Files and
e-mail content"): always a download, never sniffed or rendered in the page."""

from __future__ import annotations

from django.http import FileResponse

from casedesk.attachments.models import Attachment
from casedesk.attachments.selectors import attachment_open


def attachment_download(attachment: Attachment) -> FileResponse:
    response = FileResponse(
        attachment_open(attachment),
        as_attachment=True,
        filename=attachment.filename,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["ETag"] = f'"{attachment.sha256}"'
    return response
