"""Background work of the accounts app, for the job worker (`manage.py run_huey`)."""

from __future__ import annotations

from django.contrib.auth.forms import PasswordResetForm
from huey.contrib.djhuey import db_task


@db_task()
def send_password_reset(email: str, domain: str, use_https: bool) -> None:
    """Find the accounts of that address and email each a reset link: the request that
    asked only queues this, the same way whether the address is registered or not."""
    form = PasswordResetForm({"email": email})
    if form.is_valid():
        form.save(domain_override=domain, use_https=use_https)
