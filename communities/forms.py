"""Forms for the property staff's admin: the community, places with a marker on the site
map, publishing delivery rules and uploading a bulk import.

Field-level rules (percent range, both times or neither, house numbers unique per
building) live on the models and reach these forms through `full_clean`; what needs the
community's site map or the request lives here.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.forms.models import InlineForeignKeyField
from django.utils.translation import gettext_lazy as _

from core.uploads import image_reencode

from . import imports, services
from .models import Community, DeliveryRules, Unit

SITE_MAP_MAX_BYTES = 5 * 1024 * 1024
MARKER_FIELDS = ("x_pct", "y_pct")


def marker_needs_site_map(form: forms.BaseForm, community: Community | None) -> None:
    """A newly placed (or moved) marker needs the community's site map: a position on
    no map means nothing to riders. Markers left as they were stay valid even if the map
    is later removed, so an old row never blocks an unrelated edit."""
    placed = any(
        name in form.changed_data and form.cleaned_data.get(name) is not None
        for name in MARKER_FIELDS
    )
    if placed and community is not None and not community.site_map:
        form.add_error(
            None,
            _(
                "Upload the community's site map first: a marker is a position on that map. "
                "Or leave x and y empty."
            ),
        )


class InlineConstraintsForm(forms.ModelForm):
    """Checks the model's unique constraints on inline rows too.

    Django leaves an inline's foreign key out of model validation, so a constraint such
    as (building, entrance, number) is never checked against saved rows and a duplicate
    ends in an IntegrityError. Here it is checked once the parent exists, and reported as
    the usual "… already exists" error on the row.
    """

    def validate_unique(self) -> None:
        super().validate_unique()
        inline_fks = {
            name for name, field in self.fields.items() if isinstance(field, InlineForeignKeyField)
        }
        if not inline_fks:
            return
        meta = self.instance._meta
        if any(getattr(self.instance, meta.get_field(n).attname) is None for n in inline_fks):
            return  # the parent is being added: nothing saved to collide with
        try:
            self.instance.validate_constraints(
                exclude=self._get_validation_exclusions() - inline_fks
            )
        except ValidationError as exc:
            self._update_errors(exc)


class UnitForm(InlineConstraintsForm):
    class Meta:
        model = Unit
        fields = ("entrance", "number", "exclusive_area")


class MarkerModelForm(InlineConstraintsForm):
    """For a place inside a community (building, gate, parking zone, rest station,
    facility), in its own admin page or as an inline row on the community's page."""

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        # An inline's foreign key cleans to the parent object, which on the community's
        # page already carries a site map uploaded in the same request.
        community = cleaned.get("community")
        if community is None and self.instance.community_id:
            community = self.instance.community
        marker_needs_site_map(self, community)
        return cleaned


class CommunityForm(forms.ModelForm):
    class Meta:
        model = Community
        fields = (
            "company",
            "slug",
            "name",
            "address",
            "city",
            "district",
            "office_phone",
            "office_location",
            "site_map",
            "auto_approve_verified_riders",
        )

    def clean_site_map(self):
        image = self.cleaned_data.get("site_map")
        if image and hasattr(image, "size") and image.size > SITE_MAP_MAX_BYTES:
            raise ValidationError(_("The site map is larger than 5 MB; use a smaller image."))
        if isinstance(image, UploadedFile):  # a new upload, not the stored map
            # Re-encoded: no EXIF, nothing appended, a random name (core/uploads.py).
            return image_reencode(image, max_bytes=SITE_MAP_MAX_BYTES)
        return image


class RulesPublishForm(forms.ModelForm):
    """The fields of a new rules version. Whole-version checks (no entry needs a hand-off
    point, both ends of the riders' hours) run in `services.rules_publish`, whose
    ValidationError the view turns into this form's errors."""

    class Meta:
        model = DeliveryRules
        fields = services.RULES_FIELDS
        widgets = {
            "rider_hours_start": forms.TimeInput(attrs={"type": "time"}),
            "rider_hours_end": forms.TimeInput(attrs={"type": "time"}),
        }

    def __init__(self, *args: Any, community: Community, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.community = community

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        marker_needs_site_map(self, self.community)
        return cleaned

    def _post_clean(self) -> None:
        # The service validates the whole version (and the database constraint); only the
        # field-level checks run here, so no error is reported twice.
        pass


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV or XLSX file"),
        help_text=_(
            "Columns: building, entrance, house_number, exclusive_area (m²); optional "
            "building_name, x_pct, y_pct. Chinese headers 楼栋, 单元, 房号, 面积 work too. "
            "At most 5 MB."
        ),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > imports.MAX_BYTES:
            raise ValidationError(_("The file is larger than 5 MB; split it into several files."))
        if not upload.name.lower().endswith((".csv", ".xlsx")):
            raise ValidationError(_("Upload a .csv or .xlsx file."))
        return upload
