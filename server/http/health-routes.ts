// Health endpoints for load balancers and orchestrators (docs/deploy.md):
// - GET /healthz (liveness): 200 while the process serves HTTP at all. A failing liveness check means
//   "restart me", so it depends on nothing outside the process: a PostgreSQL outage must not make an
//   orchestrator restart every node at once.
// - GET /readyz (readiness): 200 only when this node can do its work: the store answers a trivial
//   query, Redis is connected when configured, and the node is not shutting down (migrations are done
//   before the node listens at all). Otherwise 503 with {"detail": ...} naming what is missing, so a
//   load balancer sends new clients elsewhere.
// No authentication: they reveal nothing but that (no versions, addresses, URLs or error texts of the
// store), and they are answered without touching any user's data.
import type { FastifyInstance } from 'fastify';

/** What keeps the node from being ready, or null when it is. */
export type ReadinessCheck = () => Promise<string | null>;

export function registerHealthRoutes(app: FastifyInstance, ready: ReadinessCheck): void {
  app.get('/healthz', async (_request, reply) => {
    void reply.header('cache-control', 'no-store');
    return { status: 'ok' };
  });
  app.get('/readyz', async (_request, reply) => {
    void reply.header('cache-control', 'no-store');
    const problem = await ready();
    if (problem !== null) return reply.code(503).send({ detail: problem });
    return { status: 'ready' };
  });
}
