"""Forms of the editorial calendar. They check the shape of the input; the services
(campaigns.calendar.services) check X's rules, times and rights, and their field errors are
shown on these forms."""

from __future__ import annotations

import re
from typing import Any

from django import forms

from campaigns.calendar import permissions as perms
from campaigns.models import Campaign, ContentCategory, Offer, RecurringSlot, ScheduledPost
from campaigns.selectors import campaign_choices
from departments.models import Department
from listening import selectors as listening_selectors
from listening.models import XAccount
from socialops.forms import DateInput, DatesInRange
from socialops.models import User

PART_SEPARATOR = "---"
_SEPARATOR_LINE = re.compile(r"^\s*-{3,}\s*$", re.MULTILINE)
_X_ID = re.compile(r"(\d{1,19})/?(?:[?#].*)?$")


class DateTimeLocalInput(forms.DateTimeInput):
    """The browser's date and time picker; values are in the organisation's zone (the
    middleware makes it the current one, and the form field converts)."""

    input_type = "datetime-local"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%H:%M", **kwargs)


def split_parts(value: str) -> list[str]:
    """A thread's further parts, written one after another with a line of --- between."""
    return [part.strip() for part in _SEPARATOR_LINE.split(value or "") if part.strip()]


def join_parts(parts: list[str]) -> str:
    return f"\n{PART_SEPARATOR}\n".join(parts)


class PostForm(DatesInRange, forms.Form):
    department = forms.ModelChoiceField(queryset=Department.objects.none(), empty_label=None)
    account = forms.ModelChoiceField(
        queryset=XAccount.objects.none(),
        label="X account",
        empty_label=None,
    )
    kind = forms.ChoiceField(choices=ScheduledPost.Kind.choices, initial=ScheduledPost.Kind.POST)
    category = forms.ChoiceField(choices=ContentCategory.choices, label="What (category)")
    text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5}),
        required=False,
        help_text="X counts a link as 23 characters and an emoji or a CJK character as 2. "
        "Empty for a repost: it has no text of its own (a quote has).",
    )
    parts = forms.CharField(
        label="Further parts of the thread",
        widget=forms.Textarea(attrs={"rows": 5}),
        required=False,
        help_text=f"Threads only: write each part in turn, with a line of {PART_SEPARATOR} "
        "between two parts.",
    )
    target_x_id = forms.CharField(
        label="X post replied to, quoted or reposted",
        required=False,
        help_text="For a reply, quote or repost: the post's address on X or its id.",
    )
    scheduled_at = forms.DateTimeField(label="When", widget=DateTimeLocalInput(), required=False)
    campaign = forms.ModelChoiceField(
        queryset=Campaign.objects.none(), required=False, empty_label="No campaign"
    )
    offer = forms.ModelChoiceField(
        queryset=Offer.objects.none(),
        required=False,
        empty_label="No offer",
        help_text="A post with an offer may need another department's approval.",
    )
    owner = forms.ModelChoiceField(queryset=User.objects.none(), label="Who", empty_label=None)
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    slot = forms.ModelChoiceField(
        queryset=RecurringSlot.objects.none(), required=False, widget=forms.HiddenInput
    )

    def __init__(
        self, *args: Any, user: User, post: ScheduledPost | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.post = post
        self.fields["department"].queryset = perms.departments_user_edits(user).order_by("name")
        self.fields["account"].queryset = listening_selectors.account_list(user=user).order_by(
            "username"
        )
        self.fields["account"].label_from_instance = lambda a: f"@{a.username}"
        self.fields["campaign"].queryset = campaign_choices(user=user)
        self.fields["offer"].queryset = Offer.objects.order_by("-valid_from", "code")
        self.fields["owner"].queryset = User.objects.filter(is_active=True).order_by(
            "first_name", "username"
        )
        self.fields["owner"].label_from_instance = lambda u: u.display_name
        self.fields["slot"].queryset = RecurringSlot.objects.all()
        if post is not None:
            # A post stays in its department; its slot follows its time.
            del self.fields["department"]
            del self.fields["slot"]

    def clean_parts(self) -> list[str]:
        return split_parts(self.cleaned_data.get("parts", ""))

    def clean_target_x_id(self) -> int | None:
        value = (self.cleaned_data.get("target_x_id") or "").strip()
        if not value:
            return None
        match = _X_ID.search(value)
        if not match or int(match.group(1)) >= 2**63:
            raise forms.ValidationError("Paste the post's address on X or its number.")
        return int(match.group(1))

    def service_data(self) -> dict[str, Any]:
        """What the services take; an edit sends only what changed."""
        data = dict(self.cleaned_data)
        if self.post is None:
            return data
        return {name: value for name, value in data.items() if name in self.changed_data}


def post_form_initial(post: ScheduledPost) -> dict[str, Any]:
    return {
        "account": post.account_id,
        "kind": post.kind,
        "category": post.category,
        "text": post.text,
        "parts": join_parts([part.text for part in post.parts.all()]),
        "target_x_id": post.target_x_id or "",
        "scheduled_at": post.scheduled_at,
        "campaign": post.campaign_id,
        "offer": post.offer_id,
        "owner": post.owner_id,
        "notes": post.notes,
    }


class RescheduleForm(DatesInRange, forms.Form):
    scheduled_at = forms.DateTimeField(label="New time", widget=DateTimeLocalInput())


class ApproveForm(forms.Form):
    department = forms.ModelChoiceField(
        queryset=Department.objects.all(), to_field_name="slug", required=False
    )


class RejectForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text="The author reads this: say what to change.",
    )
    department = forms.ModelChoiceField(
        queryset=Department.objects.all(), to_field_name="slug", required=False
    )


class TextCountForm(forms.Form):
    text = forms.CharField(required=False)
    parts = forms.CharField(required=False)


class SlotForm(DatesInRange, forms.ModelForm):
    department = forms.ModelChoiceField(queryset=Department.objects.none(), empty_label=None)

    class Meta:
        model = RecurringSlot
        fields = [
            "department",
            "title",
            "category",
            "weekday",
            "time",
            "every_weeks",
            "starts_on",
            "ends_on",
            "account",
            "is_active",
        ]
        widgets = {"time": TimeInput(), "starts_on": DateInput(), "ends_on": DateInput()}
        help_texts = {"title": "What goes here, e.g. “Tips Tuesday”."}

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = perms.departments_user_edits(user).order_by("name")
        self.fields["account"].queryset = listening_selectors.account_list(user=user)
        if self.instance.pk:
            del self.fields["department"]


class FeedForm(forms.Form):
    department = forms.ModelChoiceField(
        queryset=Department.objects.all(), to_field_name="slug", required=False
    )
