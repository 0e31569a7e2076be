import type { RequestContext } from './context';
import type { FieldError } from './forms';
import type { Action } from '../permissions/actions';

/** What Harbour keeps in a server-side session. */
export interface HarbourSession {
  userId?: string;
  schoolId?: string;
  /** Set after the password when a second factor is still to come. */
  pendingUserId?: string;
  twoFactorPassed?: boolean;
  lastSeenAt?: number;
  flash?: string;
}

export interface PageData {
  title: string;
  errors?: FieldError[];
  values?: Record<string, unknown>;
  [key: string]: unknown;
}

declare module 'fastify' {
  interface FastifyRequest {
    ctx: RequestContext;
  }
  interface FastifyReply {
    /** Renders a page in Harbour's layout with the request's user, school, navigation and CSRF token. */
    page(template: string, data: PageData, status?: number): FastifyReply;
  }
  interface FastifyContextConfig {
    /** Open to anyone: sign-in, password reset, health, assets. */
    public?: boolean;
    /** Reached while signed in but before two-factor is set up or passed. */
    beforeTwoFactor?: boolean;
    /** A JSON API route authenticated by API key, not by session (and so without CSRF). */
    api?: boolean;
    /** The action a user must be allowed to take to reach this route. */
    action?: Action;
    /**
     * When the idle time-out ends the session on this route's POST, called first with the
     * signed-out user's context, so what they sent is not lost (a report being written is kept
     * as their draft). May return a sentence to add to the signed-out message.
     */
    keepOnTimeout?: (req: import('fastify').FastifyRequest, ctx: RequestContext) => Promise<string | void>;
  }
  interface Session extends HarbourSession {}
}
