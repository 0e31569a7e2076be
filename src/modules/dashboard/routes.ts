import type { FastifyInstance } from 'fastify';
import type { AppDeps } from '../../app';
import { capabilitiesFor } from './capabilities';
import { overdueTasksFor } from '../incidents/service';
import { incidentsFor } from '../incidents/visibility';
import { audit } from '../../platform/audit/audit';
import { ownStaffAgreement } from '../agreements/service';

const ownAgreementTile = 'Your acceptable use agreement';
const longDate = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/London', day: 'numeric', month: 'long', year: 'numeric' });

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
    // A member of staff's or governor's own agreement: a notice until it is current, then when they signed on its tile.
    const agreement = req.ctx.personId && req.ctx.can('agreements:sign') ? await ownStaffAgreement(deps.db, req.ctx.school!.id, req.ctx.personId) : null;
    const signedNote = agreement?.state === 'current' && agreement.signedAt ? `You signed it on ${longDate.format(new Date(agreement.signedAt))}.` : null;
    return reply.page('dashboard/views/dashboard.njk', {
      title: 'Dashboard',
      counts,
      overdueTasks,
      agreement: agreement && agreement.state !== 'current' ? agreement : null,
      capabilities: capabilitiesFor(req.ctx).map((c) => (c.title === ownAgreementTile && signedNote ? { ...c, note: signedNote } : c)),
    });
  });
}
