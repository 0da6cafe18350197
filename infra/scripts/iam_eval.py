"""IAM policy evaluation for the local stack, as AWS documents it for a request within one account.

Why this is written here: moto's evaluator compares the Resource element against `*` for most
services and evaluates conditions only for trust policies, and no maintained Python package
evaluates a request against identity and resource policies. This covers what Reelcart's template
uses, with AWS's rules:

- an explicit Deny in any policy wins; otherwise an Allow is needed; otherwise denied (implicit);
- Action / NotAction match case-insensitively, Resource / NotResource case-sensitively, with the
  `*` and `?` wildcards;
- conditions: the String*, Arn*, Bool, Null and Numeric* operators, `...IfExists`, and the
  `ForAnyValue:` / `ForAllValues:` set qualifiers; several keys or operators in a block must all
  hold; several values for one key are ORed; a missing key fails a condition (negated operators
  and IfExists excepted);
- KMS keys: the key policy decides; a statement allowing the account (`:root`) delegates to the
  caller's identity policies.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass

ALLOW, EXPLICIT_DENY, IMPLICIT_DENY = "allow", "explicit_deny", "implicit_deny"


def _as_list(v):
    if v is None:
        return []
    return v if isinstance(v, list) else [v]


def glob_match(pattern: str, value: str, case: bool) -> bool:
    # IAM wildcards: `*` any run of characters, `?` one character; nothing else is special.
    rx = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(rx, value, 0 if case else re.IGNORECASE) is not None


@dataclass(frozen=True)
class Request:
    principal: str  # the caller's role ARN (an assumed-role session stands for its role)
    action: str  # service:Action
    resource: str  # ARN
    context: dict  # condition keys → str or list of str


def _matches_any(patterns, value, case):
    return any(glob_match(p, value, case) for p in _as_list(patterns))


def _principal_matches(principal_element, principal_arn: str) -> bool:
    if principal_element == "*":
        return True
    if not isinstance(principal_element, dict):
        return False
    aws = _as_list(principal_element.get("AWS"))
    return "*" in aws or principal_arn in aws


def _condition_holds(operator: str, key_values: dict, context: dict) -> bool:
    qualifier = None
    if ":" in operator:
        qualifier, operator = operator.split(":", 1)
    if_exists = operator.endswith("IfExists")
    if if_exists:
        operator = operator[: -len("IfExists")]
    for key, wanted in key_values.items():
        wanted = [str(w).lower() if isinstance(w, bool) else str(w) for w in _as_list(wanted)]
        present = key in context or key.lower() in {k.lower() for k in context}
        actual = next((v for k, v in context.items() if k.lower() == key.lower()), None)
        if operator == "Null":
            if not any((w == "true") == (not present) for w in wanted):
                return False
            continue
        if not present:
            negated = "Not" in operator
            if if_exists or negated:
                continue
            return False
        actuals = [str(a) for a in _as_list(actual)]
        test = _operator(operator)
        if qualifier == "ForAllValues":
            ok = all(any(test(a, w) for w in wanted) for a in actuals)
        elif "Not" in operator and qualifier is None:
            ok = all(test(a, w) for a in actuals for w in wanted)
        else:
            ok = any(test(a, w) for a in actuals for w in wanted)
        if not ok:
            return False
    return True


def _operator(name: str):
    numeric = {
        "NumericEquals": lambda a, b: a == b,
        "NumericNotEquals": lambda a, b: a != b,
        "NumericLessThan": lambda a, b: a < b,
        "NumericLessThanEquals": lambda a, b: a <= b,
        "NumericGreaterThan": lambda a, b: a > b,
        "NumericGreaterThanEquals": lambda a, b: a >= b,
    }
    if name in numeric:
        return lambda a, b: numeric[name](float(a), float(b))
    table = {
        "StringEquals": lambda a, b: a == b,
        "StringNotEquals": lambda a, b: a != b,
        "StringEqualsIgnoreCase": lambda a, b: a.lower() == b.lower(),
        "StringNotEqualsIgnoreCase": lambda a, b: a.lower() != b.lower(),
        "StringLike": lambda a, b: glob_match(b, a, True),
        "StringNotLike": lambda a, b: not glob_match(b, a, True),
        "ArnEquals": lambda a, b: glob_match(b, a, True),
        "ArnLike": lambda a, b: glob_match(b, a, True),
        "ArnNotEquals": lambda a, b: not glob_match(b, a, True),
        "ArnNotLike": lambda a, b: not glob_match(b, a, True),
        "Bool": lambda a, b: a.lower() == b.lower(),
    }
    if name not in table:
        raise ValueError(f"condition operator {name} is not supported by the local evaluator")
    return table[name]


def statement_applies(st: dict, req: Request, resource_policy: bool = False) -> bool:
    """Does this statement speak of the request (its Effect aside)?"""
    if "NotAction" in st:
        if _matches_any(st["NotAction"], req.action, case=False):
            return False
    elif not _matches_any(st.get("Action"), req.action, case=False):
        return False
    if "NotResource" in st:
        if _matches_any(st["NotResource"], req.resource, case=True):
            return False
    elif not _matches_any(st.get("Resource"), req.resource, case=True):
        return False
    if resource_policy and not _principal_matches(st.get("Principal"), req.principal):
        return False
    for operator, key_values in (st.get("Condition") or {}).items():
        if not _condition_holds(operator, key_values, req.context):
            return False
    return True


def _statements(policy: dict):
    return _as_list(policy.get("Statement"))


def evaluate_identity(policies: list[dict], req: Request) -> tuple[str, int | None]:
    """Identity policies alone: (decision, index of the deciding statement across policies)."""
    allowed_by = None
    n = 0
    for policy in policies:
        for st in _statements(policy):
            if statement_applies(st, req):
                if st.get("Effect") == "Deny":
                    return EXPLICIT_DENY, n
                if allowed_by is None:
                    allowed_by = n
            n += 1
    return (ALLOW, allowed_by) if allowed_by is not None else (IMPLICIT_DENY, None)


def evaluate(policies: list[dict], req: Request, key_policy: dict | None = None,
             account_root: str | None = None) -> str:
    """The decision for `req` made by `policies` (identity) and, for KMS, `key_policy`."""
    identity, _ = evaluate_identity(policies, req)
    if identity == EXPLICIT_DENY:
        return EXPLICIT_DENY
    if key_policy is None:
        return identity
    direct = delegated = False
    root_req = Request(account_root or "", req.action, req.resource, req.context)
    for st in _statements(key_policy):
        if statement_applies(st, req, resource_policy=True):
            if st.get("Effect") == "Deny":
                return EXPLICIT_DENY
            direct = True
        elif account_root and statement_applies(st, root_req, resource_policy=True):
            if st.get("Effect") == "Allow":
                delegated = True
    if direct or (delegated and identity == ALLOW):
        return ALLOW
    return IMPLICIT_DENY

