// What every school starts with: incident categories drawn from the user-actions table of the
// policies (illegal, Computer Misuse Act, unacceptable but legal, and the everyday kinds), and
// sanctions matrices for learners and staff. Schools change both; these are only the start.
import type { RiskArea } from './vocabulary';

export interface DefaultCategory {
  code: string;
  label: string;
  riskArea: RiskArea;
  /** Illegal material may be involved: staff must not open, copy or forward it. */
  suspectedIllegalMaterial?: boolean;
  /** The law may be broken: the flowchart sends it to the police. */
  illegal?: boolean;
}

/** The default category list, in the order the report form shows it. */
export const defaultCategories: DefaultCategory[] = [
  { code: 'child_sexual_abuse_imagery', label: 'Sexual images of children (suspected child sexual abuse material)', riskArea: 'content', suspectedIllegalMaterial: true, illegal: true },
  { code: 'grooming_exploitation', label: 'Grooming or sexual exploitation of a child', riskArea: 'contact', illegal: true },
  { code: 'self_generated_images', label: 'Nude or semi-nude images shared by children (self-generated)', riskArea: 'conduct', suspectedIllegalMaterial: true, illegal: true },
  { code: 'non_consensual_images', label: 'Intimate images shared without consent, or extreme pornography', riskArea: 'content', suspectedIllegalMaterial: true, illegal: true },
  { code: 'terrorism_extremism', label: 'Terrorist or extremist material', riskArea: 'content', suspectedIllegalMaterial: true, illegal: true },
  { code: 'suicide_self_harm', label: 'Encouraging or assisting suicide or self-harm', riskArea: 'content', illegal: true },
  { code: 'threats_violence', label: 'Threats of violence, or inciting violence', riskArea: 'conduct', illegal: true },
  { code: 'hate_crime', label: 'Hate crime or abuse', riskArea: 'conduct', illegal: true },
  { code: 'harassment_stalking', label: 'Harassment or stalking', riskArea: 'contact', illegal: true },
  { code: 'drugs_weapons', label: 'Drugs, weapons or the sale of illegal goods', riskArea: 'commerce', illegal: true },
  { code: 'fraud_extortion', label: 'Fraud, extortion or financial crime', riskArea: 'commerce', illegal: true },
  { code: 'computer_misuse', label: "Computer misuse: another person's login, unauthorised access, harmful files or disrupting the network", riskArea: 'conduct' },
  { code: 'computer_misuse_act', label: 'Computer Misuse Act offence (hacking, unauthorised access)', riskArea: 'conduct', illegal: true },
  { code: 'inappropriate_material', label: 'Reaching inappropriate material in school (pornography, gambling, drugs)', riskArea: 'content' },
  { code: 'inappropriate_website', label: 'An inappropriate website that the filter let through', riskArea: 'content' },
  { code: 'discrimination', label: 'Promoting discrimination', riskArea: 'content' },
  { code: 'cyberbullying', label: 'Cyberbullying, or offensive or unkind messages', riskArea: 'conduct' },
  { code: 'unwanted_contact', label: 'Unwanted contact from someone online', riskArea: 'contact' },
  { code: 'filter_bypass', label: 'Getting round the filtering or monitoring (proxies, VPNs)', riskArea: 'conduct' },
  { code: 'unauthorised_device', label: 'Using a device without permission, including taking images', riskArea: 'conduct' },
  { code: 'unauthorised_service', label: 'Using an app, game or online service without permission', riskArea: 'conduct' },
  { code: 'data_breach', label: 'Data protection or security breach (personal data lost, shared or held insecurely)', riskArea: 'conduct' },
  { code: 'copyright', label: 'Infringing copyright or licences', riskArea: 'commerce' },
  { code: 'private_business', label: 'Running a private business on school systems', riskArea: 'commerce' },
  { code: 'scams_phishing', label: 'Scams, phishing or inappropriate advertising', riskArea: 'commerce' },
  { code: 'unfair_usage', label: 'Unfair use that slows the network for others (large downloads)', riskArea: 'conduct' },
  { code: 'disrepute', label: "Bringing the school into disrepute or going against its ethos", riskArea: 'conduct' },
  { code: 'other', label: 'Something else', riskArea: 'conduct' },
];

/**
 * The default sanctions matrix for learners, in the import/export CSV shape. The rows and
 * columns follow the policies' learner response table; the wording is Harbour's own.
 */
export const defaultLearnerMatrix = `subject,incident,Refer to class teacher,Refer to a senior leader,Refer to headteacher,Refer to police or social care,Refer to technical support,Inform parents or carers,"Remove device, network or internet access",Issue a warning,Further sanction under the behaviour policy
learner,Deliberately trying to reach material that could be illegal,,x,x,x,x,x,x,x,x
learner,"Using another person's account, or sharing a username and password",,x,x,,x,x,x,,x
learner,Corrupting or destroying other users' data,x,x,x,,,x,,x,x
learner,"Sending an offensive, harassing or bullying message",x,x,x,,,x,x,x,x
learner,"Downloading, uploading or sharing files without permission",x,x,x,,x,x,x,x,x
learner,Using proxy sites or other ways round the filtering,x,x,x,,x,x,x,x,x
learner,Reaching offensive or pornographic material by accident and not reporting it,x,x,x,x,x,x,,x,
learner,Deliberately trying to reach offensive or pornographic material,x,x,x,x,x,x,x,x,x
learner,Receiving or sending material that breaches copyright or data protection,x,x,x,,x,x,,x,x
learner,"Using a digital device without permission, including taking images",x,x,x,,x,x,x,,x
learner,Using online services without permission,x,x,x,,x,x,x,,x
learner,Actions that could bring the school into disrepute or go against its ethos,x,x,x,,x,x,x,x,x
learner,Continued infringements after earlier warnings or sanctions,x,x,x,x,x,x,x,,x
`;

/** The default sanctions matrix for staff, from the policies' staff response table, in Harbour's words. */
export const defaultStaffMatrix = `subject,incident,Refer to line manager,Refer to headteacher,"Refer to local authority, trust or HR",Refer to police,Refer to technical support,Issue a warning,Suspension,Disciplinary action
staff,Deliberately trying to reach material that could be illegal,,x,x,x,,,,x
staff,Deliberately breaching data protection or network security rules,,x,,,x,x,,x
staff,Deliberately trying to reach offensive or pornographic material,,x,,x,x,,x,x
staff,"Corrupting or destroying others' data, or damaging hardware or software on purpose",,x,,,x,x,,x
staff,Using proxy sites or other ways round the filtering,,x,,,,x,,
staff,"Downloading, uploading or sharing files without permission",,x,,,x,x,,x
staff,Breaching copyright or licensing rules,,x,,,x,x,,x
staff,"Sharing a username and password, or using another person's account",,x,,,x,x,,x
staff,"Sending an offensive, harassing or bullying message",,x,x,,x,x,x,x
staff,"Using personal email, social media or messaging to contact learners or parents",,x,,,,x,,
staff,"Inappropriate personal use of school technology, such as social media or personal email",,x,x,x,,x,,
staff,"Careless use of personal data, such as holding or moving it insecurely",,x,x,,x,x,,
staff,Actions that could compromise the member of staff's professional standing,,x,x,,,x,x,x
staff,Actions that could bring the school into disrepute or go against its ethos,,x,x,,,x,x,x
staff,"Not reporting an incident, whether deliberate or accidental",,x,x,,x,x,x,x
staff,Continued infringements after earlier warnings or sanctions,,x,x,,x,x,x,
`;
