from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.crypto import salted_hmac


class EmailUserManager(UserManager["User"]):
    """Users sign in with their email address; it is stored lower-cased."""

    def _create_user(self, email: str, password: str | None, **extra_fields: Any) -> User:
        if not email:
            raise ValueError("An email address is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    # The email address takes the place of UserManager's username argument, so these two
    # cannot match the base signatures.
    def create_user(  # type: ignore[override]
        self, email: str, password: str | None = None, **extra_fields: Any
    ) -> User:
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(  # type: ignore[override]
        self, email: str, password: str | None = None, **extra_fields: Any
    ) -> User:
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra_fields)

    def get_by_natural_key(self, username: str | None) -> User:
        return self.get(email__iexact=username)


class User(AbstractUser):
    # None removes an inherited field (as Django documents); the stubs expect a field here.
    username = None  # type: ignore[assignment]
    first_name = None  # type: ignore[assignment]
    last_name = None  # type: ignore[assignment]
    email = models.EmailField("email address", unique=True)
    display_name = models.CharField(
        "name to greet",
        max_length=80,
        blank=True,
        help_text="How the portal greets this person. Optional.",
    )
    # Part of every session's check: raising it signs the account out everywhere.
    session_generation = models.PositiveIntegerField(default=0, editable=False)

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    objects: ClassVar[EmailUserManager] = EmailUserManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_unique_ci"),
        ]

    def __str__(self) -> str:
        return self.email

    def clean(self) -> None:
        super().clean()
        self.email = self.__class__.objects.normalize_email(self.email).lower()

    def get_full_name(self) -> str:
        return self.display_name or self.email

    def get_short_name(self) -> str:
        return self.display_name or self.email.split("@", 1)[0]

    def _get_session_auth_hash(self, secret: str | None = None) -> str:
        # Django keeps a session only while this hash matches the one stored in it: it
        # covers the password (so a new password ends other sessions) and the generation
        # (so "sign out everywhere" does). Both get_session_auth_hash and its fallbacks
        # for rotated secret keys call this.
        return salted_hmac(
            "portal.User.session",
            f"{self.password}:{self.session_generation}",
            secret=secret,
            algorithm="sha256",
        ).hexdigest()


class AppendOnlyQuerySet(models.QuerySet["StaffAccess"]):
    def update(self, **kwargs: Any) -> int:
        raise PermissionDenied("The staff access log is append-only.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise PermissionDenied("The staff access log is append-only.")


class StaffAccess(models.Model):
    """One staff view, search, export or change of a patient's data. Append-only."""

    class Action(models.TextChoices):
        VIEW = "view", "Opened"
        LIST = "list", "Listed"
        SEARCH = "search", "Searched"
        EXPORT = "export", "Exported"
        CHANGE = "change", "Changed"

    at = models.DateTimeField(default=timezone.now, db_index=True)
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="staff_accesses"
    )
    action = models.CharField(max_length=8, choices=Action)
    # Null for a search or list that matched no patient.
    patient = models.ForeignKey(
        "tracking.Patient",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="staff_accesses",
    )
    # What was opened: "tracking.doselog" and its id, or empty for a patient's own page.
    record_type = models.CharField(max_length=64, blank=True, default="")
    record_id = models.CharField(max_length=64, blank=True, default="")
    path = models.CharField(max_length=300)
    search = models.CharField(max_length=200, blank=True, default="")
    address = models.GenericIPAddressField(null=True, blank=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = "staff access"
        verbose_name_plural = "staff access log"
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["patient", "-at"], name="staff_access_by_patient")]

    def __str__(self) -> str:
        return f"{self.staff} {self.get_action_display().lower()} {self.record_type} at {self.at}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise PermissionDenied("The staff access log is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise PermissionDenied("The staff access log is append-only.")


class AccountDeletionRequest(models.Model):
    """A person asked for their account to be deleted; the care team completes it."""

    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="deletion_requests"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    reason = models.TextField(blank=True, default="", max_length=2000)
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    completion_note = models.TextField(blank=True, default="", max_length=2000)

    class Meta:
        ordering = ["-requested_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["account"],
                condition=models.Q(completed_at__isnull=True),
                name="one_open_deletion_request_per_account",
            ),
        ]

    def __str__(self) -> str:
        return f"Deletion request from {self.account} ({self.requested_at:%Y-%m-%d})"
