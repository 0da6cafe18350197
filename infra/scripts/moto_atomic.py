"""moto's server, with DynamoDB writes made atomic as DynamoDB's are.

moto serves requests on threads and its DynamoDB backend checks a write's condition and then
writes without a lock, so two concurrent conditional writes can both succeed — which real
DynamoDB never allows, and which the leases, claims and versioned ledgers here rely on. This
runs the same server with every DynamoDB write (and transaction) under one lock. Reads are not
locked. Usage: the same as `moto_server` (`-H HOST -p PORT`).
"""

import functools
import sys
import threading

from moto.dynamodb.models import DynamoDBBackend
from moto.server import main

_WRITES = threading.RLock()

for _name in (
    "put_item",
    "update_item",
    "delete_item",
    "transact_write_items",
    "batch_write_item",
):
    _original = getattr(DynamoDBBackend, _name, None)
    if _original is None:
        continue

    def _locked(*args, __original=_original, **kwargs):
        with _WRITES:
            return __original(*args, **kwargs)

    setattr(DynamoDBBackend, _name, functools.wraps(_original)(_locked))

if __name__ == "__main__":
    sys.exit(main())
