"""Demo resolved cases worth finding with "similar cases", and connections to them."""

from __future__ import annotations

import datetime as dt

from casedesk.cases.services.common import Ref
from casedesk.cases.services.connections import connection_create
from casedesk.cases.services.lifecycle import case_resolve
from casedesk.cases.services.records import case_create
from casedesk.catalog.models import Subject
from casedesk.core.choices import Channel
from casedesk.customers.models import Account
from casedesk.demo.timeline import Timeline
from casedesk.directory.models import User

# title, description, subject, resolution, resolution type
RESOLVED = [
    (
        "Interruzione del servizio fibra a Milano",
        "Il cliente segnala assenza di connessione in tutta la sede dalle 8:00.",
        "Fibra",
        "Guasto sulla centrale di zona: intervento del fornitore, servizio ripristinato "
        "alle 11:30. Consigliato il riavvio del router dopo il ripristino.",
        "problem_solved",
    ),
    (
        "Interruzioni intermittenti della connessione",
        "La linea cade più volte al giorno per pochi minuti.",
        "Fibra",
        "Sostituito il cavo ottico danneggiato tra ONT e router; nessuna interruzione nelle "
        "48 ore successive.",
        "problem_solved",
    ),
    (
        "Posta elettronica non riceve messaggi",
        "Da ieri sera nessun messaggio in arrivo sulle caselle aziendali.",
        "Posta elettronica",
        "Record MX errato dopo il cambio DNS: corretto il record, la posta in coda è stata "
        "consegnata.",
        "problem_solved",
    ),
    (
        "Rete mobile assente nel magazzino",
        "Gli operatori non hanno copertura nel magazzino nuovo.",
        "Rete mobile",
        "Installato un ripetitore di segnale certificato; copertura verificata in tutte le aree.",
        "problem_solved",
    ),
    (
        "Printer does not print after driver update",
        "The office printer shows as offline since the last Windows update.",
        "Stampanti",
        "Rolled back to the previous printer driver and disabled automatic driver updates "
        "for the print server.",
        "problem_solved",
    ),
    (
        "Stampante inceppata con carta spessa",
        "La stampante si blocca stampando su cartoncino.",
        "Stampanti",
        "Impostato il vassoio bypass per carta spessa; inviato al cliente il manuale con le "
        "grammature supportate.",
        "information_provided",
    ),
    (
        "Router reboots every night",
        "The router restarts around 2 am and the VPN drops.",
        "Router",
        "Scheduled firmware maintenance window was enabled by default; disabled it and "
        "upgraded the firmware to 4.2.1.",
        "problem_solved",
    ),
    (
        "Addebito doppio in fattura di marzo",
        "Il canone di marzo risulta addebitato due volte.",
        "Addebiti errati",
        "Confermato il doppio addebito: emessa nota di credito e rimborso sul conto del "
        "cliente entro 5 giorni lavorativi.",
        "problem_solved",
    ),
    (
        "Refund request for cancelled subscription",
        "The customer cancelled in January but was billed in February.",
        "Rimborsi",
        "Refund issued for February; the cancellation date was corrected in billing.",
        "problem_solved",
    ),
    (
        "Password scaduta, utente bloccato",
        "L'utente non riesce ad accedere al portale dopo la scadenza della password.",
        "Password",
        "Sbloccato l'account e inviato il link di reimpostazione password; spiegata la "
        "policy di scadenza a 90 giorni.",
        "information_provided",
    ),
    (
        "Cannot access shared folder permissions denied",
        "New employee gets access denied on the shared drive.",
        "Permessi",
        "Added the user to the Finance security group; access confirmed after log-off and log-on.",
        "problem_solved",
    ),
    (
        "Disservizio posta elettronica in uscita",
        "I messaggi in uscita restano in coda.",
        "Posta elettronica",
        "Il server SMTP rifiutava l'autenticazione: aggiornata la password dell'account di "
        "invio e svuotata la coda.",
        "problem_solved",
    ),
]

# New active cases that found their solution among the resolved ones (by index in RESOLVED).
CONNECTED = [
    ("Interruzione servizio fibra, sede di Monza", "Fibra", [(0, True), (1, False)]),
    ("Printer offline after update", "Stampanti", [(4, True)]),
    ("Posta in uscita bloccata", "Posta elettronica", [(11, False), (2, False)]),
]


def load(users: dict[str, User]) -> dict[str, int]:
    """Resolved cases with realistic titles and resolutions, and connections to them."""
    agent = users["agent"]
    accounts = list(Account.objects.order_by("name")[:8])
    if not accounts:
        return {}
    subjects = {s.name: s for s in Subject.objects.all()}
    resolved = []
    # Solved over the last three months, each a day or three after it was opened.
    timeline = Timeline(oldest=88, newest=6, count=len(RESOLVED))
    for i, (title, description, subject, resolution, kind) in enumerate(RESOLVED):
        with timeline.at(i):
            case = case_create(
                actor=agent,
                title=title,
                customer=Ref("account", accounts[i % len(accounts)].pk),
                description=description,
                subject_id=subjects[subject].pk if subject in subjects else None,
                channel=Channel.CLI,
            )
        with timeline.at(i, later=dt.timedelta(hours=20 + (i % 3) * 24)):
            case_resolve(
                actor=agent,
                case_id=case.pk,
                resolution=resolution,
                resolution_type=kind,
                billable_minutes=30,
                channel=Channel.CLI,
            )
        resolved.append(case)
    connections = 0
    for i, (title, subject, links) in enumerate(CONNECTED):
        case = case_create(
            actor=agent,
            title=title,
            customer=Ref("account", accounts[(i + 3) % len(accounts)].pk),
            subject_id=subjects[subject].pk if subject in subjects else None,
            channel=Channel.CLI,
        )
        for index, solution in links:
            connection_create(
                actor=agent,
                case_id=case.pk,
                other_id=resolved[index].pk,
                solution_found=solution,
                channel=Channel.CLI,
            )
            connections += 1
    return {"resolved_cases": len(resolved), "connections": connections}
