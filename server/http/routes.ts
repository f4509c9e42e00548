// Every HTTP API route of the server, registered in one place: the auth routes (setup, login, users,
// tokens: contract §2), the workflow library routes (/api/v1/workflows) and the health endpoints
// (/healthz, /readyz: health-routes.ts). The web app's static files
// and the sync upgrade are not routes (app.ts: the not-found handler and the upgrade listener).
import type { FastifyInstance } from 'fastify';
import type { LoginThrottle } from '../auth/login-throttle.js';
import type { LibraryService } from '../library/library-service.js';
import type { Versioning } from '../library/versions.js';
import type { Services } from '../services.js';
import { registerAuthRoutes } from './auth-routes.js';
import { registerHealthRoutes, type ReadinessCheck } from './health-routes.js';
import { registerVersionRoutes } from './version-routes.js';
import { registerWorkflowRoutes } from './workflow-routes.js';

export interface RouteServices extends Services {
  /** The workflow library (library.ts startLibrary), which the workflow routes serve. */
  library: LibraryService;
  /** Version history and trash (versions.ts), Flowshelf's extension beside the workflow routes. */
  versioning?: Versioning | null;
  /** What /readyz reports (app.ts: store, Redis, shutdown). */
  readiness: ReadinessCheck;
}

export interface RouteOptions {
  /** The login throttle; the documented limits when absent. */
  throttle?: LoginThrottle | undefined;
}

export function registerRoutes(app: FastifyInstance, services: RouteServices, options: RouteOptions = {}): void {
  registerAuthRoutes(app, services, { throttle: options.throttle });
  registerWorkflowRoutes(app, { identity: services.identity, library: services.library });
  if (services.versioning) registerVersionRoutes(app, { identity: services.identity, library: services.library, versioning: services.versioning });
  registerHealthRoutes(app, services.readiness);
}
