"""Model serializers whose fields are built once per class, not once per instance.

DRF's ModelSerializer introspects the model on every instance (`get_fields` →
`build_field` for each name): for the 60-field case detail that is about 1.7 ms of
every request that shows a case. The built fields are kept per class and each
instance gets a deep copy (DRF fields copy cheaply from their constructor
arguments), so binding, context and method fields stay per instance.
"""

from __future__ import annotations

import copy
from typing import Any, ClassVar

from rest_framework import serializers


class CachedModelSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    _fields_prototype: ClassVar[dict[type, dict[str, Any]]] = {}

    def get_fields(self) -> dict[str, Any]:
        cls = type(self)
        prototype = CachedModelSerializer._fields_prototype.get(cls)
        if prototype is None:
            prototype = super().get_fields()
            CachedModelSerializer._fields_prototype[cls] = prototype
        return copy.deepcopy(prototype)
