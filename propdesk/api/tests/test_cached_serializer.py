"""CachedModelSerializer: fields built once per class, fresh per instance, same output as DRF."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from propdesk.api.servicedesk import CaseDetailSerializer
from propdesk.servicedesk.models import Case, Category

from .test_servicedesk_api import new_case


class UncachedCaseDetail(CaseDetailSerializer):
    """The same serializer with DRF's own field building on every instance."""

    def get_fields(self) -> dict[str, Any]:
        return serializers.ModelSerializer.get_fields(self)


def test_each_instance_gets_its_own_fields_bound_to_itself(cast):
    case = Case.objects.get(pk=new_case(cast).json()["id"])
    first, second = CaseDetailSerializer(case), CaseDetailSerializer(case)
    assert first.fields.keys() == second.fields.keys()
    for name in first.fields:
        assert first.fields[name] is not second.fields[name], name
        assert first.fields[name].parent is first
        assert second.fields[name].parent is second


def test_cached_fields_render_exactly_as_drf_builds_them(cast):
    case = Case.objects.get(pk=new_case(cast).json()["id"])
    cached, plain = CaseDetailSerializer(case), UncachedCaseDetail(case)
    assert cached.data == plain.data
    for name, field in plain.fields.items():
        other = cached.fields[name]
        assert type(other) is type(field), name
        assert (str(other.label), other.read_only, other.required, other.source) == (
            str(field.label),
            field.read_only,
            field.required,
            field.source,
        ), name
        if isinstance(field, serializers.ChoiceField):
            assert other.choices == field.choices, name


def test_represent_renders_each_instance_as_a_fresh_serializer_does(cast):
    first = Case.objects.get(pk=new_case(cast).json()["id"])
    light = Category.objects.get(company=None, code="public.light").pk
    second = Case.objects.get(
        pk=new_case(cast, category=light, description="路灯不亮").json()["id"]
    )
    for case in (first, second, first):  # one kept serializer, several rows, in turn
        assert CaseDetailSerializer.represent(case) == UncachedCaseDetail(case).data
