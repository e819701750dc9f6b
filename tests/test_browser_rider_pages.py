"""Issue 21 (items 1–5) in real Chromium at 360 × 740, in Chinese and English: the gate
page says what to do at that gate (with the map), the map's markers never hide each other
and gates are labelled, every target is at least 44 × 44 px, errors are shown where the
eye is, no request ends in a 404. Screenshots under var/screenshots/."""

from __future__ import annotations

import io
import os
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw

from communities.models import EntryPolicy
from communities.services import rules_publish
from communities.tests.factories import (
    BuildingFactory,
    CommunityFactory,
    DeliveryFacilityFactory,
    GateFactory,
    ParkingZoneFactory,
    RestStationFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LANGS = {"zh": "zh-CN,zh;q=0.9", "en": "en"}


def _site_map(width: int = 900, height: int = 700) -> SimpleUploadedFile:
    image = Image.new("RGB", (width, height), "#e8efe3")
    draw = ImageDraw.Draw(image)
    draw.rectangle([20, 20, width - 20, height - 20], outline="#6b5b45", width=8)
    draw.rectangle([0, height * 0.48, width, height * 0.53], fill="#c9c9c9")
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return SimpleUploadedFile("map.png", buffer.getvalue(), content_type="image/png")


@pytest.fixture
def willow(company):
    """Willow Garden as the issue found it: the East Gate with the parking zone and a
    cabinet a few metres away, the North Gate closed to riders."""
    community = CommunityFactory(company=company, slug="willow", name="柳岸花园 Willow Garden")
    community.site_map = _site_map()
    community.save()
    for number, (x, y) in {"1": (25, 25), "2": (50, 25), "3": (75, 30), "5": (88, 42)}.items():
        BuildingFactory(community=community, number=number, x_pct=Decimal(x), y_pct=Decimal(y))
    # Names in two languages (#21.6); the North Gate has only its Chinese name.
    GateFactory(
        community=community, name="南门", name_en="South Gate", x_pct=Decimal(50), y_pct=Decimal(97)
    )
    GateFactory(
        community=community, name="东门", name_en="East Gate", x_pct=Decimal(97), y_pct=Decimal(40)
    )
    north = GateFactory(
        community=community,
        name="北门",
        open_to_riders=False,
        x_pct=Decimal(60),
        y_pct=Decimal(3),
    )
    ParkingZoneFactory(
        community=community, name="A区", name_en="Zone A", x_pct=Decimal(94), y_pct=Decimal(43)
    )
    ParkingZoneFactory(
        community=community, name="B区", name_en="Zone B", x_pct=Decimal(48), y_pct=Decimal(93)
    )
    DeliveryFacilityFactory(
        community=community, name="East cabinet", x_pct=Decimal(95), y_pct=Decimal(37)
    )
    RestStationFactory(community=community, name="Rider Hut", x_pct=Decimal(52), y_pct=Decimal(92))
    cache.clear()
    return community, north


@pytest.fixture
def sky(company):
    """Sky Harbour: no entry; the South Gate under the cabinet and hand-off markers."""
    community = CommunityFactory(
        company=company,
        slug="sky",
        name="天港公寓 Sky Harbour",
        entry_policy=EntryPolicy.NO_ENTRY,
        handoff_point="南门外取餐台 / Table outside the South Gate",
    )
    community.site_map = _site_map(800, 800)
    community.save()
    rules_publish(
        community=community,
        acting_user=None,
        x_pct=Decimal(56),
        y_pct=Decimal(96),
    )
    south = GateFactory(
        community=community,
        name="南门 South Gate",
        open_to_riders=False,
        x_pct=Decimal(50),
        y_pct=Decimal(98),
    )
    GateFactory(
        community=community,
        name="北门 North Gate",
        open_to_riders=False,
        x_pct=Decimal(50),
        y_pct=Decimal(2),
    )
    DeliveryFacilityFactory(
        community=community, name="South cabinet", x_pct=Decimal(53), y_pct=Decimal(95)
    )
    cache.clear()
    return community, south


@pytest.fixture(params=sorted(LANGS))
def lang(request) -> str:
    return request.param


@pytest.fixture
def phone(browser, lang):
    context = browser.new_context(
        viewport={"width": 360, "height": 740},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        extra_http_headers={"Accept-Language": LANGS[lang]},
    )
    page = context.new_page()
    page.failed = []  # type: ignore[attr-defined]
    page.on(
        "response",
        lambda r: page.failed.append(f"{r.status} {r.url}") if r.status >= 400 else None,
    )
    yield page
    context.close()


OVERLAPS_JS = """
() => {
  const boxes = [];
  const visible = (el) => {
    const s = getComputedStyle(el);
    const r = el.getBoundingClientRect();
    return s.display !== 'none' && s.visibility !== 'hidden' && r.width > 0 && r.height > 0
      && !el.closest('.visually-hidden');
  };
  document.querySelectorAll('.sitemap-canvas .mk-b').forEach((el) => {
    if (visible(el)) {
      boxes.push({name: 'building ' + el.textContent, owner: el, r: el.getBoundingClientRect()});
    }
  });
  document.querySelectorAll('.sitemap-canvas .marker').forEach((m) => {
    m.querySelectorAll('.marker-glyph, .marker-label').forEach((el) => {
      if (!visible(el)) return;
      const name = m.textContent.trim().replace(/\\s+/g, ' ');
      boxes.push({name: name, owner: m, r: el.getBoundingClientRect()});
    });
  });
  const hits = [];
  for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
    const a = boxes[i], b = boxes[j];
    if (a.owner === b.owner) continue;
    const w = Math.min(a.r.right, b.r.right) - Math.max(a.r.left, b.r.left);
    const h = Math.min(a.r.bottom, b.r.bottom) - Math.max(a.r.top, b.r.top);
    if (w > 0.5 && h > 0.5) hits.push(a.name + ' × ' + b.name);
  }
  return hits;
}
"""

SMALL_TARGETS_JS = """
() => {
  const out = [];
  const targets = 'a[href], button, input:not([type=hidden]), select, textarea, summary';
  document.querySelectorAll(targets).forEach((el) => {
    if (el.classList.contains('skip-link')) return;  // off screen until focused
    const s = getComputedStyle(el);
    if (s.display === 'none' || s.visibility === 'hidden' || el.closest('[hidden]')) return;
    let r = el.getBoundingClientRect();
    // A checkbox or radio counts with its label (tapping the label ticks it).
    if ((el.type === 'checkbox' || el.type === 'radio') && el.labels && el.labels[0]) {
      r = el.labels[0].getBoundingClientRect();
    }
    if (r.width === 0 && r.height === 0) return;
    if (r.width < 43.5 || r.height < 43.5) {
      const name = (el.textContent || el.name || el.type).trim().slice(0, 30);
      out.push(name + ' ' + Math.round(r.width) + '×' + Math.round(r.height));
    }
  });
  return out;
}
"""


def no_overflow(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


def test_a_closed_gate_says_which_gate_to_use_with_the_map(
    live_server, phone, lang, willow, screenshot_dir
):
    community, north = willow
    phone.goto(f"{live_server.url}/r/{north.entry_code}/")
    headline = phone.locator(".advice h2").inner_text()
    advice = phone.locator(".advice-go").inner_text()
    assert headline == {"zh": "此出入口不对骑手开放", "en": "This gate is closed to riders"}[lang]
    # Gate names in the page's language only, never glued (#21.6).
    east_name, south_name = {"zh": ("东门", "南门"), "en": ("East Gate", "South Gate")}[lang]
    other = {"zh": "East Gate", "en": "东门"}[lang]
    assert east_name in advice and south_name in advice and other not in advice
    assert advice.index(east_name) < advice.index(south_name)  # nearest first
    # This gate has no English name: the English page shows the Chinese one, marked.
    where = phone.locator("p.where")
    if lang == "en":
        assert where.locator('span[lang="zh-Hans"]').inner_text() == "北门"
        assert where.locator(".lang-hint").inner_text() == "(Chinese only)"
    else:
        assert where.inner_text() == "北门" and where.locator(".lang-hint").count() == 0
    assert phone.locator("form.register-form").count() == 0
    # The gate to use is marked on the map, labelled, on screen.
    east = phone.locator(".marker--gate.is-nearest", has_text=east_name)
    assert east.count() == 1 and east.locator(".marker-label").is_visible()
    assert phone.evaluate(OVERLAPS_JS) == []
    no_overflow(phone)
    phone.screenshot(path=os.path.join(screenshot_dir, f"gate-closed-{lang}.png"), full_page=True)
    assert phone.failed == []


def test_a_no_entry_gate_gives_the_handoff_point_on_the_map(
    live_server, phone, lang, sky, screenshot_dir
):
    _, south = sky
    phone.goto(f"{live_server.url}/r/{south.entry_code}/")
    assert (
        phone.locator(".advice h2").inner_text()
        == {
            "zh": "骑手不得进入本小区",
            "en": "Riders may not enter here",
        }[lang]
    )
    text = phone.locator(".advice").inner_text()
    assert "Table outside the South Gate" in text
    assert "其他出入口" not in text and "another gate" not in text
    assert phone.locator("form.register-form").count() == 0
    handoff_visible(phone)
    assert phone.evaluate(OVERLAPS_JS) == []
    no_overflow(phone)
    phone.screenshot(path=os.path.join(screenshot_dir, f"gate-handoff-{lang}.png"), full_page=True)
    assert phone.failed == []


def handoff_visible(page) -> None:
    """The hand-off glyph is on top: the element at its centre belongs to it."""
    glyph = page.locator(".marker--handoff .marker-glyph")
    glyph.scroll_into_view_if_needed()
    box = glyph.bounding_box()
    assert box is not None
    # Markers ignore the pointer (pointer-events: none); let them take it to ask which
    # one is on top at the glyph's centre.
    on_top = page.evaluate(
        """([x, y]) => {
          const all = document.querySelectorAll('.marker, .mk-b');
          all.forEach((m) => { m.style.pointerEvents = 'auto'; });
          const hit = document.elementFromPoint(x, y);
          all.forEach((m) => { m.style.pointerEvents = ''; });
          return !!(hit && hit.closest('.marker--handoff'));
        }""",
        [box["x"] + box["width"] / 2, box["y"] + box["height"] / 2],
    )
    assert on_top


# --- 2. the pass: one headline that follows the state ------------------------------------

WAKE_LOCK_STUB = """
window.__wake = [];
Object.defineProperty(navigator, 'wakeLock', { configurable: true, value: {
  request: (type) => {
    const lock = { type, released: false, _l: [],
      addEventListener(n, f) { this._l.push(f); },
      release() {
        this.released = true; window.__wake.push('release'); return Promise.resolve();
      } };
    window.__wake.push('request:' + type);
    return Promise.resolve(lock);
  } } });
"""


def test_the_pass_headline_follows_the_state_without_a_reload(
    live_server, phone, lang, company, screenshot_dir
):
    from riders.models import AccessGrant
    from riders.services.grants import grant_revoke
    from riders.tests.factories import PlatformFactory, sign_assertion

    community = CommunityFactory(company=company, slug="garden-court", name="Garden Court")
    gate = GateFactory(community=community, name="North Gate")
    platform = PlatformFactory(code="demo", name="Demo Delivery")
    phone.add_init_script(WAKE_LOCK_STUB)
    phone.goto(
        f"{live_server.url}/r/{gate.entry_code}/?assertion="
        + sign_assertion(platform, sub="R42", name="李雷")
    )
    phone.wait_for_selector(".pass .qr svg", state="visible")
    headline = phone.locator("#pass-headline")
    valid = {"zh": "有效：请在门岗出示二维码", "en": "Valid: show the code at the gate"}[lang]
    assert headline.inner_text() == valid
    assert "pass-headline--valid" in headline.get_attribute("class")
    # The screen is kept awake while the code shows.
    phone.wait_for_function("window.__wake.includes('request:screen')")
    no_overflow(phone)
    phone.screenshot(path=os.path.join(screenshot_dir, f"pass-valid-{lang}.png"))
    phone.evaluate("window.__sameDocument = true")

    # Offline: the headline says so (never the green "valid" over a greyed code).
    phone.context.set_offline(True)
    phone.wait_for_selector("#pass-headline.pass-headline--offline")
    assert headline.inner_text() != valid
    phone.screenshot(path=os.path.join(screenshot_dir, f"pass-offline-{lang}.png"))
    phone.context.set_offline(False)
    phone.wait_for_selector("#pass-headline.pass-headline--valid")

    # Revoked while the page is open: the headline turns red with the staff's reason,
    # the code goes, no green "valid" text is left anywhere, and the page never reloaded.
    grant = AccessGrant.objects.get(rider__platform_rider_id="R42", community=community)
    grant_revoke(grant=grant, reason="Identity not confirmed", acting_user=None)
    phone.context.set_offline(True)
    phone.context.set_offline(False)  # "online" makes pass.js fetch at once
    phone.wait_for_selector("#pass-headline.pass-headline--revoked")
    assert "Identity not confirmed" in headline.inner_text()
    assert "Garden Court" in headline.inner_text()
    assert phone.locator(".qr svg").count() == 0
    assert phone.locator(".pass-state--active:visible").count() == 0
    assert valid not in phone.locator("main").inner_text()
    assert phone.evaluate("window.__sameDocument") is True
    phone.wait_for_function("window.__wake.includes('release')")
    phone.screenshot(path=os.path.join(screenshot_dir, f"pass-revoked-{lang}.png"))
    assert phone.failed == []


def test_the_pass_can_be_added_to_the_home_screen(live_server, phone, lang, company):
    from riders.tests.factories import PlatformFactory, sign_assertion

    community = CommunityFactory(company=company, slug="garden-court", name="Garden Court")
    gate = GateFactory(community=community, name="North Gate")
    platform = PlatformFactory(code="demo", name="Demo Delivery")
    phone.goto(
        f"{live_server.url}/r/{gate.entry_code}/?assertion="
        + sign_assertion(platform, sub="R7", name="韩梅梅")
    )
    phone.wait_for_selector(".pass .qr svg", state="visible")
    href = phone.get_attribute('link[rel="manifest"]', "href")
    assert href
    manifest = phone.evaluate("(u) => fetch(u).then((r) => r.json())", href)
    assert manifest["start_url"] == "/pass/" and manifest["display"] == "standalone"
    sizes = {icon["sizes"] for icon in manifest["icons"]}
    assert {"192x192", "512x512"} <= sizes
    base = live_server.url + href.rsplit("/", 1)[0] + "/"
    for icon in manifest["icons"]:
        status = phone.evaluate("(u) => fetch(u).then((r) => r.status)", base + icon["src"])
        assert status == 200, icon["src"]
    assert phone.failed == []


# --- 3. the map on a phone: no marker hides another, gates labelled, zoom ---------------


def test_map_markers_never_overlap_gates_are_labelled_and_the_map_zooms(
    live_server, phone, lang, willow, sky, screenshot_dir
):
    community, _ = willow
    phone.goto(f"{live_server.url}/c/{community.slug}/")
    assert phone.evaluate(OVERLAPS_JS) == []
    for label in phone.locator(".marker--gate .marker-label").all():
        assert label.is_visible()  # gate names are shown on a phone
    no_overflow(phone)

    # After a finder search the highlighted building, gate and zone still hide nothing.
    phone.locator("#finder-q").fill("5")
    phone.locator(".finder-form button[type=submit]").click()
    phone.wait_for_selector(".mk-b.is-highlighted")
    phone.wait_for_selector(".marker--gate.is-nearest")
    assert phone.evaluate(OVERLAPS_JS) == []
    phone.locator(".sitemap").scroll_into_view_if_needed()
    phone.screenshot(path=os.path.join(screenshot_dir, f"map-finder-{lang}.png"))

    # Zoom: the map grows inside its frame, the page itself never scrolls sideways.
    canvas = phone.locator(".sitemap-canvas")
    before = canvas.bounding_box()["width"]
    phone.locator(".zoom-btn[data-zoom=in]").click()
    phone.wait_for_function(
        "(w) => document.querySelector('.sitemap-canvas').getBoundingClientRect().width > w * 1.5",
        arg=before,
    )
    no_overflow(phone)
    assert phone.locator(".zoom-btn[data-zoom=out]").is_enabled()
    phone.screenshot(path=os.path.join(screenshot_dir, f"map-zoomed-{lang}.png"))
    phone.locator(".zoom-btn[data-zoom=out]").click()
    phone.wait_for_function(
        "(w) => Math.abs(document.querySelector('.sitemap-canvas')"
        ".getBoundingClientRect().width - w) < 2",
        arg=before,
    )

    # Sky Harbour: the South Gate, the cabinet and the hand-off point sit together; all
    # three are seen, and the hand-off point is on top.
    phone.goto(f"{live_server.url}/c/{sky[0].slug}/")
    assert phone.evaluate(OVERLAPS_JS) == []
    handoff_visible(phone)
    assert phone.locator(".marker--handoff .marker-label").is_visible()
    phone.locator(".sitemap").scroll_into_view_if_needed()
    phone.screenshot(path=os.path.join(screenshot_dir, f"map-handoff-{lang}.png"))
    assert phone.failed == []


# --- 4. every target ≥ 44 × 44 px; errors where the eye is; 5. no 404 anywhere --------


def test_every_target_is_44_px_and_no_request_fails(
    live_server, phone, lang, willow, sky, company, screenshot_dir
):
    from riders.tests.factories import PlatformFactory, sign_assertion

    community, north = willow
    open_gate = community.gates.get(name="东门")
    platform = PlatformFactory(code="demo", name="Demo Delivery")
    phone.goto(
        f"{live_server.url}/r/{open_gate.entry_code}/?assertion="
        + sign_assertion(platform, sub="R9", name="王小明")
    )
    phone.wait_for_selector(".pass .qr svg", state="visible")
    pages = [
        "/",
        f"/c/{community.slug}/",
        f"/r/{open_gate.entry_code}/",
        f"/r/{north.entry_code}/",
        f"/r/{sky[1].entry_code}/",
        "/pass/",
        "/pass/my-data/",
        "/vote/",
    ]
    small = {}
    for path in pages:
        phone.goto(live_server.url + path)
        found = phone.evaluate(SMALL_TARGETS_JS)
        if found:
            small[path] = found
        no_overflow(phone)
    assert small == {}
    assert phone.failed == []


def test_erasing_without_the_tick_shows_and_focuses_the_error(
    live_server, phone, lang, company, screenshot_dir
):
    from riders.tests.factories import PlatformFactory, sign_assertion

    community = CommunityFactory(company=company, slug="garden-court", name="Garden Court")
    gate = GateFactory(community=community, name="North Gate")
    platform = PlatformFactory(code="demo", name="Demo Delivery")
    phone.goto(
        f"{live_server.url}/r/{gate.entry_code}/?assertion="
        + sign_assertion(platform, sub="R5", name="韩梅梅")
    )
    phone.wait_for_selector(".pass .qr svg", state="visible")
    phone.goto(f"{live_server.url}/pass/my-data/")
    phone.locator(".erase button[type=submit]").click()
    phone.wait_for_selector(".erase .field-error")
    error = phone.locator(".erase .field-error")
    # The error is on screen without scrolling, and focus is on the field it describes.
    box = error.bounding_box()
    assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= 740
    focused = phone.evaluate("document.activeElement && document.activeElement.id")
    described = phone.get_attribute(".erase input[type=checkbox]", "aria-describedby")
    assert focused == phone.get_attribute(".erase input[type=checkbox]", "id")
    assert described == error.get_attribute("id")
    phone.screenshot(path=os.path.join(screenshot_dir, f"erase-error-{lang}.png"))


# --- 7. the owners' own pages: the riders' phone layout, one-line header ---------------


def test_owners_pages_fit_a_phone_with_a_one_line_header(
    live_server, phone, lang, company, screenshot_dir
):
    from governance import services
    from governance.tests.factories import owner_with_login, resolution_opened, units_make

    community = CommunityFactory(company=company, slug="lotus", name="荷花苑 Lotus Garden")
    owner = owner_with_login("owner.li", name="李娜")
    (unit,) = units_make(community, 1, "100.00")
    services.ownership_add(unit=unit, owner=owner, acting_user=None)
    resolution = resolution_opened(
        community,
        title="骑手在北门交接 Riders hand food over at the north gate",
        effect={
            "type": "entry_policy",
            "policy": "no_entry",
            "handoff_point": "North gate lobby",
        },
    )
    phone.goto(f"{live_server.url}/vote/login/")
    assert phone.locator(".site-header").bounding_box()["height"] <= 60
    assert phone.evaluate(SMALL_TARGETS_JS) == []
    phone.fill("input[name=username]", "owner.li")
    phone.fill("input[name=password]", "pw-owner-123")
    phone.locator("main button[type=submit]").click()
    phone.wait_for_selector(".resolution-list")
    pages = {
        "vote-list": "/vote/",
        "vote-detail": f"/vote/{resolution.pk}/",
        "vote-feedback": f"/vote/feedback/{community.slug}/",
    }
    small = {}
    for name, path in pages.items():
        phone.goto(live_server.url + path)
        header = phone.locator(".site-header").bounding_box()
        assert header["height"] <= 60, f"{path}: header {header['height']} px tall"
        found = phone.evaluate(SMALL_TARGETS_JS)
        if found:
            small[path] = found
        no_overflow(phone)
        phone.screenshot(path=os.path.join(screenshot_dir, f"{name}-{lang}.png"), full_page=True)
    assert small == {}
    # The ballot: three big buttons, one tap each.
    phone.goto(f"{live_server.url}/vote/{resolution.pk}/")
    for button in phone.locator(".choice").all():
        box = button.bounding_box()
        assert box["height"] >= 44 and box["width"] >= 44
    assert phone.failed == []


def test_demo_maps_have_no_hidden_marker_on_a_phone(
    live_server, phone, lang, settings, tmp_path, screenshot_dir
):
    """Issue 21.3 as found: Willow Garden's East Gate under the parking and cabinet
    markers, Sky Harbour's South Gate under the cabinet and hand-off markers."""
    from django.core.management import call_command

    from communities.models import Community

    settings.MEDIA_ROOT = tmp_path / "media"
    call_command("seed_demo", stdout=io.StringIO())
    cache.clear()
    hidden = {}
    for community in Community.objects.order_by("slug"):
        phone.goto(f"{live_server.url}/c/{community.slug}/")
        found = phone.evaluate(OVERLAPS_JS)
        if found:
            hidden[community.slug] = found
        labels = phone.locator(".marker--gate .marker-label")
        assert all(label.is_visible() for label in labels.all()), community.slug
        if phone.locator(".marker--handoff").count():
            handoff_visible(phone)
        phone.locator(".sitemap").scroll_into_view_if_needed()
        phone.screenshot(path=os.path.join(screenshot_dir, f"map-demo-{community.slug}-{lang}.png"))
    assert hidden == {}
    assert phone.failed == []
