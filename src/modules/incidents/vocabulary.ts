// The words of the incident log, each with the label a person reads.

/** Where an incident stands. */
export const incidentStatuses = {
  /** Reported, not yet looked at by a safeguarding lead. */
  reported: 'Reported',
  /** A lead has set its severity and who handles it. */
  triaged: 'Triaged',
  /** Being dealt with by the handler. */
  in_progress: 'In progress',
  /** Waiting on the police, social care, the LADO or another agency. */
  waiting_on_agency: 'Waiting on an outside agency',
  /** Closed with its outcome, feedback and lessons recorded. */
  closed: 'Closed',
} as const;
export type IncidentStatus = keyof typeof incidentStatuses;

/** How serious an incident is, as the flowchart sees it. */
export const severities = {
  /** Unsuitable but minor: the class teacher deals with it. */
  low: 'Low',
  /** Needs a senior leader and the sanctions guidance. */
  medium: 'Medium',
  /** Significant: the safeguarding lead leads the response. */
  high: 'High',
  /** Illegal, or potential serious harm: police and local safeguarding arrangements. */
  serious_harm: 'Illegal or potential serious harm',
} as const;
export type Severity = keyof typeof severities;

/** How the school came to know. */
export const cameToLight = {
  /** A member of staff saw it. */
  staff_saw: 'A member of staff saw it',
  /** A pupil told us. */
  pupil_told: 'A pupil told us',
  /** A parent or carer told us. */
  parent_told: 'A parent or carer told us',
  /** The web filter flagged it. */
  filtering_alert: 'A filtering alert',
  /** The monitoring system flagged it. */
  monitoring_alert: 'A monitoring alert',
  /** The police, social care or another agency told us. */
  outside_agency: 'An outside agency told us',
  /** Any other way. */
  other: 'Another way',
} as const;
export type CameToLight = keyof typeof cameToLight;

/** How a person was involved in an incident. */
export const involvementRoles = {
  /** Harmed or targeted by it. */
  affected: 'Affected',
  /** Said to have done it. */
  alleged: 'Alleged to have done it',
  /** Saw or heard it. */
  witness: 'Witness',
  /** Brought it to the school's attention. */
  reporter: 'Told us about it',
} as const;
export type InvolvementRole = keyof typeof involvementRoles;

/** KCSIE's four areas of online risk. */
export const riskAreas = {
  /** Being exposed to illegal, inappropriate or harmful content. */
  content: 'Content',
  /** Being subjected to harmful online interaction with others. */
  contact: 'Contact',
  /** Online behaviour that increases the likelihood of, or causes, harm. */
  conduct: 'Conduct',
  /** Risks such as online gambling, scams, phishing and inappropriate advertising. */
  commerce: 'Commerce',
} as const;
export type RiskArea = keyof typeof riskAreas;

/** The agencies an incident may be referred to. */
export const agencies = {
  /** The police. */
  police: 'Police',
  /** Local safeguarding arrangements (children's social care, the front door or MASH). */
  local_safeguarding: "Local safeguarding arrangements (children's social care)",
  /** The local authority designated officer, for concerns about adults who work with children. */
  lado: 'LADO (local authority designated officer)',
  /** CEOP, for online sexual abuse and grooming. */
  ceop: 'CEOP',
  /** The Internet Watch Foundation, for child sexual abuse imagery online. */
  iwf: 'Internet Watch Foundation',
  /** The local authority or trust (HR, technical support). */
  local_authority: 'Local authority or trust',
  /** Any other agency (the reference says which). */
  other: 'Another agency',
} as const;
export type Agency = keyof typeof agencies;

/** How parents or carers were told. */
export const informedHow = {
  /** Told in person. */
  in_person: 'In person',
  /** By telephone. */
  phone: 'By phone',
  /** By letter. */
  letter: 'By letter',
  /** By email. */
  email: 'By email',
  /** At a meeting. */
  meeting: 'At a meeting',
} as const;

/** What a closed incident says should change. */
export const changesNeeded = {
  /** The online safety policy. */
  policy: 'The policy',
  /** The filtering or monitoring. */
  filtering: 'Filtering or monitoring',
  /** The online safety curriculum. */
  curriculum: 'The curriculum',
  /** Staff training. */
  training: 'Staff training',
} as const;

/** Whether a concern is about a member of staff, and whether that is the headteacher. */
export const concernAbout = {
  /** Not a concern about an adult who works in the school. */
  none: 'No',
  /** About a member of staff or a volunteer: it goes to the headteacher. */
  staff: 'Yes, a member of staff or a volunteer',
  /** About the headteacher: it goes to the chair of governors, and the headteacher cannot see it. */
  headteacher: 'Yes, the headteacher',
} as const;

/** Value/text pairs for govuk radios and selects. */
export function items(vocab: Record<string, string>, selected?: unknown) {
  return Object.entries(vocab).map(([value, text]) => ({ value, text, checked: selected === value, selected: selected === value }));
}
