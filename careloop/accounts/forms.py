from django import forms
from django.utils.translation import gettext_lazy as _


class LoginForm(forms.Form):
    username = forms.CharField(label=_("Username"), max_length=150)
    password = forms.CharField(label=_("Password"), strip=False, widget=forms.PasswordInput)


class TotpForm(forms.Form):
    code = forms.RegexField(label=_("Six-digit code"), regex=r"^\s*\d{6}\s*$", max_length=8,
                            error_messages={"invalid": _("Enter the six digits shown in your authenticator app.")})
