// Package providerplugin is the go-plugin glue shared by a Go BenchHub host
// and a Go BenchHub provider: the handshake both sides must agree on and the
// plugin type that serves or dials benchhub.provider.v1.Provider over gRPC.
package providerplugin

import (
	"context"

	providerv1 "github.com/benchhub/benchhub/proto/provider/v1"
	plugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
)

// Handshake is BenchHub's go-plugin handshake: app protocol 1 and the magic
// cookie a host sets in the provider's environment (the same as the
// Python SDK's benchhub.providers.sdk.wire).
var Handshake = plugin.HandshakeConfig{
	ProtocolVersion:  1,
	MagicCookieKey:   "BH_PLUGIN_MAGIC_COOKIE",
	MagicCookieValue: "4c3b5b0e9a7d2f61benchhub-provider-v1",
}

// Name is the key of the provider in go-plugin's plugin set.
const Name = "provider"

// ProviderPlugin serves Impl (plugin side) or returns a ProviderClient (host side).
type ProviderPlugin struct {
	plugin.NetRPCUnsupportedPlugin
	Impl providerv1.ProviderServer
}

// GRPCServer registers the provider on go-plugin's gRPC server.
func (p *ProviderPlugin) GRPCServer(_ *plugin.GRPCBroker, s *grpc.Server) error {
	providerv1.RegisterProviderServer(s, p.Impl)
	return nil
}

// GRPCClient returns a client of the provider on the host side.
func (p *ProviderPlugin) GRPCClient(_ context.Context, _ *plugin.GRPCBroker, c *grpc.ClientConn) (interface{}, error) {
	return providerv1.NewProviderClient(c), nil
}

// Set is the plugin set for plugin.ClientConfig.Plugins.
func Set(impl providerv1.ProviderServer) plugin.PluginSet {
	return plugin.PluginSet{Name: &ProviderPlugin{Impl: impl}}
}
