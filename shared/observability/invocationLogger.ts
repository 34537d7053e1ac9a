import type { InvocationContext } from '@azure/functions';
import { createLogger, type Logger } from './logger.js';

/** A Logger writing structured JSON lines through the Functions context (→ Application Insights). */
export function invocationLogger(context: InvocationContext): Logger {
  return createLogger((level, message, fields) => {
    const line = JSON.stringify({ message, ...fields });
    if (level === 'error') context.error(line);
    else if (level === 'warn') context.warn(line);
    else if (level === 'debug') context.debug(line);
    else context.info(line);
  }, { invocationId: context.invocationId, functionName: context.functionName });
}
