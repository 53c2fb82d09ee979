"""Ports apart from adapters: in layers/core/klantreis only a module whose name ends in `dynamo_store.py`
talks to DynamoDB (docs/architecture.md), so a file's name tells whether it touches the database; the
Protocols and value types live elsewhere (`ports.py`, `models.py`, ...). Read from the source with
`ast`: a module talks to DynamoDB when it calls a DynamoDB operation on a client or one of
klantreis.dynamo's request helpers. `python -m tests.unit.test_ports_apart` prints every such
module and whether it also holds a Protocol, a value type or other logic."""

from __future__ import annotations

import ast
from pathlib import Path

CORE = Path(__file__).resolve().parents[2] / "layers" / "core" / "klantreis"

OPERATIONS = frozenset(
    {
        "get_item", "put_item", "update_item", "delete_item", "query", "scan", "batch_get_item",
        "batch_write_item", "transact_get_items", "transact_write_items",
    }
)  # fmt: skip
HELPERS = frozenset({"client", "query_all", "query_prefix", "delete_keys", "conditional"})
"""klantreis.dynamo's functions that send requests (its item conversions send none)."""

NOT_YET_APART = {
    "engagement/documents.py": "the gzipped site documents the uplift model store (engagement/uplift.py, "
    "edited on another branch) shares; moves into engagement/dynamo_store.py with that store",
}
"""Modules that still talk to DynamoDB outside a dynamo_store.py, and why."""


def talks_to_dynamodb(tree: ast.AST) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            name, owner = node.func.attr, node.func.value
            if name in OPERATIONS and not (isinstance(owner, ast.Name) and owner.id == "dynamo"):
                return True
            if name in HELPERS and isinstance(owner, ast.Name) and owner.id == "dynamo":
                return True
    return False


def also_holds(tree: ast.Module) -> list[str]:
    """What a DynamoDB-talking module holds besides its adapters: Protocols, value types (pydantic
    models, dataclasses), other classes and public functions."""
    held = []
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            bases = {ast.unparse(base) for base in node.bases}
            decorators = {ast.unparse(d).split("(")[0] for d in node.decorator_list}
            if "Protocol" in bases:
                held.append(f"Protocol {node.name}")
            elif bases & {"BaseModel", "StrEnum"} or "dataclass" in decorators:
                held.append(f"value {node.name}")
            elif not node.name.startswith("Dynamo"):
                held.append(f"class {node.name}")
        elif isinstance(node, ast.FunctionDef) and not node.name.startswith("_"):
            held.append(f"def {node.name}")
    return held


def dynamodb_modules(root: Path = CORE) -> dict[str, list[str]]:
    """Each module that talks to DynamoDB (path below klantreis/) → what else it holds."""
    found = {}
    for path in sorted(root.rglob("*.py")):
        relative = path.relative_to(root).as_posix()
        if relative in ("dynamo.py", "services.py"):  # the shared helpers; the wiring makes the client
            continue
        tree = ast.parse(path.read_text(), filename=str(path))
        if talks_to_dynamodb(tree):
            found[relative] = also_holds(tree)
    return found


def test_only_dynamo_store_modules_talk_to_dynamodb() -> None:
    # given the core's modules as they are
    found = dynamodb_modules()

    # when those that talk to DynamoDB are sorted by name
    elsewhere = {module for module in found if not module.endswith("dynamo_store.py")}

    # then each is a dynamo_store.py, or one of the few named (with why) that are not apart yet
    assert elsewhere == set(NOT_YET_APART)


def test_an_adapter_is_recognised_by_its_calls() -> None:
    adapter = ast.parse("class DynamoX:\n    def get(self):\n        return self._db.get_item(Key={})\n")
    helper = ast.parse("def read(db):\n    return list(dynamo.query_prefix(db, 't', 'pk', 'sk'))\n")
    pure = ast.parse("def item(x):\n    return dynamo.to_item({'PK': x})\n")
    assert talks_to_dynamodb(adapter)
    assert talks_to_dynamodb(helper)
    assert not talks_to_dynamodb(pure)


if __name__ == "__main__":
    import sys

    # Another tree's core (`python -m tests.unit.test_ports_apart ../main/layers/core/klantreis`)
    # gives the figures before a change.
    modules = dynamodb_modules(Path(sys.argv[1]) if len(sys.argv) > 1 else CORE)
    kinds = {m: {h.split()[0] for h in held} for m, held in modules.items()}
    print(f"modules of klantreis that talk to DynamoDB: {len(modules)}")
    with_ports = sum(bool(k & {"Protocol", "value"}) for k in kinds.values())
    print(f"  also holding Protocols or value types: {with_ports}")
    elsewhere = sum(not m.endswith("dynamo_store.py") for m in modules)
    print(f"  not named ...dynamo_store.py: {elsewhere}")
    for module, held in modules.items():
        print(f"  {module}: {', '.join(held) or 'adapters only'}")
