"""go-plugin's GRPCController and GRPCBroker services, as a plugin serves them.

GRPCController.Shutdown sets the plugin's stop event; `serve` then stops the server and exits.
GRPCBroker is served because a go-plugin host opens ``StartStream`` as soon as it connects. BenchHub
providers offer no brokered sub-services, so every knock the host sends is answered with a refusal.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import grpc

from benchhub.proto.plugin import grpc_broker_pb2 as broker_pb
from benchhub.proto.plugin import grpc_broker_pb2_grpc, grpc_controller_pb2_grpc
from benchhub.proto.plugin import grpc_controller_pb2 as controller_pb

NO_SERVICES = "this plugin brokers no services"


class ControllerServicer(grpc_controller_pb2_grpc.GRPCControllerServicer):
    def __init__(self, stop: threading.Event) -> None:
        self.stop = stop

    def Shutdown(
        self, request: controller_pb.Empty, context: grpc.ServicerContext
    ) -> controller_pb.Empty:
        self.stop.set()
        return controller_pb.Empty()


class BrokerServicer(grpc_broker_pb2_grpc.GRPCBrokerServicer):
    def StartStream(
        self, request_iterator: Iterator[broker_pb.ConnInfo], context: grpc.ServicerContext
    ) -> Iterator[broker_pb.ConnInfo]:
        for info in request_iterator:
            if info.knock.knock and not info.knock.ack:
                yield broker_pb.ConnInfo(
                    service_id=info.service_id,
                    knock=broker_pb.ConnInfo.Knock(knock=True, ack=False, error=NO_SERVICES),
                )
