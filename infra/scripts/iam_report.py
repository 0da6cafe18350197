"""The IAM check of a test run: what each function was refused, and what its role grants unused.

Reads the decisions the emulator logged (REELCART_IAM_LOG, see moto_server.py) and the roles the
local stacks created in it (their inline policies, as resolved from the transformed template),
then prints:
- every refused call — function, role, action, resource — and exits 1 if there is any: the same
  call would fail in AWS;
- the least-privilege report: per role, each granted action × resource that no call of the run
  used (over every stack the run started; the stack's name prefix shown as <stack>).

Usage: python iam_report.py --log FILE [--out FILE]   (the emulator: AWS_ENDPOINT_URL)
"""

import argparse
import json
import re
import sys
from collections import defaultdict

import boto3

import iam_eval


def _roles(iam):
    """(role name, logical id, stack, [(policy name, document)]) of every stack's role."""
    for page in iam.get_paginator("list_roles").paginate():
        for role in page["Roles"]:
            tags = {t["Key"]: t["Value"] for t in iam.list_role_tags(RoleName=role["RoleName"])["Tags"]}
            if "reelcart:logical-id" not in tags:
                continue
            policies = []
            for name in iam.list_role_policies(RoleName=role["RoleName"])["PolicyNames"]:
                doc = iam.get_role_policy(RoleName=role["RoleName"], PolicyName=name)["PolicyDocument"]
                policies.append((name, json.loads(doc) if isinstance(doc, str) else doc))
            yield role["RoleName"], tags["reelcart:logical-id"], tags.get("reelcart:stack", ""), policies


def _as_list(v):
    return v if isinstance(v, list) else [v]


def _decisions(log_path):
    """Calls per role, and the refused ones."""
    calls = defaultdict(list)
    denied = []
    with open(log_path, encoding="utf-8") as f:
        for line in f:
            rec = json.loads(line)
            calls[rec["role"]].append(rec)
            if rec["decision"] != iam_eval.ALLOW:
                denied.append(rec)
    return calls, denied


def _unused(calls):
    """Per logical role: the functions that ran as it, and its grants no call used."""
    iam = boto3.client("iam", region_name="us-east-1")
    grants = {}  # (logical role, policy, statement, action, resource pattern) -> used
    functions = defaultdict(set)
    for name, logical, stack, policies in _roles(iam):
        for rec in calls.get(name, []):
            functions[logical].add(rec["function"])
        for policy_name, doc in policies:
            for i, st in enumerate(_as_list(doc.get("Statement", []))):
                if st.get("Effect") != "Allow":
                    continue
                for action in _as_list(st.get("Action", [])):
                    for resource in _as_list(st.get("Resource", [])):
                        shown = resource.replace(f"{stack}-", "<stack>-").replace(f"{stack}/", "<stack>/")
                        # Secrets Manager appends six random characters to a secret's ARN.
                        shown = re.sub(r"(:secret:[^:]+)-[A-Za-z0-9]{6}$", r"\1-??????", shown)
                        key = (logical, policy_name, i, action, shown)
                        used = any(
                            rec["decision"] == iam_eval.ALLOW
                            and iam_eval.glob_match(action, rec["action"], case=False)
                            and iam_eval.glob_match(resource, rec["resource"], case=True)
                            for rec in calls.get(name, [])
                        )
                        grants[key] = grants.get(key, False) or used
    lines = ["Least privilege — granted, never used by the run:"]
    by_role = defaultdict(list)
    for (logical, policy, i, action, resource), used in sorted(grants.items()):
        if not used:
            by_role[logical].append(f"{action} on {resource}  ({policy}, statement {i})")
    for logical in sorted({k[0] for k in grants}):
        fns = ", ".join(sorted(functions[logical])) or "no calls"
        unused = by_role.get(logical, [])
        lines.append(f"  {logical} [{fns}]: {'all used' if not unused else ''}")
        lines.extend(f"    - {u}" for u in unused)
    return lines


def report(log_path, out, quiet=False):
    calls, denied = _decisions(log_path)
    lines = [f"IAM: {sum(len(c) for c in calls.values())} calls checked, {len(denied)} refused."]
    if denied:
        lines.append("Refused (the same call fails in AWS; grant it in template.yaml or stop making it):")
        seen = set()
        for rec in denied:
            key = (rec["function"], rec["action"], rec["resource"])
            if key not in seen:
                seen.add(key)
                lines.append(f"  {rec['function']} (role {rec['role']}): {rec['action']} on {rec['resource']}")
    if not quiet:
        lines.extend(_unused(calls))
    text = "\n".join(lines) + "\n"
    sys.stdout.write(text)
    if out:
        with open(out, "w", encoding="utf-8") as f:
            f.write(text)
    return 1 if denied else 0


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--log", required=True)
    p.add_argument("--out")
    p.add_argument("--quiet", action="store_true", help="refusals only, no least-privilege report")
    args = p.parse_args()
    sys.exit(report(args.log, args.out, args.quiet))
