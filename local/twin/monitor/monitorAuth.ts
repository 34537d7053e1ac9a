/**
 * The bearer token check of the Monitor face: present, a JWT, not expired, and for the right audience. The signature
 * is not checked (tests use unsigned tokens from local/fakeCredential.ts), but the audience is: a client asking for the
 * wrong scope must fail here as it would in Azure.
 *
 * Statuses and codes: a missing header is 401 `AuthenticationFailed` and a bad or wrong-audience token is 403
 * `InvalidAuthenticationToken(Audience)` on the logs API, as the Log Analytics API errors page lists them
 * (learn.microsoft.com/azure/azure-monitor/logs/api/errors). For the metrics batch API no such list is published;
 * the face answers 401 with the same codes, as Azure Resource Manager does.
 */
import type { IncomingMessage } from 'node:http';

export type MonitorApi = 'logs' | 'metrics';

/** Audiences each API accepts (with or without the trailing slash Entra sometimes puts in `aud`). */
const AUDIENCES: Record<MonitorApi, readonly string[]> = {
  logs: ['https://api.loganalytics.io'],
  // The metrics SDK asks for https://management.azure.com/.default; the swagger names https://metrics.monitor.azure.com.
  metrics: ['https://management.azure.com', 'https://metrics.monitor.azure.com'],
};

export interface AuthRefusal {
  readonly status: 401 | 403;
  readonly code: string;
  readonly message: string;
}

export function checkToken(api: MonitorApi, req: IncomingMessage, nowMs: number): AuthRefusal | undefined {
  const bad = api === 'logs' ? 403 : 401;
  const header = req.headers.authorization;
  if (!header) return { status: 401, code: 'AuthenticationFailed', message: "Authentication failed. The 'Authorization' header is missing." };
  const m = /^Bearer\s+(\S+)$/i.exec(header);
  const claims = m ? decodeClaims(m[1]!) : undefined;
  if (!claims) return { status: bad, code: 'InvalidAuthenticationToken', message: 'The access token is invalid.' };
  if (typeof claims.exp !== 'number' || claims.exp * 1000 <= nowMs) {
    return { status: bad, code: 'InvalidAuthenticationToken', message: 'The access token is invalid: it has expired.' };
  }
  const aud = typeof claims.aud === 'string' ? claims.aud.replace(/\/$/, '') : '';
  if (!AUDIENCES[api].includes(aud)) {
    return {
      status: bad, code: 'InvalidAuthenticationTokenAudience',
      message: `The access token has been obtained from wrong audience or resource '${String(claims.aud)}'. It should exactly match with one of the allowed audiences ${AUDIENCES[api].map((a) => `'${a}'`).join(',')}.`,
    };
  }
  return undefined;
}

function decodeClaims(token: string): { aud?: unknown; exp?: unknown } | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  try {
    const claims: unknown = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8'));
    return typeof claims === 'object' && claims !== null ? claims as { aud?: unknown; exp?: unknown } : undefined;
  } catch {
    return undefined;
  }
}
