"""Forms for owners' and staff's governance pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from communities.models import EntryPolicy
from core.uploads import image_reencode

from .effects import FACILITY_KINDS
from .models import Choice, Feedback, Matter


class CastForm(forms.Form):
    choice = forms.ChoiceField(choices=Choice.choices)
    voter = forms.IntegerField(required=False, widget=forms.HiddenInput)


EFFECT_TYPES = [
    ("none", _("None: record the owners' decision")),
    ("entry_policy", _("Set the riders' entry policy")),
    ("facility", _("Approve a facility (planned)")),
]
FACILITY_CHOICES = [
    ("food_cabinet", _("food cabinet")),
    ("parcel_locker", _("parcel locker")),
    ("robot_pickup", _("delivery robot pick-up point")),
    ("parking_zone", _("rider parking zone")),
    ("rest_station", _("rider rest station")),
]
if {k for k, _label in FACILITY_CHOICES} != set(FACILITY_KINDS):  # a kind added in one place only
    raise ImproperlyConfigured("FACILITY_CHOICES must name every kind of FACILITY_KINDS")


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class ResolutionForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    text = forms.CharField(
        label=_("Text the owners read"), widget=forms.Textarea(attrs={"rows": 6})
    )
    matter = forms.ChoiceField(
        label=_("Matter"),
        choices=[("", _("as the law makes it for this effect")), *Matter.choices],
        required=False,
    )
    matter_reason = forms.CharField(
        label=_("Why it is a major matter (when you raise it)"), max_length=300, required=False
    )
    effect_type = forms.ChoiceField(label=_("Effect when passed"), choices=EFFECT_TYPES)
    policy = forms.ChoiceField(
        label=_("Entry policy"), choices=[("", "—"), *EntryPolicy.choices], required=False
    )
    handoff_point = forms.CharField(label=_("Hand-off point"), max_length=300, required=False)
    facility_kind = forms.ChoiceField(
        label=_("Facility"), choices=[("", "—"), *FACILITY_CHOICES], required=False
    )
    facility_name = forms.CharField(label=_("Facility name"), max_length=100, required=False)
    x_pct = forms.DecimalField(
        label=_("x on the map (%)"), min_value=0, max_value=100, required=False
    )
    y_pct = forms.DecimalField(
        label=_("y on the map (%)"), min_value=0, max_value=100, required=False
    )
    allow_vote_change = forms.BooleanField(
        label=_("Owners may change their vote until it closes"), required=False, initial=True
    )
    opens_at = forms.DateTimeField(label=_("Voting opens"), widget=DateTimeLocalInput())
    closes_at = forms.DateTimeField(label=_("Voting closes"), widget=DateTimeLocalInput())

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        kind = data.get("effect_type")
        if kind == "entry_policy" and not data.get("policy"):
            self.add_error("policy", _("Choose the entry policy the resolution sets."))
        if kind == "facility":
            if not data.get("facility_kind"):
                self.add_error("facility_kind", _("Choose the kind of facility."))
            if not (data.get("facility_name") or "").strip():
                self.add_error("facility_name", _("Give the facility a name."))
        return data

    def effect(self) -> dict[str, Any]:
        data = self.cleaned_data
        kind = data["effect_type"]
        if kind == "entry_policy":
            effect = {"type": kind, "policy": data["policy"]}
            if data.get("handoff_point"):
                effect["handoff_point"] = data["handoff_point"].strip()
            return effect
        if kind == "facility":
            effect = {"type": kind, "kind": data["facility_kind"], "name": data["facility_name"]}
            for axis in ("x_pct", "y_pct"):
                if data.get(axis) is not None:
                    effect[axis] = str(data[axis])
            return effect
        return {"type": "none"}


class HandoffForm(forms.Form):
    handoff_point = forms.CharField(label=_("Hand-off point"), max_length=300)
    handoff_point_en = forms.CharField(
        label=_("Hand-off point in English (optional)"), max_length=300, required=False
    )


class RollImportForm(forms.Form):
    file = forms.FileField(
        label=_("Owners' roll (CSV or XLSX)"),
        help_text=_(
            "Columns: house number (e.g. 7-2-1503), owner name, phone, co-owners "
            "(names separated by ;), developer-held (yes/no), and optionally your own owner "
            "key. Owners are told apart by phone or owner key, never by name alone."
        ),
    )


class FeedbackForm(forms.Form):
    category = forms.ChoiceField(label=_("What is it about?"), choices=Feedback.Category.choices)
    place = forms.CharField(label=_("Where (gate, building, spot)"), max_length=200, required=False)
    text = forms.CharField(
        label=_("What happened"), max_length=4000, widget=forms.Textarea(attrs={"rows": 5})
    )
    photo = forms.ImageField(label=_("Photo (optional)"), required=False)
    contact = forms.CharField(
        label=_("Your phone or name, if you want a call back (optional)"),
        max_length=100,
        required=False,
    )

    def clean_photo(self):
        photo = self.cleaned_data.get("photo")
        # Re-encoded: no EXIF (where it was taken), nothing appended, a random name.
        return image_reencode(photo, max_bytes=5 * 1024 * 1024) if photo else photo


class TriageForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=Feedback.Status.choices)
    reply = forms.CharField(
        label=_("Reply to the sender"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    assignee = forms.TypedChoiceField(
        label=_("Assigned to"), required=False, coerce=int, empty_value=None
    )

    def __init__(self, *args: Any, staff: list | None = None, **kwargs: Any) -> None:
        # A list of users read once for the page, not a queryset per form (no N+1).
        super().__init__(*args, **kwargs)
        self._staff = {user.pk: user for user in staff or []}
        self.fields["assignee"].choices = [("", "—")] + [
            (pk, user.get_username()) for pk, user in self._staff.items()
        ]

    def clean_assignee(self):
        pk = self.cleaned_data.get("assignee")
        return self._staff.get(pk) if pk else None


class NoticeForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    title_en = forms.CharField(
        label=_("Title in English (optional)"), max_length=200, required=False
    )
    body = forms.CharField(label=_("Text"), widget=forms.Textarea(attrs={"rows": 4}))
    body_en = forms.CharField(
        label=_("Text in English (optional)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Riders reading in English see the Chinese text, marked, when empty."),
    )
    expires_at = forms.DateTimeField(
        label=_("Shown until (optional)"), required=False, widget=DateTimeLocalInput()
    )
