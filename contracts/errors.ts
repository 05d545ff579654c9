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
