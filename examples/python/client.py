"""Calls Warden from Python: Authenticate, LogEvent and ListEvents.

The client comes from Warden's public contract (run ./generate.sh first) and
shares its process with googleapis-common-protos' google.rpc.status_pb2, as it
must in any service that also uses grpcio-status or Google's client libraries:
the public module holds only warden/v1, so no file name is registered twice.

    WARDEN_ADDRESS=127.0.0.1:50051 WARDEN_TOKEN=wdn_... python3 client.py

WARDEN_TOKEN needs the scopes events:write and events:read (see the README).
"""

import os
import sys
import uuid
from pathlib import Path

import grpc

# The real google/rpc/status.proto, loaded before Warden's client.
from google.rpc import status_pb2

sys.path.insert(0, str(Path(__file__).resolve().parent / "gen"))
from warden.v1 import auth_service_pb2, auth_service_pb2_grpc, event_pb2  # noqa: E402

SUBJECT = "python-example"


def main() -> None:
    address = os.environ.get("WARDEN_ADDRESS", "127.0.0.1:50051")
    token = os.environ["WARDEN_TOKEN"]
    caller = [("authorization", f"Bearer {token}")]
    print(f"google.rpc.Status from {status_pb2.__file__}")

    with grpc.insecure_channel(address) as channel:
        auth = auth_service_pb2_grpc.AuthServiceStub(channel)

        # A refused credential is an answer with a reason, not an error; this one is accepted.
        answer = auth.Authenticate(auth_service_pb2.AuthenticateRequest(credential=token), timeout=10)
        if not answer.authenticated:
            sys.exit(f"Authenticate refused the token: {event_pb2.FailureReason.Name(answer.failure_reason)}")
        print(f"Authenticate: authenticated as {answer.principal.service_token_name} ({answer.principal.subject})")

        event_id = str(uuid.uuid4())
        event = event_pb2.AuthenticationEvent(
            event_id=event_id,
            type=event_pb2.EVENT_TYPE_LOGIN_SUCCESS,
            outcome=event_pb2.OUTCOME_SUCCESS,
            principal=event_pb2.EventPrincipal(subject=SUBJECT, kind=event_pb2.PRINCIPAL_KIND_USER),
        )
        logged = auth.LogEvent(auth_service_pb2.LogEventRequest(event=event), metadata=caller, timeout=10)
        print(f"LogEvent: event_id={logged.event_id} duplicate={logged.duplicate}")

        listed = auth.ListEvents(
            auth_service_pb2.ListEventsRequest(subject=SUBJECT, page_size=10), metadata=caller, timeout=10
        )
        print(f"ListEvents(subject={SUBJECT}): {len(listed.events)} event(s)")
        if event_id not in [e.event_id for e in listed.events]:
            sys.exit(f"ListEvents did not return event {event_id}")
    print("python example: passed")


if __name__ == "__main__":
    main()
