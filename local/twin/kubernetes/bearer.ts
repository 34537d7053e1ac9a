/**
 * Who may call the twin's API servers: a bearer JWT for the AKS AAD server application, unexpired by the face's
 * clock. AKS-managed Entra clusters take tokens "issued for this app" (`Azure/kubelogin` docs, research
 * control-plane.md §4.6). The twin only decodes the token (the local fake credential signs nothing); it never
 * checks anything remotely.
 */

export const AKS_SERVER_APP_ID = '6dae42f8-4368-4678-94ff-3960e28e3630';

/** Entra ID tolerates this much clock skew on `nbf`. */
const NBF_SKEW_MS = 5 * 60 * 1000;

export interface TokenPolicy {
  readonly now: number;
  /** Tokens whose `iat` is earlier are refused (as if the signing keys rolled or the identity was revoked). */
  readonly rejectIssuedBefore?: number;
}

export type BearerCheck = { readonly ok: true; readonly claims: Record<string, unknown> } | { readonly ok: false; readonly why: string };

export function checkBearer(authorization: string | undefined, policy: TokenPolicy): BearerCheck {
  const m = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
  if (!m) return { ok: false, why: 'no bearer token' };
  const parts = m[1]!.split('.');
  if (parts.length !== 3) return { ok: false, why: 'not a JWT' };
  let claims: unknown;
  try {
    claims = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8'));
  } catch {
    return { ok: false, why: 'unreadable claims' };
  }
  if (typeof claims !== 'object' || claims === null) return { ok: false, why: 'unreadable claims' };
  const c = claims as Record<string, unknown>;
  const aud = Array.isArray(c['aud']) ? c['aud'] : [c['aud']];
  if (!aud.includes(AKS_SERVER_APP_ID)) return { ok: false, why: `audience ${JSON.stringify(c['aud'])} is not the AKS server application` };
  if (typeof c['exp'] !== 'number' || c['exp'] * 1000 <= policy.now) return { ok: false, why: 'expired' };
  if (typeof c['nbf'] === 'number' && c['nbf'] * 1000 > policy.now + NBF_SKEW_MS) return { ok: false, why: 'not yet valid' };
  if (policy.rejectIssuedBefore !== undefined && (typeof c['iat'] !== 'number' || c['iat'] * 1000 < policy.rejectIssuedBefore)) {
    return { ok: false, why: 'issued before the cut-off' };
  }
  return { ok: true, claims: c };
}
