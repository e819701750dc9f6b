"""factory_boy factories for the communities domain. Communities are made through
`services.community_create` so they carry their first rules version and permissions."""

from __future__ import annotations

from decimal import Decimal

import factory
from django.contrib.auth import get_user_model

from communities import models, services


class PropertyCompanyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.PropertyCompany
        django_get_or_create = ("slug",)
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Property Co {n}")
    slug = factory.Sequence(lambda n: f"company-{n}")

    @factory.post_generation
    def group(obj, create, extracted, **kwargs):
        if create:
            services.company_staff_group(obj)


class CommunityFactory(factory.Factory):
    """Builds through the service; pass entry_policy / handoff_point to set the rules."""

    class Meta:
        model = models.Community

    company = factory.SubFactory(PropertyCompanyFactory)
    slug = factory.Sequence(lambda n: f"community-{n}")
    name = factory.Sequence(lambda n: f"Community {n}")
    address = "1 Example Road"
    office_phone = "021-5555-0100"

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        entry_policy = kwargs.pop("entry_policy", models.EntryPolicy.REGISTERED)
        handoff_point = kwargs.pop("handoff_point", "")
        return services.community_create(
            acting_user=None, entry_policy=entry_policy, handoff_point=handoff_point, **kwargs
        )

    @classmethod
    def _build(cls, model_class, *args, **kwargs):
        kwargs.pop("entry_policy", None)
        kwargs.pop("handoff_point", None)
        return model_class(*args, **kwargs)


class StaffUserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"staff{n}")
    password = factory.django.Password("pw-staff-123")
    is_staff = True

    @factory.post_generation
    def company(obj, create, extracted, **kwargs):
        if create and extracted is not None:
            services.company_staff_add(company=extracted, user=obj, acting_user=None)


class BuildingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Building

    community = factory.SubFactory(CommunityFactory)
    number = factory.Sequence(lambda n: str(n + 1))
    x_pct = Decimal("50.00")
    y_pct = Decimal("50.00")


class UnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Unit

    building = factory.SubFactory(BuildingFactory)
    entrance = "1"
    number = factory.Sequence(lambda n: f"{101 + n}")
    exclusive_area = Decimal("89.50")


class GateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Gate

    community = factory.SubFactory(CommunityFactory)
    name = factory.Sequence(lambda n: f"Gate {n}")
    x_pct = Decimal("5.00")
    y_pct = Decimal("50.00")
    open_to_riders = True


class GateControllerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.GateController

    gate = factory.SubFactory(GateFactory)
    name = factory.Sequence(lambda n: f"Controller {n}")
    endpoint = "http://127.0.0.1:9100/"
    secret = "s3cret"


class ParkingZoneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.ParkingZone

    community = factory.SubFactory(CommunityFactory)
    name = factory.Sequence(lambda n: f"Parking {n}")
    capacity = 20
    has_charging = True
    x_pct = Decimal("10.00")
    y_pct = Decimal("45.00")


class RestStationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.RestStation

    community = factory.SubFactory(CommunityFactory)
    name = factory.Sequence(lambda n: f"Rest station {n}")
    has_water = True
    has_charging = True
    x_pct = Decimal("12.00")
    y_pct = Decimal("40.00")


class DeliveryFacilityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.DeliveryFacility

    community = factory.SubFactory(CommunityFactory)
    kind = models.DeliveryFacility.Kind.FOOD_CABINET
    name = factory.Sequence(lambda n: f"Cabinet {n}")
    capacity = 40
    x_pct = Decimal("8.00")
    y_pct = Decimal("55.00")


def xlsx_padded(rows: list[list[object]], *, far_row: int = 1_048_576) -> bytes:
    """An XLSX of `rows` that declares ``<dimension ref="A1:XFD1048576"/>`` and has one more
    cell at column XFD of row `far_row`: a few KB that openpyxl pads into `far_row` rows of
    16,384 cells unless the reader bounds it (issue #16 item 6)."""
    import io
    import re
    import zipfile

    from openpyxl import Workbook

    book = Workbook()
    for row in rows:
        book.active.append(row)
    plain = io.BytesIO()
    book.save(plain)
    crafted = io.BytesIO()
    with (
        zipfile.ZipFile(plain) as source,
        zipfile.ZipFile(crafted, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                xml = data.decode()
                xml = re.sub(r'<dimension ref="[^"]*" ?/>', '<dimension ref="A1:XFD1048576"/>', xml)
                far = (
                    f'<row r="{far_row}"><c r="XFD{far_row}" t="inlineStr"><is><t>x</t></is>'
                    "</c></row></sheetData>"
                )
                data = xml.replace("</sheetData>", far).encode()
            target.writestr(item, data)
    return crafted.getvalue()
