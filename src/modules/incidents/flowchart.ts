// The policies' incident flowchart, as rules Harbour can check: which referral decisions an
// incident owes before it may be closed, and what the next step is. A decision is owed, not a
// referral: a recorded decision not to refer, with its reason, settles it too (KCSIE asks the
// safeguarding lead to keep why a referral was not made).
import type { Agency, IncidentStatus, Severity } from './vocabulary';

export interface FlowchartIncident {
  status: IncidentStatus;
  severity: Severity | null;
  concern_about_staff: boolean;
  concern_about_headteacher: boolean;
}
export interface FlowchartCategory { illegal: boolean; suspected_illegal_material: boolean }
export interface FlowchartReferral { decision: 'referred' | 'not_referred'; agency: Agency }

/** A referral decision the incident still owes, with the form field that records it. */
export interface OwedReferral { key: 'lado' | 'police'; field: 'r_agency' | 'r_decision'; text: string }

/** The agencies that settle the flowchart's "illegal or potential serious harm" branch. */
const policeAgencies: Agency[] = ['police', 'local_safeguarding', 'ceop'];

/** Whether the flowchart sends this incident to the police and local safeguarding arrangements. */
export const needsPolice = (i: FlowchartIncident, c: FlowchartCategory) => c.illegal || c.suspected_illegal_material || i.severity === 'serious_harm';

/** The referral decisions still owed: the LADO for a concern about an adult, the police for the illegal or seriously harmful. */
export function owedReferrals(i: FlowchartIncident, c: FlowchartCategory, referrals: FlowchartReferral[]): OwedReferral[] {
  const owed: OwedReferral[] = [];
  if ((i.concern_about_staff || i.concern_about_headteacher) && !referrals.some((r) => r.agency === 'lado')) {
    owed.push({
      key: 'lado', field: 'r_agency',
      text: `Record the referral to the LADO, or the decision not to refer and why: this is a concern about ${i.concern_about_headteacher ? 'the headteacher' : 'a member of staff'}`,
    });
  }
  if (needsPolice(i, c) && !referrals.some((r) => policeAgencies.includes(r.agency))) {
    owed.push({
      key: 'police', field: 'r_decision',
      text: `Record the referral to the police or local safeguarding arrangements, or the decision not to refer and why: ${i.severity === 'serious_harm' && !c.illegal && !c.suspected_illegal_material ? 'it was triaged as potential serious harm' : 'this kind of incident may be illegal'}`,
    });
  }
  return owed;
}

/** What the flowchart says to do next, with the part of the page that does it. */
export function nextStep(i: FlowchartIncident, c: FlowchartCategory, referrals: FlowchartReferral[], open: { actionsToDo: number; tasksOpen: number }): { text: string; href: string | null; link?: string } {
  if (i.status === 'closed') return { text: 'Closed. If something new comes to light, a safeguarding lead can reopen it with the reason.', href: null };
  if (!i.severity) return { text: 'Triage it: decide how serious it is, who handles it and which row of the sanctions matrix applies.', href: '#triage', link: 'Triage' };
  const owed = owedReferrals(i, c, referrals);
  if (owed.some((o) => o.key === 'police')) {
    return { text: 'Illegal or potential serious harm: refer it to the police and local safeguarding arrangements now, and record the referral (or the decision not to refer, and why).', href: '#referrals', link: 'Referrals' };
  }
  if (owed.some((o) => o.key === 'lado')) {
    return { text: `A concern about ${i.concern_about_headteacher ? 'the headteacher' : 'a member of staff'}: tell the LADO within one working day, and record the referral (or the decision not to refer, and why).`, href: '#referrals', link: 'Referrals' };
  }
  if (i.status === 'waiting_on_agency') return { text: 'Waiting on an outside agency: follow their advice before the school takes its own actions, and note what they say.', href: '#record-action', link: 'Record an action' };
  if (open.actionsToDo > 0) return { text: `Follow the school's own procedures: ${open.actionsToDo} recommended action${open.actionsToDo === 1 ? '' : 's'} still to record, as done or as decided against.`, href: '#recommended', link: 'Recommended actions' };
  if (open.tasksOpen > 0) return { text: `Finish the follow-up tasks (${open.tasksOpen} still open).`, href: '#tasks', link: 'Follow-up tasks' };
  return { text: 'Close it: record the outcome, the feedback given to those involved and what the school learned.', href: '#close', link: 'Close the incident' };
}
