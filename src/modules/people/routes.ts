import type { FastifyInstance } from 'fastify';
import type { AppDeps } from '../../app';

/** People: placeholder until the people module lands. */
export default async function peopleRoutes(_app: FastifyInstance, _deps: AppDeps) {}
