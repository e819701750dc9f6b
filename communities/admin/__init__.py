"""Django admin for property staff, scoped by django-guardian object permissions.

Staff of a property company see and change only their company's communities and what is
inside them; another company's communities are absent from every list, filter and choice
(and their change pages answer as if missing). Superusers see everything. Writes that
have a service (community creation, delivery rules, bulk import, staff) go through it.

- `scoping`: scoped base classes and list filters (used by riders too); the questions they
  ask (`request_is_company_staff`, `request_has_community_perm`) are communities.permissions'
- `markers`: the site map and the community's markers for the marker picker
- `community`: the community's page, publishing rules, importing buildings and units
- `places`: buildings, gates, parking zones, rest stations, facilities, rules history
- `companies`: property companies and staff memberships (superusers only)
- `audit`: audit rows (before/after of changed fields) for the admin's own writes
"""

from django.contrib import admin
from django.urls import reverse_lazy

from . import community, companies, places  # noqa: F401  (registers the admins)
from .audit import AdminAuditMixin
from .scoping import (
    CommunityListFilter,
    CommunityScopedAdmin,
    SuperuserOnlyAdmin,
)

# Everyone in the admin is staff: its "View site" goes to the staff pages, not the riders'
# landing page (issue 20).
admin.site.site_url = reverse_lazy("dashboard:home")

__all__ = [
    "AdminAuditMixin",
    "CommunityListFilter",
    "CommunityScopedAdmin",
    "SuperuserOnlyAdmin",
]
