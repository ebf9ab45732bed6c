import { Client, credentials, Metadata, status, type ServiceError } from "@grpc/grpc-js";
import { readFile } from "node:fs/promises";
import { createFileRegistry, fromBinary, ScalarType, type DescField, type DescMessage } from "@bufbuild/protobuf";
import { FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import { BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import { afterAll, beforeAll, expect, it } from "vitest";
import { bearer, createToken, startTestWarden, type TestWarden } from "./support/warden.js";

// Every request field that holds a 64-bit integer or a Timestamp, found by
// walking the descriptor set the server is built from, gets a value out of
// range on the wire (the generated clients cannot write most of them).

const INT64_TYPES = new Set([
  ScalarType.INT64,
  ScalarType.UINT64,
  ScalarType.SINT64,
  ScalarType.FIXED64,
  ScalarType.SFIXED64,
]);
const TIMESTAMP = "google.protobuf.Timestamp";
const BEYOND_EXACT = 2n ** 53n;
const YEAR_10000 = 253_402_300_800n;

interface NumberField {
  method: string;
  streaming: boolean;
  /** From the request down to the field. */
  path: DescField[];
}

function numberFields(type: DescMessage, visiting: string[] = []): DescField[][] {
  if (visiting.includes(type.typeName)) return [];
  const found: DescField[][] = [];
  for (const field of type.fields) {
    if (field.fieldKind === "map") continue;
    const scalar = field.fieldKind === "scalar" || field.fieldKind === "list" ? field.scalar : undefined;
    const message = field.fieldKind === "message" || field.fieldKind === "list" ? field.message : undefined;
    if (scalar !== undefined && INT64_TYPES.has(scalar)) found.push([field]);
    else if (message?.typeName === TIMESTAMP) found.push([field]);
    else if (message !== undefined) {
      for (const below of numberFields(message, [...visiting, type.typeName])) found.push([field, ...below]);
    }
  }
  return found;
}

function writeInt64(writer: BinaryWriter, field: DescField, value: bigint): void {
  const scalar = field.scalar!;
  if (scalar === ScalarType.FIXED64) writer.tag(field.number, WireType.Bit64).fixed64(value);
  else if (scalar === ScalarType.SFIXED64) writer.tag(field.number, WireType.Bit64).sfixed64(value);
  else if (scalar === ScalarType.SINT64) writer.tag(field.number, WireType.Varint).sint64(value);
  else if (scalar === ScalarType.UINT64) writer.tag(field.number, WireType.Varint).uint64(value);
  else writer.tag(field.number, WireType.Varint).int64(value);
}

/** A request holding only the field at `path`, set by `leaf`. */
function encode(path: DescField[], leaf: (writer: BinaryWriter, field: DescField) => void): Uint8Array {
  const [field, ...rest] = path;
  const writer = new BinaryWriter();
  if (rest.length === 0) leaf(writer, field!);
  else writer.tag(field!.number, WireType.LengthDelimited).bytes(encode(rest, leaf));
  return writer.finish();
}

const timestamp = (seconds: bigint, nanos: number) => (writer: BinaryWriter, field: DescField) => {
  const inner = new BinaryWriter().tag(1, WireType.Varint).int64(seconds).tag(2, WireType.Varint).int32(nanos).finish();
  writer.tag(field.number, WireType.LengthDelimited).bytes(inner);
};

/** The path as the server names it: repeated fields carry the index of their one element. */
const fieldName = (path: DescField[]) =>
  path
    .map((field) => (field.fieldKind === "list" && field.message !== undefined ? `${field.name}[0]` : field.name))
    .join(".");

/** Each out-of-range value for a field, with the name the answer must give. */
function outOfRange(path: DescField[]): { bytes: Uint8Array; field: string }[] {
  const name = fieldName(path);
  const last = path.at(-1)!;
  if (last.message?.typeName === TIMESTAMP) {
    return [
      { bytes: encode(path, timestamp(YEAR_10000, 0)), field: `${name}.seconds` },
      { bytes: encode(path, timestamp(-62_135_596_801n, 0)), field: `${name}.seconds` },
      { bytes: encode(path, timestamp(0n, 1_999_999_999)), field: `${name}.nanos` },
      { bytes: encode(path, timestamp(0n, -1)), field: `${name}.nanos` },
    ];
  }
  const indexed = last.fieldKind === "list" ? `${name}[0]` : name;
  const values =
    last.scalar === ScalarType.UINT64 || last.scalar === ScalarType.FIXED64
      ? [BEYOND_EXACT]
      : [BEYOND_EXACT, -BEYOND_EXACT];
  return values.map((value) => ({
    bytes: encode(path, (writer, field) => writeInt64(writer, field, value)),
    field: indexed,
  }));
}

/** In range, at the edges: never refused as out of range. */
function inRange(path: DescField[]): Uint8Array[] {
  const last = path.at(-1)!;
  if (last.message?.typeName === TIMESTAMP) {
    return [encode(path, timestamp(YEAR_10000 - 1n, 999_999_999)), encode(path, timestamp(-62_135_596_800n, 0))];
  }
  return [encode(path, (writer, field) => writeInt64(writer, field, BEYOND_EXACT - 1n))];
}

let t: TestWarden;
let client: Client;
let fields: NumberField[];
/** The edge establishes the caller before it looks at the request: calls come from one holding every scope. */
let admin: Metadata;

beforeAll(async () => {
  t = await startTestWarden();
  client = new Client(`127.0.0.1:${t.warden.grpcPort}`, credentials.createInsecure());
  admin = bearer(await createToken(t.db.url, "numbers-admin", ["admin"]));
  const registry = createFileRegistry(fromBinary(FileDescriptorSetSchema, await readFile("src/gen/warden.binpb")));
  fields = [];
  for (const file of registry.files) {
    for (const service of file.services) {
      for (const method of service.methods) {
        for (const path of numberFields(method.input)) {
          fields.push({
            method: `/${service.typeName}/${method.name}`,
            streaming: method.methodKind === "server_streaming",
            path,
          });
        }
      }
    }
  }
});
afterAll(async () => {
  client.close();
  await t.stop();
});

function send(field: NumberField, bytes: Uint8Array): Promise<ServiceError | undefined> {
  const identity = (value: Buffer | Uint8Array) => Buffer.from(value);
  const deadline = { deadline: Date.now() + 5000 };
  return new Promise((resolve) => {
    if (!field.streaming) {
      client.makeUnaryRequest(field.method, identity, identity, Buffer.from(bytes), admin, deadline, (error) =>
        resolve(error ?? undefined),
      );
      return;
    }
    const stream = client.makeServerStreamRequest(
      field.method,
      identity,
      identity,
      Buffer.from(bytes),
      admin,
      deadline,
    );
    stream.on("data", () => stream.cancel());
    stream.on("error", (error: ServiceError) => resolve(error));
    stream.on("end", () => resolve(undefined));
  });
}

it("finds the fields the issue names among those it checks", () => {
  const names = fields.map((field) => `${field.method} ${fieldName(field.path)}`);
  expect(names).toEqual(
    expect.arrayContaining([
      "/warden.v1.AuthService/ListEvents occurred_after",
      "/warden.v1.AuthService/LogEvent event.occurred_at",
      "/warden.v1.AccessService/Check min_version",
      "/warden.v1.AuditService/VerifyAuditChain from_seq",
    ]),
  );
});

it("answers INVALID_ARGUMENT naming the field for every out-of-range number in every request", async () => {
  const answers: string[] = [];
  const expected: string[] = [];
  for (const field of fields) {
    for (const { bytes, field: name } of outOfRange(field.path)) {
      const error = await send(field, bytes);
      answers.push(`${field.method} ${error === undefined ? "OK" : status[error.code]} ${error?.details ?? ""}`);
      expected.push(`${field.method} INVALID_ARGUMENT ${name}: out of range`);
    }
  }
  expect(answers.map((answer) => answer.split(": out of range")[0] + ": out of range")).toEqual(expected);
});

it("takes the largest exact integers and the first and last protobuf times", async () => {
  for (const field of fields) {
    for (const bytes of inRange(field.path)) {
      const error = await send(field, bytes);
      expect(error?.code, `${field.method} ${fieldName(field.path)}`).not.toBe(status.INTERNAL);
      expect(error?.details ?? "").not.toMatch(/out of range/);
    }
  }
});
