"""The API document tells the truth: every schema it names is one class, so no operation is documented
with another operation's body (two schema classes of one name would overwrite each other in
``/api/openapi.json``), and each operation's documented body is the body it reads."""

import typing
from enum import Enum

import pytest
from pydantic import BaseModel

from config.api import api


def _models_in(annotation) -> typing.Iterator[type[BaseModel] | type[Enum]]:
    # An enum is a component of the document too, named by its class.
    if isinstance(annotation, type) and issubclass(annotation, BaseModel | Enum):
        yield annotation
    for argument in typing.get_args(annotation):
        yield from _models_in(argument)


def _operations():
    for prefix, router in api._routers:
        for path, view in router.path_operations.items():
            for operation in view.operations:
                yield f"/api/{prefix.strip('/')}{path}", operation


def _reachable_models() -> dict[str, set[type[BaseModel]]]:
    """Every schema class an operation reads or answers with, and the classes inside them, by name."""
    seen: set[type[BaseModel]] = set()
    todo: list[type[BaseModel]] = []
    for _path, operation in _operations():
        for params in operation.models:
            for field in params.model_fields.values():
                todo.extend(_models_in(field.annotation))
        for response in (operation.response_models or {}).values():
            if isinstance(response, type) and issubclass(response, BaseModel):
                for field in response.model_fields.values():
                    todo.extend(_models_in(field.annotation))
    while todo:
        model = todo.pop()
        if model in seen:
            continue
        seen.add(model)
        for field in getattr(model, "model_fields", {}).values():
            todo.extend(_models_in(field.annotation))
    by_name: dict[str, set] = {}
    for model in seen:
        if model.__module__.split(".")[0] not in ("ninja", "pydantic", "abc"):
            by_name.setdefault(model.__name__, set()).add(model)
    return by_name


def test_no_two_schema_classes_share_a_name():
    collisions = {name: sorted(f"{m.__module__}.{m.__qualname__}" for m in models)
                  for name, models in _reachable_models().items() if len(models) > 1}
    assert not collisions, f"schema names used by more than one class: {collisions}"


@pytest.mark.django_db
def test_each_operations_documented_body_is_the_body_it_reads(client):
    document = client.get("/api/openapi.json").json()
    components = document["components"]["schemas"]
    wrong = []
    for path, operation in _operations():
        for params in operation.models:
            if getattr(params, "__ninja_param_source__", None) != "body":
                continue
            for field in params.model_fields.values():
                for model in _models_in(field.annotation):
                    read = set(model.model_json_schema(by_alias=True).get("properties", {}))
                    documented = set(components.get(model.__name__, {}).get("properties", {}))
                    if read != documented:
                        wrong.append((path, model.__name__, sorted(read ^ documented)))
    assert not wrong, wrong
