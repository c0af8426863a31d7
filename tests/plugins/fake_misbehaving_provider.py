"""A test fake: a provider plugin that misbehaves in the way named by its first argument.

    garbage          prints a line that is not a handshake
    exit-early       writes to stderr and exits 3 before the handshake
    no-handshake     prints nothing and sleeps
    slow-start       sleeps 1.5 s, then serves like a good provider
    crash-mid-call   serves, but dies (exit 7) inside GetSchema
    hang-mid-call    serves, but never answers GetSchema
    protocol-2       speaks only app protocol 2
    protocol-1-2     speaks 1 and 2
    errors           Offer raises CapacityError; Release raises a plain bug
    chatty           GetSchema prints to stdout/stderr, logs go-plugin JSON lines to fd 2
"""

from __future__ import annotations

import os
import sys
import time

import grpc

from benchhub.proto.provider.v1 import provider_pb2 as pb
from benchhub.proto.provider.v1 import provider_pb2_grpc
from benchhub.providers.sdk import errors, serve

MODE = sys.argv[1]


class FakeProvider(provider_pb2_grpc.ProviderServicer):
    def GetSchema(self, request: pb.GetSchemaRequest, context: grpc.ServicerContext) -> pb.GetSchemaResponse:
        if MODE == "crash-mid-call":
            os.write(2, b"fatal: the fake provider lost its mind\n")
            os._exit(7)
        if MODE == "hang-mid-call":
            time.sleep(3600)
        if MODE == "chatty":
            print("hello on stdout")
            print("oops on stderr", file=sys.stderr)
            os.write(2, b'{"@level":"error","@message":"disk full","@module":"fake","device":"sda"}\n')
        return pb.GetSchemaResponse(name="fake", version="0.0.0", protocol_version=1)

    def Configure(self, request: pb.ConfigureRequest, context: grpc.ServicerContext) -> pb.ConfigureResponse:
        return pb.ConfigureResponse()

    def Offer(self, request: pb.OfferRequest, context: grpc.ServicerContext) -> pb.OfferResponse:
        raise errors.CapacityError("no fake machines left", region="fake-1")

    def Release(self, request: pb.ReleaseRequest, context: grpc.ServicerContext) -> pb.ReleaseResponse:
        raise KeyError(request.allocation_id)


def main() -> None:
    if MODE == "garbage":
        print("Welcome to the fake provider!", flush=True)
        time.sleep(3600)
    if MODE == "exit-early":
        print("cannot read config: permission denied", file=sys.stderr)
        sys.exit(3)
    if MODE == "no-handshake":
        time.sleep(3600)
    if MODE == "slow-start":
        time.sleep(1.5)
    versions = {"protocol-2": (2,), "protocol-1-2": (1, 2)}.get(MODE, (1,))
    serve(FakeProvider(), protocol_versions=versions)


if __name__ == "__main__":
    main()
