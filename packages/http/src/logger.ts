export type LogLevel = "debug" | "info" | "warn" | "error";

/** Where log lines go; `console` fits, and so does pino or any structured logger. */
export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/**
 * A logger that drops lines under `level` and passes every line, fields included, through
 * `redact` before it reaches `target`.
 */
export function levelLogger(target: Logger, level: LogLevel, redact: (text: string) => string): Logger {
  const emit = (at: LogLevel) => (message: string, fields?: Record<string, unknown>) => {
    if (ORDER[at] < ORDER[level]) return;
    const safeFields = fields
      ? (JSON.parse(redact(JSON.stringify(fields))) as Record<string, unknown>)
      : undefined;
    target[at](redact(message), safeFields);
  };
  return { debug: emit("debug"), info: emit("info"), warn: emit("warn"), error: emit("error") };
}
