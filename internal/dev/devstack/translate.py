"""Translates a SAM template to plain CloudFormation JSON, offline.

Usage: .venv-sam/bin/python translate.py REGION < template.yaml > template.json
(devstack embeds it and runs it with python -c).

devstack creates the local stack from the output with moto's CloudFormation,
so the emulator gets what AWS's own SAM transform would give it. Run with the
SAM venv (.venv-sam): aws-sam-translator pins boto3 and pydantic differently
from moto.
"""

import json
import sys

import boto3
from samtranslator.parser.parser import Parser
from samtranslator.translator.translator import Translator
from samtranslator.yaml_helper import yaml_parse


class NoManagedPolicies:
    """Stands in for samtranslator's ManagedPolicyLoader, which lists IAM's
    managed policies through the AWS API: the local stack has no account to
    ask. The transform calls it only for a policy name that is neither an
    ARN nor in the map bundled with the translator."""

    def load(self):
        raise SystemExit(
            "translate: the template names a managed policy the translator "
            "does not know offline; give its ARN"
        )


def local_code_uri(template):
    """Points every function's local CodeUri (sam build's input) at a
    placeholder S3 object, as `sam validate` does: the transform accepts
    only S3 locations, and no local function runs the code it names."""
    for resource in template.get("Resources", {}).values():
        props = resource.get("Properties") or {}
        uri = props.get("CodeUri")
        if resource.get("Type") == "AWS::Serverless::Function" and isinstance(uri, str) and not uri.startswith("s3://"):
            props["CodeUri"] = "s3://devstack-placeholder/code.zip"


def main():
    (region,) = sys.argv[1:]
    template = yaml_parse(sys.stdin.read())
    local_code_uri(template)
    # The region is given, not looked up: a session without one would read
    # the developer's AWS configuration to find it.
    translator = Translator(None, Parser(), boto_session=boto3.session.Session(region_name=region))
    policies = NoManagedPolicies()
    out = translator.translate(template, parameter_values={}, get_managed_policy_map=policies.load)
    json.dump(out, sys.stdout, indent=1, sort_keys=True)


if __name__ == "__main__":
    main()
