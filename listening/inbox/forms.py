from __future__ import annotations

from django import forms

from listening.inbox.models import Priority, RoutingRule, Status
from listening.inbox.services import RULE_FIELDS


class NoteForm(forms.Form):
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=5000)


class StatusForm(forms.Form):
    status = forms.ChoiceField(choices=Status.choices)


class PriorityForm(forms.Form):
    priority = forms.ChoiceField(choices=Priority.choices)


class TagsForm(forms.Form):
    tags = forms.CharField(required=False, max_length=500, help_text="Comma-separated.")


class ReplyForm(forms.Form):
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=280)
    message = forms.IntegerField(widget=forms.HiddenInput)
    version = forms.IntegerField(widget=forms.HiddenInput)
    kind = forms.ChoiceField(
        choices=[("reply", "Reply"), ("quote", "Quote"), ("dm", "Direct message")],
        initial="reply",
    )


class LikeForm(forms.Form):
    message = forms.IntegerField()


class RoutingRuleForm(forms.ModelForm):
    class Meta:
        model = RoutingRule
        fields = list(RULE_FIELDS)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Nobody's private list: a rule cannot name one (nor show it exists).
        self.fields["source"].queryset = self.fields["source"].queryset.filter(is_private=False)
