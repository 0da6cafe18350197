"""Upload the moderation console and the creator portal to the stack's consoles bucket, then
invalidate their CloudFront distribution so the next page load gets them.

    python infra/scripts/publish_consoles.py STACK_NAME [--dry-run]     (region: AWS_REGION)

Reads the stack's outputs ConsoleBucketName and ConsoleDistributionId. Uploads web/console/,
web/portal/, web/auth/ and the widget build's hls.js (web/dist/hls.light.min.js: `make web`) under
the same paths the local stack serves them (console/…, portal/…, auth/…, dist/…), each with its
Content-Type and `Cache-Control: no-cache` (revalidated at every load: a deploy is seen at once).
Never touches console/config.json or portal/config.json: the stack writes those (ConsoleConfig).
"""

import mimetypes
import os
import sys
import time

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
         ".css": "text/css; charset=utf-8", ".json": "application/json", ".svg": "image/svg+xml"}
STACK_OWNED = {"console/config.json", "portal/config.json"}


def files():
    """(key, path) of every file to upload."""
    web = os.path.join(ROOT, "web")
    for folder in ("console", "portal", "auth"):
        for name in sorted(os.listdir(os.path.join(web, folder))):
            path = os.path.join(web, folder, name)
            key = f"{folder}/{name}"
            if os.path.isfile(path) and key not in STACK_OWNED:
                yield key, path
    hls = os.path.join(web, "dist", "hls.light.min.js")
    if not os.path.isfile(hls):
        sys.exit("web/dist/hls.light.min.js is missing: run `make web` first")
    yield "dist/hls.light.min.js", hls


def content_type(path):
    ext = os.path.splitext(path)[1]
    return TYPES.get(ext) or mimetypes.guess_type(path)[0] or "application/octet-stream"


def main(argv):
    if len(argv) < 2 or argv[1].startswith("-"):
        sys.exit(__doc__)
    stack, dry = argv[1], "--dry-run" in argv[2:]
    import boto3

    outputs = {o["OutputKey"]: o["OutputValue"]
               for o in boto3.client("cloudformation").describe_stacks(StackName=stack)["Stacks"][0].get("Outputs", [])}
    bucket, dist = outputs.get("ConsoleBucketName"), outputs.get("ConsoleDistributionId")
    if not bucket or not dist:
        sys.exit(f"{stack} has no ConsoleBucketName / ConsoleDistributionId outputs (deploy the template first)")
    s3 = boto3.client("s3")
    for key, path in files():
        print(f"{'would upload' if dry else 'upload'} {key} ({content_type(path)})")
        if not dry:
            with open(path, "rb") as body:
                s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType=content_type(path), CacheControl="no-cache")
    if not dry:
        boto3.client("cloudfront").create_invalidation(
            DistributionId=dist,
            InvalidationBatch={"Paths": {"Quantity": 1, "Items": ["/*"]}, "CallerReference": f"consoles-{time.time_ns()}"})
        print(f"invalidated {dist}; the consoles are at {outputs.get('ConsoleUrl')} and {outputs.get('PortalUrl')}")


if __name__ == "__main__":
    main(sys.argv)
