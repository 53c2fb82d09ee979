"""Each function imports what its routes and first request use (docs/decisions.md, "Cold start:
each function imports what it uses"). A fresh interpreter starts the function as bench (a) does —
the handler the template names, settings and client, the services of its first request
(`coldstart.FIRST_USE`) and, for an API function, one request refused before any I/O — and the
modules it then holds must include none of the function's "must not import" list: modules that
none of its routes needs, cut from its imports once and kept out by this test — and, for every
function, neither boto3 nor s3transfer."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from bench import coldstart
from klantreis_local import template

REPORT_JOBS_NEVER_NEED = (
    "klantreis.agents",
    "klantreis.engagement.dynamo_store",
    "klantreis.engagement.model",
    "klantreis.journey",
    "klantreis.projections.dynamo_store",
    "klantreis.projections.report_counters",
    "report.dependencies",
)
"""The nightly and alert jobs read the counters and the settings: neither the decisions' adapters
nor the journey, nor the report API's providers."""

EVERY_FUNCTION_NEVER_NEEDS = ("boto3", "s3transfer")
"""The clients come from botocore directly (`klantreis.aws`) and the item codec is our own
(`klantreis.dynamo_types`): `import boto3` would bring s3transfer and boto3's resources back
(docs/decisions.md, "Cold start: the AWS SDK part")."""

NEVER_NEEDED: dict[str, tuple[str, ...]] = {
    "TrackFunction": (
        "klantreis.engagement",
        "klantreis.conversations",
        "klantreis.agents",
        "klantreis.dispatch",
        "klantreis.knowledge",
        "klantreis.projections",
        "klantreis.reports",
        "klantreis.tokens",
    ),
    "AggregateFunction": (
        "klantreis.engagement",
        "klantreis.conversations.context",
        "klantreis.dispatch",
        "klantreis.reports.service",
        # Powertools' batch utility imports its parser's pydantic models only when pydantic is
        # loaded before it: the handler imports the batch utility before anything of ours.
        "aws_lambda_powertools.utilities.parser",
    ),
    "LiveFunction": (
        "klantreis.engagement",
        "klantreis.conversations",
        "klantreis.agents",
        "klantreis.projections.counters_dynamo_store",
        "klantreis.projections.dynamo_store",
        "klantreis.reports",
    ),
    "EngageFunction": (
        "klantreis.conversations",
        "klantreis.dispatch",
        "klantreis.knowledge",
        "klantreis.projections",
        "klantreis.reports",
        "klantreis.tokens",
    ),
    "ChatFunction": (
        "klantreis.projections",
        "klantreis.reports",
        # The chat starter reads offers (engagement.records_dynamo_store), not the models.
        "klantreis.engagement.dynamo_store",
        "klantreis.engagement.features",
        "klantreis.engagement.model",
        "klantreis.engagement.uplift",
        # The console's side of chats and the knowledge base are the route function's.
        "klantreis.conversations.context",
        "klantreis.conversations.discounts",
        "klantreis.knowledge",
        "route",
    ),
    "RouteFunction": (
        "klantreis.projections",
        "klantreis.reports",
        "klantreis.engagement.dynamo_store",
        "klantreis.engagement.model",
        "klantreis.engagement.uplift",
        # Starting chats and the widget's tokens are the chat function's.
        "klantreis.dispatch.placement",
        "klantreis.tokens",
        "klantreis.secrets",
        "chat",
    ),
    "RouteSweepFunction": (
        "route.dependencies",
        "klantreis.conversations.context",
        "klantreis.conversations.inbox",
        "klantreis.conversations.messages",
        "klantreis.dispatch.placement",
        "klantreis.engagement",
        "klantreis.journey",
        "klantreis.knowledge",
        "klantreis.tokens",
    ),
    "SurveyFunction": (
        "klantreis.conversations.context",
        "klantreis.engagement",
        "klantreis.journey",
        "klantreis.dispatch",
        "klantreis.knowledge",
    ),
    "ReportFunction": (
        "klantreis.agents",
        "klantreis.engagement.dynamo_store",
        "klantreis.engagement.model",
        "klantreis.engagement.records",
        "klantreis.engagement.uplift",
        "klantreis.projections.dynamo_store",
        "klantreis.projections.pages",
        "klantreis.projections.report_counters",
        "klantreis.reports.alerts",
    ),
    "ReportNightlyFunction": REPORT_JOBS_NEVER_NEED,
    "ReportAlertsFunction": REPORT_JOBS_NEVER_NEED,
    "TokenClaimsFunction": ("klantreis",),
}
"""Per function: modules (and packages, with all below them) it must not import at a cold start."""

_LOADED = (
    "\nimport json as _json, sys as _sys\n"
    "_sys.stdout.write('\\n__loaded__ ' + _json.dumps(sorted(_sys.modules)) + '\\n')\n"
)
_NO_NETWORK = (
    "import socket\n"
    "def _no_network(*args, **kwargs):\n"
    "    raise RuntimeError('a cold start must not touch the network')\n"
    "socket.socket.connect = _no_network\n"
)


def loaded_at_cold_start(target: coldstart.Target) -> set[str]:
    """The modules a fresh interpreter holds after the function's cold start, from this tree."""
    done = subprocess.run(
        [sys.executable, "-c", _NO_NETWORK + target.body + _LOADED],
        env=target.environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    line = next(line for line in done.stdout.splitlines() if line.startswith("__loaded__ "))
    return set(json.loads(line.removeprefix("__loaded__ ")))


def unwanted(loaded: set[str], never: tuple[str, ...]) -> list[str]:
    return sorted(m for m in loaded if any(m == n or m.startswith(f"{n}.") for n in never))


FUNCTIONS = {t.name: t for t in coldstart.targets() if t.name != coldstart.BASELINE}


def test_every_function_of_the_template_has_a_list() -> None:
    assert set(NEVER_NEEDED) == set(FUNCTIONS)


@pytest.mark.parametrize("name", sorted(NEVER_NEEDED))
def test_a_cold_start_imports_none_of_what_the_function_never_needs(name: str) -> None:
    # given the function's cold start as bench (a) times it: handler, first use, first request
    loaded = loaded_at_cold_start(FUNCTIONS[name])

    # then it loaded its own handler and none of the modules on its list
    handler = template.load()["Resources"][name]["Properties"]["Handler"].rsplit(".", 1)[0]
    assert handler in loaded
    assert unwanted(loaded, NEVER_NEEDED[name] + EVERY_FUNCTION_NEVER_NEEDS) == []


def test_an_unwanted_module_is_found_below_a_listed_package() -> None:
    loaded = {
        "klantreis.engagement",
        "klantreis.engagement.model",
        "klantreis.engagements",
        "klantreis.journey",
    }
    assert unwanted(loaded, ("klantreis.engagement",)) == [
        "klantreis.engagement",
        "klantreis.engagement.model",
    ]


@pytest.mark.parametrize("name", sorted(coldstart.FLOORS))
def test_each_floor_of_the_bench_starts_and_loads_none_of_our_functions(name: str) -> None:
    # given a floor as bench (a) times it: the fixed stack, built as our functions build it
    floor = next(t for t in coldstart.component_targets() if t.name == name)

    # when it starts in a fresh interpreter (its API request is refused, as its body asserts)
    loaded = loaded_at_cold_start(floor)

    # then it holds the stack and none of our domain: nothing a function could drop
    assert {"botocore.client", "klantreis.settings"} <= loaded
    assert [m for m in loaded if m.startswith("klantreis.") and m.count(".") > 1] == []
    assert unwanted(loaded, EVERY_FUNCTION_NEVER_NEEDS) == []
