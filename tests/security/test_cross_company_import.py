"""The access matrix's object-level case through an import (issue #16 item 2): staff of one
company import an owners' roll naming a phone of another company's owner. That owner must
not be attached to the importing company's flat, nor see anything of its community."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from communities.models import Unit

from .conftest import RoleClient, World

pytestmark = pytest.mark.django_db


def test_another_companys_owner_is_not_reached_through_a_roll_import(world: World):
    owner_there = world.owners["owner_there"]
    unit = Unit.objects.filter(building__community=world.community).select_related("building")[0]
    house = f"{unit.building.number}-{unit.entrance}-{unit.number}"
    roll = f"{house},{owner_there.name},{owner_there.phone},,no\n".encode()
    staff = RoleClient("staff_here", world).client
    url = reverse("governance:roll_import", args=[world.community.slug])
    upload = SimpleUploadedFile("roll.csv", roll, content_type="text/csv")
    assert staff.post(url, {"action": "preview", "file": upload}).status_code == 200
    assert staff.post(url, {"action": "import"}).status_code == 302

    assert not owner_there.ownerships.filter(unit__building__community=world.community).exists()
    assert unit.ownerships.get().owner != owner_there
    there = RoleClient("owner_there", world).client.get(reverse("governance:index"))
    here = RoleClient("owner_here", world).client.get(reverse("governance:index"))
    assert world.community.name in here.content.decode()  # what would leak
    assert world.community.name not in there.content.decode()
    assert world.resolution.title not in there.content.decode()
