"""Runs moto_server with DynamoDB's requests answered one at a time.

Usage: .venv/bin/python motoserve.py -H HOST -p PORT (the arguments of
moto_server; devstack embeds this file and runs it with python -c).

moto's server answers each request on a thread of its own, and its DynamoDB
checks a write's condition and then applies it without a lock: two
conditional updates of one item at once can both pass (two mailers both
claim a welcome, a daily quota's count passes its limit), and two
transactions can interleave. DynamoDB applies each conditional write and
each transaction atomically, and the store's tests of concurrency hold it
to that. One lock around every DynamoDB request gives moto the same
guarantee, at the cost of its concurrency, which the tests do not measure.
Other services keep their threads: an SQS receive may wait for messages
without holding anything up.
"""

import threading

from moto import server
from moto.moto_server.werkzeug_app import DomainDispatcherApplication

_dynamodb = threading.Lock()
_dispatch = DomainDispatcherApplication.__call__


def _serialized(self, environ, start_response):
    # Every DynamoDB operation is a POST whose target names the API version.
    if not environ.get("HTTP_X_AMZ_TARGET", "").startswith("DynamoDB_"):
        return _dispatch(self, environ, start_response)
    with _dynamodb:
        body = _dispatch(self, environ, start_response)
        try:
            # The body is produced inside the lock, not when the server
            # iterates it after this returns.
            return [b"".join(body)]
        finally:
            close = getattr(body, "close", None)
            if close is not None:
                close()


DomainDispatcherApplication.__call__ = _serialized

if __name__ == "__main__":
    server.main()
