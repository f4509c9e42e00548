// What the app shell provides to every component below it.
import { createContext } from '@lit/context';
import type { Session } from './session.js';
import type { Workspace } from './workspace.js';

export const sessionContext = createContext<Session>(Symbol('session'));
/** null until a user is signed in (or while signing out) */
export const workspaceContext = createContext<Workspace | null>(Symbol('workspace'));
