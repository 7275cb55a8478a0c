"""Email over SMTP, standard library only.

The password comes from the environment variable the config names, so the
config file can be shared or committed without it.
"""

from __future__ import annotations

import os
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from ...core.config_notifications import EmailChannel
from .notification import ChannelFailed, Notification

_PORTS = {"starttls": 587, "ssl": 465, "none": 25}


def email(settings: EmailChannel, note: Notification, timeout: float) -> None:
    message = EmailMessage()
    message["Subject"] = f"[llm-session] {note.title}"
    message["From"] = settings.sender
    message["To"] = ", ".join(settings.to)
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain="llm-session.local")
    message.set_content(note.message + "\n")
    password = _password(settings)
    port = settings.port or _PORTS[settings.security]
    where = f"{settings.host}:{port}"
    smtp: smtplib.SMTP
    try:
        if settings.security == "ssl":
            smtp = smtplib.SMTP_SSL(settings.host, port, timeout=timeout, context=ssl.create_default_context())
        else:
            smtp = smtplib.SMTP(settings.host, port, timeout=timeout)
        with smtp:
            if settings.security == "starttls":
                smtp.starttls(context=ssl.create_default_context())
            if settings.username is not None:
                smtp.login(settings.username, password)
            smtp.send_message(message)
    except smtplib.SMTPResponseException as e:
        said = e.smtp_error.decode(errors="replace") if isinstance(e.smtp_error, bytes) else str(e.smtp_error)
        raise ChannelFailed(f"{where} refused: {e.smtp_code} {' '.join(said.split())}") from None
    except smtplib.SMTPRecipientsRefused as e:
        raise ChannelFailed(f"{where} refused the recipients {', '.join(e.recipients)}") from None
    except smtplib.SMTPException as e:
        raise ChannelFailed(f"{where}: {e}") from None
    except (TimeoutError, ssl.SSLError, OSError) as e:
        reason = "timed out" if isinstance(e, TimeoutError) else getattr(e, "strerror", None) or e
        raise ChannelFailed(f"cannot reach {where}: {reason}") from None


def _password(settings: EmailChannel) -> str:
    if settings.password_env is None:
        return ""
    password = os.environ.get(settings.password_env)
    if password is None:
        raise ChannelFailed(f"environment variable {settings.password_env} (the SMTP password) is not set")
    return password
