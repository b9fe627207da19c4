"""Model serializers whose fields are built once per class, not once per instance.

DRF's ModelSerializer introspects the model on every instance (`get_fields` →
`build_field` for each name): for the 60-field case detail that is about 1.7 ms of
every request that shows a case. The built fields are kept per class and each
instance gets a deep copy (DRF fields copy cheaply from their constructor
arguments), so binding, context and method fields stay per instance.

The copy is a new field made from the prototype's constructor arguments, as DRF's
own `Field.__deepcopy__` does, but without deep-copying those arguments (labels,
choices, querysets): fields read them and never change them, and the deep copy of
lazy labels and choice lists was most of the cost.

`represent(instance)` goes one step further for an answer that only shows a row
(the case a POST created): one serializer per class and process, its fields bound
once, renders every instance. Rendering reads the fields and never changes them;
it has no request context, so it is only for serializers whose fields need none
(no hyperlinks, no method fields that read the request).
"""

from __future__ import annotations

import copy
from typing import Any, ClassVar

from rest_framework import serializers


class CachedModelSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    _fields_prototype: ClassVar[dict[type, dict[str, Any]]] = {}
    _renderer: ClassVar[dict[type, Any]] = {}

    @classmethod
    def represent(cls, instance: Any) -> dict[str, Any]:
        """`cls(instance).data` as a plain dict, by a serializer kept per class."""
        renderer = CachedModelSerializer._renderer.get(cls)
        if renderer is None:
            renderer = cls()
            renderer.fields  # noqa: B018 - bind the fields once, here
            CachedModelSerializer._renderer[cls] = renderer
        return dict(renderer.to_representation(instance))

    def get_fields(self) -> dict[str, Any]:
        cls = type(self)
        prototype = CachedModelSerializer._fields_prototype.get(cls)
        if prototype is None:
            prototype = super().get_fields()
            CachedModelSerializer._fields_prototype[cls] = prototype
        return {name: _fresh(field) for name, field in prototype.items()}


def _fresh(field: Any) -> Any:
    """An unbound field like `field`, built again from its constructor arguments.

    A nested serializer or a field with a child binds that child to itself, so those
    are deep-copied as before: a shared child would have two parents.
    """
    if isinstance(field, serializers.BaseSerializer) or "child" in field._kwargs:
        return copy.deepcopy(field)
    return field.__class__(*field._args, **field._kwargs)
