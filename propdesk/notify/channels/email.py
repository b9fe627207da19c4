"""E-mail through Django's mail backends (SMTP in production)."""

from __future__ import annotations

import smtplib
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.mail import EmailMessage, get_connection

from propdesk.notify import conf

from .base import Delivery, PermanentFailure, TemporaryFailure
from .recipients import email_of

if TYPE_CHECKING:
    from propdesk.notify.models import OutboxMessage

SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"


class EmailAdapter:
    """`smtp`: Django's SMTP backend (EMAIL_HOST/EMAIL_PORT); `django`: whatever
    EMAIL_BACKEND says; `demo`: record the message on the row, send nothing."""

    def __init__(self, mode: str) -> None:
        self.mode = mode

    def send(self, message: OutboxMessage) -> Delivery:
        address = email_of(message)
        if self.mode == "demo":
            return Delivery(backend="email-demo", delivered_to=address, demo=True)
        backend = SMTP_BACKEND if self.mode == "smtp" else None
        connection = get_connection(backend, timeout=conf.send_timeout_seconds())
        mail = EmailMessage(
            subject=message.subject or message.body[:60],
            body=message.body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[address],
            headers={"Message-ID": f"<outbox-{message.pk}@propdesk>"},
            connection=connection,
        )
        try:
            mail.send()
        except smtplib.SMTPRecipientsRefused as exc:
            raise PermanentFailure(f"recipient refused: {exc.recipients}") from exc
        except (TimeoutError, smtplib.SMTPException, OSError) as exc:
            raise TemporaryFailure(f"{type(exc).__name__}: {exc}") from exc
        return Delivery(
            backend="smtp" if backend else "email",
            delivered_to=address,
            provider_message_id=f"<outbox-{message.pk}@propdesk>",
        )
