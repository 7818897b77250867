"""Forms validate input shape; services validate the rest and save."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django import forms

from departments import selectors as department_selectors
from listening import selectors
from listening.models import Source
from socialops.models import User


class MinutesField(forms.DecimalField):
    """A duration entered in minutes (fractions allowed: 0.25 is 15 seconds)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", Decimal("0.01"))
        kwargs.setdefault("max_value", Decimal(60 * 24 * 7))
        super().__init__(max_digits=8, decimal_places=2, **kwargs)

    def prepare_value(self, value):
        if isinstance(value, timedelta):
            return (Decimal(value.total_seconds()) / 60).quantize(Decimal("0.01")).normalize()
        return value

    def clean(self, value):
        minutes = super().clean(value)
        return None if minutes is None else timedelta(seconds=round(float(minutes) * 60))

    def has_changed(self, initial, data):
        return self.prepare_value(initial) != data


class SourceForm(forms.Form):
    name = forms.CharField(
        max_length=100, help_text="What your team calls it, e.g. “Mentions of @brightline”."
    )
    kind = forms.ChoiceField(
        choices=Source.Kind.choices,
        # app.css shows only the fields of the chosen kind (CSS :has, no script needed); a
        # browser without :has shows them all.
    )
    account = forms.ModelChoiceField(
        queryset=None, help_text="The X account whose access reads this source."
    )
    department = forms.ModelChoiceField(
        queryset=None,
        required=False,
        empty_label="— no department —",
        help_text="Mentions read by this source go to this department's inbox.",
    )
    query = forms.CharField(
        max_length=512,
        required=False,
        label="Search query",
        help_text="X's search syntax, e.g. brightline -is:retweet lang:en.",
    )
    x_list_id = forms.IntegerField(
        required=False,
        min_value=1,
        label="X list",
        help_text="Pick one of the account's lists, or paste the list's id (the number in "
        "its x.com/i/lists/… address).",
        widget=forms.TextInput(
            attrs={"list": "owned-lists", "inputmode": "numeric", "autocomplete": "off"}
        ),
    )
    is_private = forms.BooleanField(
        required=False,
        label="Private list: only I see it and its posts",
        help_text="For a sales rep's prospects. Only lists can be private, and a list "
        "followed openly cannot be. Unticking it later shows everyone what it read.",
    )
    interval = MinutesField(
        label="Every (minutes)",
        initial=5,
        help_text="How often to read it; at least 0.25 (15 seconds).",
    )
    enabled = forms.BooleanField(required=False, initial=True, label="Enabled")

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        accounts = selectors.account_list(user=user)
        self.fields["account"].queryset = accounts
        if not self.is_bound and "account" not in self.initial:
            only = list(accounts[:2])
            if len(only) == 1:
                self.initial["account"] = only[0].pk
        self.fields["department"].queryset = department_selectors.department_list(user=user)

    def clean(self):
        data = super().clean()
        # Hidden fields of another kind keep what was typed in them; only the chosen
        # kind's own fields are saved.
        kind = data.get("kind")
        if kind != Source.Kind.SEARCH:
            data["query"] = ""
        if kind != Source.Kind.LIST:
            data["x_list_id"] = None
        return data

    @staticmethod
    def initial_for(source: Source) -> dict:
        return {
            "name": source.name,
            "kind": source.kind,
            "account": source.account_id,
            "department": source.department_id,
            "query": source.query,
            "x_list_id": source.x_list_id,
            "is_private": source.is_private,
            "interval": source.interval,
            "enabled": source.enabled,
        }


class ReadOnlyAccountForm(forms.Form):
    username = forms.CharField(
        max_length=16, help_text="The account's @username (with or without the @)."
    )
    bearer_token = forms.CharField(
        label="App bearer token",
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
        help_text="From the X developer portal (your app's “Bearer Token”). Stored encrypted; "
        "it can read public posts but never post.",
    )

    def clean_username(self) -> str:
        return self.cleaned_data["username"].strip().lstrip("@")


class AccountBudgetForm(forms.Form):
    monthly_budget = forms.DecimalField(
        label="Monthly X budget (US$)",
        required=False,
        min_value=Decimal("0.01"),
        max_digits=10,
        decimal_places=2,
        help_text="What X may bill for reads through this account in a calendar month "
        "(UTC), in US$ as X bills. A warning shows at 80 %. Empty: no budget.",
    )
    budget_pause = forms.BooleanField(
        required=False,
        label="Pause its sources at 100 %",
        help_text="They stop pulling until the next month or until the budget is raised.",
    )

    def clean(self):
        data = super().clean()
        paused = data.get("budget_pause") and "monthly_budget" not in self.errors
        if paused and data.get("monthly_budget") is None:
            self.add_error("monthly_budget", "Set a monthly budget to pause at.")
        return data
