/** A property the lane exists to prove did not hold: the target is broken. */
export class PropertyViolation extends Error {
  readonly property: string;
  readonly stepPath: string[];
  constructor(property: string, stepPath: string[], detail?: string) {
    super(`${[...stepPath].join(' › ')}: property "${property}" violated${detail ? `: ${detail}` : ''}`);
    this.name = 'PropertyViolation';
    this.property = property;
    this.stepPath = stepPath;
  }
}

/** The harness itself could not do its job (bad input, missing tool, crashed helper): not a verdict on the target. */
export class HarnessError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'HarnessError';
  }
}

/** A lane cannot run on this host; the named requirements are missing. */
export class BlockedError extends Error {
  readonly missing: string[];
  constructor(missing: string[]) {
    super(`blocked: missing ${missing.join(', ')}`);
    this.name = 'BlockedError';
    this.missing = missing;
  }
}

/** A bounded wait ran out. The message says what was awaited and for how long. */
export class WaitTimeoutError extends Error {
  readonly waitedMs: number;
  constructor(message: string, waitedMs: number) {
    super(message);
    this.name = 'WaitTimeoutError';
    this.waitedMs = waitedMs;
  }
}

/**
 * What a probe throws when its observation settles the wait as failed: the awaited condition can no longer come
 * true (e.g. an operation reported done while the state it promises is provably not there). `eventually` does not
 * retry it; the wait ends at once, reported like a wait that ran out its bound (a WaitSettledError). A probe that
 * merely has not succeeded yet throws anything else and keeps being retried until its bound.
 */
export class SettledViolation extends Error {
  constructor(observation: string) {
    super(observation);
    this.name = 'SettledViolation';
  }
}

/**
 * A bounded wait that ended before its bound because its probe saw a settled violation. It is a WaitTimeoutError
 * so that every wait reports it as it reports a bound run out: a lane's `eventually` or `until` fails its named
 * property, with the observation as the detail.
 */
export class WaitSettledError extends WaitTimeoutError {
  constructor(message: string, waitedMs: number) {
    super(message, waitedMs);
    this.name = 'WaitSettledError';
  }
}

/** A service operation the target does not (yet) bind, named `service.operation`. Never a pass, never retried. */
export class BindingRequiredError extends BlockedError {
  readonly operation: string;
  constructor(operation: string, target: string) {
    super([operation]);
    this.message = `binding required: ${operation} (target ${target} provides no binding for it)`;
    this.name = 'BindingRequiredError';
    this.operation = operation;
  }
}

/**
 * Why `err` ended a step or lane: a broken property (the target is wrong) or a broken harness (anything else that
 * stopped the run: a node out of reach, ECONNREFUSED or ECONNRESET, a port clash, a transient "leader changed", a
 * setup error, a wait that ran out outside a check). A missing capability is neither: null.
 */
export function failureClassOf(err: unknown): 'property' | 'harness' | null {
  if (err instanceof BlockedError) return null;
  if (err instanceof PropertyViolation) return 'property';
  return 'harness';
}

/**
 * What a failed lane's Vitest test throws: its message is the lane's failure, its name says its class, so
 * Vitest's retry condition (which sees the error serialized) reruns a lane only when its harness broke.
 */
export class LaneFailedError extends Error {
  readonly failureClass: 'property' | 'harness';
  constructor(message: string, failureClass: 'property' | 'harness') {
    super(message);
    this.name = failureClass === 'property' ? 'LanePropertyViolation' : 'LaneHarnessFailure';
    this.failureClass = failureClass;
  }
}
