// Hash routes: they work from the service worker's cached index.html with no server fallback.
export type Route =
  | { name: 'library' }
  | { name: 'admin' }
  /** a workflow in a library document: the user's own, or (administrators) another user's */
  | { name: 'edit'; ownerId: string | null; id: string }
  /** a workflow of the public document (someone else's shared one, or a default): read-only */
  | { name: 'view'; id: string }
  /** an unsaved draft (New Workflow, Load from File) */
  | { name: 'new' };

export function parseRoute(hash: string): Route {
  const parts = hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  if (parts[0] === 'admin') return { name: 'admin' };
  if (parts[0] === 'new') return { name: 'new' };
  if (parts[0] === 'view' && parts[1]) return { name: 'view', id: parts[1] };
  if (parts[0] === 'edit' && parts.length === 2) return { name: 'edit', ownerId: null, id: parts[1]! };
  if (parts[0] === 'edit' && parts.length === 3) return { name: 'edit', ownerId: parts[1]!, id: parts[2]! };
  return { name: 'library' };
}

export function routeHash(route: Route): string {
  const e = encodeURIComponent;
  switch (route.name) {
    case 'library':
      return '#/';
    case 'admin':
      return '#/admin';
    case 'new':
      return '#/new';
    case 'view':
      return `#/view/${e(route.id)}`;
    case 'edit':
      return route.ownerId ? `#/edit/${e(route.ownerId)}/${e(route.id)}` : `#/edit/${e(route.id)}`;
  }
}

export function navigate(route: Route): void {
  location.hash = routeHash(route);
}
