#!/usr/bin/env bash
# Builds the go-plugin interop binaries (bh-gohost, bh-provider-gocatalog) into
# tests/interop/build/bin, offline: GOPATH mode against Debian's go-plugin 1.0.1,
# grpc and goprotobuf sources under /usr/share/gocode, with Go stubs generated
# from proto/ by protoc + protoc-gen-go 1.3 (plugins=grpc).
# Does nothing when both binaries are newer than every input.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
build="$here/build"
gocode=/usr/share/gocode
binaries=(bh-gohost bh-provider-gocatalog)
packages="golang-go golang-github-hashicorp-go-plugin-dev golang-google-grpc-dev golang-goprotobuf-dev protobuf-compiler"

die() { echo "tests/interop/build.sh: $*" >&2; exit 1; }
for tool in go protoc protoc-gen-go; do
  command -v "$tool" >/dev/null || die "$tool not found; the Go toolchain is missing (apt-get install $packages)"
done
for src in github.com/hashicorp/go-plugin google.golang.org/grpc github.com/golang/protobuf/proto; do
  [ -d "$gocode/src/$src" ] || die "$gocode/src/$src not found (apt-get install $packages)"
done

mapfile -t inputs < <(echo "$here/build.sh"; echo "$root/proto/job/v1/job.proto"
                      echo "$root/proto/provider/v1/provider.proto"; find "$here/go" -name '*.go')
up_to_date() {
  local b
  for b in "${binaries[@]}"; do
    [ -x "$build/bin/$b" ] || return 1
    [ -z "$(find "${inputs[@]}" -newer "$build/bin/$b")" ] || return 1
  done
}
if up_to_date; then
  echo "tests/interop/build.sh: up to date ($build/bin)"
  exit 0
fi

# The protos import "benchhub/proto/job/v1/job.proto": lay out that include tree.
# protoc-gen-go 1.3 predates proto3 `optional`; rewrite each such field as the
# one-field oneof `_name` that protoc itself turns it into (wire-identical).
include="$build/include/benchhub/proto"
gopath="$build/gopath"
rm -rf "$build/include" "$gopath/src/github.com/benchhub"
mkdir -p "$include/job/v1" "$include/provider/v1" "$gopath/src/github.com/benchhub" "$build/bin"
cp "$root/proto/job/v1/job.proto" "$include/job/v1/"
sed -E 's/^([[:space:]]*)optional[[:space:]]+([A-Za-z0-9_.]+)[[:space:]]+([A-Za-z0-9_]+)[[:space:]]*=[[:space:]]*([0-9]+);/\1oneof _\3 { \2 \3 = \4; }/' \
  "$root/proto/provider/v1/provider.proto" > "$include/provider/v1/provider.proto"
# Well-known types: the Go 1.3 packages, not google.golang.org/protobuf (absent here).
wkt=Mgoogle/protobuf/duration.proto=github.com/golang/protobuf/ptypes/duration
wkt+=,Mgoogle/protobuf/timestamp.proto=github.com/golang/protobuf/ptypes/timestamp
wkt+=,Mgoogle/protobuf/struct.proto=github.com/golang/protobuf/ptypes/struct
for f in job/v1/job.proto provider/v1/provider.proto; do  # protoc-gen-go 1.3: one Go package per run
  protoc -I "$build/include" -I /usr/include --go_out="plugins=grpc,$wkt:$gopath/src" "benchhub/proto/$f"
done
ln -s "$here/go" "$gopath/src/github.com/benchhub/interop"

export GOPATH="$gopath:$gocode" GO111MODULE=off GOPROXY=off GOFLAGS= GOCACHE="$build/gocache"
for b in "${binaries[@]}"; do
  go build -o "$build/bin/$b.partial" "github.com/benchhub/interop/$b"
  mv "$build/bin/$b.partial" "$build/bin/$b"
done
echo "tests/interop/build.sh: built ${binaries[*]} in $build/bin"
