import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";

interface ThreadData<I> {
  module: string;
  input: I;
}

const entry = new URL("./ts-worker.mjs", import.meta.url);

/** Runs `module`'s serveThread work on a new thread; resolves with what it returns. */
export function runOnThread<O>(module: string, input: unknown): Promise<O> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(entry, { workerData: { module, input } satisfies ThreadData<unknown> });
    worker.once("message", resolve);
    worker.once("error", reject);
  });
}

/** On a thread started by runOnThread for `module`: runs `work` on its input and posts the result back. */
export function serveThread<I, O>(module: string, work: (input: I) => Promise<O>): void {
  if (isMainThread || parentPort === null) return;
  const data = workerData as ThreadData<I>;
  if (data.module !== module) return;
  const port = parentPort;
  void work(data.input).then((result) => port.postMessage(result));
}
