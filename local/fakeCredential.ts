/**
 * A TokenCredential that hands out unsigned JWTs (`alg: none`). Azurite's `--oauth basic` checks `iss`, `aud`,
 * `nbf`, `exp` and `iat` but not the signature, so this lets the real SDKs talk to Azurite with the same
 * identity-based code path as production (where the credential is DefaultAzureCredential / managed identity).
 *
 * Local development and tests only. Never deployed, never sent anywhere but loopback stand-ins.
 */
import type { AccessToken, GetTokenOptions, TokenCredential } from '@azure/core-auth';

export const FAKE_TENANT_ID = '00000000-0000-0000-0000-000000000000';
export const FAKE_OBJECT_ID = '11111111-1111-1111-1111-111111111111';

export interface StaticTokenCredentialOptions {
  tenantId?: string;
  objectId?: string;
  /** Token lifetime; default one hour. */
  ttlSeconds?: number;
  /** Force this `aud` instead of deriving it from the requested scope. */
  audience?: string;
}

const b64url = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');

/** `https://storage.azure.com/.default` → `https://storage.azure.com`; anything else is returned unchanged. */
export function audienceForScope(scope: string): string {
  return scope.endsWith('/.default') ? scope.slice(0, -'/.default'.length) : scope;
}

/** An unsigned JWT for `aud`, valid from a minute ago (clock skew) for `ttlSeconds` (default 3600). */
export function fakeJwt(aud: string, options: Omit<StaticTokenCredentialOptions, 'audience'> = {}, nowMs = Date.now()): string {
  const tenantId = options.tenantId ?? FAKE_TENANT_ID;
  const now = Math.floor(nowMs / 1000);
  const claims = {
    aud,
    iss: `https://sts.windows.net/${tenantId}/`,
    iat: now - 60,
    nbf: now - 60,
    exp: now + (options.ttlSeconds ?? 3600),
    oid: options.objectId ?? FAKE_OBJECT_ID,
    sub: options.objectId ?? FAKE_OBJECT_ID,
    tid: tenantId,
    appid: options.objectId ?? FAKE_OBJECT_ID,
  };
  // `alg: none` tokens have an empty signature segment.
  return `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(claims)}.`;
}

export class StaticTokenCredential implements TokenCredential {
  /** Every `scopes` argument seen, in call order (normalised to arrays). */
  readonly scopesSeen: string[][] = [];

  constructor(private readonly options: StaticTokenCredentialOptions = {}) {}

  async getToken(scopes: string | string[], _options?: GetTokenOptions): Promise<AccessToken> {
    const list = Array.isArray(scopes) ? [...scopes] : [scopes];
    this.scopesSeen.push(list);
    const first = list[0];
    if (!this.options.audience && first === undefined) throw new Error('StaticTokenCredential: no scope requested');
    const aud = this.options.audience ?? audienceForScope(first!);
    const nowMs = Date.now();
    const ttlSeconds = this.options.ttlSeconds ?? 3600;
    return {
      token: fakeJwt(aud, this.options, nowMs),
      // Same instant as the token's `exp` claim.
      expiresOnTimestamp: (Math.floor(nowMs / 1000) + ttlSeconds) * 1000,
      tokenType: 'Bearer',
    };
  }
}
