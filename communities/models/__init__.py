"""Property companies, their communities and everything a rider meets inside one, one
module per sub-domain:

- company.py: property companies, their staff, communities (and the site map's field)
- abstract.py: what places share (a marker on the site map, opening hours)
- homes.py: buildings and units
- gates.py: gates, their former entry codes, gate controllers
- facilities.py: parking zones, rest stations, delivery facilities
- rules.py: the delivery rules' versions and the one definition of "current"

Every model is imported here, so the app registers them and `communities.models.X` keeps
working.
"""

from .abstract import PERCENT_VALIDATORS, MapMarker, OpeningHours, time_in_window
from .company import Community, PropertyCompany, SiteMapField, StaffMembership
from .facilities import DeliveryFacility, ParkingZone, RestStation
from .gates import Gate, GateCodeHistory, GateController, gate_entry_code_new
from .homes import Building, Unit
from .rules import DeliveryRules, DeliveryRulesQuerySet, EntryPolicy, current_rules_sql

__all__ = [
    "PERCENT_VALIDATORS",
    "Building",
    "Community",
    "DeliveryFacility",
    "DeliveryRules",
    "DeliveryRulesQuerySet",
    "EntryPolicy",
    "Gate",
    "GateCodeHistory",
    "GateController",
    "MapMarker",
    "OpeningHours",
    "ParkingZone",
    "PropertyCompany",
    "RestStation",
    "SiteMapField",
    "StaffMembership",
    "Unit",
    "current_rules_sql",
    "gate_entry_code_new",
    "time_in_window",
]
