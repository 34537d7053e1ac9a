/**
 * `GET /`: the dashboard's contract address (DESIGN §7). The page itself is served at `/api/dashboard`; the site
 * root sends the browser there with its query (the `?code=` the page uses as its key) intact. A catch-all route
 * is how an app claims the root (the host gives every more specific route, and its own `/admin` and `/runtime`
 * routes, precedence); any other path it catches is an honest 404.
 */
import { app, type HttpRequest, type HttpResponseInit } from '@azure/functions';

export async function dashboardRoot(request: HttpRequest): Promise<HttpResponseInit> {
  const path = request.params['path'] ?? '';
  if (path !== '') return { status: 404, jsonBody: { error: 'NotFound', message: `no function serves /${path}` } };
  const query = new URL(request.url).search;
  return { status: 302, headers: { location: `/api/dashboard${query}`, 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' } };
}

app.http('dashboardRoot', { route: '{*path}', methods: ['GET'], authLevel: 'anonymous', handler: dashboardRoot });
