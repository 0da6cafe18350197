"""moto's server as the local stack needs it: DynamoDB writes atomic, and IAM enforced per function.

1. DynamoDB. moto serves requests on threads and its DynamoDB backend checks a write's condition
   and then writes without a lock, so two concurrent conditional writes can both succeed — which
   real DynamoDB never allows, and which the leases, claims and versioned ledgers rely on. Every
   DynamoDB write (and transaction) runs under one lock here. Reads are not locked.

2. IAM. Every function of the local stack calls AWS with the credentials of a session of its own
   role (sts:AssumeRole on the role the stack created from the transformed template). Each such
   request is authorized here as AWS would: its IAM action(s) and resource ARN(s) are derived from
   the request (a TransactWriteItems is one action per item, a batch one per table, a copy reads
   its source), and evaluated against the role's policies (and the KMS key policy) by
   iam_eval.py. A denied request gets the service's AccessDenied error, naming the action and the
   resource. Requests signed with any other key are the stack's own (provisioning, tests): the
   account's administrator, not checked. moto's own check is not used: it compares resources as
   `*` for most services.

   With REELCART_IAM_LOG set, every decision is appended to that file as a JSON line
   (iam_report.py turns it into the least-privilege report and fails on denials).

Usage: the same as `moto_server` (`-H HOST -p PORT`).
"""

import base64
import functools
import json
import os
import sys
import threading
import time
import xml.etree.ElementTree as ET
from urllib.parse import unquote, urlparse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
# AWS's managed policies (AWSLambdaBasicExecutionRole…), which SAM attaches to execution roles.
os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")

import iam_eval  # noqa: E402
from moto.core.authorization import ActionAuthenticatorMixin  # noqa: E402
from moto.core.exceptions import AccessDeniedError, JsonRESTError  # noqa: E402
from moto.dynamodb.models import DynamoDBBackend  # noqa: E402
from moto.iam.models import iam_backends  # noqa: E402
from moto.kms.models import kms_backends  # noqa: E402
from moto.kms.utils import _deserialize_ciphertext_blob  # noqa: E402
from moto.s3.exceptions import S3AccessDeniedError, S3ClientError  # noqa: E402
from moto.secretsmanager.models import secretsmanager_backends  # noqa: E402
from moto.server import main  # noqa: E402
from moto.sts.models import sts_backends  # noqa: E402

# ---------------------------------------------------------------------------- 1. atomic writes
_WRITES = threading.RLock()

for _name in ("put_item", "update_item", "delete_item", "transact_write_items", "batch_write_item"):
    _original = getattr(DynamoDBBackend, _name, None)
    if _original is None:
        continue

    def _locked(*args, __original=_original, **kwargs):
        with _WRITES:
            return __original(*args, **kwargs)

    setattr(DynamoDBBackend, _name, functools.wraps(_original)(_locked))

# ---------------------------------------------------------------------------- 1b. item serialization
# moto 5 serializes every response by walking the API's shapes; for DynamoDB items that walk is
# most of the time a query takes (measured: 1,000 items of nested attributes, 5.3 s against 0.2 s
# for the same items as one string). An AttributeValue moto returns is already in wire form (its
# own `to_json()`), so it is written as it is: the bytes on the wire do not change.
from moto.core.serialize import BaseJSONSerializer  # noqa: E402

_serialize_structure = BaseJSONSerializer._serialize_type_structure


def _serialize_structure_fast(self, serialized, value, shape, key):
    if key and shape.name == "AttributeValue" and isinstance(value, dict):
        serialized[key] = value
        return
    _serialize_structure(self, serialized, value, shape, key)


BaseJSONSerializer._serialize_type_structure = _serialize_structure_fast

# The same on the way in: an AttributeValue without binary members is kept as it came (moto's
# parser would rebuild it member by member, to the same dict); binary ones go through the parser,
# which decodes their base64.
from moto.core.parse import BaseJSONParser  # noqa: E402

_parse_structure = BaseJSONParser._parse_structure


def _has_binary(value):
    if not isinstance(value, dict):
        return False
    if "B" in value or "BS" in value:
        return True
    inner = value.get("M")
    if isinstance(inner, dict) and any(_has_binary(v) for v in inner.values()):
        return True
    inner = value.get("L")
    return isinstance(inner, list) and any(_has_binary(v) for v in inner)


def _parse_structure_fast(self, shape, value):
    if shape.name == "AttributeValue" and isinstance(value, dict) and not _has_binary(value):
        return value
    return _parse_structure(self, shape, value)


BaseJSONParser._parse_structure = _parse_structure_fast

# ---------------------------------------------------------------------------- 2. IAM
_LOG_PATH = os.environ.get("REELCART_IAM_LOG")
_LOG_LOCK = threading.Lock()

# Request names whose IAM action has another name.
_SQS_ACTIONS = {
    "SendMessageBatch": "SendMessage",
    "DeleteMessageBatch": "DeleteMessage",
    "ChangeMessageVisibilityBatch": "ChangeMessageVisibility",
}
_S3_ACTIONS = {
    "ListObjects": "ListBucket",
    "ListObjectsV2": "ListBucket",
    "HeadBucket": "ListBucket",
    "ListObjectVersions": "ListBucketVersions",
    "GetBucketCORS": "GetBucketCors",
    "PutBucketCORS": "PutBucketCors",
}
_DYNAMODB_TRANSACT = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
    "Get": "GetItem",
}


class _S3Denied(S3AccessDeniedError):
    def __init__(self, message):
        S3ClientError.__init__(self, "AccessDenied", message)


def _credential(resp):
    """(access key id, region) of the request's signature: header, query string or POST form."""
    auth = resp.headers.get("Authorization") or ""
    scope = None
    if "Credential=" in auth:
        scope = auth.split("Credential=", 1)[1].split(",", 1)[0]
    else:
        qs = getattr(resp, "querystring", {}) or {}
        for name in ("X-Amz-Credential", "x-amz-credential"):
            if qs.get(name):
                scope = qs[name][0]
                break
    if not scope:
        return None, None
    parts = scope.strip().split("/")
    return parts[0], (parts[2] if len(parts) > 2 else None)


def _body(resp):
    try:
        return json.loads(resp.raw_body or b"{}")
    except (ValueError, TypeError):
        return {}


def _target_action(resp):
    target = resp.headers.get("X-Amz-Target") or resp.headers.get("x-amz-target") or ""
    if target:
        return target.split(".")[-1]
    action = (getattr(resp, "querystring", {}) or {}).get("Action")
    return action[0] if isinstance(action, list) else action or ""


def _table_arn(name, region, account):
    return name if name.startswith("arn:") else f"arn:aws:dynamodb:{region}:{account}:table/{name}"


def _dynamodb(resp, action, region, account):
    body = _body(resp)
    if action in ("BatchGetItem", "BatchWriteItem"):
        return [(f"dynamodb:{action}", _table_arn(t, region, account), {})
                for t in (body.get("RequestItems") or {})]
    if action in ("TransactWriteItems", "TransactGetItems"):
        out = []
        for item in body.get("TransactItems") or []:
            for kind, op in item.items():
                out.append((f"dynamodb:{_DYNAMODB_TRANSACT[kind]}",
                            _table_arn(op.get("TableName", ""), region, account), {}))
        return out
    table = body.get("TableName") or body.get("TableArn") or body.get("ResourceArn") or "*"
    arn = "*" if table == "*" else _table_arn(table, region, account)
    if body.get("IndexName") and arn != "*":
        arn = f"{arn}/index/{body['IndexName']}"
    return [(f"dynamodb:{action}", arn, {})]


def _sqs(resp, action, region, account):
    body = _body(resp)
    url = body.get("QueueUrl")
    name = url.rstrip("/").split("/")[-1] if url else body.get("QueueName")
    arn = f"arn:aws:sqs:{region}:{account}:{name}" if name else "*"
    return [(f"sqs:{_SQS_ACTIONS.get(action, action)}", arn, {})]


def _kms(resp, action, region, account):
    body = _body(resp)
    backend = kms_backends[account][region]
    key_id = body.get("KeyId")
    if not key_id and body.get("CiphertextBlob"):
        try:
            blob = base64.b64decode(body["CiphertextBlob"])
            key_id = _deserialize_ciphertext_blob(blob).key_id
        except Exception:  # an undecodable blob: moto answers InvalidCiphertext itself
            key_id = None
    if not key_id:
        return [(f"kms:{action}", "*", {})]
    try:
        key_id = backend.any_id_to_key_id(key_id)
    except Exception:  # unknown key: moto answers NotFound itself
        pass
    # The request's encryption context, as the condition keys kms:EncryptionContext:<key>.
    context = {f"kms:EncryptionContext:{k}": v
               for k, v in (body.get("EncryptionContext") or {}).items()}
    return [(f"kms:{action}", f"arn:aws:kms:{region}:{account}:key/{key_id}", context)]


def _secretsmanager(resp, action, region, account):
    secret_id = _body(resp).get("SecretId") or "*"
    backend = secretsmanager_backends[account][region]
    arn = secret_id
    for secret in list(backend.secrets.values()):
        if secret_id in (secret.name, secret.arn):
            arn = secret.arn
            break
    return [(f"secretsmanager:{action}", arn, {})]


def _events(resp, action, region, account):
    body = _body(resp)
    if action != "PutEvents":
        name = body.get("EventBusName") or body.get("Name") or "default"
        return [(f"events:{action}", _bus_arn(name, region, account), {})]
    buses = {e.get("EventBusName") or "default" for e in body.get("Entries") or []}
    return [("events:PutEvents", _bus_arn(b, region, account), {}) for b in sorted(buses)]


def _bus_arn(name, region, account):
    return name if name.startswith("arn:") else f"arn:aws:events:{region}:{account}:event-bus/{name}"


def _s3(resp, resource):
    action = resp.data.get("Action") or "*"
    qs = getattr(resp, "querystring", {}) or {}
    context = {}
    action = _S3_ACTIONS.get(action, action)
    if "tagging" in qs and "/" in resource.split(":::", 1)[-1]:
        # An object's tags: moto names a DELETE ?tagging DeleteObject.
        action = {"GET": "GetObjectTagging", "PUT": "PutObjectTagging",
                  "DELETE": "DeleteObjectTagging"}.get(resp.method, action)
    if action in ("ListBucket", "ListBucketVersions"):
        # The condition key s3:prefix is the request's prefix ("" when it names none).
        context["s3:prefix"] = (qs.get("prefix") or [""])[0]
    if resp.method == "POST" and "key" in qs and "/" not in resource.split(":::", 1)[-1]:
        # A browser's form upload (presigned POST): the object is the form's key.
        resource = f"{resource}/{qs['key'][0]}"
    out = []
    if resp.method == "POST" and "delete" in qs:
        bucket = resource.split(":::", 1)[1].split("/", 1)[0]
        try:
            root = ET.fromstring(resp.raw_body or b"<Delete/>")
            keys = [el.text or "" for el in root.iter() if el.tag.endswith("Key")]
        except ET.ParseError:
            keys = []
        return [("s3:DeleteObject", f"arn:aws:s3:::{bucket}/{k}", {}) for k in keys]
    copy = resp.headers.get("x-amz-copy-source")
    if copy and action == "PutObject":
        src = unquote(urlparse(copy).path.lstrip("/")).split("?", 1)[0]
        out.append(("s3:GetObject", f"arn:aws:s3:::{src}", {}))
    out.append((f"s3:{action}", resource, context))
    return out


_DERIVE = {
    "dynamodb": _dynamodb,
    "sqs": _sqs,
    "kms": _kms,
    "secretsmanager": _secretsmanager,
    "events": _events,
}


def _role_policies(account, role_name):
    role = iam_backends[account]["aws"].get_role(role_name)
    docs = [json.loads(doc) if isinstance(doc, str) else doc for doc in role.policies.values()]
    for managed in role.managed_policies.values():
        version = next((v for v in managed.versions if v.is_default), None)
        if version is not None:
            docs.append(json.loads(version.document) if isinstance(version.document, str)
                        else version.document)
    return docs


def _key_policy(account, region, resource):
    if not resource.startswith("arn:aws:kms:"):
        return None
    key_id = resource.rsplit("/", 1)[-1]
    key = kms_backends[account][region].keys.get(key_id)
    return json.loads(key.policy) if key is not None and key.policy else None


def _log(record):
    if not _LOG_PATH:
        return
    line = json.dumps(record, sort_keys=True) + "\n"
    with _LOG_LOCK, open(_LOG_PATH, "a", encoding="utf-8") as f:
        f.write(line)


def _authorize(self, iam_request_cls, resource="*"):
    access_key, region = _credential(self)
    if not access_key:
        return  # unsigned (moto's own endpoints): nothing to check
    account = self.current_account
    session = sts_backends[account]["aws"].get_assumed_role_from_access_key(access_key)
    if session is None:
        return  # the stack's administrator credentials
    region = region or self.region
    role_arn = session.role_arn
    role_name = role_arn.split("/")[-1]
    service = getattr(self, "service_name", "") or ""
    if service == "s3":
        requests = _s3(self, resource)
    elif service in _DERIVE:
        requests = _DERIVE[service](self, _target_action(self), region, account)
    else:
        requests = [(f"{service}:{_target_action(self)}", resource, {})]
    try:
        policies = _role_policies(account, role_name)
    except Exception:  # the role is gone (its stack was torn down): nothing is allowed
        policies = []
    session_arn = f"arn:aws:sts::{account}:assumed-role/{role_name}/{session.session_name}"
    for action, arn, context in requests:
        context = {
            "aws:SecureTransport": "true",  # the SDK speaks TLS to AWS; the emulator is plain HTTP
            "aws:PrincipalArn": role_arn,
            "aws:PrincipalAccount": account,
            **context,
        }
        req = iam_eval.Request(role_arn, action, arn, context)
        decision = iam_eval.evaluate(policies, req, _key_policy(account, region, arn),
                                     f"arn:aws:iam::{account}:root")
        _log({"t": round(time.time(), 3), "role": role_name, "function": session.session_name,
              "action": action, "resource": arn, "decision": decision})
        if decision != iam_eval.ALLOW:
            why = ("with an explicit deny" if decision == iam_eval.EXPLICIT_DENY
                   else f"because no identity-based policy allows the {action} action")
            message = (f"User: {session_arn} is not authorized to perform: {action} on "
                       f"resource: {arn} {why}")
            if service == "s3":
                raise _S3Denied(message)
            if service in ("iam", "sts"):
                raise AccessDeniedError(user_arn=session_arn, action=f"{action} on resource: {arn}")
            error = JsonRESTError("AccessDeniedException", message)
            error.code = 403 if service == "sqs" else 400
            raise error


ActionAuthenticatorMixin._authenticate_and_authorize_action = _authorize

if __name__ == "__main__":
    sys.exit(main())
