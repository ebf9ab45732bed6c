#!/usr/bin/env bash
# Generates Warden's Python client from the public contract, proto/ (warden/v1 only),
# with protoc and grpc_python_plugin as Debian packages them:
#   apt-get install protobuf-compiler protobuf-compiler-grpc python3-grpcio python3-protobuf
# protoc brings the well-known types (google/protobuf/*.proto) itself.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
proto="$here/../../proto"
rm -rf "$here/gen"
mkdir -p "$here/gen"
protoc -I "$proto" \
  --python_out="$here/gen" \
  --grpc_python_out="$here/gen" \
  --plugin=protoc-gen-grpc_python="$(command -v grpc_python_plugin)" \
  $(cd "$proto" && find warden -name '*.proto' | sort)
echo "generated: $(cd "$here/gen" && find . -name '*.py' | sort | tr '\n' ' ')"
