"""Answering by e-mail from the case page (docs/email.md#sending)."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from casedesk.attachments import selectors as attachment_selectors
from casedesk.attachments.http import attachment_download as attachment_response
from casedesk.cases import selectors
from casedesk.cases.models import Case
from casedesk.core.choices import Channel
from casedesk.core.errors import DomainError, ValidationFailed
from casedesk.mail.services.send import Upload, email_send
from casedesk.web.errors import form_add_domain_error, message_domain_error
from casedesk.web.forms.actions import EmailForm
from casedesk.web.fragments import is_htmx
from casedesk.web.views.case_page import case_page, composer_answer
from casedesk.web.views.common import actor, found


@login_required
@require_POST
def email_add(request: HttpRequest, case_id: uuid.UUID) -> HttpResponse:
    """Send an answer from the reply box: queued on the case, sent by the worker."""
    case = found(selectors.case_get, case_id=case_id)
    form = EmailForm(request.POST, request.FILES, auto_id="email_%s")
    if not form.is_valid():
        return _answer(request, case, form, 422)
    data = form.cleaned_data
    try:
        email_send(
            actor=actor(request),
            case_id=case.pk,
            to=data["to"] or None,
            cc=data["cc"],
            subject=data["subject"] or None,
            text=data["text"],
            uploads=[Upload(f, f.name, f.content_type) for f in data["attachments"]],
            channel=Channel.UI,
        )
    except ValidationFailed as exc:
        form_add_domain_error(form, exc)
        return _answer(request, case, form, exc.status)
    except DomainError as exc:
        message_domain_error(request, exc)
        return _answer(request, case, form, exc.status)
    messages.success(request, _("The e-mail was queued for sending."))
    if is_htmx(request):
        return composer_answer(request, case)
    return redirect(reverse("web:case_detail", kwargs={"case_id": case.pk}) + "#timeline")


def _answer(request: HttpRequest, case: Case, form: EmailForm, status: int) -> HttpResponse:
    """The reply box refused: in place (htmx) or on the case page."""
    if is_htmx(request):
        return composer_answer(request, case, dialogs={"email": form}, status=status)
    return case_page(request, case, dialogs={"email": form}, status=status)


@login_required
def attachment_download(request: HttpRequest, attachment_id: uuid.UUID) -> FileResponse:
    """A file of a case (of its e-mails and notes), as a download that the browser never
    renders in the page (docs/security.md, "Files and e-mail content")."""
    attachment = found(
        attachment_selectors.attachment_get, user=actor(request), attachment_id=attachment_id
    )
    return attachment_response(attachment)
