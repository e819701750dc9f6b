from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from governance.forms import DateTimeLocalInput

from .models import ActionStatus, Meeting, PollAudience, PollChoice, Side


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class MeetingForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    scheduled_at = forms.DateTimeField(label=_("Date and time"), widget=DateTimeLocalInput())
    place = forms.CharField(label=_("Place"), max_length=200, required=False)
    recurrence = forms.ChoiceField(
        label=_("Repeats"), choices=Meeting.Recurrence.choices, initial=Meeting.Recurrence.MONTHLY
    )


class MinutesForm(forms.Form):
    agenda = forms.CharField(
        label=_("Agenda"), widget=forms.Textarea(attrs={"rows": 10}), required=False
    )
    minutes = forms.CharField(
        label=_("Minutes"), widget=forms.Textarea(attrs={"rows": 10}), required=False
    )


class ParticipantForm(forms.Form):
    side = forms.ChoiceField(label=_("Side"), choices=Side.choices)
    name = forms.CharField(label=_("Name"), max_length=200)
    role = forms.CharField(label=_("Role"), max_length=200, required=False)
    email = forms.EmailField(label=_("E-mail (for reminders)"), required=False)


class ActionItemForm(forms.Form):
    title = forms.CharField(label=_("Decision"), max_length=300)
    owner_name = forms.CharField(label=_("Who does it"), max_length=200)
    owner_side = forms.ChoiceField(label=_("Side"), choices=Side.choices)
    owner_email = forms.EmailField(label=_("E-mail (for reminders)"), required=False)
    due_on = forms.DateField(label=_("Due"), widget=DateInput())


class ActionStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=ActionStatus.choices)
    note = forms.CharField(label=_("Status note"), max_length=300, required=False)


class PollForm(forms.Form):
    audience = forms.ChoiceField(label=_("Who is asked"), choices=PollAudience.choices)
    question = forms.CharField(label=_("Question"), max_length=300)
    proposal = forms.CharField(
        label=_("The proposal"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    closes_at = forms.DateTimeField(label=_("Closes"), widget=DateTimeLocalInput())


class PollAttachForm(forms.Form):
    resolution = forms.IntegerField(
        label=_("Resolution number"), min_value=1, max_value=2**31 - 1, required=False
    )


class PollAnswerForm(forms.Form):
    choice = forms.ChoiceField(label=_("Your answer"), choices=PollChoice.choices)
