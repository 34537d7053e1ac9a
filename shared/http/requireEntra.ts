/**
 * In Azure (AUTOPILOT_REQUIRE_ENTRA=true), callers of the operator routes must come through App Service
 * Authentication with an Entra principal, whose app roles decide what they may do; locally the function
 * key alone is enough. Validated with the other settings (shared/config/settings.ts).
 */
export function requireEntra(env: Readonly<Record<string, string | undefined>> = process.env): boolean {
  return env.AUTOPILOT_REQUIRE_ENTRA === 'true';
}
