import { readFileSync } from "node:fs";
import path from "node:path";
import type { ServiceDefinition } from "@grpc/grpc-js";
import { createFileRegistry, fromBinary, ScalarType, type DescField, type DescMessage } from "@bufbuild/protobuf";
import { FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import { BinaryReader, WireType } from "@bufbuild/protobuf/wire";
import { InvalidArgumentError } from "../errors.js";
import type { Duration } from "../gen/google/protobuf/duration.js";
import { PROJECT_ROOT } from "../paths.js";

/** What the generated code can hold exactly: it decodes 64-bit integers to numbers (ts-proto forceLong=number). */
const MAX_EXACT = BigInt(Number.MAX_SAFE_INTEGER);
const INT64_TYPES = new Set([
  ScalarType.INT64,
  ScalarType.UINT64,
  ScalarType.SINT64,
  ScalarType.FIXED64,
  ScalarType.SFIXED64,
]);
/** The range google/protobuf/timestamp.proto allows: 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999999999Z. */
const TIMESTAMP = "google.protobuf.Timestamp";
const MIN_SECONDS = -62_135_596_800n;
const MAX_SECONDS = 253_402_300_799n;
const MAX_NANOS = 999_999_999n;

export interface OutOfRange {
  /** The field's path as the caller wrote it, e.g. `events[1].occurred_at.seconds`. */
  field: string;
  problem: string;
}

type Scan = (reader: BinaryReader, wireType: WireType, field: string) => OutOfRange | undefined;

interface FieldCheck {
  name: string;
  repeated: boolean;
  /** A 64-bit integer field, rather than a message. */
  integers: boolean;
  scan: Scan;
}

function readInt64(reader: BinaryReader, type: ScalarType): bigint {
  switch (type) {
    case ScalarType.UINT64:
      return BigInt(reader.uint64());
    case ScalarType.SINT64:
      return BigInt(reader.sint64());
    case ScalarType.FIXED64:
      return BigInt(reader.fixed64());
    case ScalarType.SFIXED64:
      return BigInt(reader.sfixed64());
    default:
      return BigInt(reader.int64());
  }
}

/** Checks one 64-bit integer, or each of a packed run of them. */
function scanInt64(type: ScalarType): Scan {
  const check = (value: bigint, field: string) =>
    value > MAX_EXACT || value < -MAX_EXACT
      ? { field, problem: `out of range: at most ${Number.MAX_SAFE_INTEGER} in magnitude` }
      : undefined;
  return (reader, wireType, field) => {
    if (wireType !== WireType.LengthDelimited) return check(readInt64(reader, type), field);
    const end = reader.uint32() + reader.pos;
    for (let index = 0; reader.pos < end; index += 1) {
      const problem = check(readInt64(reader, type), `${field}[${index}]`);
      if (problem !== undefined) return problem;
    }
    return undefined;
  };
}

function scanTimestamp(reader: BinaryReader, _wireType: WireType, field: string): OutOfRange | undefined {
  const inner = new BinaryReader(reader.bytes());
  let seconds = 0n;
  let nanos = 0n;
  while (inner.pos < inner.len) {
    const [number, wireType] = inner.tag();
    if (number === 1 && wireType === WireType.Varint) seconds = BigInt(inner.int64());
    else if (number === 2 && wireType === WireType.Varint) nanos = BigInt(inner.int32());
    else inner.skip(wireType, number);
  }
  if (seconds < MIN_SECONDS || seconds > MAX_SECONDS) {
    return { field: `${field}.seconds`, problem: "out of range: a time from 0001-01-01 to 9999-12-31" };
  }
  if (nanos < 0n || nanos > MAX_NANOS) {
    return { field: `${field}.nanos`, problem: "out of range: 0 to 999,999,999" };
  }
  return undefined;
}

/**
 * For each message type, how to check its fields that hold numbers the
 * generated code would misread (or fail on); undefined when none do, at any
 * depth, so such messages cost nothing.
 */
const scanners = new Map<string, Map<number, FieldCheck> | undefined>();

function fieldScan(field: DescField): Scan | undefined {
  const scalar = field.fieldKind === "scalar" || field.fieldKind === "list" ? field.scalar : undefined;
  if (scalar !== undefined) return INT64_TYPES.has(scalar) ? scanInt64(scalar) : undefined;
  const message = field.fieldKind === "message" || field.fieldKind === "list" ? field.message : undefined;
  if (message === undefined) return undefined;
  if (message.typeName === TIMESTAMP) return scanTimestamp;
  if (scannerOf(message) === undefined) return undefined;
  return (reader, _wireType, name) => {
    const inner = reader.bytes();
    return outOfRangeNumber(message, inner, `${name}.`);
  };
}

function scannerOf(type: DescMessage): Map<number, FieldCheck> | undefined {
  if (scanners.has(type.typeName)) return scanners.get(type.typeName);
  // A type met again through its own fields counts as clean meanwhile: a number reachable only through such a
  // cycle would be missed. Map fields are not read either. Neither occurs in Warden's requests (their maps are
  // string to string), and test/numbers.test.ts walks every request type to show each number is checked.
  scanners.set(type.typeName, undefined);
  const fields = new Map<number, FieldCheck>();
  for (const field of type.fields) {
    const scan = fieldScan(field);
    if (scan !== undefined)
      fields.set(field.number, {
        name: field.name,
        repeated: field.fieldKind === "list",
        integers: field.scalar !== undefined,
        scan,
      });
  }
  const result = fields.size === 0 ? undefined : fields;
  scanners.set(type.typeName, result);
  return result;
}

/**
 * The first number in an encoded `type` that is out of range: a 64-bit
 * integer beyond 2^53, or a Timestamp outside what protobuf defines. Reads
 * the wire bytes without decoding the rest.
 */
export function outOfRangeNumber(type: DescMessage, bytes: Uint8Array, prefix = ""): OutOfRange | undefined {
  const fields = scannerOf(type);
  if (fields === undefined) return undefined;
  const reader = new BinaryReader(bytes);
  const seen = new Map<number, number>();
  while (reader.pos < reader.len) {
    const [number, wireType] = reader.tag();
    const field = fields.get(number);
    if (field === undefined) {
      reader.skip(wireType, number);
      continue;
    }
    const index = seen.get(number) ?? 0;
    seen.set(number, index + 1);
    // A packed run of integers numbers its own elements.
    const indexed = field.repeated && !(field.integers && wireType === WireType.LengthDelimited);
    const problem = field.scan(reader, wireType, `${prefix}${field.name}${indexed ? `[${index}]` : ""}`);
    if (problem !== undefined) return problem;
  }
  return undefined;
}

/** A request refused while being decoded; the edge answers INVALID_ARGUMENT for it (see inRange). */
class OutOfRangeRequest {
  constructor(readonly outOfRange: OutOfRange) {}
}

const registry = createFileRegistry(
  fromBinary(FileDescriptorSetSchema, readFileSync(path.join(PROJECT_ROOT, "src", "gen", "warden.binpb"))),
);

/**
 * A service definition whose request decoding first checks the request's
 * numbers: a request with one out of range decodes to a marker, since an error
 * thrown while decoding becomes INTERNAL in grpc-js.
 */
export function checkedNumbers<Service extends ServiceDefinition>(service: Service): Service {
  const methods = Object.entries(service).map(([name, method]) => {
    const [, serviceName, methodName] = method.path.split("/") as [string, string, string];
    const input = registry.getService(serviceName)?.methods.find((m) => m.name === methodName)?.input;
    if (input === undefined || scannerOf(input) === undefined) return [name, method];
    const requestDeserialize = (bytes: Buffer): unknown => {
      const outOfRange = outOfRangeNumber(input, bytes);
      return outOfRange === undefined
        ? (method.requestDeserialize(bytes) as unknown)
        : new OutOfRangeRequest(outOfRange);
    };
    return [name, { ...method, requestDeserialize }];
  });
  return Object.fromEntries(methods) as Service;
}

/** The request, or (for one checkedNumbers refused) the INVALID_ARGUMENT naming its field. */
export function inRange<Request>(request: Request): Request {
  if (request instanceof OutOfRangeRequest) {
    throw new InvalidArgumentError(request.outOfRange.field, request.outOfRange.problem);
  }
  return request;
}

/** A request's Duration in milliseconds; undefined when unset. */
export function milliseconds(duration: Duration | undefined): number | undefined {
  return duration === undefined ? undefined : duration.seconds * 1000 + Math.floor(duration.nanos / 1e6);
}
