/**
 * Writes a small MaxMind DB (the GeoIP2 file format, version 2.0) holding
 * City-style records for a few IPv4 networks, so tests can exercise GeoIP
 * lookups without a licensed database. Format:
 * https://maxmind.github.io/MaxMind-DB/
 */

/** An unsigned integer of an explicit MMDB type (JS numbers alone would be written as doubles). */
class Unsigned {
  constructor(
    readonly value: number,
    readonly type: 5 | 6 | 9,
  ) {}
}

type Value = string | number | Unsigned | Value[] | { [key: string]: Value };

const TYPE = { utf8: 2, double: 3, map: 7, array: 11 } as const;

function control(type: number, size: number): Buffer {
  let sizeBits = size;
  const extra: number[] = [];
  if (size >= 29 && size < 285) {
    sizeBits = 29;
    extra.push(size - 29);
  } else if (size >= 285) {
    sizeBits = 30;
    extra.push((size - 285) >> 8, (size - 285) & 0xff);
  }
  const head = type <= 7 ? [(type << 5) | sizeBits] : [sizeBits, type - 7];
  return Buffer.from([...head, ...extra]);
}

function encode(value: Value): Buffer {
  if (typeof value === "string") {
    const bytes = Buffer.from(value, "utf8");
    return Buffer.concat([control(TYPE.utf8, bytes.length), bytes]);
  }
  if (typeof value === "number") {
    const bytes = Buffer.alloc(8);
    bytes.writeDoubleBE(value);
    return Buffer.concat([control(TYPE.double, 8), bytes]);
  }
  if (value instanceof Unsigned) {
    const bytes: number[] = [];
    for (let rest = BigInt(value.value); rest > 0n; rest >>= 8n) bytes.unshift(Number(rest & 0xffn));
    return Buffer.concat([control(value.type, bytes.length), Buffer.from(bytes)]);
  }
  if (Array.isArray(value)) return Buffer.concat([control(TYPE.array, value.length), ...value.map(encode)]);
  const entries = Object.entries(value);
  return Buffer.concat([control(TYPE.map, entries.length), ...entries.flatMap(([k, v]) => [encode(k), encode(v)])]);
}

export interface GeoRecord {
  /** IPv4 network, e.g. "203.0.113.0/24". */
  network: string;
  country: string;
  latitude: number;
  longitude: number;
}

/** An IPv4 City database (record size 24) answering for `records`' networks only. */
export function cityDatabase(records: GeoRecord[]): Buffer {
  const EMPTY = -1;
  // Each node's two records: another node's index, EMPTY, or -(2 + data offset).
  const nodes: [number, number][] = [[EMPTY, EMPTY]];
  const data: Buffer[] = [];
  let dataSize = 0;
  for (const record of records) {
    const [address, length] = record.network.split("/") as [string, string];
    const bits = address
      .split(".")
      .flatMap((octet) => [...Number(octet).toString(2).padStart(8, "0")].map(Number))
      .slice(0, Number(length));
    const encoded = encode({
      country: { iso_code: record.country },
      location: { latitude: record.latitude, longitude: record.longitude },
    });
    let node = 0;
    for (const [depth, bit] of bits.entries()) {
      if (depth === bits.length - 1) {
        nodes[node]![bit as 0 | 1] = -(2 + dataSize);
        break;
      }
      if (nodes[node]![bit as 0 | 1] === EMPTY) {
        nodes.push([EMPTY, EMPTY]);
        nodes[node]![bit as 0 | 1] = nodes.length - 1;
      }
      node = nodes[node]![bit as 0 | 1];
    }
    data.push(encoded);
    dataSize += encoded.length;
  }

  const nodeCount = nodes.length;
  const tree = Buffer.alloc(nodeCount * 6);
  nodes.forEach((pair, index) =>
    pair.forEach((record, side) => {
      const value = record === EMPTY ? nodeCount : record < EMPTY ? nodeCount + 16 + (-record - 2) : record;
      tree.writeUIntBE(value, index * 6 + side * 3, 3);
    }),
  );
  const metadata = encode({
    binary_format_major_version: new Unsigned(2, 5),
    binary_format_minor_version: new Unsigned(0, 5),
    build_epoch: new Unsigned(Math.floor(Date.now() / 1000), 9),
    database_type: "Warden-Test-City",
    description: { en: "Test networks for Warden" },
    ip_version: new Unsigned(4, 5),
    languages: ["en"],
    node_count: new Unsigned(nodeCount, 6),
    record_size: new Unsigned(24, 5),
  });
  return Buffer.concat([
    tree,
    Buffer.alloc(16),
    ...data,
    Buffer.from([0xab, 0xcd, 0xef]),
    Buffer.from("MaxMind.com"),
    metadata,
  ]);
}
