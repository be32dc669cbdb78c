"""The portal's forms: the address to send a code to, the code, a new shipping address."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from portal.services import MAX_ADDRESS_CHARS, Destination, destination_parse


class SignInForm(forms.Form):
    destination = forms.CharField(
        label=_("Mobile number or e-mail"),
        max_length=MAX_ADDRESS_CHARS,
        error_messages={"required": _("Enter your mobile number or e-mail address.")},
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "off", "spellcheck": "false"}),
    )

    def clean_destination(self) -> Destination:
        try:
            return destination_parse(self.cleaned_data["destination"])
        except ValidationError as exc:
            raise ValidationError(exc.message_dict["destination"]) from None


class CodeInput(forms.TextInput):
    """A code that was refused is not shown again: the next try starts from an empty box."""

    def format_value(self, value: object) -> None:
        return None


class CodeForm(forms.Form):
    code = forms.RegexField(
        label=_("Code"),
        regex=r"^\s*[0-9]{6}\s*$",
        error_messages={
            "invalid": _("Enter the 6 digits of the code."),
            "required": _("Enter the 6 digits of the code."),
        },
        widget=CodeInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "pattern": "[0-9]{6}", "maxlength": "6"}
        ),
    )

    def clean_code(self) -> str:
        return str(self.cleaned_data["code"]).strip()


ADDRESS_FIELDS = ("province", "city", "district", "detail", "name", "phone")


class AddressForm(forms.Form):
    """A Chinese shipping address. The service checks it; this form only carries it and keeps what was typed."""

    province = forms.CharField(label=_("Province"), max_length=40, required=False)
    city = forms.CharField(label=_("City"), max_length=40, required=False)
    district = forms.CharField(label=_("District"), max_length=40, required=False)
    detail = forms.CharField(
        label=_("Street and house number"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "street-address"}),
    )
    name = forms.CharField(
        label=_("Recipient"), max_length=60, required=False, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    phone = forms.CharField(
        label=_("Recipient's mobile number"),
        max_length=30,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )
    version = forms.CharField(widget=forms.HiddenInput, max_length=200)

    def address(self) -> dict[str, str]:
        return {field: str(self.cleaned_data.get(field) or "") for field in ADDRESS_FIELDS}

    def add_service_errors(self, exc: ValidationError) -> None:
        """Field errors from the service next to their fields; anything else above the form."""
        if not hasattr(exc, "error_dict"):
            self.add_error(None, exc.messages)
            return
        for field, messages in exc.message_dict.items():
            self.add_error(field if field in ADDRESS_FIELDS else None, messages)


class TicketReplyForm(forms.Form):
    """The customer's reply on their ticket; ``token`` makes a double submit store one reply."""

    body = forms.CharField(
        label=_("Your message"), required=False, max_length=10_000, widget=forms.Textarea(attrs={"rows": 4})
    )
    # Not "files": that is the form's own dict of uploads. The view reads every file under this name.
    photos = forms.FileField(label=_("Photos or documents"), required=False)
    token = forms.CharField(widget=forms.HiddenInput, max_length=64)


class TicketRatingForm(forms.Form):
    score = forms.TypedChoiceField(
        label=_("How did we do?"),
        choices=[(n, str(n)) for n in range(5, 0, -1)],
        coerce=int,
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Anything to add? (optional)"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
