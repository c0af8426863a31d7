// Command bh-provider-gocatalog is a BenchHub provider written in Go with
// HashiCorp go-plugin: a fixed catalog of priced offers, allocations kept in
// memory, and jobs run as local processes. It is the Go example of
// docs/providers.md and the plugin side of the interop tests.
package main

import (
	"github.com/benchhub/interop/providerplugin"
	plugin "github.com/hashicorp/go-plugin"
)

func main() {
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig: providerplugin.Handshake,
		Plugins:         providerplugin.Set(newProvider()),
		GRPCServer:      plugin.DefaultGRPCServer,
	})
}
