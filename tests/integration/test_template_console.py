"""template.yaml's deployed console sign-in: the console's app client is a public OAuth client of
Cognito's hosted UI (authorization code only, no secret, back to the console on CloudFront), the
pool has a hosted-UI domain, the distribution serves /console/ as a page of its own (a CSP that
lets it reach only the API and the sign-in), and the outputs hold what config.json needs."""

from __future__ import annotations

from typing import Any

from klantreis_local import template

RESOURCES = template.load()["Resources"]
OUTPUTS = template.load()["Outputs"]
CONSOLE_URL = {"Fn::Sub": "https://${WidgetDistribution.DomainName}/console/"}


def test_the_console_client_signs_in_with_the_code_flow_and_no_secret() -> None:
    client = RESOURCES["UserPoolClient"]["Properties"]
    assert client["GenerateSecret"] is False
    assert client["AllowedOAuthFlowsUserPoolClient"] is True
    # the implicit flow would hand tokens over in the URL: only the code flow (PKCE from the console)
    assert client["AllowedOAuthFlows"] == ["code"]
    assert "openid" in client["AllowedOAuthScopes"]
    assert client["SupportedIdentityProviders"] == ["COGNITO"]
    assert client["CallbackURLs"] == [CONSOLE_URL]
    assert client["LogoutURLs"] == [CONSOLE_URL]
    assert client["EnableTokenRevocation"] is True
    # users still never write their own site or role
    assert client["WriteAttributes"] == ["email"]


def test_the_pool_has_a_hosted_ui_domain_of_its_stage_and_account() -> None:
    domain = RESOURCES["UserPoolDomain"]["Properties"]
    assert domain["UserPoolId"] == {"Ref": "UserPool"}
    assert domain["Domain"] == {"Fn::Sub": "klantreis-${Stage}-${AWS::AccountId}"}


def console_behaviour() -> dict[str, Any]:
    config = RESOURCES["WidgetDistribution"]["Properties"]["DistributionConfig"]
    [behaviour] = [b for b in config["CacheBehaviors"] if b["PathPattern"] == "console/*"]
    return dict(behaviour)


def test_the_distribution_serves_the_console_with_its_own_headers_and_index() -> None:
    behaviour = console_behaviour()
    assert behaviour["ViewerProtocolPolicy"] == "redirect-to-https"
    assert behaviour["ResponseHeadersPolicyId"] == {"Ref": "ConsoleResponseHeadersPolicy"}
    [association] = behaviour["FunctionAssociations"]
    assert association["FunctionARN"] == {
        "Fn::GetAtt": ["ConsoleIndexFunction", "FunctionMetadata.FunctionARN"]
    }
    # the bucket lets the distribution read the console's folder too
    [read] = [
        s
        for s in RESOURCES["WidgetBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
        if s["Sid"] == "CloudFrontReadsTheWidget"
    ]
    assert {"Fn::Sub": "${WidgetBucket.Arn}/console/*"} in read["Resource"]


def test_the_console_page_reaches_only_itself_the_api_and_the_sign_in() -> None:
    headers = RESOURCES["ConsoleResponseHeadersPolicy"]["Properties"]["ResponseHeadersPolicyConfig"]
    security = headers["SecurityHeadersConfig"]
    csp = security["ContentSecurityPolicy"]["ContentSecurityPolicy"]["Fn::Sub"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["connect-src"].split() == [
        "'self'",
        "https://*.execute-api.${AWS::Region}.amazonaws.com",
        "https://${UserPoolDomain}.auth.${AWS::Region}.amazoncognito.com",
    ]
    # the authorization code in the callback URL never leaves in a Referer; no CORS for the console
    assert security["ReferrerPolicy"]["ReferrerPolicy"] == "no-referrer"
    assert "CorsConfig" not in headers


def test_the_outputs_hold_what_the_consoles_config_needs() -> None:
    assert OUTPUTS["ConsoleUrl"]["Value"] == CONSOLE_URL
    assert OUTPUTS["CognitoDomain"]["Value"] == {
        "Fn::Sub": "${UserPoolDomain}.auth.${AWS::Region}.amazoncognito.com"
    }
    for name in ("ApiUrl", "UserPoolClientId", "WidgetBucketName", "WidgetDistributionId"):
        assert name in OUTPUTS
