/** The roles a person can hold in a school. A person may hold several. */
export const roles = {
  /** Leads the school; responsible for safeguarding overall and for staff concerns. */
  headteacher: 'Headteacher',
  /** The designated safeguarding lead (DSL): receives and acts on every concern. */
  designated_safeguarding_lead: 'Designated safeguarding lead',
  /** A trained deputy who acts for the DSL. */
  deputy_safeguarding_lead: 'Deputy safeguarding lead',
  /** Leads online safety day to day: agreements, filtering reports, training. */
  online_safety_lead: 'Online safety lead',
  /** The governor who oversees online safety and filtering and monitoring. */
  online_safety_governor: 'Online safety governor',
  /** Chairs the governing body; hears concerns about the headteacher. */
  chair_of_governors: 'Chair of governors',
  /** The school's IT provider or technician: runs filtering, accounts and devices. */
  it_provider: 'IT provider',
  /** Leads the computing curriculum. */
  computing_lead: 'Computing lead',
  /** A classroom teacher. */
  teacher: 'Teacher',
  /** Teaching assistants and other support staff. */
  support_staff: 'Support staff',
  /** The school office: admissions, records, visitors. */
  office_staff: 'Office staff',
  /** A member of the governing body. */
  governor: 'Governor',
  /** Runs Harbour for the school: accounts, settings, keys, imports. */
  administrator: 'Harbour administrator',
} as const;

export type Role = keyof typeof roles;
export const roleNames = Object.keys(roles) as Role[];
export function isRole(value: string): value is Role {
  return value in roles;
}

/** Roles that must use two-factor sign-in: they can see the most sensitive records. */
export const twoFactorRoles: readonly Role[] = [
  'headteacher',
  'designated_safeguarding_lead',
  'deputy_safeguarding_lead',
  'online_safety_lead',
  'administrator',
];
