"""go-plugin's GRPCController and GRPCBroker services, as a plugin serves them.

GRPCController.Shutdown sets the plugin's stop event; `serve` then stops the server and exits.
GRPCBroker is served because a go-plugin host opens ``StartStream`` as soon as it connects. BenchHub
providers offer no brokered sub-services, so every knock the host sends is answered with a refusal.
"""

from __future__ import annotations

import queue
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
    def __init__(self, stop: threading.Event) -> None:
        self.stop = stop

    def StartStream(
        self, request_iterator: Iterator[broker_pb.ConnInfo], context: grpc.ServicerContext
    ) -> Iterator[broker_pb.ConnInfo]:
        replies: queue.Queue[broker_pb.ConnInfo | None] = queue.Queue()

        def answer() -> None:
            try:
                for info in request_iterator:
                    if info.knock.knock and not info.knock.ack:
                        refusal = broker_pb.ConnInfo.Knock(knock=True, ack=False, error=NO_SERVICES)
                        replies.put(broker_pb.ConnInfo(service_id=info.service_id, knock=refusal))
            except grpc.RpcError:
                pass
            replies.put(None)

        threading.Thread(target=answer, name="broker", daemon=True).start()
        while not self.stop.is_set():  # the stream ends when the plugin stops, not only when the host does
            try:
                reply = replies.get(timeout=0.1)
            except queue.Empty:
                continue
            if reply is None:
                return
            yield reply
