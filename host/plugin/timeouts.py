"""How long the host waits for a plugin: its handshake, its calls, its exit."""

GRACE_SECONDS = 2.0  # for a plugin to exit after Shutdown, and again after SIGTERM
HANDSHAKE_TIMEOUT_SECONDS = 10.0
CALL_TIMEOUT_SECONDS = 120.0
ALLOCATE_TIMEOUT_SECONDS = 3600.0  # Allocate and Collect: a cloud VM may take long to boot
