/** Restricts a fault to requests whose path starts with `pathPrefix` (e.g. `/records`). Default: any path. */
export interface FaultMatch {
  pathPrefix?: string;
}

/** A canned response for {@link FaultPlan.failNext}. */
export interface FailOptions extends FaultMatch {
  status: number;
  /** JSON body, or a string sent as is. Default `{"error":{"code":"injected_fault",...}}`. */
  body?: unknown;
  headers?: Record<string, string | number>;
}

/** Which request {@link FaultPlan.holdNext} holds: a path prefix and query parameters it must carry. */
export interface HoldMatch extends FaultMatch {
  /** Each given parameter must have exactly this value, e.g. `{ page: '1' }`. */
  query?: Record<string, string>;
}

/** A request held until the test lets it go. */
export interface HeldRequest {
  /** Resolves when the matching request arrives (it is then held). */
  reached: Promise<void>;
  /** Lets the request (or, if it has not come yet, the next matching one) go through at once. Idempotent. */
  release(): void;
}

interface ArmedHold {
  match: HoldMatch;
  arrive: () => void;
  released: Promise<void>;
}

/** A response-level fault, answered after auth and rate limiting. */
export type ResponseFault =
  | { kind: 'fail'; status: number; body: unknown; headers: Record<string, string | number> }
  | { kind: 'rateLimit'; retryAfterSeconds: number };

type ArmedFault =
  | { kind: 'fail' | 'rateLimit'; remaining: number; pathPrefix: string; fault: ResponseFault }
  | { kind: 'delay'; remaining: number; pathPrefix: string; delayMs: number }
  | { kind: 'destroy'; remaining: number; pathPrefix: string };

/**
 * Failures injected into the next matching requests. Network faults (delay, destroy) happen
 * before auth and do not consume rate-limit points; response faults (fail, rateLimit) are
 * answered after auth and rate limiting, with the usual X-RateLimit-* headers.
 */
export class FaultPlan {
  #armed: ArmedFault[] = [];
  #holds: ArmedHold[] = [];

  /**
   * Holds the next request matching `match` (before auth, like a delay) until `release()`: a test can change the
   * data between two requests of a client, e.g. delete a connection while a listing pages (REFERENCE 10.3).
   */
  holdNext(match: HoldMatch = {}): HeldRequest {
    let arrive = () => {};
    let release = () => {};
    const reached = new Promise<void>((resolve) => (arrive = resolve));
    const released = new Promise<void>((resolve) => (release = resolve));
    this.#holds.push({ match, arrive, released });
    return { reached, release };
  }

  /** Consumes a hold for this request: a promise to wait on before answering, or undefined when none matches. */
  takeHold(path: string, query: Readonly<Record<string, unknown>>): Promise<void> | undefined {
    const index = this.#holds.findIndex(
      ({ match }) =>
        path.startsWith(match.pathPrefix ?? '') && Object.entries(match.query ?? {}).every(([key, value]) => query[key] === value),
    );
    const hold = this.#holds[index];
    if (!hold) return undefined;
    this.#holds.splice(index, 1);
    hold.arrive();
    return hold.released;
  }

  /** Answers the next `count` matching requests with the given status, body and headers. */
  failNext(count: number, options: FailOptions): void {
    const fault: ResponseFault = {
      kind: 'fail',
      status: options.status,
      body: options.body ?? { error: { code: 'injected_fault', message: `Injected ${options.status} by the stand-in's FaultPlan` } },
      headers: options.headers ?? {},
    };
    this.#arm({ kind: 'fail', remaining: count, pathPrefix: options.pathPrefix ?? '', fault });
  }

  /** Answers the next `count` matching requests with 429, `Retry-After: retryAfterSeconds`, Remaining 0. */
  rateLimitNext(count: number, retryAfterSeconds: number, match: FaultMatch = {}): void {
    this.#arm({ kind: 'rateLimit', remaining: count, pathPrefix: match.pathPrefix ?? '', fault: { kind: 'rateLimit', retryAfterSeconds } });
  }

  /** Holds the next `count` matching requests for `delayMs` before handling them normally. */
  delayNext(count: number, delayMs: number, match: FaultMatch = {}): void {
    this.#arm({ kind: 'delay', remaining: count, pathPrefix: match.pathPrefix ?? '', delayMs });
  }

  /** Resets the socket of the next `count` matching requests without a response (a network error). */
  destroyNext(count: number, match: FaultMatch = {}): void {
    this.#arm({ kind: 'destroy', remaining: count, pathPrefix: match.pathPrefix ?? '' });
  }

  /** Disarms every fault. */
  clear(): void {
    this.#armed = [];
    this.#holds = [];
  }

  /** How many injections are still armed, all kinds together. */
  get pending(): number {
    return this.#armed.reduce((sum, fault) => sum + fault.remaining, 0);
  }

  /** Consumes a delay for this path; milliseconds, or 0 when none is armed. */
  takeDelay(path: string): number {
    const armed = this.#take(path, (f) => f.kind === 'delay');
    return armed?.kind === 'delay' ? armed.delayMs : 0;
  }

  /** Consumes a socket reset for this path. */
  takeDestroy(path: string): boolean {
    return this.#take(path, (f) => f.kind === 'destroy') !== undefined;
  }

  /** Consumes the first armed response fault for this path. */
  takeResponseFault(path: string): ResponseFault | undefined {
    const armed = this.#take(path, (f) => f.kind === 'fail' || f.kind === 'rateLimit');
    return armed && 'fault' in armed ? armed.fault : undefined;
  }

  #arm(fault: ArmedFault): void {
    if (!Number.isInteger(fault.remaining) || fault.remaining < 1)
      throw new RangeError(`count must be a positive integer, got ${fault.remaining}`);
    this.#armed.push(fault);
  }

  #take(path: string, kind: (fault: ArmedFault) => boolean): ArmedFault | undefined {
    const index = this.#armed.findIndex((f) => kind(f) && path.startsWith(f.pathPrefix));
    const armed = this.#armed[index];
    if (!armed) return undefined;
    armed.remaining -= 1;
    if (armed.remaining === 0) this.#armed.splice(index, 1);
    return armed;
  }
}
