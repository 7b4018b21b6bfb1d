"""Demo cases in every state: worked on, resolved, reopened, cancelled, merged, parent and child.

Everything goes through the same services as users' requests, so the demo passes
`casedesk check`.
"""

from __future__ import annotations

import uuid
from typing import Any

from casedesk.cases.fields import CaseChanges
from casedesk.cases.models import Case
from casedesk.cases.services import activities, lifecycle, merge
from casedesk.cases.services.common import Ref
from casedesk.cases.services.records import case_create, case_update
from casedesk.catalog.models import Product, Subject
from casedesk.core.choices import Channel
from casedesk.customers import services as customers
from casedesk.directory.models import User

CLI = Channel.CLI


class _Demo:
    def __init__(self, users: dict[str, User]) -> None:
        self.users = users
        self.counts = {"lifecycle cases": 0, "activities": 0, "notes": 0}

    def case(self, who: str, title: str, customer: Ref, **fields: Any) -> Case:
        self.counts["lifecycle cases"] += 1
        return case_create(
            actor=self.users[who],
            title=title,
            customer=customer,
            channel=CLI,
            given=frozenset(fields) | {"title", "customer"},
            **fields,
        )

    def activity(
        self,
        who: str,
        case: Case,
        type: str,
        subject: str,
        minutes: int | None = None,
        state: str = "completed",
        **fields: Any,
    ) -> uuid.UUID:
        self.counts["activities"] += 1
        activity = activities.activity_create(
            actor=self.users[who],
            case_id=case.pk,
            type=type,
            subject=subject,
            channel=CLI,
            **fields,
        )
        if state == "completed":
            activities.activity_complete(
                actor=self.users[who],
                activity_id=activity.pk,
                duration_minutes=minutes,
                channel=CLI,
            )
        elif state == "cancelled":
            activities.activity_cancel(actor=self.users[who], activity_id=activity.pk, channel=CLI)
        return activity.pk

    def note(self, who: str, case: Case, text: str) -> None:
        self.counts["notes"] += 1
        activities.note_create(actor=self.users[who], case_id=case.pk, text=text, channel=CLI)

    def post(self, who: str, case: Case, text: str) -> None:
        activities.post_create(actor=self.users[who], case_id=case.pk, text=text, channel=CLI)


def _subject(name: str) -> uuid.UUID | None:
    return Subject.objects.filter(name=name).values_list("id", flat=True).first()


def _product(code: str) -> uuid.UUID | None:
    return Product.objects.filter(code=code).values_list("id", flat=True).first()


def load(users: dict[str, User]) -> dict[str, int]:
    demo = _Demo(users)
    agent = users["agent"]
    hotel = customers.account_create(
        actor=agent, name="Hotel Belvedere Garda", phone="045 620 0101", channel=CLI
    )
    reception = customers.contact_create(
        actor=agent,
        first_name="Roberta",
        last_name="Zanetti",
        email="roberta.zanetti@belvedere.example",
        phone="+39 347 210 4455",
        account_id=hotel.pk,
        channel=CLI,
    )
    studio = customers.account_create(
        actor=agent, name="Studio Legale Fontana", phone="02 7600 3344", channel=CLI
    )
    lawyer = customers.contact_create(
        actor=agent,
        first_name="Tommaso",
        last_name="Fontana",
        email="t.fontana@studiofontana.example",
        account_id=studio.pk,
        channel=CLI,
    )
    hotel_ref, studio_ref = Ref("account", hotel.pk), Ref("account", studio.pk)

    # Active, being worked on: calls done, an appointment still open, notes and posts.
    wifi = demo.case(
        "agent",
        "Wi-Fi degli ospiti lento al secondo piano",
        hotel_ref,
        contact_id=reception.pk,
        subject_id=_subject("Rete mobile"),
        case_type="problem",
        priority="high",
        stage="research",
    )
    demo.activity("agent", wifi, "phone_call", "Prima chiamata della reception", 15,
                  direction="incoming")  # fmt: skip
    demo.activity("agent", wifi, "task", "Verifica dei log degli access point", 40)
    demo.activity("agent", wifi, "appointment", "Sopralluogo del tecnico", state="open")
    demo.note("agent", wifi, "Il problema si presenta soprattutto la sera, con l'hotel pieno.")
    demo.post("agent", wifi, "Sopralluogo fissato per giovedì mattina.")

    # Resolved with billed time (problem solved), billable less than the total.
    router = demo.case(
        "luca",
        "Router della sala congressi non si connette",
        hotel_ref,
        contact_id=reception.pk,
        subject_id=_subject("Router"),
        product_id=_product("RPX2"),
        case_type="problem",
    )
    demo.activity("luca", router, "phone_call", "Diagnosi telefonica", 25, direction="incoming")
    demo.activity("luca", router, "email", "Invio procedura di reset", 10, direction="outgoing")
    lifecycle.case_resolve(
        actor=users["luca"],
        case_id=router.pk,
        resolution="Firmware aggiornato e configurazione ripristinata dal backup.",
        billable_minutes=30,
        channel=CLI,
    )
    demo.note("luca", router, "Follow-up: il cliente conferma che tutto funziona.")

    # Resolved as information provided.
    invoice = demo.case(
        "paolo",
        "Chiarimento sulle voci della fattura di marzo",
        studio_ref,
        contact_id=lawyer.pk,
        subject_id=_subject("Addebiti errati"),
        case_type="question",
    )
    demo.activity("paolo", invoice, "email", "Risposta con il dettaglio delle voci", 20,
                  direction="outgoing")  # fmt: skip
    lifecycle.case_resolve(
        actor=users["paolo"],
        case_id=invoice.pk,
        resolution="Spiegate al cliente le voci di canone e di traffico.",
        resolution_type="information_provided",
        channel=CLI,
    )

    # Resolved, reopened by the customer, worked on again: history kept.
    mail = demo.case(
        "sara",
        "La posta non si sincronizza sui telefoni",
        studio_ref,
        contact_id=lawyer.pk,
        subject_id=_subject("Posta elettronica"),
        product_id=_product("PCLOUD"),
    )
    demo.activity("sara", mail, "phone_call", "Configurazione account sul telefono", 30)
    lifecycle.case_resolve(
        actor=users["sara"],
        case_id=mail.pk,
        resolution="Account riconfigurato con IMAP.",
        channel=CLI,
    )
    lifecycle.case_reactivate(actor=users["sara"], case_id=mail.pk, channel=CLI)
    demo.post("sara", mail, "Il cliente segnala di nuovo il problema su un secondo telefono.")
    demo.activity("sara", mail, "task", "Verifica delle regole di sincronizzazione", 20)

    # Cancelled: opened by mistake, its open task cancelled with it.
    mistake = demo.case("agent", "Richiesta aperta per errore", studio_ref, case_type="request")
    demo.activity("agent", mistake, "task", "Richiamare il cliente", state="open")
    lifecycle.case_cancel(actor=agent, case_id=mistake.pk, cancel_open_activities=True, channel=CLI)

    # A duplicate merged into the case it repeats.
    duplicate = demo.case(
        "luca",
        "Wi-Fi lento (seconda segnalazione)",
        hotel_ref,
        contact_id=reception.pk,
        subject_id=_subject("Rete mobile"),
    )
    demo.note("luca", duplicate, "Stessa segnalazione del caso già aperto, via e-mail.")
    case_update(actor=users["manager"], case_id=duplicate.pk, changes=CaseChanges(priority="low"),
                channel=CLI)  # fmt: skip
    merge.case_merge(actor=users["manager"], case_id=duplicate.pk, into_id=wifi.pk, channel=CLI)

    # A parent with child cases: one child resolved, one still active.
    outage = demo.case(
        "manager",
        "Interruzione della fibra nella zona del lago",
        hotel_ref,
        subject_id=_subject("Fibra"),
        product_id=_product("FB1000"),
        priority="high",
        case_type="problem",
    )
    demo.post("manager", outage, "Guasto sulla dorsale confermato dal fornitore.")
    # Children are attached by who may change the parent (the manager), for the agent.
    to_agent = Ref("user", agent.pk)
    spa = demo.case("manager", "Nessuna connessione nel centro benessere", hotel_ref,
                    parent_id=outage.pk, owner=to_agent)  # fmt: skip
    kitchen = demo.case("manager", "POS della cucina offline", hotel_ref, parent_id=outage.pk,
                        owner=to_agent)  # fmt: skip
    demo.activity("agent", kitchen, "phone_call", "Attivata connessione di backup 4G", 10)
    lifecycle.case_resolve(
        actor=agent,
        case_id=kitchen.pk,
        resolution="POS collegato al router 4G di scorta.",
        channel=CLI,
    )
    demo.activity("agent", spa, "task", "Attendere il ripristino della dorsale", state="open")

    return dict(demo.counts)
