// The agreements Harbour gives every new school, one per audience, written afresh for Harbour.
// They cover what schools' acceptable use agreements cover (safe and lawful use, reporting,
// passwords and accounts, personal data and images, personal devices, monitoring, extremist
// material, what happens when the rules are broken); the online safety lead edits them.
// Text format: paragraphs separated by a blank line; a line starting "- " is a list item.
import type { Audience } from './audiences';

export const startingAgreements: Record<Audience, { title: string; body: string }> = {
  eyfs_ks1: {
    title: 'Our rules for using computers and tablets (Nursery to Year 2)',
    body: `We talk about these rules together in class. They help us stay safe and kind when we use computers, tablets and the internet at school.

- I ask a grown-up before I use a computer, a tablet or the internet.
- I use the internet only when a grown-up is with me.
- I only press buttons and open things when a grown-up says it is fine.
- If I see something that worries me or that I do not like, I turn the screen off or close it and tell a grown-up straight away.
- I am kind and polite when I talk to people on a computer or tablet.
- I keep my name, my address and my picture to myself.
- I only talk online to people my teacher or my family says are fine.
- I do not bring phones or games from home unless my teacher asks me to.
- I look after the school's computers and tablets.

We know these rules are there to keep us safe.`,
  },
  ks2: {
    title: 'Using technology safely at school (Years 3 to 6)',
    body: `This agreement is about how I use the school's computers, tablets, accounts and internet, and any device I bring in. My teacher has talked it through with me, and my parent or carer has been asked to talk it through with me too.

- I use school technology for my school work, and only with permission.
- I use the internet when a trusted adult knows I am using it.
- I keep my passwords secret and I log in only as myself.
- I open, change and delete only my own work and files.
- I do not look for, keep or send anything that is unkind, upsetting or rude, or that is about extreme or hateful ideas.
- If I come across something like that by accident, I close it and tell my teacher straight away.
- I am polite and sensible in everything I write or send, to children and to adults.
- I do not share my own or anyone else's personal details, such as full names, addresses, phone numbers or photos.
- I never agree to meet someone I only know online, and I tell a trusted adult if anyone asks me to.
- I only talk online to people a trusted adult has said are fine.
- I do not download or install anything on school devices without permission.
- I do not bring a phone or other device into school unless I have been told I may, and I follow the rules for it.
- I do not sign up to websites or apps at school unless my teacher has set it up.

I know that the school can check how I use its technology, and that my parent or carer may be contacted if a member of staff is worried about my safety online. If I do not follow this agreement, the school's behaviour policy will be followed and I may lose the use of school technology for a while.`,
  },
  older_pupils: {
    title: 'Acceptable use of technology (Year 7 and above)',
    body: `This agreement covers the school's computers, devices, network, accounts and internet connection, and any device of my own that I use in school or on school trips. It also covers what I do online outside school when it affects other members of the school.

- I use school technology for learning, and for other things only when staff allow it.
- I keep my passwords private, log in only as myself and log out or lock a device when I leave it.
- I do not try to get round the school's filtering, monitoring or security, or into anyone else's account or files.
- I do not search for, store or share material that is illegal, pornographic, violent, hateful, extremist or that promotes harm to myself or others.
- If I see something like that, or something that worries me, I report it to a member of staff.
- I treat others with respect online. I do not bully, harass, threaten or impersonate anyone.
- I do not take, share or post images, video or sound of other pupils or staff without their permission.
- I protect my personal information and other people's, and I think carefully before I share anything.
- I do not arrange to meet anyone I have only met online without telling a trusted adult.
- I respect copyright and I say where my sources come from.
- I do not install software or connect devices to the school network without permission.
- I follow the school's rules about mobile phones and my own devices.

I understand that my use of school technology is monitored and logged, and that staff may look at it if they are concerned about my safety or behaviour. Breaking this agreement can lead to losing access to school technology, to sanctions under the behaviour policy and, where the law is broken, to the police being involved.`,
  },
  staff_governors: {
    title: 'Acceptable use agreement for staff and governors',
    body: `Technology is part of everyday work in school. This agreement sets out what the school expects of every member of staff and every governor when using the school's systems, devices, accounts and data, and their own devices and accounts where these touch school life. Ask the online safety lead or the headteacher if anything here is unclear.

Safe, lawful and professional use

- I use school technology safely, lawfully and responsibly, and mainly for school purposes.
- I do not access, download, create, store or share anything that is illegal, offensive, discriminatory or that could bring the school into disrepute.
- I do not look for or share extremist or terrorist material, and I report any concern under the Prevent duty.
- I keep my communication with pupils and parents professional, on the school's approved systems only, and I do not give pupils my personal contact details or social media accounts.
- What I post online, in school and outside it, does not compromise my professional role, my colleagues, the pupils or the school.

Security and data

- I keep my passwords to myself, use strong ones, and lock or log off any device I leave unattended.
- I do not try to get round filtering, monitoring or other security measures, or to reach systems or data I am not authorised to use.
- I do not install software or connect hardware to school systems without the agreement of the IT provider or the school's leadership.
- I keep personal data secure wherever I work with it, following data protection law and the school's policies; personal data leaves school only when authorised and protected.
- I report at once any loss of a device or data, and any weakness in the school's safeguards I notice.

Images and devices

- I take, store and use images and video of pupils only for school purposes, on school equipment, with the consent the school holds, and I do not share them beyond the school without permission.
- I follow the school's rules for personal mobile phones and devices.

Safeguarding

- I take part in online safety training and help pupils to use technology safely and responsibly.
- I report any online safety concern about a pupil, and any misuse of technology by anyone, through the school's procedures.

I understand that my use of the school's systems is monitored and can be reviewed, including personal use made through them, and that where misuse is suspected the school may take further steps, including securing devices. Breaking this agreement may lead to the withdrawal of access and to disciplinary action, and illegal activity will be reported to the police.`,
  },
  visitors: {
    title: 'Acceptable use agreement for visitors, supply staff, students and contractors',
    body: `Please read this before you use any of the school's technology or connect to its network. It applies to anyone working in or visiting the school for a short time.

- I use the school's technology and internet only for the purpose of my visit or work here, safely and lawfully.
- I do not access, download or share anything offensive, illegal, discriminatory or extremist.
- I do not connect my own storage devices or equipment to the school's network, or install anything on school systems, without permission.
- I do not take photographs, video or sound recordings of pupils. If my role needs images, I use school equipment with the school's permission and leave them in school.
- I follow the school's rules for mobile phones and personal devices while I am here.
- I keep any personal information I see about pupils, families or staff confidential.
- I tell the member of staff I am visiting, or the office, about anything that worries me about a child's safety or about the use of technology.

I understand that the school's network and internet use are monitored, and that if I do not follow this agreement my access will be withdrawn and the school may take further action.`,
  },
  parents: {
    title: 'Acceptable use agreement for parents and carers',
    body: `Technology is part of how your child learns at school. The school teaches pupils to use it safely and responsibly, filters and monitors its internet connection, and has rules that each child agrees to in a way that suits their age. We ask every parent and carer to go through the rules with their child and to sign this agreement for them.

By signing for your child, you confirm that:

- you have read the school's rules for pupils' use of technology and talked them through with your child;
- your child may use the school's computers, devices and internet connection for their learning, under the supervision and filtering the school provides;
- you understand that the school monitors pupils' use of its technology and will contact you if staff are concerned about your child's safety online;
- you will support the school's approach to online safety and help your child to follow the same habits at home, including the minimum ages that apps and websites set;
- you will not post images or video of other children taken at school events on social media without their parents' consent;
- you will raise any concern about technology or online safety with the school.

If you are not able to go through the rules with your child, tell us instead and we will explain them to your child in school.`,
  },
};
