/** Errors we throw on purpose. Each carries the process exit code the CLI uses for it. */
export class OakError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Wrong flags or arguments: the user must change the command line (exit 2). */
export class UsageError extends OakError {
  constructor(message: string) {
    super(message, 2);
  }
}

/** The command was well-formed but could not be carried out (exit 1). */
export class CommandFailed extends OakError {
  constructor(message: string) {
    super(message, 1);
  }
}
