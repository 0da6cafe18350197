"""Print template.yaml after the SAM transform, as CloudFormation would receive it (JSON).

Offline: samtranslator (from aws-sam-cli, pinned in infra/requirements.txt) with its bundled list
of AWS managed policies, so no AWS account is asked anything. The local stack reads this to give
every function exactly the role CloudFormation would create; the template checks read it too.

Usage: python sam_transform.py TEMPLATE [OUT]   (region: AWS_REGION, default us-east-1)
"""

import json
import os
import sys

from samtranslator.internal.managed_policies import get_bundled_managed_policy_map
from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse


class BundledPolicies:
    """Managed policy names → ARNs from samtranslator's bundled list (no IAM call)."""

    def load(self):
        return get_bundled_managed_policy_map("aws") or {}


def package(template):
    """What `sam package` does to local code before the transform: artifacts become S3 objects
    and images ECR URIs (placeholders: what matters here is what the transform makes of the rest)."""
    for rid, res in template.get("Resources", {}).items():
        if res.get("Type") != "AWS::Serverless::Function":
            continue
        props = res.setdefault("Properties", {})
        if props.get("PackageType") == "Image":
            props.setdefault("ImageUri", f"123456789012.dkr.ecr.us-east-1.amazonaws.com/reelcart:{rid}")
        elif not str(props.get("CodeUri", "")).startswith("s3://"):
            props["CodeUri"] = f"s3://reelcart-artifacts/{rid}.zip"


def main(argv):
    if len(argv) not in (2, 3):
        sys.exit(__doc__)
    os.environ.setdefault("AWS_DEFAULT_REGION", os.environ.get("AWS_REGION", "us-east-1"))
    with open(argv[1], encoding="utf-8") as f:
        template = yaml_parse(f.read())
    package(template)
    out = json.dumps(transform(template, {}, BundledPolicies()), indent=1, sort_keys=True)
    if len(argv) == 3:
        tmp = f"{argv[2]}.{os.getpid()}.tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(out)
        os.replace(tmp, argv[2])
    else:
        print(out)


if __name__ == "__main__":
    main(sys.argv)
