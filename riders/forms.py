"""The registration form for riders without a one-click link from their platform."""

from __future__ import annotations

import unicodedata

from django import forms
from django.utils.translation import gettext_lazy as _

from core.uploads import image_reencode

from .models import Platform

PHOTO_MAX_BYTES = 5 * 1024 * 1024


class ManualRegistrationForm(forms.Form):
    name = forms.CharField(label=_("Your name"), max_length=100)
    phone = forms.CharField(
        label=_("Mobile phone"),
        max_length=40,
        help_text=_("The property office may call you. Others see it masked."),
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel", "inputmode": "tel"}),
    )
    platform = forms.ModelChoiceField(
        label=_("Delivery platform"),
        queryset=Platform.objects.filter(active=True).order_by("name"),
        empty_label=_("Choose your platform"),
    )
    platform_rider_id = forms.CharField(
        label=_("Your rider number at the platform"),
        max_length=100,
        help_text=_("As shown in your platform's rider app."),
    )
    vehicle_plate = forms.CharField(
        label=_("Vehicle plate (optional)"), max_length=40, required=False
    )
    photo = forms.ImageField(
        label=_("Photo of your face (optional)"),
        required=False,
        help_text=_("Guards compare it with you at the gate. JPEG or PNG, at most 5 MB."),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["name"].widget.attrs["autocomplete"] = "name"
        self.fields["photo"].widget.attrs["accept"] = "image/*"

    def clean_platform_rider_id(self) -> str:
        # The same normalisation as the registration service (NFKC, no control or format
        # characters, whitespace collapsed), so "Ｍ-501" is found as the rider "M-501".
        text = unicodedata.normalize("NFKC", self.cleaned_data["platform_rider_id"])
        text = " ".join("".join(ch for ch in text if unicodedata.category(ch)[0] != "C").split())
        if not text:
            raise forms.ValidationError(_("This field is required."), code="required")
        return text

    def clean_phone(self) -> str:
        phone = self.cleaned_data["phone"].strip()
        digits = [ch for ch in phone if ch.isdigit()]
        if len(digits) < 7 or any(not (ch.isdigit() or ch in "+- ()") for ch in phone):
            raise forms.ValidationError(_("Enter a phone number of digits, e.g. 13812345678."))
        return phone

    def clean_photo(self):
        photo = self.cleaned_data.get("photo")
        if photo and photo.size > PHOTO_MAX_BYTES:
            raise forms.ValidationError(_("The photo is too large (at most 5 MB)."))
        # Re-encoded: no EXIF (a rider's home GPS), no appended payload, a random name.
        return image_reencode(photo, max_bytes=PHOTO_MAX_BYTES) if photo else photo
