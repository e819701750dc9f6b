"""The full stack's two rebuilt layers answer as Django's and django-csp's did: the
language (portal.locale, no language prefixes in paths) and the content security policy
built once (core.security.csp)."""

from __future__ import annotations

import pytest
from csp.utils import build_policy
from django.conf import settings
from django.conf.urls.i18n import is_language_prefix_patterns_used

pytestmark = pytest.mark.django_db


def test_the_urlconf_has_no_language_prefixes_which_the_locale_layer_relies_on():
    assert is_language_prefix_patterns_used(settings.ROOT_URLCONF) == (False, False)


@pytest.mark.parametrize(
    ("accept", "cookie", "language"),
    [("en", None, "en"), ("zh-CN,zh;q=0.9", None, "zh-hans"), ("en", "zh-hans", "zh-hans")],
)
def test_a_page_answers_in_the_language_asked_for(client, community, accept, cookie, language):
    if cookie:
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = cookie
    response = client.get(f"/c/{community.slug}/", HTTP_ACCEPT_LANGUAGE=accept)
    assert response.status_code == 200
    assert response["Content-Language"] == language
    assert "Accept-Language" in response["Vary"]
    assert f'lang="{language}"' in response.content.decode().lower()


def test_an_ordinary_page_gets_the_settings_policy(client, community):
    response = client.get(f"/c/{community.slug}/")
    assert response["Content-Security-Policy"] == build_policy()
    assert "Content-Security-Policy-Report-Only" not in response


def test_a_changed_policy_setting_is_followed(client, community, settings):
    client.get(f"/c/{community.slug}/")  # the policy built and kept
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {"default-src": ["'none'"]}}
    settings.CONTENT_SECURITY_POLICY_REPORT_ONLY = {"DIRECTIVES": {"img-src": ["'self'"]}}
    response = client.get(f"/c/{community.slug}/")
    assert response["Content-Security-Policy"] == "default-src 'none'"
    report_only = response["Content-Security-Policy-Report-Only"]
    assert report_only == build_policy(report_only=True) and "img-src 'self'" in report_only


def test_a_page_with_a_nonce_gets_it_in_its_policy(client, staff_user):
    """The API docs page puts nonces on its inline script and style: django-csp builds
    its policy, with the nonce."""
    client.force_login(staff_user)
    response = client.get("/api/docs/")
    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    nonce = policy.split("'nonce-")[1].split("'")[0]
    assert f'nonce="{nonce}"' in response.content.decode()
    assert policy != build_policy()
