"""Page forms. They check shapes only (types, required); the services own every business rule
and their ``ValidationError`` dicts are put back on the form by ``apply_service_errors``."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.utils.translation import gettext as gettext_now
from django.utils.translation import gettext_lazy as _

from curriculum.kernel import clock
from curriculum.kernel.dates import EARLIEST_DATE, LATEST_DATE, in_accepted_span
from curriculum.kernel.names import display_name
from curriculum.models import Assignment, Module
from learners.models import Enrollment
from mentors.models import Mentor, MentorSession, Review
from tracker.models import Notification, Theme

# What the page inputs send (``type="date"``, ``"time"``, ``"datetime-local"``, ``"number"``),
# in ASCII digits only. Django's parsers take any script's digits (Arabic-Indic ones too) and
# other ISO 8601 spellings, and ignore what follows a datetime's minutes (a NUL byte).
INTEGER_INPUT = re.compile(r"[+-]?[0-9]{1,15}", re.ASCII)
DATE_INPUT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)
TIME_INPUT = re.compile(r"[0-9]{2}:[0-9]{2}(?::[0-9]{2})?", re.ASCII)
DATETIME_INPUT = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2})?", re.ASCII
)


class PostedAsTyped:
    """Takes only the input's own spelling (``pattern``, ASCII digits), trimmed; Django's
    parser reads the rest."""

    pattern: re.Pattern[str]

    def to_python(self, value: Any) -> Any:
        value = value.strip() if isinstance(value, str) else value
        if value in self.empty_values:
            return None
        if not isinstance(value, str) or not self.pattern.fullmatch(value):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)


def _check_date(value: dt.date) -> None:
    day = value.date() if isinstance(value, dt.datetime) else value
    if not in_accepted_span(day):
        raise ValidationError(
            gettext_now("Enter a date between %(earliest)s and %(latest)s.")
            % {"earliest": EARLIEST_DATE, "latest": LATEST_DATE},
            code="out_of_range",
        )


class WholeNumberField(PostedAsTyped, forms.IntegerField):
    """A whole number in ASCII digits, at most 15 of them (no "٣", "3.0" or 10**40)."""

    pattern = INTEGER_INPUT


class IsoDateField(PostedAsTyped, forms.DateField):
    """``YYYY-MM-DD`` between 2000 and 2100, as the date input sends it."""

    pattern = DATE_INPUT
    default_validators = [_check_date]


class IsoTimeField(PostedAsTyped, forms.TimeField):
    """``HH:MM[:SS]``, as the time input sends it."""

    pattern = TIME_INPUT


class IsoDateTimeField(PostedAsTyped, forms.DateTimeField):
    """``YYYY-MM-DDTHH:MM[:SS]`` in the current time zone, as datetime-local sends it."""

    pattern = DATETIME_INPUT
    default_validators = [_check_date]


class SignInForm(AuthenticationForm):
    """The sign-in form, with the username's length checked before authentication.

    Django's form only sets the input's ``maxlength``; a longer name went on to the lockout
    records (django-axes, a varchar(255)) and PostgreSQL refused it with a server error.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        username = self.fields["username"]
        username.validators.append(MaxLengthValidator(username.max_length))


class ProgressLogForm(forms.Form):
    module = forms.ModelChoiceField(queryset=Module.objects.none(), label=_("Module"))
    logged_on = IsoDateField(
        label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    minutes = WholeNumberField(
        label=_("Minutes"), widget=forms.NumberInput(attrs={"inputmode": "numeric"})
    )
    note = forms.CharField(
        label=_("What did you work on?"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, enrollment: Enrollment, detail: dict | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        # A new log is for today where the learner's cohort is.
        self.fields["logged_on"].initial = clock.today(enrollment.cohort.timezone)
        self.fields["module"].queryset = Module.objects.filter(
            program_id=enrollment.cohort.program_id
        ).order_by("order")
        if detail is not None:
            # The options from the progress detail the page read anyway (its modules are the
            # program's, by order, titled as Module.__str__): no query for the dropdown.
            _choices_from(
                self.fields["module"], [(m["module"], m["title"]) for m in detail["modules"]]
            )


def _choices_from(field: forms.ModelChoiceField, options: list[tuple[int, str]]) -> None:
    """Show ``options`` (id, label), as the field's queryset would list them, in the field's
    dropdown; validation still reads the queryset."""
    empty = [("", field.empty_label)] if field.empty_label is not None else []
    field.choices = [*empty, *options]


class _FinalMilestoneIds:
    """The program's final milestone id as a one-member set, read on the first ``in``."""

    def __init__(self, program_id: int) -> None:
        self.program_id = program_id
        self._ids: frozenset[int] | None = None

    def __contains__(self, pk: object) -> bool:
        if self._ids is None:
            final = Assignment.final_milestone_id(self.program_id)
            self._ids = frozenset([final]) if final else frozenset()
        return pk in self._ids


class FinalMilestoneSelect(forms.Select):
    """Marks the final milestone's option so the page can show the deployment URL field."""

    final_ids: frozenset[int] | _FinalMilestoneIds = frozenset()

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        pk = getattr(value, "value", value)
        if pk in self.final_ids:
            option["attrs"]["data-final-milestone"] = "true"
        return option


# A text input with the phone's URL keyboard: an <input type="url"> shown again with what was
# typed after an error ("not a link") would be invalid HTML.
URL_INPUT = forms.TextInput(attrs={"inputmode": "url", "spellcheck": "false"})


class SubmissionForm(forms.Form):
    assignment = forms.ModelChoiceField(
        queryset=Assignment.objects.none(), label=_("Assignment"), widget=FinalMilestoneSelect
    )
    url = forms.URLField(
        label=_("Link to your work"),
        max_length=500,
        assume_scheme="https",
        widget=URL_INPUT,
        help_text=_("A repository, notebook or document (http or https)."),
    )
    note = forms.CharField(
        label=_("Note for your mentor"),
        required=False,
        max_length=5000,
        # The learner's home also holds the log form's note (id_note).
        widget=forms.Textarea(attrs={"rows": 2, "id": "id_submission_note"}),
    )
    deployment_url = forms.URLField(
        label=_("Deployment URL"),
        required=False,
        max_length=500,
        assume_scheme="https",
        widget=URL_INPUT,
        help_text=_("Final capstone milestone only: where your deployed project answers."),
    )

    def __init__(self, *args, enrollment: Enrollment, detail: dict | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        assignments = Assignment.objects.filter(program_id=enrollment.cohort.program_id)
        field = self.fields["assignment"]
        field.queryset = assignments.order_by("due_week", "order")
        if detail is None:
            # Asked only when the dropdown is drawn: a valid post redirects without it.
            field.widget.final_ids = _FinalMilestoneIds(enrollment.cohort.program_id)
        else:
            # The progress detail's assignments are the program's in (due week, order) order,
            # (program, order) being unique, titled as Assignment.__str__: the options and the
            # final milestone (the last milestone of that order) without a query.
            rows = detail["assignments"]
            _choices_from(field, [(a["assignment"], a["title"]) for a in rows])
            milestones = [a["assignment"] for a in rows if a["kind"] == Assignment.Kind.MILESTONE]
            final = milestones[-1] if milestones else None
            field.widget.final_ids = frozenset([final]) if final else frozenset()


class HelpRequestForm(forms.Form):
    message = forms.CharField(
        label=_("What are you stuck on?"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )


class HelpAnswerForm(forms.Form):
    answer = forms.CharField(
        label=_("Answer (optional)"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ReviewForm(forms.Form):
    verdict = forms.ChoiceField(
        label=_("Verdict"), choices=Review.Verdict.choices, widget=forms.RadioSelect
    )
    feedback = forms.CharField(
        label=_("Feedback"), max_length=20000, widget=forms.Textarea(attrs={"rows": 6})
    )

    def __init__(self, *args, criteria=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.criteria = list(criteria)
        for criterion in self.criteria:
            self.fields[f"score_{criterion.pk}"] = WholeNumberField(
                label=gettext_now("%(criterion)s (0 to %(max_score)s)")
                % {"criterion": criterion.name, "max_score": criterion.max_score},
                required=False,
                help_text=criterion.description,
                widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
            )

    def score_fields(self):
        return [self[f"score_{criterion.pk}"] for criterion in self.criteria]

    def scores(self) -> dict[str, int]:
        return {
            str(criterion.pk): self.cleaned_data[f"score_{criterion.pk}"]
            for criterion in self.criteria
            if self.cleaned_data.get(f"score_{criterion.pk}") is not None
        }


class SessionScheduleForm(forms.Form):
    enrollment = forms.ModelChoiceField(queryset=Enrollment.objects.none(), label=_("Learner"))
    scheduled_at = IsoDateTimeField(
        label=_("When"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
    )
    duration_minutes = WholeNumberField(label=_("Minutes"), initial=30)
    notes = forms.CharField(
        label=_("Agenda"),
        required=False,
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, enrollments, options: list[tuple[int, str]] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["enrollment"].queryset = enrollments
        self.fields["enrollment"].label_from_instance = lambda e: display_name(e.learner)
        if options is not None:
            # (id, learner's name) of ``enrollments`` in their order, from rows the page read
            # anyway (the mentor's dashboard): no query for the dropdown.
            _choices_from(self.fields["enrollment"], options)


class SessionLogForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Outcome"),
        choices=[
            (MentorSession.Status.COMPLETED, _("Completed")),
            (MentorSession.Status.MISSED, _("Missed")),
            (MentorSession.Status.CANCELLED, _("Cancelled")),
        ],
    )
    notes = forms.CharField(
        label=_("Notes"), required=False, max_length=10000, widget=forms.Textarea(attrs={"rows": 2})
    )


class RosterImportForm(forms.Form):
    file = forms.FileField(
        label=_("Roster CSV"),
        help_text=_("Columns: email, first_name, last_name, and optionally mentor_email."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )


class PairingForm(forms.Form):
    mentor = forms.ModelChoiceField(queryset=Mentor.objects.none(), label=_("Mentor"))

    def __init__(self, *args, mentors, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["mentor"].queryset = mentors


class PauseForm(forms.Form):
    start = IsoDateField(
        label=_("First paused day"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    end = IsoDateField(
        label=_("Last paused day"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    reason = forms.CharField(label=_("Reason"), required=False, max_length=500)


class EnrollmentStatusForm(forms.Form):
    """Graduate, withdraw or reactivate. ``confirm`` is set by the confirmation step that a
    withdrawal goes through."""

    status = forms.ChoiceField(
        choices=[
            (Enrollment.Status.ACTIVE, _("Reactivate")),
            (Enrollment.Status.GRADUATED, _("Graduate")),
            (Enrollment.Status.WITHDRAWN, _("Withdraw")),
        ]
    )
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)
    # Graduating while the checklist is not met (tracker.graduation.enrollment_graduate).
    override_reason = forms.CharField(
        label=_("Reason to graduate although the checklist is not met"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class CertificateRevokeForm(forms.Form):
    reason = forms.CharField(
        label=_("Why is the certificate revoked?"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


# Region/City names, the ones people recognise; legacy aliases ("EST", "Japan") are left out
# of the menu but a value already saved stays selectable.
TIME_ZONE_REGIONS = (
    "Africa/",
    "America/",
    "Antarctica/",
    "Arctic/",
    "Asia/",
    "Atlantic/",
    "Australia/",
    "Europe/",
    "Indian/",
    "Pacific/",
)


def time_zone_choices(current: str = "") -> list[tuple[str, str]]:
    names = sorted(
        name for name in zoneinfo.available_timezones() if name.startswith(TIME_ZONE_REGIONS)
    )
    extra = [current] if current and current != "UTC" and current not in names else []
    return [(name, name.replace("_", " ")) for name in ["UTC", *extra, *names]]


def language_choices() -> list[tuple[str, str]]:
    """Blank (the browser's language) first, then each language in its own words."""
    return [("", _("As my browser asks")), *settings.LANGUAGES]


class PreferencesForm(forms.Form):
    """A user's own settings. Rules (known zone, both ends of the quiet hours) are the
    ``preferences_update`` service's; this form only reads the posted shapes."""

    timezone = forms.ChoiceField(
        label=_("Time zone"),
        help_text=_("Dates, reminders and quiet hours follow this zone."),
    )
    email_reminders = forms.BooleanField(
        label=_("Send me reminders by email"),
        required=False,
        help_text=_("Off: reminders only appear in Stride."),
    )
    email_muted_kinds = forms.MultipleChoiceField(
        label=_("Do not email me about"),
        required=False,
        choices=Notification.Kind.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Muted kinds still appear in Stride."),
    )
    quiet_hours_start = IsoTimeField(
        label=_("Quiet hours from"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    quiet_hours_end = IsoTimeField(
        label=_("Quiet hours until"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        help_text=_("Emails due in this window wait until it ends. Leave both empty for none."),
    )
    language = forms.ChoiceField(
        label=_("Language"),
        required=False,
        choices=language_choices,
        help_text=_("Pages and emails are in this language."),
    )
    theme = forms.ChoiceField(
        label=_("Colours"),
        choices=Theme.choices,
        initial=Theme.AUTO,
        required=False,
        widget=forms.RadioSelect,
    )

    def clean_theme(self) -> str | None:
        # Not posted (an older form): the theme stays as it is.
        return self.cleaned_data.get("theme") or None

    def clean(self) -> dict:
        cleaned = super().clean()
        if cleaned.get("theme") is None:
            cleaned.pop("theme", None)
        return cleaned

    def __init__(self, *args, current_timezone: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        posted = self.data.get("timezone", "") if self.is_bound else ""
        # A posted unknown zone is kept in the menu so the service's error sits next to what
        # was sent; an absurdly long one is simply not a valid choice.
        if not (isinstance(posted, str) and len(posted) <= 64 and posted.isprintable()):
            posted = ""
        self.fields["timezone"].choices = time_zone_choices(posted or current_timezone)


# --- Two-factor and API tokens (issue 14) -------------------------------------------------------
class SecondFactorForm(forms.Form):
    code = forms.CharField(
        label=_("Code"),
        max_length=32,
        help_text=_("The 6-digit code from your authenticator app, or one of your recovery codes."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


class TotpEnrolForm(forms.Form):
    code = forms.CharField(
        label=_("Code from the app"),
        max_length=16,
        help_text=_("After adding Stride to your app, type the 6-digit code it shows."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        help_text=_("What the token is for, like “laptop” or “grading script”."),
    )
