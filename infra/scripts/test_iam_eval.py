"""The local IAM evaluator against the rules AWS documents (policy evaluation logic, KMS key
policies). Run: python -m unittest discover -s infra/scripts -p 'test_*.py'"""

import unittest

from iam_eval import ALLOW, EXPLICIT_DENY, IMPLICIT_DENY, Request, evaluate

ROLE = "arn:aws:iam::123456789012:role/app"
ROOT = "arn:aws:iam::123456789012:root"
TABLE = "arn:aws:dynamodb:us-east-1:123456789012:table/t"
BUCKET = "arn:aws:s3:::media"
KEY = "arn:aws:kms:us-east-1:123456789012:key/k1"


def policy(*statements):
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(action, resource, **extra):
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def req(action, resource, **context):
    return Request(ROLE, action, resource, context)


class Identity(unittest.TestCase):
    def test_allowed_only_what_a_statement_grants(self):
        p = [policy(allow(["dynamodb:GetItem", "dynamodb:PutItem"], TABLE))]
        self.assertEqual(evaluate(p, req("dynamodb:GetItem", TABLE)), ALLOW)
        self.assertEqual(evaluate(p, req("dynamodb:DeleteItem", TABLE)), IMPLICIT_DENY)
        self.assertEqual(evaluate(p, req("dynamodb:GetItem", TABLE + "2")), IMPLICIT_DENY)
        self.assertEqual(evaluate(p, req("dynamodb:Query", TABLE + "/index/i")), IMPLICIT_DENY)

    def test_actions_ignore_case_resources_do_not(self):
        p = [policy(allow("DynamoDB:getitem", TABLE))]
        self.assertEqual(evaluate(p, req("dynamodb:GetItem", TABLE)), ALLOW)
        self.assertEqual(evaluate(p, req("dynamodb:GetItem", TABLE.upper())), IMPLICIT_DENY)

    def test_wildcards(self):
        p = [policy(allow("s3:Get*", f"{BUCKET}/media/*"), allow("sqs:Send?essage", "*"))]
        self.assertEqual(evaluate(p, req("s3:GetObject", f"{BUCKET}/media/a/b.ts")), ALLOW)
        self.assertEqual(evaluate(p, req("s3:GetObject", f"{BUCKET}/raw/a")), IMPLICIT_DENY)
        self.assertEqual(evaluate(p, req("s3:PutObject", f"{BUCKET}/media/a")), IMPLICIT_DENY)
        self.assertEqual(evaluate(p, req("sqs:SendMessage", "arn:aws:sqs:::q")), ALLOW)
        # `.` in an ARN is a character, not a regex wildcard.
        p = [policy(allow("s3:GetObject", "arn:aws:s3:::a.b/*"))]
        self.assertEqual(evaluate(p, req("s3:GetObject", "arn:aws:s3:::axb/k")), IMPLICIT_DENY)

    def test_an_explicit_deny_wins_over_any_allow(self):
        p = [
            policy(allow("s3:*", "*")),
            policy({"Effect": "Deny", "Action": "s3:DeleteObject", "Resource": f"{BUCKET}/*"}),
        ]
        self.assertEqual(evaluate(p, req("s3:DeleteObject", f"{BUCKET}/x")), EXPLICIT_DENY)
        self.assertEqual(evaluate(p, req("s3:GetObject", f"{BUCKET}/x")), ALLOW)

    def test_not_action_and_not_resource(self):
        p = [policy({"Effect": "Allow", "NotAction": "iam:*", "NotResource": TABLE})]
        self.assertEqual(evaluate(p, req("s3:GetObject", f"{BUCKET}/x")), ALLOW)
        self.assertEqual(evaluate(p, req("iam:PassRole", ROLE)), IMPLICIT_DENY)
        self.assertEqual(evaluate(p, req("dynamodb:GetItem", TABLE)), IMPLICIT_DENY)


class Conditions(unittest.TestCase):
    def test_list_bucket_under_a_prefix(self):
        p = [policy(allow("s3:ListBucket", BUCKET, Condition={"StringLike": {"s3:prefix": "media/*"}}))]
        self.assertEqual(evaluate(p, req("s3:ListBucket", BUCKET, **{"s3:prefix": "media/x/"})), ALLOW)
        self.assertEqual(evaluate(p, req("s3:ListBucket", BUCKET, **{"s3:prefix": "raw/"})), IMPLICIT_DENY)
        # A missing key fails a positive operator.
        self.assertEqual(evaluate(p, req("s3:ListBucket", BUCKET)), IMPLICIT_DENY)

    def test_if_exists_negation_null_and_bool(self):
        c = {"StringEqualsIfExists": {"aws:SourceAccount": "123456789012"}}
        p = [policy(allow("sqs:SendMessage", "*", Condition=c))]
        self.assertEqual(evaluate(p, req("sqs:SendMessage", "q")), ALLOW)
        self.assertEqual(evaluate(p, req("sqs:SendMessage", "q", **{"aws:SourceAccount": "9"})), IMPLICIT_DENY)
        deny_plain = {"Effect": "Deny", "Action": "s3:*", "Resource": "*",
                      "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
        p = [policy(allow("s3:*", "*"), deny_plain)]
        self.assertEqual(evaluate(p, req("s3:GetObject", "o", **{"aws:SecureTransport": "true"})), ALLOW)
        self.assertEqual(evaluate(p, req("s3:GetObject", "o", **{"aws:SecureTransport": "false"})), EXPLICIT_DENY)
        p = [policy(allow("s3:GetObject", "*", Condition={"Null": {"s3:prefix": "true"}}))]
        self.assertEqual(evaluate(p, req("s3:GetObject", "o")), ALLOW)
        self.assertEqual(evaluate(p, req("s3:GetObject", "o", **{"s3:prefix": "a"})), IMPLICIT_DENY)

    def test_several_values_are_ored_several_keys_anded(self):
        c = {"StringEquals": {"k1": ["a", "b"], "k2": "c"}}
        p = [policy(allow("s3:GetObject", "*", Condition=c))]
        self.assertEqual(evaluate(p, req("s3:GetObject", "o", k1="b", k2="c")), ALLOW)
        self.assertEqual(evaluate(p, req("s3:GetObject", "o", k1="b", k2="d")), IMPLICIT_DENY)


class KeyPolicies(unittest.TestCase):
    def key_policy(self, *statements):
        return policy(*statements)

    def test_the_key_policy_alone_can_grant_a_role(self):
        kp = self.key_policy({"Effect": "Allow", "Principal": {"AWS": [ROLE]},
                              "Action": ["kms:Decrypt", "kms:GenerateDataKey"], "Resource": "*"})
        self.assertEqual(evaluate([], req("kms:Decrypt", KEY), kp, ROOT), ALLOW)
        self.assertEqual(evaluate([], req("kms:Encrypt", KEY), kp, ROOT), IMPLICIT_DENY)

    def test_the_encryption_context_limits_what_the_key_is_used_for(self):
        # As template.yaml's token key: data keys only under the vault's purpose; decrypts under
        # it or under no context (records sealed before the context existed).
        purpose = "kms:EncryptionContext:purpose"
        kp = self.key_policy(
            {"Effect": "Allow", "Principal": {"AWS": [ROLE]}, "Action": "kms:GenerateDataKey",
             "Resource": "*", "Condition": {"StringEquals": {purpose: "tokens"}}},
            {"Effect": "Allow", "Principal": {"AWS": [ROLE]}, "Action": "kms:Decrypt",
             "Resource": "*", "Condition": {"StringEqualsIfExists": {purpose: "tokens"}}})
        ctx = {purpose: "tokens"}
        self.assertEqual(evaluate([], req("kms:GenerateDataKey", KEY, **ctx), kp, ROOT), ALLOW)
        self.assertEqual(evaluate([], req("kms:GenerateDataKey", KEY), kp, ROOT), IMPLICIT_DENY)
        self.assertEqual(evaluate([], Request(ROLE, "kms:GenerateDataKey", KEY, {purpose: "other"}),
                                  kp, ROOT), IMPLICIT_DENY)
        self.assertEqual(evaluate([], req("kms:Decrypt", KEY, **ctx), kp, ROOT), ALLOW)
        self.assertEqual(evaluate([], req("kms:Decrypt", KEY), kp, ROOT), ALLOW)
        self.assertEqual(evaluate([], Request(ROLE, "kms:Decrypt", KEY, {purpose: "other"}),
                                  kp, ROOT), IMPLICIT_DENY)

    def test_an_identity_policy_needs_the_key_policy_to_delegate_to_the_account(self):
        identity = [policy(allow("kms:Decrypt", KEY))]
        admin_only = self.key_policy({"Effect": "Allow", "Principal": {"AWS": ROOT},
                                      "Action": ["kms:Describe*", "kms:Put*"], "Resource": "*"})
        self.assertEqual(evaluate(identity, req("kms:Decrypt", KEY), admin_only, ROOT), IMPLICIT_DENY)
        delegating = self.key_policy({"Effect": "Allow", "Principal": {"AWS": ROOT},
                                      "Action": "kms:*", "Resource": "*"})
        self.assertEqual(evaluate(identity, req("kms:Decrypt", KEY), delegating, ROOT), ALLOW)
        self.assertEqual(evaluate([], req("kms:Decrypt", KEY), delegating, ROOT), IMPLICIT_DENY)

    def test_a_service_principal_statement_does_not_grant_a_role(self):
        kp = self.key_policy({"Effect": "Allow", "Principal": {"Service": "cloudwatch.amazonaws.com"},
                              "Action": "kms:Decrypt", "Resource": "*"})
        self.assertEqual(evaluate([], req("kms:Decrypt", KEY), kp, ROOT), IMPLICIT_DENY)


if __name__ == "__main__":
    unittest.main()
