/** The audiences an agreement is written for. Each school has one agreement per audience. */
export const audiences = {
  /** Nursery, reception and key stage 1 pupils (years 1 and 2): a class discussion the teacher records. */
  eyfs_ks1: 'Early years and key stage 1 pupils',
  /** Key stage 2 pupils (years 3 to 6). */
  ks2: 'Key stage 2 pupils',
  /** Pupils in year 7 and above, where a school has them. */
  older_pupils: 'Older pupils (year 7 and above)',
  /** Everyone on the staff, governors and the IT provider's technicians. */
  staff_governors: 'Staff and governors',
  /** Visitors, supply staff, students and contractors: they sign at the reception kiosk. */
  visitors: 'Visitors, supply staff, students and contractors',
  /** Parents and carers, who sign for each of their children by a personal link. */
  parents: 'Parents and carers (for their children)',
} as const;

export type Audience = keyof typeof audiences;
export const audienceNames = Object.keys(audiences) as Audience[];
export function isAudience(v: unknown): v is Audience {
  return typeof v === 'string' && v in audiences;
}

/** Audiences whose subject is a pupil (the pupil's age band decides which). */
export const pupilAudiences: readonly Audience[] = ['eyfs_ks1', 'ks2', 'older_pupils'];

/**
 * The SQL expression giving the audience a person (aliased p) signs for themselves. Pupils go
 * by year group: N, R, 1 and 2 are early years and key stage 1; 7 and above are older pupils;
 * anything else (3 to 6, or unknown) is key stage 2. Parents have no audience of their own:
 * they sign the parents' agreement for each child.
 */
export function audienceSql(p = 'p'): string {
  return `(case
    when ${p}.kind in ('staff', 'governor', 'technician') then 'staff_governors'
    when ${p}.kind in ('visitor', 'contractor') then 'visitors'
    when ${p}.kind = 'pupil' then case
      when upper(coalesce(${p}.year_group, '')) in ('N', 'N1', 'N2', 'R', 'REC', 'RECEPTION', 'NURSERY', '1', '2', 'Y1', 'Y2') then 'eyfs_ks1'
      when coalesce(${p}.year_group, '') ~ '^[Yy]?([7-9]|1[0-3])$' then 'older_pupils'
      else 'ks2' end
    else null end)`;
}

/** The same rule in TypeScript, for a single person. */
export function audienceOf(person: { kind: string; year_group?: string | null }): Audience | null {
  if (['staff', 'governor', 'technician'].includes(person.kind)) return 'staff_governors';
  if (['visitor', 'contractor'].includes(person.kind)) return 'visitors';
  if (person.kind !== 'pupil') return null;
  const y = (person.year_group ?? '').toUpperCase();
  if (['N', 'N1', 'N2', 'R', 'REC', 'RECEPTION', 'NURSERY', '1', '2', 'Y1', 'Y2'].includes(y)) return 'eyfs_ks1';
  if (/^Y?([7-9]|1[0-3])$/.test(y)) return 'older_pupils';
  return 'ks2';
}

/** How a signature was given. */
export const signingMethods = {
  /** Signed in Harbour by a member of staff or governor, confirming their name. */
  in_harbour: 'In Harbour',
  /** Signed by a parent or carer through their personal emailed link. */
  link: 'By personal link',
  /** Signed by a visitor on the reception kiosk. */
  kiosk: 'At the reception kiosk',
  /** Recorded in a class session. */
  class: 'In a class session',
  /** Signed on paper and entered by staff. */
  paper: 'On paper, entered by staff',
} as const;
export type SigningMethod = keyof typeof signingMethods;

/** The kinds of reason for a withdrawal or restriction: all that everyone on the staff sees. */
export const reasonKinds = {
  /** A sanction following an incident (a withdrawal, usually with an end date). */
  incident_sanction: 'Sanction after an incident',
  /** At a parent's or carer's request. */
  parent_request: "At a parent's or carer's request",
  /** A safeguarding decision: this child must not use technology. */
  safeguarding: 'Safeguarding decision',
  /** A medical or welfare reason. */
  medical_or_welfare: 'Medical or welfare reason',
  /** Any other reason (the detail says which). */
  other: 'Other reason',
} as const;
export type ReasonKind = keyof typeof reasonKinds;

/** A person's standing in the technology access register. */
export const accessStatuses = {
  /** Holds a current agreement and has no withdrawal or restriction. */
  allowed: 'May use technology',
  /** Has no current agreement yet. */
  not_yet: 'Not yet: no current agreement',
  /** Access withdrawn, usually as a sanction, often until an end date. */
  withdrawn: 'Withdrawn',
  /** Restricted, for example at a parent's request. */
  restricted: 'Restricted',
} as const;
export type AccessStatus = keyof typeof accessStatuses;
