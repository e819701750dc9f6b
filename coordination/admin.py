"""Street offices (superusers only: Django's model permissions, which no company's staff
hold, keep everyone else out)."""

from __future__ import annotations

from django.contrib import admin

from .models import StreetOffice


@admin.register(StreetOffice)
class StreetOfficeAdmin(admin.ModelAdmin):
    list_display = ("name", "city", "district")
    search_fields = ("name", "city", "district")
    filter_horizontal = ("members",)
