from __future__ import annotations

import uuid
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Status

from casedesk.api.auth import actor
from casedesk.api.http import page_body, set_etag
from casedesk.api.schemas import In, ListParams, Out, errors
from casedesk.catalog import selectors, services
from casedesk.catalog.models import Product, Subject
from casedesk.core.pagination import paginate
from casedesk.core.types import Code, Name

router = Router(tags=["catalog"])


class SubjectOut(Out):
    id: str
    name: str
    parent_id: str | None
    version: int


class SubjectPage(Out):
    items: list[SubjectOut]
    next: str | None


class SubjectIn(In):
    name: Name
    parent_id: uuid.UUID | None = None


class ProductOut(Out):
    id: str
    name: str
    code: str
    version: int


class ProductPage(Out):
    items: list[ProductOut]
    next: str | None


class ProductIn(In):
    name: Name
    code: Code = ""


def subject_out(subject: Subject) -> dict[str, Any]:
    return {
        "id": str(subject.id),
        "name": subject.name,
        "parent_id": str(subject.parent_id) if subject.parent_id else None,
        "version": subject.version,
    }


def product_out(product: Product) -> dict[str, Any]:
    return {
        "id": str(product.id),
        "name": product.name,
        "code": product.code,
        "version": product.version,
    }


@router.get("/subjects", response={200: SubjectPage, **errors()})
def subject_list(request: HttpRequest, params: Query[ListParams]) -> dict[str, Any]:
    page = paginate(
        selectors.subject_list(), order=("name", "id"), limit=params.limit, cursor=params.cursor
    )
    return page_body(page, subject_out)


@router.post("/subjects", response={201: SubjectOut, **errors(403, 413, 422)})
def subject_create(request: HttpRequest, payload: SubjectIn, response: HttpResponse) -> Status:
    subject = services.subject_create(
        actor=actor(request), name=payload.name, parent_id=payload.parent_id
    )
    set_etag(response, subject.version)
    return Status(201, subject_out(subject))


@router.get("/products", response={200: ProductPage, **errors()})
def product_list(request: HttpRequest, params: Query[ListParams]) -> dict[str, Any]:
    page = paginate(
        selectors.product_list(), order=("name", "id"), limit=params.limit, cursor=params.cursor
    )
    return page_body(page, product_out)


@router.post("/products", response={201: ProductOut, **errors(403, 413, 422)})
def product_create(request: HttpRequest, payload: ProductIn, response: HttpResponse) -> Status:
    product = services.product_create(actor=actor(request), name=payload.name, code=payload.code)
    set_etag(response, product.version)
    return Status(201, product_out(product))
