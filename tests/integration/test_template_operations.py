"""template.yaml's operations settings: API Gateway's own answers carry the functions' security
headers, the WAF is optional and guards the API stage, access logs are JSON without ids, reserved
concurrency is a parameter per API function, secrets reach functions only as ARNs read with least
privilege, and every check checkov skips says why (checkov itself runs in `make template-check`)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from klantreis.api import SECURITY_HEADERS
from klantreis_local import template
from tests.integration.test_template import translate

RESOURCES = template.load()["Resources"]
PARAMETERS = template.load()["Parameters"]
CONDITIONS = template.load()["Conditions"]
API_FUNCTIONS = {
    "TrackFunction": "TrackReservedConcurrency",
    "EngageFunction": "EngageReservedConcurrency",
    "ChatFunction": "ChatReservedConcurrency",
    "RouteFunction": "RouteReservedConcurrency",
    "SurveyFunction": "SurveyReservedConcurrency",
    "ReportFunction": "ReportReservedConcurrency",
}


def holds(condition: Any, parameters: dict[str, str]) -> bool:
    """Evaluates a template condition for parameter values (defaults for the rest)."""
    if isinstance(condition, dict) and "Condition" in condition:
        return holds(CONDITIONS[condition["Condition"]], parameters)
    [(function, args)] = condition.items()
    if function == "Fn::Equals":
        left, right = (value_of(arg, parameters) for arg in args)
        return left == right
    if function == "Fn::Not":
        return not holds(args[0], parameters)
    if function == "Fn::Or":
        return any(holds(arg, parameters) for arg in args)
    if function == "Fn::And":
        return all(holds(arg, parameters) for arg in args)
    raise AssertionError(f"unexpected condition function {function}")


def value_of(argument: Any, parameters: dict[str, str]) -> str:
    if isinstance(argument, dict):
        name = argument["Ref"]
        return str(parameters.get(name, PARAMETERS[name].get("Default", "")))
    return str(argument)


def created(resource: str, parameters: dict[str, str]) -> bool:
    condition = RESOURCES[resource].get("Condition")
    return condition is None or holds(CONDITIONS[condition], parameters)


# ---------------------------------------------------------------- security headers
def gateway_responses() -> dict[str, Any]:
    responses: dict[str, Any] = RESOURCES["Api"]["Properties"]["GatewayResponses"]
    return responses


def test_api_gateways_own_answers_carry_the_functions_security_headers() -> None:
    expected = {name: f"'{value}'" for name, value in SECURITY_HEADERS.items()}
    for kind, response in gateway_responses().items():
        headers = response["ResponseParameters"]["Headers"]
        assert {name: headers.get(name) for name in SECURITY_HEADERS} == expected, kind
        assert headers["Access-Control-Allow-Origin"] == "'*'", kind


def test_api_gateways_own_answers_are_the_contracts_error_shape() -> None:
    # every refusal API Gateway (or WAF through it) makes, and the defaults behind the rest
    assert set(gateway_responses()) >= {
        "UNAUTHORIZED", "ACCESS_DENIED", "WAF_FILTERED", "THROTTLED", "REQUEST_TOO_LARGE",
        "MISSING_AUTHENTICATION_TOKEN", "DEFAULT_4XX", "DEFAULT_5XX",
    }  # fmt: skip
    for kind, response in gateway_responses().items():
        raw = response["ResponseTemplates"]["application/json"]
        # $context.error.messageString is already a quoted JSON string
        body = json.loads(raw.replace("$context.error.messageString", '"Missing Authentication Token"'))
        assert set(body) == {"error"}, kind
        assert isinstance(body["error"]["code"], str), kind
        assert isinstance(body["error"]["message"], str), kind
        status = response.get("StatusCode")
        assert status is None or 400 <= int(status) < 500 or kind == "DEFAULT_5XX", kind


def test_no_function_is_told_a_cors_origin_it_would_not_use() -> None:
    environment = template.load()["Globals"]["Function"]["Environment"]["Variables"]
    assert "CORS_ALLOW_ORIGIN" not in environment
    assert "AllowedOrigins" not in PARAMETERS
    assert RESOURCES["Api"]["Properties"]["Cors"]["AllowOrigin"] == "'*'"


# ---------------------------------------------------------------- WAF
WAF_RESOURCES = ["WebAcl", "WebAclAssociation", "WafLogGroup", "WafLogging"]


@pytest.mark.parametrize(("enable", "expected"), [("false", False), ("true", True)])
def test_the_waf_exists_only_when_enabled(enable: str, expected: bool) -> None:
    assert PARAMETERS["EnableWaf"]["Default"] == "false"
    assert {name: created(name, {"EnableWaf": enable}) for name in WAF_RESOURCES} == dict.fromkeys(
        WAF_RESOURCES, expected
    )


def test_the_waf_guards_the_api_stage_with_managed_rules_and_a_rate_limit_per_ip() -> None:
    # given the translated template with the WAF on
    resources = translate({"Architecture": "arm64", "EnableWaf": "true"})["Resources"]
    # then the web ACL is associated with the API's stage
    association = resources["WebAclAssociation"]["Properties"]
    stage = next(name for name, r in resources.items() if r["Type"] == "AWS::ApiGateway::Stage")
    stage_arn = "arn:${AWS::Partition}:apigateway:${AWS::Region}::/restapis/${Api}/stages/${" + stage + "}"
    assert association["ResourceArn"] == {"Fn::Sub": stage_arn}
    assert association["WebACLArn"] == {"Fn::GetAtt": ["WebAcl", "Arn"]}
    acl = resources["WebAcl"]["Properties"]
    assert (acl["Scope"], acl["DefaultAction"]) == ("REGIONAL", {"Allow": {}})
    rules = {rule["Name"]: rule for rule in acl["Rules"]}
    managed = {
        rule["Statement"]["ManagedRuleGroupStatement"]["Name"]
        for rule in rules.values()
        if "ManagedRuleGroupStatement" in rule["Statement"]
    }
    assert managed == {"AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet"}
    # and the rate rule comes first, per IP, from the parameter, answering the contract's 429
    rate = rules["rate-per-ip"]
    assert rate["Priority"] == min(rule["Priority"] for rule in rules.values())
    assert rate["Statement"]["RateBasedStatement"] == {
        "Limit": {"Ref": "WafRateLimitPerIp"},
        "AggregateKeyType": "IP",
    }
    custom = rate["Action"]["Block"]["CustomResponse"]
    assert custom["ResponseCode"] == 429
    body = json.loads(acl["CustomResponseBodies"][custom["CustomResponseBodyKey"]]["Content"])
    assert body["error"]["code"] == "throttled"
    headers = {header["Name"]: header["Value"] for header in custom["ResponseHeaders"]}
    assert {name: headers.get(name) for name in SECURITY_HEADERS} == SECURITY_HEADERS
    # and tracked batches above the common rules' 8 KB body limit still reach the function
    common = rules["aws-common"]["Statement"]["ManagedRuleGroupStatement"]
    assert {"Name": "SizeRestrictions_BODY", "ActionToUse": {"Count": {}}} in common["RuleActionOverrides"]


def test_the_waf_logs_refusals_without_credentials() -> None:
    logging = RESOURCES["WafLogging"]["Properties"]
    redacted = {field["SingleHeader"]["Name"] for field in logging["RedactedFields"]}
    assert redacted >= {"authorization", "x-chat-token"}
    assert logging["LoggingFilter"]["DefaultBehavior"] == "DROP"
    name = RESOURCES["WafLogGroup"]["Properties"]["LogGroupName"]["Fn::Sub"]
    assert name.startswith("aws-waf-logs-")  # WAF writes only to log groups named so


# ---------------------------------------------------------------- access logs
def test_the_api_stage_writes_json_access_logs_without_ids_to_a_retained_log_group() -> None:
    # given the translated template
    resources = translate({"Architecture": "arm64"})["Resources"]
    stage = next(r for r in resources.values() if r["Type"] == "AWS::ApiGateway::Stage")
    setting = stage["Properties"]["AccessLogSetting"]
    # then the stage logs to the access log group, which keeps them LogRetentionDays
    assert setting["DestinationArn"] == {"Fn::GetAtt": ["ApiAccessLogGroup", "Arn"]}
    group = resources["ApiAccessLogGroup"]["Properties"]
    assert group["RetentionInDays"] == {"Ref": "LogRetentionDays"}
    # and each line is one JSON object with what an operator follows a request by
    line = json.loads(setting["Format"])
    assert {"requestId", "ip", "method", "resource", "status", "latencyMs", "errorType", "waf"} <= set(line)
    assert line["requestId"] == "$context.requestId"
    # and the path (visitor and chat ids) is not in it, only the route's template
    assert "$context.path" not in setting["Format"]
    assert line["resource"] == "$context.resourcePath"


@pytest.mark.parametrize(
    ("role", "creates"), [("", True), ("arn:aws:iam::123456789012:role/apigw-logs", False)]
)
def test_the_accounts_logs_role_is_created_or_taken(role: str, creates: bool) -> None:
    assert created("ApiGatewayLogsRole", {"ApiGatewayLogsRoleArn": role}) is creates
    assert RESOURCES["ApiGatewayLogsRole"]["DeletionPolicy"] == "Retain"
    # the API is created after the account knows its role (API Gateway refuses logging before)
    assert RESOURCES["Api"]["DependsOn"] == "ApiGatewayAccount"
    assert re.fullmatch(PARAMETERS["ApiGatewayLogsRoleArn"]["AllowedPattern"], role)


# ---------------------------------------------------------------- reserved concurrency
@pytest.mark.parametrize(("value", "reserved"), [("", False), ("0", False), ("25", True)])
@pytest.mark.parametrize("function", sorted(API_FUNCTIONS))
def test_reserved_concurrency_is_a_parameter_per_api_function(
    function: str, value: str, reserved: bool
) -> None:
    # given the function's parameter set to `value`
    parameter = API_FUNCTIONS[function]
    setting = RESOURCES[function]["Properties"]["ReservedConcurrentExecutions"]
    [condition, when_reserved, otherwise] = setting["Fn::If"]
    # then "" and 0 leave it unreserved, a number reserves that many
    assert holds(CONDITIONS[condition], {parameter: value}) is reserved
    assert (when_reserved, otherwise) == ({"Ref": parameter}, {"Ref": "AWS::NoValue"})
    assert PARAMETERS[parameter]["Default"] == ""
    assert re.fullmatch(PARAMETERS[parameter]["AllowedPattern"], value)


# ---------------------------------------------------------------- secrets
def functions() -> dict[str, dict[str, Any]]:
    return template.resources("AWS::Serverless::Function")


def test_secrets_reach_functions_only_as_the_arns_of_secrets() -> None:
    # no secret comes in as a (NoEcho) parameter, which would end in a plain variable
    assert [name for name, p in PARAMETERS.items() if p.get("NoEcho")] == []
    secrets = set(template.resources("AWS::SecretsManager::Secret"))
    for name, function in functions().items():
        variables = function["Properties"].get("Environment", {}).get("Variables", {})
        for variable, value in variables.items():
            if "SECRET" in variable:
                refs = re.findall(r'"Ref": "(\w+)"', json.dumps(value))
                assert refs, (name, variable)
                assert set(refs) <= secrets, (name, variable)
            assert not re.search(r"(URL|TOKEN|PASSWORD|KEY)$", variable), (name, variable)


def secret_readers() -> dict[str, set[str]]:
    """Secret -> the functions whose policies may read it."""
    readers: dict[str, set[str]] = {}
    for name, function in functions().items():
        for policy in function["Properties"].get("Policies", []):
            for statement in policy.get("Statement", []) if isinstance(policy, dict) else []:
                chosen = statement["Fn::If"][1] if "Fn::If" in statement else statement
                if "secretsmanager:GetSecretValue" in chosen["Action"]:
                    readers.setdefault(chosen["Resource"]["Ref"], set()).add(name)
    return readers


def test_each_secret_is_read_by_the_functions_that_need_it_and_no_other() -> None:
    assert secret_readers() == {
        "TokenSecret": {"ChatFunction", "SurveyFunction"},
        "AlertWebhookSecret": {"ReportAlertsFunction"},
    }


@pytest.mark.parametrize(("enable", "expected"), [("false", False), ("true", True)])
def test_the_alert_webhook_url_lives_in_its_secret(enable: str, expected: bool) -> None:
    # the secret exists only when enabled, and the function is handed its ARN, never a URL
    assert created("AlertWebhookSecret", {"EnableAlertWebhook": enable}) is expected
    variables = RESOURCES["ReportAlertsFunction"]["Properties"]["Environment"]["Variables"]
    assert "ALERT_WEBHOOK_URL" not in variables
    assert variables["ALERT_WEBHOOK_SECRET_ARN"] == {
        "Fn::If": ["HasAlertWebhook", {"Ref": "AlertWebhookSecret"}, ""]
    }
    assert json.loads(RESOURCES["AlertWebhookSecret"]["Properties"]["SecretString"]) == {"url": ""}


# ---------------------------------------------------------------- the sweep and checkov
def test_a_failed_sweep_is_left_to_the_next_minute_not_retried() -> None:
    sweep = RESOURCES["RouteSweepFunction"]["Properties"]
    assert sweep["Events"]["EveryMinute"]["Properties"]["Schedule"] == "rate(1 minute)"
    assert sweep["EventInvokeConfig"]["MaximumRetryAttempts"] == 0


def test_every_check_checkov_skips_is_justified() -> None:
    skipped = 0
    for name, resource in RESOURCES.items():
        for skip in ((resource.get("Metadata") or {}).get("checkov") or {}).get("skip", []):
            skipped += 1
            assert re.fullmatch(r"CKV2?_AWS_\d+", skip["id"]), name
            assert len(skip.get("comment", "").split()) >= 8, f"{name} skips {skip['id']} without a reason"
    assert skipped > 0
