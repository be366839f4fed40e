// A bad command line: one line for stderr, exit code 2.
export class ConfigError extends Error {
  readonly code = 'ERR_CONFIG';
  constructor(message: string) {
    // One line, always: messages quote user input, which could hold a newline.
    super(message.replace(/[\r\n]+/g, ' '));
    this.name = 'ConfigError';
  }
}

export const EXIT_USAGE = 2;
