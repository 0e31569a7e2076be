import type { FastifyInstance } from 'fastify';
import type { AppDeps } from '../../app';
import { capabilitiesFor } from './capabilities';
import { overdueTasksFor } from '../incidents/service';
import { incidentsFor } from '../incidents/visibility';
import { audit } from '../../platform/audit/audit';

/** The home page: a dashboard shaped by the user's roles, with a place for each capability. */
export default async function dashboardRoutes(app: FastifyInstance, deps: AppDeps) {
  app.get('/', { config: { public: true } }, async (req, reply) => reply.redirect(req.ctx.user ? '/dashboard' : '/sign-in', 303));

  app.get('/dashboard', { config: { action: 'dashboard:view' } }, async (req, reply) => {
    const scope = req.ctx.scope();
    const [counts] = await scope.sql<{ pupils: number; staff: number; parents: number; governors: number }>(
      `select count(*) filter (where kind = 'pupil')::int as pupils,
              count(*) filter (where kind = 'staff')::int as staff,
              count(*) filter (where kind = 'parent')::int as parents,
              count(*) filter (where kind = 'governor')::int as governors
         from people where school_id = :school and left_on is null`,
    );
    // Overdue incident follow-up tasks for the people who own or handle them (a view of safeguarding records, so audited).
    const overdueTasks = req.ctx.personId && req.ctx.can('incidents:list') ? await overdueTasksFor(incidentsFor(req.ctx, deps.db), req.ctx.personId) : [];
    if (overdueTasks.length) await audit(deps.db, { schoolId: req.ctx.school!.id, actor: req.ctx.actor, action: 'incidents.overdue_tasks_shown', ip: req.ip, detail: { tasks: overdueTasks.map((t) => t.id) } });
    return reply.page('dashboard/views/dashboard.njk', {
      title: 'Dashboard',
      counts,
      overdueTasks,
      capabilities: capabilitiesFor(req.ctx),
    });
  });
}
