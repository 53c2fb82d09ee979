"""What the operator scripts working on the table share: its --table option and its client."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any


def add_table_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--table", default=os.environ.get("TABLE_NAME"), help="table name (default: $TABLE_NAME)"
    )


def table_client(table: str | None, dynamodb: Any = None) -> Any | None:
    """The DynamoDB client for `table` (the one given, for tests), or None once the operator was told
    that no table was named. boto3 is imported here, not at the script's import, so --help stays quick."""
    if not table:
        print("error: give --table or set TABLE_NAME", file=sys.stderr)
        return None
    if dynamodb is None:
        import boto3

        dynamodb = boto3.client("dynamodb")
    return dynamodb
