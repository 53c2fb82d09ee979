"""The process-wide AWS clients: one botocore session, and from it the clients of the services
beyond DynamoDB (`klantreis.dynamo.client`): S3 and SNS, which the report jobs write to. Each is
created on first use (never at import time) and kept for the Lambda instance; functions ask here
instead of building their own.

The clients come from botocore directly, not from boto3: `import boto3` also imports s3transfer
(multiprocessing, concurrent.futures) and boto3's resource layer, which no function uses, and
boto3.client is botocore's `create_client` on a session like this one. See docs/decisions.md,
"Cold start: the AWS SDK part".
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from botocore.session import Session

Service = Literal["s3", "sns"]

SERVICES: tuple[str, ...] = ("dynamodb", "s3", "sns")
"""Every service a client is created for (`dynamo.client` and `client` below); the data loader
knows only these."""


def _known_services_loader(search_path: str | None) -> Any:
    """botocore's data loader, except that it lists only `SERVICES` as available.

    Why: before loading a service's model, botocore checks that the service exists by listing
    every service folder under botocore/data (~420 folders, ~2,700 stat calls, ~25 ms of each cold
    start). Listing only ours answers that check with a few stat calls; a service not listed fails
    as botocore fails for one that does not exist (UnknownServiceError)."""
    from botocore.exceptions import DataNotFoundError
    from botocore.loaders import Loader, create_loader

    class KnownServicesLoader(Loader):  # type: ignore[misc]
        def list_available_services(self, type_name: str) -> list[str]:
            available = []
            for service in SERVICES:
                try:
                    self.list_api_versions(service, type_name)
                except DataNotFoundError:
                    continue
                available.append(service)
            return available

    # botocore's own loader reads AWS_DATA_PATH into its search paths (the default ones included).
    return KnownServicesLoader(
        extra_search_paths=create_loader(search_path).search_paths, include_default_search_paths=False
    )


@cache
def session() -> Session:
    """The process-wide botocore session (region, credentials and endpoint URLs from the
    environment, as boto3's default session reads them)."""
    from botocore.session import Session

    created = Session()
    created.register_component(
        "data_loader", _known_services_loader(created.get_config_variable("data_path"))
    )
    return created


@cache
def client(service: Service) -> Any:
    """The client of `service` (honours AWS_ENDPOINT_URL_S3 / _SNS, as botocore does)."""
    from botocore.config import Config

    config = Config(retries={"max_attempts": 4, "mode": "standard"}, connect_timeout=2, read_timeout=10)
    return session().create_client(service, config=config)
