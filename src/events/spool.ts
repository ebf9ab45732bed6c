import {
  closeSync,
  fdatasyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import path from "node:path";
import type { Logger } from "../log.js";
import type { EventRecord } from "./event.js";
import type { SpoolSettings } from "./event-options.js";

/** Records per file before a new one is started, so a busy replica's committed events are trimmed as it goes. */
const RECORDS_PER_FILE = 10_000;
const SUFFIX = ".ndjson";

/** One spool file. It is deleted once it is closed to appends and every event in it is committed (or refused). */
export class SpoolFile {
  /** Events written here and not yet committed. */
  outstanding = 0;
  written = 0;
  fd: number | undefined;

  constructor(
    readonly file: string,
    private readonly spool: EventSpool,
  ) {}

  /** An event from this file is committed, or refused for good: it needs no replay. */
  settled(): void {
    this.outstanding -= 1;
    this.spool.trim(this);
  }
}

export interface SpooledEvents {
  file: SpoolFile;
  records: EventRecord[];
}

/**
 * A local append-only log of Authenticate's fire-and-forget events, written
 * before their answer leaves (all events recorded in one turn of the event
 * loop go in one write, made before any I/O of that turn) and replayed on the
 * next start. Replay is idempotent: the database ignores an event id it holds.
 */
export class EventSpool {
  private current: SpoolFile | undefined;
  private lines: string[] = [];
  private linesFile: SpoolFile | undefined;
  private flushScheduled = false;
  private sequence = 0;
  /** Events that could not be written to the spool. */
  unsaved = 0;

  private constructor(
    private readonly settings: SpoolSettings,
    private readonly log: Logger,
    /** What a previous process left: to be written again. */
    readonly leftover: SpooledEvents[],
  ) {}

  /** Opens the spool folder and reads what the last process left in it. */
  static open(settings: SpoolSettings, log: Logger): EventSpool {
    mkdirSync(settings.dir, { recursive: true });
    const leftover: SpooledEvents[] = [];
    const spool = new EventSpool(settings, log, leftover);
    for (const name of readdirSync(settings.dir)
      .filter((file) => file.endsWith(SUFFIX))
      .sort()) {
      const file = new SpoolFile(path.join(settings.dir, name), spool);
      const records = readRecords(file.file, log);
      file.outstanding = records.length;
      if (records.length === 0) unlinkSync(file.file);
      else leftover.push({ file, records });
    }
    if (leftover.length > 0) {
      log.info(
        { files: leftover.length, events: leftover.reduce((sum, spooled) => sum + spooled.records.length, 0) },
        "replaying events spooled by the previous process",
      );
    }
    return spool;
  }

  /** Queues `record` for the next write; returns the file it goes to. */
  append(record: EventRecord): SpoolFile {
    if (this.current === undefined || this.current.written >= RECORDS_PER_FILE) this.rotate();
    const file = this.current!;
    file.outstanding += 1;
    file.written += 1;
    if (this.linesFile !== file) this.flush();
    this.linesFile = file;
    this.lines.push(`${JSON.stringify(record)}\n`);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      queueMicrotask(() => this.flush());
    }
    return file;
  }

  /** Deletes `file` when nothing in it needs replay any more and nothing more goes to it. */
  trim(file: SpoolFile): void {
    if (file.outstanding > 0 || (file === this.linesFile && this.lines.length > 0)) return;
    if (file === this.current) this.current = undefined;
    if (file.fd !== undefined) closeSync(file.fd);
    file.fd = undefined;
    try {
      unlinkSync(file.file);
    } catch (error) {
      this.log.warn({ err: error, file: file.file }, "could not delete a spool file whose events are committed");
    }
  }

  /** Writes what is queued and closes the file being appended to; what is in it is replayed on the next start. */
  close(): void {
    this.flush();
    const file = this.current;
    this.current = undefined;
    if (file?.fd !== undefined) closeSync(file.fd);
    if (file !== undefined) file.fd = undefined;
  }

  private rotate(): void {
    const previous = this.current;
    this.sequence += 1;
    const name = `events-${String(Date.now()).padStart(15, "0")}-${process.pid}-${this.sequence}${SUFFIX}`;
    this.current = new SpoolFile(path.join(this.settings.dir, name), this);
    if (previous !== undefined) {
      this.flush();
      if (previous.fd !== undefined) closeSync(previous.fd);
      previous.fd = undefined;
      if (previous.outstanding === 0) this.trim(previous);
    }
  }

  private flush(): void {
    this.flushScheduled = false;
    const file = this.linesFile;
    if (file === undefined || this.lines.length === 0) return;
    const text = this.lines.join("");
    const count = this.lines.length;
    this.lines = [];
    try {
      file.fd ??= openSync(file.file, "a");
      writeSync(file.fd, text);
      if (this.settings.sync === "batch") fdatasyncSync(file.fd);
    } catch (error) {
      this.unsaved += count;
      this.log.error({ err: error, file: file.file, events: count }, "could not write events to the spool");
    }
  }
}

/** The records of one spool file; a line cut short by a crash is skipped. */
function readRecords(file: string, log: Logger): EventRecord[] {
  const records: EventRecord[] = [];
  for (const line of readFileSync(file, "utf8").split("\n")) {
    if (line === "") continue;
    try {
      const record = JSON.parse(line) as EventRecord & { occurredAt: string };
      records.push({ ...record, occurredAt: new Date(record.occurredAt) });
    } catch {
      log.warn({ file }, "skipped an unreadable line of a spool file (cut short by a crash)");
    }
  }
  return records;
}
