"""The API reference page, read from the same OpenAPI document the API serves.

Rendered on the server as a GOV.UK page: the Content Security Policy allows no inline
scripts and no other hosts, and the page needs no JavaScript to be read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from drf_spectacular.generators import SchemaGenerator

_METHOD_ORDER = ("get", "post", "put", "patch", "delete")
_METHOD_TAGS = {
    "get": "govuk-tag--blue",
    "post": "govuk-tag--green",
    "put": "govuk-tag--yellow",
    "patch": "govuk-tag--yellow",
    "delete": "govuk-tag--red",
}


@dataclass(frozen=True)
class FieldDoc:
    name: str
    where: str
    type: str
    required: bool
    description: str


@dataclass(frozen=True)
class ResponseDoc:
    status: str
    description: str


@dataclass(frozen=True)
class OperationDoc:
    anchor: str
    method: str
    method_tag: str
    path: str
    summary: str
    description: str
    parameters: list[FieldDoc]
    body: list[FieldDoc]
    responses: list[ResponseDoc]


@dataclass(frozen=True)
class SectionDoc:
    name: str
    description: str
    operations: list[OperationDoc] = field(default_factory=list)


def api_schema() -> dict[str, Any]:
    generator = SchemaGenerator()  # type: ignore[no-untyped-call]
    schema: dict[str, Any] = generator.get_schema(request=None, public=True)  # type: ignore[no-untyped-call]
    return schema


def reference(schema: dict[str, Any]) -> list[SectionDoc]:
    """The operations of ``schema`` by tag, in the order the tags are declared."""
    components = schema.get("components", {}).get("schemas", {})
    sections = {
        tag["name"]: SectionDoc(tag["name"], tag.get("description", ""))
        for tag in schema.get("tags", [])
    }
    for path, item in schema.get("paths", {}).items():
        for method in _METHOD_ORDER:
            operation = item.get(method)
            if operation is None:
                continue
            tag = (operation.get("tags") or ["other"])[0]
            section = sections.setdefault(tag, SectionDoc(tag, ""))
            section.operations.append(_operation(path, method, operation, components))
    return [section for section in sections.values() if section.operations]


def _operation(
    path: str, method: str, operation: dict[str, Any], components: dict[str, Any]
) -> OperationDoc:
    parameters = [
        FieldDoc(
            name=parameter["name"],
            where=parameter["in"],
            type=_type(parameter.get("schema", {})),
            required=bool(parameter.get("required")),
            description=parameter.get("description", ""),
        )
        for parameter in operation.get("parameters", [])
    ]
    body: list[FieldDoc] = []
    content = operation.get("requestBody", {}).get("content", {})
    if "application/json" in content:
        body = _fields(content["application/json"].get("schema", {}), components, prefix="")
    responses = [
        ResponseDoc(status, response.get("description", ""))
        for status, response in sorted(operation.get("responses", {}).items())
    ]
    return OperationDoc(
        anchor=operation.get("operationId", f"{method}-{path}"),
        method=method.upper(),
        method_tag=_METHOD_TAGS[method],
        path=path,
        summary=operation.get("summary", ""),
        description=operation.get("description", ""),
        parameters=parameters,
        body=body,
        responses=responses,
    )


def _resolve(schema: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if ref:
        resolved: dict[str, Any] = components.get(ref.rsplit("/", 1)[-1], {})
        return resolved
    if "allOf" in schema and len(schema["allOf"]) == 1:
        return _resolve(schema["allOf"][0], components)
    return schema


def _fields(
    schema: dict[str, Any], components: dict[str, Any], *, prefix: str, depth: int = 0
) -> list[FieldDoc]:
    schema = _resolve(schema, components)
    required = set(schema.get("required", []))
    fields = []
    for name, prop in schema.get("properties", {}).items():
        resolved = _resolve(prop, components)
        if prop.get("readOnly"):
            continue
        fields.append(
            FieldDoc(
                name=f"{prefix}{name}",
                where="body",
                type=_type(resolved),
                required=name in required,
                description=prop.get("description", "") or resolved.get("description", ""),
            )
        )
        if depth < 2 and resolved.get("type") == "object":
            fields += _fields(resolved, components, prefix=f"{prefix}{name}.", depth=depth + 1)
        items = _resolve(resolved.get("items", {}), components)
        if depth < 2 and resolved.get("type") == "array" and items.get("type") == "object":
            fields += _fields(items, components, prefix=f"{prefix}{name}[].", depth=depth + 1)
    return fields


def _type(schema: dict[str, Any]) -> str:
    if "enum" in schema:
        return "one of: " + ", ".join(str(value) for value in schema["enum"] if value is not None)
    kind = str(schema.get("type", "object"))
    if kind == "array":
        return f"list of {_type(schema.get('items', {}))}"
    if schema.get("format"):
        kind = f"{kind} ({schema['format']})"
    if schema.get("nullable"):
        kind = f"{kind} or null"
    return kind
