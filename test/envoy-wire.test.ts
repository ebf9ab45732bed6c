/**
 * Proves that Warden's own subset of Envoy's ext_authz protos (proto-internal/envoy,
 * proto-internal/google/rpc) is wire-compatible with Envoy's official files, as shipped
 * in @grpc/grpc-js-xds: the same numbers, types and names, and messages that
 * each side decodes from the other's bytes exactly as they were meant.
 *
 * No server and no database: ours are the ts-proto types in src/gen; Envoy's
 * are loaded with protobufjs from node_modules.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import protobuf from "protobufjs";
import type { Enum, IConversionOptions, Message, Namespace, ReflectionObject, Root, Service, Type } from "protobufjs";
import { describe, expect, it } from "vitest";
import { SocketAddress_Protocol } from "../src/gen/envoy/config/core/v3/address.js";
import { HeaderValueOption_HeaderAppendAction } from "../src/gen/envoy/config/core/v3/base.js";
import {
  AuthorizationService,
  CheckRequest,
  CheckResponse,
  type OkHttpResponse,
} from "../src/gen/envoy/service/auth/v3/external_auth.js";
import { StatusCode } from "../src/gen/envoy/type/v3/http_status.js";
import { PROJECT_ROOT } from "../src/paths.js";

const DEPS = path.join(PROJECT_ROOT, "node_modules", "@grpc", "grpc-js-xds", "deps");
/** Where Envoy's imports live; protobufjs ships google/protobuf/descriptor.proto for the annotations. */
const OFFICIAL_INCLUDES = [
  ...["envoy-api", "xds", "googleapis", "protoc-gen-validate"].map((dir) => path.join(DEPS, dir)),
  path.join(PROJECT_ROOT, "node_modules", "protobufjs"),
];
// Ours imports warden/v1/options.proto (in proto/) for the access option, which imports descriptor.proto.
const OURS_INCLUDES = [
  path.join(PROJECT_ROOT, "proto-internal"),
  path.join(PROJECT_ROOT, "proto"),
  path.join(PROJECT_ROOT, "node_modules", "protobufjs"),
];
const ENTRY = "envoy/service/auth/v3/external_auth.proto";

/**
 * Loads external_auth.proto and its imports from `includes`. Imports found in none of them
 * (google/protobuf/struct.proto and the other well-known types) fall through
 * to the copies bundled with protobufjs.
 */
function load(includes: string[]): Root {
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) =>
    includes.map((dir) => path.join(dir, target)).find((file) => existsSync(file)) ?? target;
  root.loadSync(ENTRY, { keepCase: true });
  root.resolveAll();
  return root;
}

const official = load(OFFICIAL_INCLUDES);
const ours = load(OURS_INCLUDES);
const OfficialCheckRequest = official.lookupType("envoy.service.auth.v3.CheckRequest");
const OfficialCheckResponse = official.lookupType("envoy.service.auth.v3.CheckResponse");

/** Absent fields stay absent, so presence (notably of `append`) shows in the object. */
const AS_OBJECT: IConversionOptions = { longs: Number, enums: String, bytes: String, defaults: false };

const decodeOfficial = (type: Type, bytes: Uint8Array) => type.toObject(type.decode(bytes), AS_OBJECT);
const encodeOfficial = (type: Type, object: Record<string, unknown>) => {
  const message = type.fromObject(object);
  // fromObject drops what it does not know: a typo in a case would otherwise go unnoticed.
  expect(type.toObject(message, AS_OBJECT)).toEqual(object);
  return type.encode(message).finish();
};

// ---------------------------------------------------------------------------
// The cases: each written once in ts-proto's shape and once in the official
// (snake_case, protobufjs) shape, independently, so neither is derived from
// the other.

const identityHeaders = (subject: string) => [
  { header: { key: "x-warden-subject", value: subject }, append: false, appendAction: 0 },
  { header: { key: "x-warden-scopes", value: "orders:read orders:write" }, append: false, appendAction: 0 },
  { header: { key: "x-warden-tenant", value: "acme" }, append: false, appendAction: 0 },
];
const officialIdentityHeaders = (subject: string) => [
  // `append: {}` is a BoolValue that is present and false: proto3 writes no
  // bytes for a false `value`, but the wrapper itself is on the wire.
  { header: { key: "x-warden-subject", value: subject }, append: {} },
  { header: { key: "x-warden-scopes", value: "orders:read orders:write" }, append: {} },
  { header: { key: "x-warden-tenant", value: "acme" }, append: {} },
];

interface ResponseCase {
  name: string;
  ours: CheckResponse;
  official: Record<string, unknown>;
}

const RESPONSES: ResponseCase[] = [
  {
    name: "allow",
    ours: {
      status: { code: 0, message: "", details: [] },
      deniedResponse: undefined,
      okResponse: { headers: identityHeaders("user-42"), headersToRemove: ["authorization"] } satisfies OkHttpResponse,
      dynamicMetadata: {
        subject: "user-42",
        scopes: ["orders:read", "orders:write"],
        warden: { tenant: "acme", risk_score: 12, mfa: true, session: null },
      },
    },
    official: {
      status: {},
      ok_response: { headers: officialIdentityHeaders("user-42"), headers_to_remove: ["authorization"] },
      // protobufjs's bundled google/protobuf/struct.proto names its fields in
      // camelCase; the field numbers, and so the bytes, are the standard ones.
      dynamic_metadata: {
        fields: {
          subject: { stringValue: "user-42" },
          scopes: { listValue: { values: [{ stringValue: "orders:read" }, { stringValue: "orders:write" }] } },
          warden: {
            structValue: {
              fields: {
                tenant: { stringValue: "acme" },
                risk_score: { numberValue: 12 },
                mfa: { boolValue: true },
                session: { nullValue: "NULL_VALUE" },
              },
            },
          },
        },
      },
    },
  },
  {
    name: "deny, no accepted credential",
    ours: {
      status: { code: 16, message: "token expired", details: [] },
      deniedResponse: {
        status: { code: StatusCode.Unauthorized },
        headers: [
          {
            header: { key: "www-authenticate", value: 'Bearer error="invalid_token"' },
            append: false,
            appendAction: 0,
          },
          { header: { key: "x-warden-reason", value: "token_expired" }, append: false, appendAction: 0 },
          {
            header: { key: "content-type", value: "application/json" },
            append: undefined,
            appendAction: HeaderValueOption_HeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD,
          },
        ],
        body: '{"error":"unauthenticated","reason":"token_expired"}',
      },
      okResponse: undefined,
      dynamicMetadata: undefined,
    },
    official: {
      status: { code: 16, message: "token expired" },
      denied_response: {
        status: { code: "Unauthorized" },
        headers: [
          { header: { key: "www-authenticate", value: 'Bearer error="invalid_token"' }, append: {} },
          { header: { key: "x-warden-reason", value: "token_expired" }, append: {} },
          // No `append` at all here: only append_action.
          { header: { key: "content-type", value: "application/json" }, append_action: "OVERWRITE_IF_EXISTS_OR_ADD" },
        ],
        body: '{"error":"unauthenticated","reason":"token_expired"}',
      },
    },
  },
  {
    name: "deny, not permitted",
    ours: {
      status: {
        code: 7,
        message: "missing scope orders:write",
        details: [
          { typeUrl: "type.googleapis.com/google.rpc.ErrorInfo", value: Buffer.from([0x0a, 0x02, 0x68, 0x69]) },
        ],
      },
      deniedResponse: {
        status: { code: StatusCode.Forbidden },
        headers: [{ header: { key: "x-warden-reason", value: "scope_missing" }, append: true, appendAction: 0 }],
        body: "forbidden",
      },
      okResponse: undefined,
      dynamicMetadata: { subject: "svc-billing" },
    },
    official: {
      status: {
        code: 7,
        message: "missing scope orders:write",
        details: [{ type_url: "type.googleapis.com/google.rpc.ErrorInfo", value: "CgJoaQ==" }],
      },
      denied_response: {
        status: { code: "Forbidden" },
        headers: [{ header: { key: "x-warden-reason", value: "scope_missing" }, append: { value: true } }],
        body: "forbidden",
      },
      dynamic_metadata: { fields: { subject: { stringValue: "svc-billing" } } },
    },
  },
  {
    name: "error, Warden cannot decide",
    ours: {
      status: { code: 14, message: "database unavailable", details: [] },
      deniedResponse: {
        status: { code: StatusCode.ServiceUnavailable },
        headers: [
          { header: { key: "x-warden-reason", value: "unavailable" }, append: false, appendAction: 0 },
          { header: { key: "retry-after", value: "1" }, append: false, appendAction: 0 },
        ],
        body: "",
      },
      okResponse: undefined,
      dynamicMetadata: undefined,
    },
    official: {
      status: { code: 14, message: "database unavailable" },
      denied_response: {
        status: { code: "ServiceUnavailable" },
        headers: [
          { header: { key: "x-warden-reason", value: "unavailable" }, append: {} },
          { header: { key: "retry-after", value: "1" }, append: {} },
        ],
      },
    },
  },
];

interface RequestCase {
  name: string;
  ours: CheckRequest;
  official: Record<string, unknown>;
}

const SIDECAR_TIME = new Date("2026-01-15T10:20:30.123Z");
const SIDECAR_HEADERS = {
  ":authority": "orders.shop.svc:8080",
  ":method": "POST",
  ":path": "/v1/orders?dry_run=1",
  ":scheme": "http",
  authorization: "Bearer eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ1c2VyLTQyIn0.c2ln",
  "content-type": "application/json",
  "content-length": "57",
  "x-forwarded-proto": "http",
  "x-request-id": "8f0e3c1e-5b4a-4c62-9d1a-7e0f6a3b2c11",
};

const REQUESTS: RequestCase[] = [
  {
    // What an Envoy sidecar sends for a plain HTTP/1.1 call, with per-route context extensions.
    name: "a sidecar's check",
    ours: {
      attributes: {
        source: {
          address: { socketAddress: { protocol: SocketAddress_Protocol.TCP, address: "10.0.0.7", portValue: 51234 } },
          service: "",
          principal: "",
          certificate: "",
        },
        destination: {
          address: { socketAddress: { protocol: SocketAddress_Protocol.TCP, address: "10.0.0.12", portValue: 8080 } },
          service: "",
          principal: "",
          certificate: "",
        },
        request: {
          time: SIDECAR_TIME,
          http: {
            id: "8f0e3c1e-5b4a-4c62-9d1a-7e0f6a3b2c11",
            method: "POST",
            headers: SIDECAR_HEADERS,
            path: "/v1/orders?dry_run=1",
            host: "orders.shop.svc:8080",
            scheme: "http",
            query: "",
            fragment: "",
            size: 57,
            protocol: "HTTP/1.1",
            body: "",
          },
        },
        contextExtensions: { "warden.policy": "orders-write", virtual_host: "orders" },
      },
    },
    official: {
      attributes: {
        source: { address: { socket_address: { address: "10.0.0.7", port_value: 51234 } } },
        destination: {
          address: { socket_address: { address: "10.0.0.12", port_value: 8080 } },
        },
        request: {
          time: { seconds: 1768472430, nanos: 123_000_000 },
          http: {
            id: "8f0e3c1e-5b4a-4c62-9d1a-7e0f6a3b2c11",
            method: "POST",
            headers: SIDECAR_HEADERS,
            path: "/v1/orders?dry_run=1",
            host: "orders.shop.svc:8080",
            scheme: "http",
            size: 57,
            protocol: "HTTP/1.1",
          },
        },
        context_extensions: { "warden.policy": "orders-write", virtual_host: "orders" },
      },
    },
  },
  {
    // Not a realistic request: every field Warden declares holds a non-default value, so each number is exercised.
    name: "every declared field set",
    ours: {
      attributes: {
        source: {
          address: { socketAddress: { protocol: SocketAddress_Protocol.UDP, address: "fd00::7", portValue: 65535 } },
          service: "frontend",
          principal: "spiffe://cluster.local/ns/shop/sa/frontend",
          certificate: "-----BEGIN%20CERTIFICATE-----%0AMIIB-----END%20CERTIFICATE-----%0A",
        },
        destination: {
          address: { socketAddress: { protocol: SocketAddress_Protocol.TCP, address: "10.0.0.12", portValue: 1 } },
          service: "orders",
          principal: "spiffe://cluster.local/ns/shop/sa/orders",
          certificate: "",
        },
        request: {
          time: new Date("1999-12-31T23:59:59.999Z"),
          http: {
            id: "r-1",
            method: "PATCH",
            headers: { ":path": "/a?b=c#d", "x-empty": "" },
            path: "/a?b=c#d",
            host: "h",
            scheme: "https",
            query: "b=c",
            fragment: "d",
            size: -1,
            protocol: "HTTP/2",
            body: '{"x":1}',
          },
        },
        contextExtensions: { k: "v" },
      },
    },
    official: {
      attributes: {
        source: {
          address: {
            socket_address: { protocol: "UDP", address: "fd00::7", port_value: 65535 },
          },
          service: "frontend",
          principal: "spiffe://cluster.local/ns/shop/sa/frontend",
          certificate: "-----BEGIN%20CERTIFICATE-----%0AMIIB-----END%20CERTIFICATE-----%0A",
        },
        destination: {
          address: { socket_address: { address: "10.0.0.12", port_value: 1 } },
          service: "orders",
          principal: "spiffe://cluster.local/ns/shop/sa/orders",
        },
        request: {
          time: { seconds: 946684799, nanos: 999_000_000 },
          http: {
            id: "r-1",
            method: "PATCH",
            headers: { ":path": "/a?b=c#d", "x-empty": "" },
            path: "/a?b=c#d",
            host: "h",
            scheme: "https",
            query: "b=c",
            fragment: "d",
            size: -1,
            protocol: "HTTP/2",
            body: '{"x":1}',
          },
        },
        context_extensions: { k: "v" },
      },
    },
  },
];

// ---------------------------------------------------------------------------

describe("Warden's ext_authz protos are Envoy's, field for field", () => {
  /** Every message, enum and service under `namespace`. */
  function definitions(namespace: Namespace): ReflectionObject[] {
    return namespace.nestedArray.flatMap((child) => [
      child,
      ...(child instanceof protobuf.Namespace ? definitions(child) : []),
    ]);
  }
  const ourDefinitions = ["envoy", "google.rpc"].flatMap((name) => definitions(ours.lookup(name) as Namespace));

  const fieldShape = (type: Type, name: string) => {
    const field = type.fields[name];
    if (field === undefined) return undefined;
    return {
      id: field.id,
      type: field.resolvedType?.fullName ?? field.type,
      repeated: field.repeated,
      keyType: field instanceof protobuf.MapField ? field.keyType : undefined,
    };
  };

  it("declares only messages, enums and services that Envoy has", () => {
    expect(ourDefinitions.length).toBeGreaterThan(10);
    for (const definition of ourDefinitions) {
      if (definition instanceof protobuf.Namespace && definition.constructor === protobuf.Namespace) continue;
      const theirs = official.lookup(definition.fullName);
      expect(theirs?.constructor, definition.fullName).toBe(definition.constructor);
    }
  });

  it("gives every field Envoy's number, type and cardinality", () => {
    const types = ourDefinitions.filter((d): d is Type => d instanceof protobuf.Type);
    for (const type of types) {
      const theirs = official.lookupType(type.fullName);
      for (const name of Object.keys(type.fields)) {
        expect(fieldShape(type, name), `${type.fullName}.${name}`).toEqual(fieldShape(theirs, name));
      }
      for (const oneof of type.oneofsArray) {
        expect(theirs.oneofs?.[oneof.name]?.oneof, `${type.fullName}.${oneof.name}`).toEqual(
          expect.arrayContaining(oneof.oneof),
        );
      }
    }
  });

  it("gives every enum Envoy's names and numbers, all of them", () => {
    const enums = ourDefinitions.filter((d): d is Enum => d instanceof protobuf.Enum);
    expect(enums.map((e) => e.fullName).sort()).toEqual([
      ".envoy.config.core.v3.HeaderValueOption.HeaderAppendAction",
      ".envoy.config.core.v3.SocketAddress.Protocol",
      ".envoy.type.v3.StatusCode",
    ]);
    for (const ourEnum of enums) expect(ourEnum.values).toEqual(official.lookupEnum(ourEnum.fullName).values);
  });

  it("the generated TypeScript enums carry the same numbers", () => {
    const generated: [string, Record<string, string | number>][] = [
      ["envoy.type.v3.StatusCode", StatusCode],
      ["envoy.config.core.v3.HeaderValueOption.HeaderAppendAction", HeaderValueOption_HeaderAppendAction],
      ["envoy.config.core.v3.SocketAddress.Protocol", SocketAddress_Protocol],
    ];
    for (const [name, members] of generated) {
      const values = official.lookupEnum(name).values;
      for (const [label, number] of Object.entries(values)) expect(members[label], `${name}.${label}`).toBe(number);
    }
    expect([StatusCode.Unauthorized, StatusCode.Forbidden, StatusCode.ServiceUnavailable]).toEqual([401, 403, 503]);
  });

  it("serves Check at Envoy's method path with Envoy's message types", () => {
    const method = official.lookupService("envoy.service.auth.v3.Authorization").methods.Check!;
    const ourMethod = (ours.lookup("envoy.service.auth.v3.Authorization") as Service).methods.Check!;
    expect(AuthorizationService.check.path).toBe("/envoy.service.auth.v3.Authorization/Check");
    expect([ourMethod.resolvedRequestType?.fullName, ourMethod.resolvedResponseType?.fullName]).toEqual([
      method.resolvedRequestType?.fullName,
      method.resolvedResponseType?.fullName,
    ]);
    expect([AuthorizationService.check.requestStream, AuthorizationService.check.responseStream]).toEqual([
      Boolean(method.requestStream),
      Boolean(method.responseStream),
    ]);
  });
});

describe.each(RESPONSES)("CheckResponse: $name", ({ ours: message, official: object }) => {
  const ourBytes = CheckResponse.encode(message).finish();

  it("Envoy decodes what Warden encodes", () => {
    expect(decodeOfficial(OfficialCheckResponse, ourBytes)).toEqual(object);
  });

  it("Warden decodes what Envoy encodes", () => {
    expect(CheckResponse.decode(encodeOfficial(OfficialCheckResponse, object))).toEqual(message);
  });

  it("both encode the same bytes", () => {
    expect(Buffer.from(ourBytes).toString("hex")).toBe(
      Buffer.from(encodeOfficial(OfficialCheckResponse, object)).toString("hex"),
    );
  });

  it("round-trips through the other side unchanged", () => {
    const throughEnvoy = OfficialCheckResponse.encode(OfficialCheckResponse.decode(ourBytes)).finish();
    expect(CheckResponse.decode(throughEnvoy)).toEqual(message);
    const theirBytes = encodeOfficial(OfficialCheckResponse, object);
    const throughWarden = CheckResponse.encode(CheckResponse.decode(theirBytes)).finish();
    expect(decodeOfficial(OfficialCheckResponse, throughWarden)).toEqual(object);
  });

  it("keeps `append` present exactly where Warden set it, false included", () => {
    const decoded = OfficialCheckResponse.decode(ourBytes) as Message & {
      ok_response?: { headers: Message[] } | null;
      denied_response?: { headers: Message[] } | null;
    };
    const ourHeaders = message.okResponse?.headers ?? message.deniedResponse?.headers ?? [];
    const theirHeaders = decoded.ok_response?.headers ?? decoded.denied_response?.headers ?? [];
    expect(theirHeaders).toHaveLength(ourHeaders.length);
    ourHeaders.forEach((header, i) => {
      const append = (theirHeaders[i] as Message & { append?: { value: boolean } | null }).append;
      if (header.append === undefined) expect(append ?? null).toBeNull();
      else expect(append?.value).toBe(header.append);
    });
  });
});

describe.each(REQUESTS)("CheckRequest: $name", ({ ours: message, official: object }) => {
  const ourBytes = CheckRequest.encode(message).finish();

  it("Envoy decodes what Warden encodes", () => {
    expect(decodeOfficial(OfficialCheckRequest, ourBytes)).toEqual(object);
  });

  it("Warden decodes what Envoy encodes", () => {
    expect(CheckRequest.decode(encodeOfficial(OfficialCheckRequest, object))).toEqual(message);
  });

  it("both encode the same bytes, but for empty map values", () => {
    // protobufjs writes a map entry's empty key and value; ts-proto leaves
    // them out. Both read either form, so only maps without "" are compared.
    const theirs = Buffer.from(encodeOfficial(OfficialCheckRequest, object)).toString("hex");
    const hasEmptyMapValue = Object.values(message.attributes?.request?.http?.headers ?? {}).includes("");
    if (hasEmptyMapValue) expect(theirs).not.toBe(Buffer.from(ourBytes).toString("hex"));
    else expect(Buffer.from(ourBytes).toString("hex")).toBe(theirs);
  });

  it("round-trips through the other side unchanged", () => {
    const throughEnvoy = OfficialCheckRequest.encode(OfficialCheckRequest.decode(ourBytes)).finish();
    expect(CheckRequest.decode(throughEnvoy)).toEqual(message);
    const throughWarden = CheckRequest.encode(
      CheckRequest.decode(encodeOfficial(OfficialCheckRequest, object)),
    ).finish();
    expect(decodeOfficial(OfficialCheckRequest, throughWarden)).toEqual(object);
  });
});

describe("CheckRequest fields Warden does not declare", () => {
  it("are skipped, and the fields Warden reads still decode", () => {
    const [sidecar] = REQUESTS;
    const attributes = sidecar!.official.attributes as Record<string, Record<string, unknown>>;
    const richer = {
      attributes: {
        ...attributes,
        source: {
          ...attributes.source,
          labels: { app: "frontend" },
        },
        request: {
          ...attributes.request,
          http: {
            ...(attributes.request!.http as Record<string, unknown>),
            raw_body: "eyJ4IjoxfQ==",
            header_map: { headers: [{ key: "x-raw", raw_value: "AQI=" }] },
          },
        },
        metadata_context: {
          filter_metadata: { "envoy.filters.http.jwt_authn": { fields: { sub: { stringValue: "user-42" } } } },
        },
        tls_session: { sni: "orders.shop.svc" },
      },
    };
    const bytes = encodeOfficial(OfficialCheckRequest, richer);
    expect(bytes.length).toBeGreaterThan(encodeOfficial(OfficialCheckRequest, sidecar!.official).length);
    expect(CheckRequest.decode(bytes)).toEqual(sidecar!.ours);
  });
});
