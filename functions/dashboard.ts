/**
 * `GET /api/dashboard`: the operator's live dashboard. The page is static (no fleet data, no secrets in it);
 * its script calls the keyed APIs (`/api/fleet`, `/api/actions`, `/api/ops/…`) with the function key from the
 * page's own `?code=` as `x-functions-key` — locally `http://127.0.0.1:7071/api/dashboard?code=<key>`. Behind
 * App Service Authentication the same-origin requests carry the session, and the APIs check the roles.
 */
import { randomBytes } from 'node:crypto';
import { app, type HttpRequest, type HttpResponseInit } from '@azure/functions';
import { dashboardCsp, dashboardHtml } from '../shared/dashboard/page.js';

export async function dashboard(_request: HttpRequest): Promise<HttpResponseInit> {
  // A fresh nonce per response: only the page's own inline script and style run.
  const nonce = randomBytes(16).toString('base64');
  return {
    status: 200,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': dashboardCsp(nonce),
      'cache-control': 'no-store',
      // The address holds the function key: never hand it on.
      'referrer-policy': 'no-referrer',
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
    },
    body: dashboardHtml(nonce),
  };
}

app.http('dashboard', { route: 'api/dashboard', methods: ['GET'], authLevel: 'anonymous', handler: dashboard });
