/**
 * Structured logs. Every line is one JSON-able record with a message and fields; the correlation id
 * (the signal id, the job id, or the Functions invocation id) travels with the logger.
 */
export type LogFields = Record<string, unknown>;
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** A logger whose lines all carry `fields` too (e.g. { correlationId }). */
  with(fields: LogFields): Logger;
}

export type LogSink = (level: LogLevel, message: string, fields: LogFields) => void;

export function createLogger(sink: LogSink, base: LogFields = {}): Logger {
  const at = (level: LogLevel) => (message: string, fields: LogFields = {}) => sink(level, message, { ...base, ...fields });
  return {
    debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'),
    with: (fields) => createLogger(sink, { ...base, ...fields }),
  };
}

export const silentLogger: Logger = createLogger(() => {});

export const errorMessage = (e: unknown): string => (e instanceof Error ? e.message : String(e));
