"""Owners getting in: accept an invitation (choose user name and password), or log in
with a one-time code texted to the phone on the roll."""

from __future__ import annotations

from django import forms
from django.contrib.auth import login
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from core.security.ratelimit import (
    PHONE_SESSION_KEY,
    ip_and_posted_phone,
    ip_and_session_phone,
    ratelimit,
)

from ..services.invitations import (
    PhoneOfSeveralOwners,
    invitation_accept,
    invitation_owner,
    login_code_send,
    login_code_verify,
)


class InviteForm(forms.Form):
    username = forms.CharField(label=gettext_lazy("User name"), max_length=150)
    password1 = forms.CharField(label=gettext_lazy("Password"), widget=forms.PasswordInput)
    password2 = forms.CharField(label=gettext_lazy("Password again"), widget=forms.PasswordInput)

    def clean(self):
        data = super().clean()
        if data.get("password1") != data.get("password2"):
            self.add_error("password2", _("The two passwords differ."))
        return data


class PhoneForm(forms.Form):
    phone = forms.CharField(label=gettext_lazy("Mobile phone number"), max_length=40)


class CodeForm(forms.Form):
    code = forms.CharField(label=gettext_lazy("Code from the text message"), max_length=6)


BACKEND = "django.contrib.auth.backends.ModelBackend"


@require_http_methods(["GET", "POST"])
def invite(request: HttpRequest, token: str) -> HttpResponse:
    try:
        owner = invitation_owner(token)
    except ValidationError as exc:
        return render(request, "governance/invite.html", {"problem": exc.messages[0]}, status=400)
    form = InviteForm(request.POST or None, initial={"username": owner.phone})
    if request.method == "POST" and form.is_valid():
        try:
            user = invitation_accept(
                token=token,
                username=form.cleaned_data["username"],
                password=form.cleaned_data["password1"],
            )
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for name, errors in exc.message_dict.items():
                    form.add_error(name if name in form.fields else None, errors)
            else:
                form.add_error("password1", exc.messages)
        else:
            login(request, user, backend=BACKEND)
            return redirect("governance:index")
    return render(request, "governance/invite.html", {"form": form, "owner": owner})


@ratelimit(scope="login-code-send", key=ip_and_posted_phone, methods=["POST"])
@require_http_methods(["GET", "POST"])
def login_phone(request: HttpRequest) -> HttpResponse:
    form = PhoneForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        phone = form.cleaned_data["phone"].strip()
        login_code_send(phone=phone)
        request.session[PHONE_SESSION_KEY] = phone
        return redirect("governance:login_code")
    return render(request, "governance/login_phone.html", {"form": form})


@ratelimit(scope="login-code-verify", key=ip_and_session_phone, methods=["POST"])
@require_http_methods(["GET", "POST"])
def login_code(request: HttpRequest) -> HttpResponse:
    phone = request.session.get(PHONE_SESSION_KEY)
    if not phone:
        return redirect("governance:login_phone")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = login_code_verify(phone=phone, code=form.cleaned_data["code"])
        except PhoneOfSeveralOwners:
            form.add_error(
                "code",
                _(
                    "This phone number is on the owners' lists of more than one property "
                    "company, so it cannot tell which owner you are. Log in with the "
                    "invitation link your property office sent you, or ask them."
                ),
            )
        else:
            if user is not None:
                login(request, user, backend=BACKEND)
                return redirect("governance:index")
            form.add_error(
                "code", _("That code is wrong or has expired. Try again or ask for a new one.")
            )
    return render(request, "governance/login_code.html", {"form": form, "phone": phone})
