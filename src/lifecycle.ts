import type { Logger } from "./log.js";

interface Started {
  name: string;
  stop: () => Promise<void> | void;
}

/**
 * The components a process runs, in the order they started; stopAll() stops
 * them in reverse, so each stops while what it depends on still runs.
 */
export class Components {
  private readonly started: Started[] = [];

  constructor(private readonly log: Logger) {}

  /** Starts a component (or takes one already started) and remembers how to stop it. */
  async start<T>(name: string, starting: T | Promise<T>, stop: (component: T) => Promise<void> | void): Promise<T> {
    const component = await starting;
    this.started.push({ name, stop: () => stop(component) });
    return component;
  }

  /**
   * Stops everything started, last first. A component that fails to stop
   * does not keep the rest running; the first failure is thrown at the end,
   * so the process can exit non-zero.
   */
  async stopAll(): Promise<void> {
    let failure: Error | undefined;
    for (const { name, stop } of this.started.splice(0).reverse()) {
      try {
        await stop();
      } catch (error) {
        this.log.error({ err: error, component: name }, "component failed to stop");
        failure ??= error instanceof Error ? error : new Error(`${name} failed to stop`);
      }
    }
    if (failure !== undefined) throw failure;
  }
}
