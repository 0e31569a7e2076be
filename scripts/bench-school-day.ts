// npm run bench:school-day [-- --seed N] [--keep] [--out FILE] [--generate-only]
//
// Does Harbour keep the safeguarding lead's queue short on an ordinary school day? This makes a
// Squid access log (native format, strip_query_terms off, TLS inspection on for most sites) for
// one day of a made-up 1,000-pupil secondary school, ingests it into a real database through
// ingestFile (what `harbour monitor ingest` runs), and counts what the queue page would show
// through alertQueue, alertCounts and lowAlertCount (the functions routes.ts calls for it). It
// knows which lines it planted as concerning, so it says which of them reached the queue, and how
// many queue items came from everything else. The last line is one JSON object of named figures.
//
// THE MODEL. Everything below is an ASSUMPTION, made to be plausible rather than measured from a
// real school's log; change it and the figures change. The generator is seeded (mulberry32,
// --seed, default 20260303), so one seed always makes the same file.
//
// - The school: 1,000 pupils, Years 7 to 11, 200 a year in 8 forms of 25, and 110 staff. Names
//   come from a mixed pool of common UK given names and surnames. Pupils log in as
//   intake year + surname + initial ("23okaforj", a digit added to a repeat), staff as
//   initial.surname ("j.okafor"); every username is mapped to its person in Harbour
//   (monitoring_identities), as a school that has done the setup would have it.
// - The day: Tuesday 3 March 2026 (a GMT day), 08:00 to 16:00 UK time. Registration 08:40, five
//   60-minute lessons from 09:00, break 11:00-11:20, lunch 13:20-14:05, school ends 15:05.
// - Who is online: each form's lesson has a subject (English, maths and science weigh most); a
//   lesson uses devices with a chance by subject (computing 95%, business 70%, maths 35%, English
//   30%, science 20%, PE 2%...), and then about 92% of the form is online for most of the lesson, in an ICT suite
//   (Windows desktops) or on Chromebooks on the Wi-Fi. A few pupils (3%) use a laptop in any
//   lesson. Before school 4% of pupils are online, at registration 6%, at break 7%, at lunch 14%
//   (library and an open ICT room) and after school 7%. Staff are online most of the day.
// - What they do: a page view every ~35 s in a lesson, ~28 s outside lessons, ~70 s for staff
//   (after the last one has finished: a video or a document takes minutes). A page view is a
//   page and its assets (8 to 40 requests), analytics beacons, JSON calls, and on commercial
//   sites blocked ad requests; Google Docs and Office 365 editing saves every few seconds;
//   YouTube videos stream in chunks. In lessons: the subject's sites (Bitesize, Seneca, Sparx,
//   Quizlet...), searches on the subject, documents, videos, some off-task browsing. Outside
//   lessons: more ordinary searches, YouTube, sport, music and shopping sites, and attempts at
//   blocked sites.
// - Searches: Google on Chromebooks (with autocomplete requests for the letters typed, which
//   Harbour leaves out), Bing from Edge on the desktops, YouTube; a search is sometimes viewed
//   again (the images tab, a second page). They are generated from templates and subject
//   vocabulary, thousands of different strings: homework (GCSE and KS3 topics of every subject),
//   and ordinary searches (football, music, games, YouTubers, shopping, weather). About 8% of a
//   lesson's subject searches touch a hard topic the syllabus really has: deaths in set texts
//   (Eva Smith, Lady Macbeth, Lennie), the Holocaust and Nazi Germany, euthanasia and abortion in
//   RE, drugs, alcohol and contraception in science, steroids in PE, knife crime and county lines
//   in PSHE, "kill a process" in computing; and ordinary searches include games with violent
//   names (Murder Mystery 2, Call of Duty). Staff search for lesson preparation (6% of it on a
//   hard topic) and ordinary things. A generated search that is word for word in
//   fixtures/labelled-searches.csv is dropped, so the bench shares no search with that set.
//   Some searches have a typo; some start with a capital.
// - Authentication: the proxy asks for credentials (Kerberos or NTLM); a new tunnel from a Windows
//   desktop is first refused with TCP_DENIED/407 and no username (90% of new tunnels), a
//   Chromebook sends its credentials after the first challenge (5%). Windows services that
//   cannot authenticate leave a 407 now and then.
// - TLS: most sites are inspected (a bumped CONNECT logged as NONE_NONE/200, then each request);
//   Microsoft 365 sign-in, Teams, SharePoint, Arbor, CPOMS, banks and the NHS are spliced
//   (TCP_TUNNEL/200, no URL). Blocks are TCP_DENIED/403 with the username (the deny rule comes
//   after authentication), mostly on the CONNECT (the filter knows the site by its name), and
//   plain Squid logs no category.
// - Ordinary blocks: games (Poki, CrazyGames, 1v1.lol, Krunker...), social media (TikTok,
//   Instagram, Snapchat, Discord...; not stranger-chat sites such as Omegle's clones, which the
//   libraries rightly treat as a grooming risk), streaming (Netflix, Twitch, Disney+) and ads. Outside
//   lessons 15% of page views are an attempt at a blocked site, in lessons 2%; an attempt is
//   retried up to 20 times (half once, a third 2-4 times, the rest 5-20), and at lunch three
//   pupils keep retrying a game site for 15 to 25 tries.
// - Getting round the filter, planted and stated (reported apart from the concerning events,
//   and never counted as innocent): three pupils try a web proxy the filter blocks (croxyproxy,
//   blockaway, proxysite), one reaches a proxy the filter does not yet block (proxyium), one
//   tries a VPN site (windscribe), and seven search for "unblocked" games.
// - Genuinely concerning, planted and stated: five searches (hopelessness, hiding self-harm
//   marks, purging after eating, a man from a game wanting a video call kept secret, a knife for
//   protection) and one pupil's run of 12 blocked requests to adult sites at lunch. These are the
//   recall figure's denominator. They were written for this bench in a pupil's words, and none
//   shares four words in a row with a search of the labelled set (the bench checks and says so);
//   five searches are a smoke test of recall, not a measure of it (eval:monitor measures it).
//
// What it does not model: phones on the Wi-Fi, guest or sixth-form networks, staff PCs left
// signed in, a second filter or a category-logging filter (e2guardian and the CSV exports carry
// categories; Squid's native log does not), and the long tail of real pupils' searches. It is one
// invented day: it says whether the queue Harbour builds from such a day is short, and which rule
// makes it long, not how a real school's day will look.
//
// Options: --seed N (default 20260303), --out FILE (write the log there and keep it), --keep
// (keep the temporary log), --generate-only (make the log and stop). DATABASE_URL: use that server
// instead of a throwaway embedded PostgreSQL (the database is created and dropped either way).
//
// The figures (the last line): queue_items (new alerts of medium and above, as the queue page
// counts them) and queue_critical/high/medium, low_alerts (kept for pattern review),
// planted_caught of planted_total (concerning events with at least one queue item),
// innocent_in_queue (queue items that come from no planted event, concerning or bypass),
// bypass_caught of bypass_total, queue_items_from_auth_challenges (items whose first line is a
// TCP_DENIED/407), lines, and seconds (the ingest's wall time, which depends on the machine's load).
import { createWriteStream, createReadStream, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const argv = process.argv.slice(2);
const flag = (name: string) => argv.includes(name);
const option = (name: string) => {
  const i = argv.indexOf(name);
  if (i === -1) return undefined;
  const v = argv[i + 1];
  if (v === undefined || v.startsWith('--')) throw new Error(`${name} needs a value`);
  return v;
};
const seedArg = option('--seed');
const seed0 = seedArg === undefined ? 20260303 : Number(seedArg);
if (!Number.isInteger(seed0)) throw new Error('--seed takes a whole number');
const outArg = option('--out');
const keep = flag('--keep') || !!outArg;
const generateOnly = flag('--generate-only');

// ---------------------------------------------------------------------------------------------
// Randomness: one seeded sequence for everything, so a seed always makes the same log.
let seed = seed0 | 0;
const rnd = () => { // mulberry32
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const int = (lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));
const chance = (p: number) => rnd() < p;
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
function pickW<T>(pairs: readonly (readonly [T, number])[]): T {
  let total = 0;
  for (const [, w] of pairs) total += w;
  let r = rnd() * total;
  for (const [x, w] of pairs) if ((r -= w) < 0) return x;
  return pairs[pairs.length - 1][0];
}
/** An exponential gap with this mean, clipped to [min, 4 × mean]. */
const gap = (mean: number, min = 2000) => Math.max(min, Math.min(4 * mean, -Math.log(1 - rnd()) * mean));
const hex = (n: number) => Array.from({ length: n }, () => '0123456789abcdef'[Math.floor(rnd() * 16)]).join('');
const b64 = (n: number) => Array.from({ length: n }, () => 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'[Math.floor(rnd() * 64)]).join('');

// ---------------------------------------------------------------------------------------------
// The day, in UK time.
const day = { y: 2026, m: 3, d: 3 }; // Tuesday 3 March 2026, GMT
/** Milliseconds since the epoch of a UK local time on the bench's day (GMT or BST as the date falls). */
function local(hhmm: string): number {
  const [h, mi] = hhmm.split(':').map(Number);
  const guess = Date.UTC(day.y, day.m - 1, day.d, h, mi);
  const parts = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/London', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(new Date(guess));
  const lh = Number(parts.find((p) => p.type === 'hour')!.value);
  const lm = Number(parts.find((p) => p.type === 'minute')!.value);
  return guess - ((lh * 60 + lm) - (h * 60 + mi)) * 60_000;
}
const dayStart = local('08:00');
const dayEnd = local('16:00');

type Ctx = 'lesson' | 'free';
interface Period { name: string; start: number; end: number; ctx: Ctx; pOnline: number }
const periods: Period[] = [
  { name: 'before school', start: local('08:00'), end: local('08:40'), ctx: 'free', pOnline: 0.04 },
  { name: 'registration', start: local('08:40'), end: local('09:00'), ctx: 'free', pOnline: 0.06 },
  { name: 'P1', start: local('09:00'), end: local('10:00'), ctx: 'lesson', pOnline: 0 },
  { name: 'P2', start: local('10:00'), end: local('11:00'), ctx: 'lesson', pOnline: 0 },
  { name: 'break', start: local('11:00'), end: local('11:20'), ctx: 'free', pOnline: 0.07 },
  { name: 'P3', start: local('11:20'), end: local('12:20'), ctx: 'lesson', pOnline: 0 },
  { name: 'P4', start: local('12:20'), end: local('13:20'), ctx: 'lesson', pOnline: 0 },
  { name: 'lunch', start: local('13:20'), end: local('14:05'), ctx: 'free', pOnline: 0.14 },
  { name: 'P5', start: local('14:05'), end: local('15:05'), ctx: 'lesson', pOnline: 0 },
  { name: 'after school', start: local('15:05'), end: local('16:00'), ctx: 'free', pOnline: 0.07 },
];
const periodAt = (t: number) => periods.find((p) => t >= p.start && t < p.end)!;

// ---------------------------------------------------------------------------------------------
// People.
const givenNames = ['Oliver', 'Harry', 'George', 'Noah', 'Jack', 'Jacob', 'Leo', 'Oscar', 'Charlie', 'Muhammad', 'Alfie', 'Freddie', 'Thomas', 'Joshua', 'James',
  'William', 'Henry', 'Archie', 'Ethan', 'Isaac', 'Alexander', 'Logan', 'Joseph', 'Lucas', 'Edward', 'Mohammed', 'Samuel', 'Daniel', 'Dylan', 'Max', 'Theo', 'Adam',
  'Riley', 'Mason', 'Harrison', 'Teddy', 'Zachary', 'Reuben', 'Ibrahim', 'Yusuf', 'Kai', 'Tyler', 'Jayden', 'Aaron', 'Ryan', 'Kacper', 'Jakub', 'Filip', 'Olamide',
  'Tobi', 'Arjun', 'Rohan', 'Aarav', 'Callum', 'Connor', 'Liam', 'Ben', 'Luke', 'Nathan', 'Hamza', 'Bilal', 'Ayaan', 'Dominik', 'Kwame', 'Kofi', 'Sami', 'Finley',
  'Olivia', 'Amelia', 'Isla', 'Ava', 'Emily', 'Isabella', 'Mia', 'Poppy', 'Ella', 'Lily', 'Sophia', 'Grace', 'Evie', 'Jessica', 'Sophie', 'Freya', 'Ruby', 'Chloe',
  'Daisy', 'Charlotte', 'Millie', 'Phoebe', 'Florence', 'Sienna', 'Evelyn', 'Erin', 'Maisie', 'Layla', 'Zara', 'Aisha', 'Maryam', 'Fatima', 'Hannah', 'Amber',
  'Scarlett', 'Holly', 'Niamh', 'Megan', 'Lola', 'Esme', 'Matilda', 'Willow', 'Ellie', 'Zuzanna', 'Julia', 'Amira', 'Priya', 'Anaya', 'Ayesha', 'Chioma', 'Precious',
  'Tia', 'Jasmine', 'Leah', 'Imogen', 'Harriet', 'Keira', 'Nadia', 'Hafsa', 'Oliwia', 'Maja', 'Simran', 'Abigail', 'Rosie', 'Eleanor', 'Summer', 'Skye'];
const surnames = ['Smith', 'Jones', 'Williams', 'Taylor', 'Brown', 'Davies', 'Evans', 'Wilson', 'Thomas', 'Johnson', 'Roberts', 'Robinson', 'Thompson', 'Wright',
  'Walker', 'White', 'Edwards', 'Hughes', 'Green', 'Hall', 'Lewis', 'Harris', 'Clarke', 'Patel', 'Jackson', 'Wood', 'Turner', 'Martin', 'Cooper', 'Hill', 'Ward',
  'Morris', 'Moore', 'Clark', 'Lee', 'King', 'Baker', 'Harrison', 'Morgan', 'Allen', 'James', 'Scott', 'Phillips', 'Watson', 'Davis', 'Parker', 'Price', 'Bennett',
  'Young', 'Griffiths', 'Mitchell', 'Kelly', 'Cook', 'Carter', 'Richardson', 'Bailey', 'Collins', 'Bell', 'Shaw', 'Murphy', 'Miller', 'Cox', 'Richards', 'Khan',
  'Marshall', 'Anderson', 'Simpson', 'Ellis', 'Adams', 'Singh', 'Begum', 'Wilkinson', 'Foster', 'Chapman', 'Powell', 'Webb', 'Rogers', 'Gray', 'Mason', 'Ali',
  'Hunt', 'Hussain', 'Campbell', 'Matthews', 'Owen', 'Palmer', 'Holmes', 'Mills', 'Barnes', 'Knight', 'Lloyd', 'Butler', 'Russell', 'Barker', 'Fisher', 'Stevens',
  'Jenkins', 'Murray', 'Dixon', 'Harvey', 'Ahmed', 'Okafor', 'Adeyemi', 'Mensah', 'Kowalski', 'Nowak', 'Wisniewski', 'Chen', 'Nguyen', "O'Brien", 'Sharma',
  'Kaur', 'Rahman', 'Mahmood', 'Iqbal', 'Osei', 'Boateng', 'Kamara', 'Santos', 'Silva', 'Popescu', 'Byrne', 'Doherty', 'Gallagher', 'Reid', 'Fraser', 'Lewandowski'];

interface Person { kind: 'pupil' | 'staff'; given: string; family: string; user: string; year?: number; form?: string; subject?: Subject; laptop?: string }
type Subject = 'english' | 'maths' | 'science' | 'history' | 'geography' | 're' | 'languages' | 'computing' | 'pe' | 'art' | 'dt' | 'music' | 'drama' | 'pshe' | 'business' | 'food';

const taken = new Set<string>();
const uniqueUser = (base: string) => {
  let u = base;
  for (let n = 2; taken.has(u); n++) u = `${base}${n}`;
  taken.add(u);
  return u;
};
const letters = (s: string) => s.toLowerCase().replace(/[^a-z]/g, '');
const pupils: Person[] = [];
const forms: { name: string; year: number; pupils: Person[] }[] = [];
for (let year = 7; year <= 11; year++) {
  const intake = 25 - (year - 7); // the 2025/26 school year: Year 7 joined in 2025
  for (const f of 'ABCDEFGH') {
    const form = { name: `${year}${f}`, year, pupils: [] as Person[] };
    forms.push(form);
    for (let i = 0; i < 25; i++) {
      const given = pick(givenNames);
      const family = pick(surnames);
      const p: Person = { kind: 'pupil', given, family, user: uniqueUser(`${intake}${letters(family)}${letters(given)[0]}`), year, form: form.name };
      form.pupils.push(p);
      pupils.push(p);
    }
  }
}
const staffSubjects: Subject[] = ['english', 'maths', 'science', 'history', 'geography', 're', 'languages', 'computing', 'pe', 'art', 'dt', 'music', 'drama', 'pshe', 'business', 'food'];
const staff: Person[] = Array.from({ length: 110 }, (_, i) => {
  const given = pick(givenNames);
  const family = pick(surnames);
  return { kind: 'staff' as const, given, family, user: uniqueUser(`${letters(given)[0]}.${letters(family)}`), subject: staffSubjects[i % staffSubjects.length], laptop: `10.30.${Math.floor(i / 200)}.${(i % 200) + 20}` };
});

// ---------------------------------------------------------------------------------------------
// Searches: templates filled from subject vocabulary. {x} takes a random entry of list x.
const V: Record<string, readonly string[]> = {
  text: ['macbeth', 'an inspector calls', 'a christmas carol', 'jekyll and hyde', 'romeo and juliet', 'blood brothers', 'lord of the flies', 'of mice and men',
    'animal farm', 'the tempest', 'frankenstein', 'great expectations', 'the woman in black', 'private peaceful', 'holes', 'boy in the striped pyjamas', 'noughts and crosses',
    'a midsummer nights dream', 'pigeon english', 'the curious incident of the dog in the night time', 'much ado about nothing', 'the sign of four', 'dna play'],
  character: ['lady macbeth', 'banquo', 'the witches', 'macduff', 'inspector goole', 'sheila birling', 'mr birling', 'eric birling', 'gerald croft', 'scrooge',
    'tiny tim', 'marley', 'fred', 'mr utterson', 'dr lanyon', 'mercutio', 'tybalt', 'friar lawrence', 'the nurse', 'mrs johnstone', 'mrs lyons', 'eddie', 'mickey',
    'ralph', 'jack', 'piggy', 'simon', 'george', 'lennie', 'curleys wife', 'crooks', 'candy', 'napoleon', 'snowball', 'squealer', 'boxer', 'prospero', 'caliban',
    'ariel', 'victor frankenstein', 'the creature', 'pip', 'miss havisham', 'arthur kipps', 'stanley yelnats', 'bruno', 'sephy', 'callum'],
  theme: ['ambition', 'guilt', 'power', 'responsibility', 'social class', 'gender', 'the supernatural', 'fate', 'loneliness', 'redemption', 'duality', 'conflict',
    'kingship', 'appearance and reality', 'poverty', 'family', 'friendship', 'isolation', 'prejudice', 'violence', 'revenge', 'love', 'morality', 'nature', 'secrecy'],
  poem: ['ozymandias', 'london blake', 'the prelude', 'my last duchess', 'charge of the light brigade', 'exposure', 'storm on the island', 'bayonet charge', 'remains',
    'poppies', 'war photographer', 'tissue', 'the emigree', 'kamikaze', 'checking out me history', 'when we two parted', 'love s philosophy', 'porphyrias lover',
    'sonnet 29', 'neutral tones', 'letters from yorkshire', 'walking away', 'eden rock', 'follower', 'mother any distance', 'before you were mine', 'winter swans',
    'singh song', 'climbing my grandfather', 'dulce et decorum est'],
  technique: ['metaphor', 'simile', 'personification', 'pathetic fallacy', 'juxtaposition', 'enjambment', 'caesura', 'dramatic irony', 'foreshadowing', 'sibilance',
    'alliteration', 'oxymoron', 'hyperbole', 'semantic field', 'rhetorical question', 'anaphora', 'iambic pentameter', 'soliloquy', 'volta', 'imagery', 'tone'],
  histTopic: ['battle of hastings', 'norman conquest', 'domesday book', 'feudal system', 'black death', 'peasants revolt', 'wars of the roses', 'henry viii wives',
    'the reformation', 'elizabethan england', 'spanish armada', 'gunpowder plot', 'english civil war', 'great fire of london', 'industrial revolution', 'transatlantic slave trade',
    'abolition of slavery', 'british empire', 'causes of ww1', 'trench warfare', 'battle of the somme', 'treaty of versailles', 'suffragettes', 'russian revolution',
    'weimar republic', 'hyperinflation 1923', 'munich putsch', 'rise of hitler', 'nazi germany', 'hitler youth', 'nazi propaganda', 'night of the long knives',
    'kristallnacht', 'the holocaust', 'appeasement', 'dunkirk evacuation', 'the blitz', 'd day', 'hiroshima and nagasaki', 'the cold war', 'berlin wall', 'cuban missile crisis',
    'civil rights movement', 'montgomery bus boycott', 'vietnam war', 'medicine through time', 'john snow cholera', 'edward jenner', 'florence nightingale',
    'jack the ripper whitechapel', 'crime and punishment through time', 'witch trials', 'the american west', 'the crusades', 'magna carta', 'league of nations'],
  person: ['william the conqueror', 'elizabeth i', 'oliver cromwell', 'isambard kingdom brunel', 'emmeline pankhurst', 'winston churchill', 'neville chamberlain', 'stalin',
    'lenin', 'martin luther king', 'rosa parks', 'malcolm x', 'nelson mandela', 'mary seacole', 'marie curie', 'alexander fleming', 'charles darwin', 'isaac newton',
    'ada lovelace', 'alan turing', 'tim berners lee', 'frida kahlo', 'andy warhol', 'banksy', 'claude monet', 'van gogh', 'shakespeare', 'charles dickens', 'jk rowling'],
  sciTopic: ['photosynthesis', 'aerobic respiration', 'anaerobic respiration', 'cell structure', 'mitosis', 'meiosis', 'osmosis', 'diffusion', 'active transport', 'enzymes',
    'the heart', 'blood vessels', 'the digestive system', 'the immune system', 'vaccination', 'antibiotics', 'monoclonal antibodies', 'homeostasis', 'the nervous system',
    'the eye', 'hormones', 'diabetes type 1 and 2', 'ecosystems', 'food chains', 'natural selection', 'evolution', 'inheritance', 'dna structure', 'genetic engineering',
    'atoms', 'the periodic table', 'ionic bonding', 'covalent bonding', 'metallic bonding', 'electrolysis', 'rates of reaction', 'crude oil', 'fractional distillation',
    'acids and alkalis', 'titration', 'the haber process', 'chromatography', 'energy stores', 'specific heat capacity', 'series and parallel circuits', 'ohms law',
    'density', 'forces', 'newtons laws', 'momentum', 'waves', 'the electromagnetic spectrum', 'radioactivity', 'half life', 'nuclear fission', 'the life cycle of a star',
    'magnetism', 'moles', 'bond energies', 'plant hormones', 'microscopy', 'the carbon cycle', 'the water cycle', 'required practicals'],
  mathsSkill: ['expand brackets', 'factorise quadratics', 'solve simultaneous equations', 'find the nth term', 'calculate percentage change', 'find the area of a circle',
    'use pythagoras', 'use sohcahtoa', 'complete the square', 'find the gradient of a line', 'find the mean from a frequency table', 'simplify surds', 'rationalise the denominator',
    'convert fractions to decimals', 'find the volume of a cylinder', 'draw a box plot', 'use the quadratic formula', 'do long division', 'work out bearings',
    'find the lowest common multiple', 'write a number as a product of prime factors', 'solve inequalities', 'rearrange formulae', 'work out compound interest',
    'draw a cumulative frequency graph', 'calculate probability', 'find the angle in a triangle', 'work out ratio', 'use standard form', 'find the circumference'],
  geoTopic: ['volcanoes', 'earthquakes', 'tectonic plates', 'tsunamis', 'the nepal earthquake 2015', 'haiti earthquake 2010', 'climate change', 'coastal erosion',
    'longshore drift', 'meanders', 'ox bow lakes', 'tropical rainforests', 'amazon deforestation', 'hot deserts', 'urbanisation', 'rio de janeiro', 'lagos', 'mumbai slums',
    'population pyramids', 'the demographic transition model', 'development indicators', 'nigeria economy', 'uk weather', 'tropical storms', 'typhoon haiyan',
    'glaciation', 'the water cycle', 'flood management', 'renewable energy', 'food security', 'plate boundaries', 'the uk economy', 'the somerset levels floods'],
  reIssue: ['euthanasia', 'abortion', 'capital punishment', 'war', 'pacifism', 'forgiveness', 'crime', 'marriage', 'divorce', 'contraception', 'the afterlife',
    'evil and suffering', 'animal rights', 'wealth and poverty', 'the environment', 'equality', 'the sanctity of life', 'just war theory', 'nuclear weapons', 'drugs and alcohol'],
  religion: ['christian', 'muslim', 'jewish', 'hindu', 'sikh', 'buddhist', 'catholic', 'humanist'],
  followers: ['christians', 'muslims', 'jews', 'hindus', 'sikhs', 'buddhists', 'catholics', 'humanists'],
  faith: ['christianity', 'islam', 'judaism', 'hinduism', 'sikhism', 'buddhism', 'the catholic church', 'the bible', 'the quran'],
  reFact: ['five pillars of islam', 'the trinity', 'the sermon on the mount', 'the eightfold path', 'the four noble truths', 'the 10 commandments', 'ramadan', 'eid al adha',
    'diwali', 'vaisakhi', 'passover', 'the eucharist', 'baptism', 'the crucifixion', 'the resurrection', 'karma and samsara', 'the langar', 'hajj', 'the 5 ks', 'shabbat'],
  code: ['for loop', 'while loop', 'list append', 'random module', 'string slicing', 'if elif else', 'input function', 'functions', 'dictionaries', 'read a file',
    'turtle draw a square', 'tkinter button', 'pygame sprites', 'int to string', 'round to 2 decimal places', 'sort a list', 'try except', 'classes'],
  compTopic: ['binary to denary', 'hexadecimal conversion', 'logic gates truth tables', 'the fetch execute cycle', 'von neumann architecture', 'bubble sort', 'merge sort',
    'insertion sort', 'binary search', 'linear search', 'sql select query', 'html tables', 'css grid', 'javascript onclick', 'what is an algorithm', 'trace tables',
    'computational thinking', 'lossy vs lossless compression', 'tcp ip model', 'network topologies', 'the computer misuse act', 'phishing', 'malware types',
    'sql injection', 'brute force attacks', 'ddos attacks', 'encryption caesar cipher', 'ram vs rom', 'cloud storage', 'pseudocode', 'flowchart symbols'],
  langWord: ['my family', 'my house', 'school subjects', 'i like', 'my hobbies', 'the weather', 'breakfast', 'my town', 'on holiday', 'my best friend', 'at the weekend',
    'clothes', 'food and drink', 'my bedroom', 'the environment', 'jobs', 'healthy living', 'technology', 'festivals', 'directions'],
  language: ['french', 'spanish', 'german'],
  verb: ['etre', 'avoir', 'aller', 'faire', 'ser', 'estar', 'tener', 'ir', 'hacer', 'sein', 'haben', 'gehen', 'manger', 'jugar', 'vouloir', 'pouvoir'],
  tense: ['present tense', 'perfect tense', 'imperfect tense', 'future tense', 'conditional', 'preterite', 'near future'],
  artist: ['frida kahlo', 'andy warhol', 'claude monet', 'van gogh', 'banksy', 'yayoi kusama', 'pablo picasso', 'georgia okeeffe', 'david hockney', 'roy lichtenstein',
    'henri matisse', 'jean michel basquiat', 'grayson perry', 'barbara hepworth', 'henry moore', 'keith haring', 'kehinde wiley', 'anish kapoor', 'hokusai'],
  artTask: ['self portrait', 'still life', 'pop art', 'cubism', 'zentangle patterns', 'how to draw eyes', 'how to shade with pencil', 'one point perspective',
    'colour wheel', 'artist research page', 'lino printing', 'mood board', 'tonal drawing', 'how to draw hands', 'mixed media'],
  dtTopic: ['cam mechanisms', 'types of wood', 'smart materials', 'ergonomics', 'anthropometrics', 'laser cutting', 'sustainability in design', 'levers and linkages',
    'gears', 'manufactured boards', 'thermoforming plastics', 'design movements bauhaus', 'orthographic drawing', 'isometric drawing', 'the 6 rs'],
  musicTopic: ['treble clef notes', 'chord progressions', 'samba music', '12 bar blues', 'minimalism music', 'film music', 'reggae', 'the elements of music',
    'bass clef', 'major and minor scales', 'ostinato', 'how to play chords on ukulele', 'musical theatre', 'afrobeat', 'time signatures'],
  song: ['let it be', 'someone like you', 'perfect', 'viva la vida', 'bohemian rhapsody', 'shape of you', 'riptide', 'golden hour', 'lean on me', 'hallelujah', 'imagine'],
  dramaTopic: ['brecht techniques', 'stanislavski method', 'physical theatre', 'frantic assembly', 'naturalism', 'verbatim theatre', 'freeze frame', 'thought tracking',
    'proxemics', 'monologue ideas', 'mrs johnstone monologue', 'the crucible', 'blood brothers set design', 'devising theatre', 'commedia dellarte'],
  peTopic: ['muscles of the body', 'components of fitness', 'types of training', 'cardiac output', 'the skeletal system', 'levers in the body', 'aerobic and anaerobic',
    'warm up', 'netball rules', 'football positions', 'fitness tests', 'sports psychology', 'injury prevention', 'the respiratory system', 'health and wellbeing'],
  businessTopic: ['the marketing mix', 'break even analysis', 'sole trader vs partnership', 'cash flow forecast', 'market research', 'stakeholders', 'gross profit margin',
    'recruitment', 'motivation theories', 'supply chain', 'ethical business', 'swot analysis', 'pestle analysis', 'e commerce'],
  dish: ['shortcrust pastry', 'bread rolls', 'bolognese', 'chicken curry', 'pizza dough', 'scones', 'victoria sponge', 'risotto', 'stir fry', 'lasagne', 'muffins',
    'apple crumble', 'macaroni cheese', 'fajitas', 'samosas', 'flapjacks', 'chilli con carne', 'jollof rice', 'pasta salad', 'quiche'],
  foodTopic: ['the eatwell guide', 'food poisoning bacteria', 'gelatinisation', 'food miles', 'macronutrients', 'vitamins and minerals', 'raising agents', 'the 4 cs of food hygiene'],
  psheTopic: ['healthy relationships', 'online safety', 'mental health', 'exam stress', 'budgeting', 'first aid', 'cpr', 'the recovery position', 'careers', 'apprenticeships',
    'peer pressure', 'consent', 'body image', 'anti bullying week', 'fake news', 'digital footprint', 'sleep and teenagers', 'friendship problems', 'what is a mortgage'],
  club: ['arsenal', 'chelsea', 'liverpool', 'man united', 'man city', 'spurs', 'newcastle', 'aston villa', 'west ham', 'everton', 'brighton', 'wolves', 'crystal palace',
    'nottingham forest', 'fulham', 'brentford', 'leeds', 'sunderland', 'real madrid', 'barcelona', 'psg', 'bayern munich', 'inter miami', 'celtic'],
  player: ['salah', 'haaland', 'saka', 'bellingham', 'cole palmer', 'rashford', 'harry kane', 'messi', 'ronaldo', 'mbappe', 'vinicius jr', 'lamine yamal', 'foden',
    'rice', 'odegaard', 'son', 'isak', 'watkins', 'martinelli', 'garnacho', 'trent alexander arnold', 'van dijk'],
  singer: ['taylor swift', 'sabrina carpenter', 'billie eilish', 'central cee', 'dave', 'stormzy', 'olivia rodrigo', 'drake', 'the weeknd', 'ed sheeran', 'dua lipa',
    'chappell roan', 'travis scott', 'kendrick lamar', 'sza', 'harry styles', 'arctic monkeys', 'raye', 'tate mcrae', 'ariana grande', 'bruno mars', 'lady gaga', 'doechii',
    'benson boone', 'teddy swims', 'lewis capaldi', 'little simz', 'aitch', 'kpop demon hunters', 'rose', 'stray kids', 'bts', 'blackpink'],
  game: ['minecraft', 'fortnite', 'roblox', 'fc 26', 'gta 6', 'pokemon legends z a', 'zelda', 'among us', 'clash royale', 'brawl stars', 'geometry dash', 'rocket league',
    'valorant', 'apex legends', 'splatoon', 'mario kart world', 'animal crossing', 'stardew valley', 'hollow knight silksong', 'terraria', 'subway surfers', 'chess'],
  robloxGame: ['blox fruits', 'adopt me', 'brookhaven', 'doors', 'pet simulator 99', 'grow a garden', 'dress to impress', 'tower of hell', 'bee swarm simulator',
    'jailbreak', 'arsenal', 'da hood', 'blade ball', 'steal a brainrot', 'bedwars', 'natural disaster survival', 'murder mystery 2', '99 nights in the forest'],
  youtuber: ['mrbeast', 'ksi', 'sidemen', 'ishowspeed', 'kai cenat', 'dream', 'beta squad', 'chunkz', 'niko omilana', 'angry ginge', 'miniminter', 'w2s', 'behzinga',
    'dan tdm', 'preston', 'aphmau', 'sssniperwolf', 'mark rober', 'dude perfect', 'zerkaa', 'tommyinnit', 'caseoh', 'jynxzi', 'sketch'],
  show: ['stranger things', 'wednesday', 'squid game', 'love island', 'the traitors', 'bluey', 'one piece', 'demon slayer', 'jujutsu kaisen', 'my hero academia',
    'the simpsons', 'doctor who', 'strictly', 'heartstopper', 'the bear', 'outer banks', 'ginny and georgia', 'avatar the last airbender', 'spy x family', 'dandadan'],
  film: ['inside out 2', 'wicked', 'moana 2', 'minecraft movie', 'lilo and stitch', 'zootopia 2', 'avatar 3', 'spiderman', 'the lion king', 'how to train your dragon',
    'superman', 'f1 the movie', 'frozen', 'harry potter', 'star wars', 'shrek 5', 'the incredibles', 'toy story 5', 'paddington in peru', 'elio'],
  brand: ['nike tech fleece', 'air force 1', 'adidas sambas', 'stanley cup', 'labubu', 'drunk elephant', 'north face puffer', 'uggs', 'crocs', 'converse', 'new balance 550',
    'airpods', 'iphone 17', 'samsung s25', 'nintendo switch 2', 'ps5', 'jd sports', 'primark', 'sephora', 'lego', 'squishmallows', 'trapstar', 'corteiz', 'on cloud trainers'],
  everyday: ['weather tomorrow', 'weather this weekend', 'how to tie a tie', 'how many days until christmas', 'when is half term', 'easter holidays 2026', 'how to do a french plait',
    'mcdonalds menu', 'greggs menu', 'subway deals', 'cute nail ideas', 'hairstyles for school', 'chatgpt', 'google translate', 'calculator', 'timer 5 minutes',
    'spelling of necessary', 'what day is it', 'how to screenshot on chromebook', 'how to screenshot on windows', 'how to get rid of hiccups', 'funny jokes',
    'would you rather questions', 'how to solve a rubiks cube', 'fun facts', 'coin flip', 'random number generator', 'mothers day gift ideas', 'birthday ideas',
    'how to make slime', 'how to draw a dog', 'dinosaur game', 'snake game', 'wordle', 'spotify wrapped', 'how to grow taller', 'how to get clear skin',
    'how to whistle', 'how to cook rice', 'bus times', 'train times to london', 'nearest library', 'cinema times', 'pancake day 2026', 'world book day costume ideas'],
  animal: ['axolotl', 'capybara', 'red panda', 'sloth', 'otter', 'pug', 'golden retriever', 'hedgehog', 'quokka', 'snow leopard', 'shark', 'octopus', 'penguin', 'cat', 'puppy'],
  city: ['new york', 'tokyo', 'dubai', 'paris', 'sydney', 'los angeles', 'lagos', 'karachi', 'warsaw', 'mumbai', 'toronto'],
  // Hard topics the syllabus really has: each subject's own (see the header).
  englishHard: ['lady macbeth death', 'lady macbeth suicide quote', 'macbeth murder of duncan', 'macbeth kills banquo', 'is this a dagger speech', 'eva smith death',
    'eva smith suicide', 'why did eva smith kill herself', 'romeo and juliet death scene', 'why does juliet stab herself', 'romeo poison scene', 'george shoots lennie',
    'why did george kill lennie', 'curleys wife death', 'candys dog shot', 'mickey shoots edward', 'blood brothers ending', 'piggy death lord of the flies',
    'simon death lord of the flies', 'hyde murders carew', 'jekyll suicide', 'boxer death animal farm', 'remains poem looter shot', 'bayonet charge violence',
    'exposure wilfred owen death', 'kamikaze poem pilot', 'dulce et decorum est gas attack', 'the creature kills william', 'bruno gas chamber ending',
    'arthur kipps child death woman in black', 'noughts and crosses callum hanged', 'how does {character} die', '{character} death quote', 'why does {character} die',
    '{text} death scene', '{text} violence quotes', 'murder in {text}', 'suicide in {text}', 'death in {text} essay', '{poem} violence and death', '{text} {deathWord} quotes'],
  deathWord: ['death', 'murder', 'suicide', 'killing', 'blood', 'violence', 'war', 'guilt and death', 'poison', 'stabbing'],
  historyHard: ['holocaust death camps', 'auschwitz facts', 'nazi propaganda posters', 'hitler speeches', 'kristallnacht attacks on jews', 'nazi persecution of jews',
    'the final solution', 'trench warfare deaths', 'gas attacks ww1', 'hiroshima bomb deaths', 'the blitz bombing', 'jack the ripper victims', 'hanged drawn and quartered',
    'public executions tudor', 'witch trials punishment', 'slave trade conditions middle passage', 'ku klux klan civil rights', 'lynching in america civil rights',
    'the stasi', 'gulags stalin', 'black death symptoms', 'assassination of franz ferdinand', 'jfk assassination', 'bloody sunday 1905', 'peterloo massacre',
    '{atrocity} facts', '{atrocity} gcse', 'why did {atrocity} happen', '{atrocity} death toll', '{atrocity} sources', '{atrocity} timeline', 'who was to blame for {atrocity}'],
  atrocity: ['the holocaust', 'kristallnacht', 'the blitz', 'the hiroshima bombing', 'the battle of the somme', 'the night of the long knives', 'the gunpowder plot',
    'the peterloo massacre', 'the amritsar massacre', 'bloody sunday', 'the great purge', 'the cambodian genocide', 'the rwandan genocide', 'the srebrenica massacre',
    'the 9 11 attacks', 'the 7 7 london bombings', 'the jack the ripper murders', 'the salem witch trials', 'the middle passage', 'the bombing of dresden', 'the my lai massacre'],
  reHard: ['euthanasia arguments for and against', 'christian views on euthanasia', 'is suicide a sin in christianity', 'abortion christian views', 'muslim views on abortion',
    'capital punishment religious views', 'islam views on alcohol', 'buddhism views on drugs', 'assisted dying bill uk', 'just war theory nuclear weapons',
    'christian attitudes to war', 'terrorism religious views', 'sanctity of life and euthanasia', '{religion} views on {reHardIssue}', 'what do {followers} believe about {reHardIssue}',
    'is {reHardIssue} a sin in {faith}', '{reHardIssue} arguments for and against', '{reHardIssue} gcse re quotes', 'what does {faith} say about {reHardIssue}'],
  reHardIssue: ['euthanasia', 'suicide', 'abortion', 'capital punishment', 'the death penalty', 'war', 'terrorism', 'drugs', 'alcohol', 'evil and suffering', 'assisted dying',
    'self defence', 'nuclear weapons', 'violent protest', 'killing in war', 'murder', 'sex before marriage', 'homosexuality', 'contraception'],
  scienceHard: ['effects of alcohol on the liver', 'smoking and lung cancer', 'how do drugs affect the body', 'drug testing clinical trials', 'painkillers how they work',
    'types of contraception', 'how does the contraceptive pill work', 'stis and how they spread', 'puberty hormones', 'the menstrual cycle hormones', 'ivf process',
    'reproduction in humans', 'cannabis effects on the brain', 'heroin effects on the nervous system', 'vaping effects on lungs', 'hiv and aids',
    '{drug} effects on the body', 'effects of {drug} on the brain gcse', 'how does {drug} affect the nervous system', 'what does {drug} do to your heart', 'is {drug} a stimulant or depressant'],
  drug: ['alcohol', 'nicotine', 'cannabis', 'cocaine', 'heroin', 'caffeine', 'ecstasy', 'ketamine', 'steroids', 'paracetamol', 'aspirin', 'morphine', 'lsd', 'vaping'],
  peHard: ['anabolic steroids side effects', 'performance enhancing drugs in sport', 'blood doping', 'beta blockers in sport', 'drugs in sport gcse pe', 'lance armstrong doping'],
  psheHard: ['knife crime statistics uk', 'county lines explained', 'what is grooming pshe', 'sexting law uk', 'vaping dangers teenagers', 'drugs and alcohol pshe',
    'signs of self harm', 'suicide prevention', 'mental health support for teenagers', 'what is consent', 'revenge porn law uk', 'online grooming awareness', 'gangs and exploitation',
    '{psheRisk} facts', '{psheRisk} statistics uk', 'how to stay safe from {psheRisk}', 'what is {psheRisk}', '{psheRisk} pshe lesson', 'signs of {psheRisk}'],
  psheRisk: ['knife crime', 'county lines', 'online grooming', 'sextortion', 'radicalisation', 'cyberbullying', 'gang violence', 'vaping', 'drink spiking', 'sexting',
    'revenge porn', 'catfishing', 'child exploitation', 'peer pressure to drink', 'gambling addiction', 'eating disorders', 'self harm', 'domestic abuse', 'coercive control'],
  computingHard: ['how to kill a process in linux', 'python kill thread', 'pygame shooting game tutorial', 'scratch shooting game', 'ddos attack explained', 'how do hackers steal passwords',
    'ethical hacking', 'kill command linux', 'terminate program python', 'python execute command'],
  gameHard: ['murder mystery 2 codes', 'mm2 values', 'call of duty zombies', 'fortnite best guns', 'minecraft how to kill the wither', 'roblox doors how to beat seek',
    'five nights at freddys', 'dead by daylight', 'assassins creed shadows', 'red dead redemption 2', 'the last of us', 'zombie games', 'sniper elite',
    'jailbreak roblox robbery', 'da hood guns', 'arsenal roblox codes', 'killer bean', 'among us how to be impostor', 'squid game doll'],
};

const T: Record<Subject | 'ordinary' | 'youtube' | 'staffPrep', readonly string[]> = {
  english: ['{text} {character} quotes', '{text} themes', '{text} act {n5} scene {n5} summary', '{theme} in {text}', '{text} context', '{text} essay plan',
    '{character} character analysis', 'how does the writer present {theme} in {text}', '{poem} poem analysis', '{poem} themes', 'what is {technique}', '{technique} examples',
    '{text} chapter {n10} summary', '{text} key quotes', '{character} quotes', 'persuasive writing techniques', 'how to write a speech', 'how to write a newspaper article',
    '{text} summary', '{text} bitesize', 'compare {poem} and {poem}', '{text} sparknotes', 'synonyms for {adj}', '{text} {theme} essay'],
  maths: ['how to {mathsSkill}', '{mathsSkill} gcse', '{mathsSkill} corbettmaths', '{mathsSkill} worksheet', '{n100} times {n100}', '{n1000} divided by {n10}',
    'what is {n100} percent of {n1000}', 'sparx maths {mathsSkill}', 'is {n100} a prime number', '{mathsSkill} examples', 'desmos', 'calculator', 'square root of {n1000}'],
  science: ['what is {sciTopic}', '{sciTopic} gcse', '{sciTopic} diagram', '{sciTopic} required practical', '{sciTopic} bitesize', '{sciTopic} explained',
    '{sciTopic} revision notes', '{sciTopic} exam questions aqa', '{sciTopic} equation', 'definition of {sciTopic}', '{sciTopic} for kids', '{sciTopic} ks3'],
  history: ['{histTopic} causes', '{histTopic} timeline', '{histTopic} facts', '{histTopic} gcse', 'why did {histTopic} happen', '{histTopic} consequences',
    '{histTopic} key dates', '{histTopic} source analysis', 'who was {person}', '{person} facts', '{histTopic} bitesize', '{histTopic} significance', '{histTopic} summary'],
  geography: ['{geoTopic} case study', '{geoTopic} causes and effects', '{geoTopic} gcse', '{geoTopic} diagram', 'what are {geoTopic}', '{geoTopic} facts', '{geoTopic} bitesize',
    'capital of {country}', 'population of {country}', '{geoTopic} map', '{geoTopic} ks3'],
  re: ['{religion} views on {reIssue}', '{reIssue} religious views', '{reFact}', '{reFact} explained', '{reIssue} gcse re', 'what do {followers} believe about {reIssue}',
    '{religion} festivals', '{reFact} meaning', 'arguments for and against {reIssue}'],
  languages: ['{langWord} in {language}', 'how to say {langWord} in {language}', '{verb} conjugation', '{language} {tense}', '{language} numbers 1 to 100',
    '{language} {tense} endings', '{langWord} {language} vocab', 'wordreference {langWord}', '{language} translation'],
  computing: ['python {code}', 'how to {code} in python', '{compTopic}', '{compTopic} explained', '{compTopic} gcse', '{compTopic} ocr', 'python {code} example',
    '{compTopic} bitesize', 'scratch {game} tutorial', 'html {code}', 'replit python'],
  pe: ['{peTopic}', '{peTopic} gcse pe', '{peTopic} examples', 'what is {peTopic}', '{peTopic} diagram'],
  art: ['{artist} {artTask}', '{artist} artwork', '{artTask}', '{artTask} ideas', '{artTask} gcse art', '{artist} facts', '{artist} style'],
  dt: ['{dtTopic}', '{dtTopic} gcse dt', '{dtTopic} examples', 'what are {dtTopic}', '{dtTopic} bitesize'],
  music: ['{musicTopic}', '{musicTopic} explained', 'how to play {song} on piano', '{song} chords', '{musicTopic} examples', '{song} ukulele chords'],
  drama: ['{dramaTopic}', '{dramaTopic} examples', '{dramaTopic} gcse drama', 'what is {dramaTopic}'],
  pshe: ['{psheTopic}', '{psheTopic} tips', '{psheTopic} for teenagers', 'what is {psheTopic}', '{psheTopic} facts'],
  business: ['{businessTopic}', '{businessTopic} gcse business', '{businessTopic} example', 'what is {businessTopic}', '{businessTopic} formula'],
  food: ['{dish} recipe', 'easy {dish} recipe', '{foodTopic}', '{foodTopic} gcse', 'how to make {dish}', '{dish} bbc good food'],
  ordinary: ['{club} score', '{club} vs {club}', '{club} transfer news', '{club} fixtures', '{player} goals', '{player} age', 'premier league table', 'champions league fixtures',
    '{club} kit 2026', '{singer} lyrics', '{singer} tour 2026 tickets', '{singer} new song', '{singer} {song}', '{game} codes', '{game} update', '{game} tier list',
    '{game} release date', 'roblox {robloxGame} codes', '{robloxGame} tier list', 'minecraft {mcThing} ideas', '{youtuber}', '{youtuber} new video', '{show} season {n5}',
    '{show} cast', '{film} release date', '{film} cast', '{brand}', '{brand} price', 'cheapest {brand}', '{everyday}', '{everyday}', '{everyday}', '{everyday}',
    'cute {animal} pictures', '{animal} facts', 'what time is it in {city}', 'how old is {singer}', 'how tall is {player}', '{singer} net worth', '{youtuber} net worth',
    '{game} skins', 'how to get better at {game}', '{game} tips', 'is {game} free', 'what does {slang} mean', '{show} episode {n10}', '{film} trailer'],
  youtube: ['{sciTopic} explained', '{histTopic} documentary', '{mathsSkill} corbettmaths', '{text} summary', '{singer} {song}', '{singer}', '{club} highlights',
    '{game} gameplay', '{youtuber}', '{youtuber} new video', 'lofi study music', 'study with me', '{robloxGame}', 'minecraft {mcThing} tutorial', '{film} trailer',
    '{show} edit', 'funny {animal} videos', '{poem} analysis', '{compTopic} crash course', 'how to {mathsSkill}', 'free science lessons {sciTopic}', '{singer} lyrics'],
  staffPrep: ['{topic} lesson plan', '{topic} worksheet ks3', '{topic} powerpoint tes', '{topic} aqa specification', '{topic} exam questions', '{topic} starter activity',
    '{topic} video for year {year}', '{topic} quiz', 'ofsted deep dive {subjectName}', 'arbor login', 'cpoms login', 'sims parent app', 'train times', 'weather',
    'bbc news', 'amazon', 'school holidays 2026', 'nhs 111', 'premier inn', '{dish} recipe', 'tes resources {topic}', 'sparx maths teacher login'],
};
const extra: Record<string, readonly string[]> = {
  adj: ['happy', 'sad', 'angry', 'important', 'big', 'beautiful', 'scared', 'shows', 'good', 'interesting', 'powerful'],
  country: ['france', 'brazil', 'japan', 'nigeria', 'india', 'australia', 'canada', 'egypt', 'kenya', 'china', 'poland', 'mexico', 'iceland', 'peru', 'germany'],
  mcThing: ['house', 'castle', 'farm', 'redstone', 'seed', 'base', 'bedroom', 'village', 'survival', 'bridge'],
  slang: ['rizz', 'skibidi', 'aura', 'delulu', 'mid', 'sigma', 'gyat', 'ick', 'bet', 'cap', 'peak', 'six seven', 'brainrot', 'glaze', 'ate'],
  subjectName: ['english', 'maths', 'science', 'history', 'geography', 're', 'computing', 'art', 'music', 'pe', 'mfl'],
};
const topicBySubject: Record<Subject, string> = {
  english: 'text', maths: 'mathsSkill', science: 'sciTopic', history: 'histTopic', geography: 'geoTopic', re: 'reIssue', languages: 'langWord', computing: 'compTopic',
  pe: 'peTopic', art: 'artTask', dt: 'dtTopic', music: 'musicTopic', drama: 'dramaTopic', pshe: 'psheTopic', business: 'businessTopic', food: 'foodTopic',
};
const hardBySubject: Partial<Record<Subject, string>> = {
  english: 'englishHard', history: 'historyHard', re: 'reHard', science: 'scienceHard', pe: 'peHard', pshe: 'psheHard', computing: 'computingHard', drama: 'englishHard',
};

function fill(template: string, ctx: { subject?: Subject; year?: number } = {}): string {
  return template.replace(/\{(\w+)\}/g, (_, k: string) => {
    if (k === 'n5') return String(int(1, 5));
    if (k === 'n10') return String(int(1, 12));
    if (k === 'n100') return String(int(2, 99));
    if (k === 'n1000') return String(int(10, 999));
    if (k === 'year') return String(ctx.year ?? int(7, 11));
    if (k === 'topic') return pick(V[topicBySubject[ctx.subject ?? 'english']]);
    const list = V[k] ?? extra[k];
    if (!list) throw new Error(`no vocabulary for {${k}}`);
    return pick(list);
  });
}

/** A typo in one word now and then, and a capital first letter sometimes, as pupils type. */
function asTyped(q: string, careful = false): string {
  let s = q;
  if (!careful && chance(0.06)) {
    const words = s.split(' ');
    const i = Math.floor(rnd() * words.length);
    const w = words[i];
    if (w.length > 4) {
      const j = int(1, w.length - 2);
      words[i] = chance(0.5) ? w.slice(0, j) + w.slice(j + 1) : w.slice(0, j) + w[j + 1] + w[j] + w.slice(j + 2);
      s = words.join(' ');
    }
  }
  if (chance(careful ? 0.3 : 0.15)) s = s[0].toUpperCase() + s.slice(1);
  return s;
}

// The labelled set is for eval:monitor; no search of the bench is word for word in it.
const labelled = new Set(readFileSync(join(root, 'src/modules/monitoring/fixtures/labelled-searches.csv'), 'utf8').split('\n').slice(1)
  .map((l) => (l.startsWith('"') ? l.slice(1, l.indexOf('"', 1)) : l.slice(0, l.indexOf(','))).trim().toLowerCase()).filter(Boolean));
let droppedAsLabelled = 0;
const fourWords = (q: string) => {
  const w = q.toLowerCase().split(/\s+/).filter(Boolean);
  return Array.from({ length: Math.max(0, w.length - 3) }, (_, i) => w.slice(i, i + 4).join(' '));
};
const labelledFourWords = new Set([...labelled].flatMap(fourWords));
const distinctSearches = new Set<string>();
let hardSearches = 0;

/** A search for this context: the lesson's subject, an ordinary one, a staff member's preparation. */
function makeSearch(kind: 'subject' | 'ordinary' | 'youtube' | 'staff', ctx: { subject?: Subject; year?: number } = {}): string {
  for (let tries = 0; tries < 20; tries++) {
    let q: string;
    let hard = false;
    if (kind === 'subject' && ctx.subject && hardBySubject[ctx.subject] && chance(0.08)) {
      q = fill(pick(V[hardBySubject[ctx.subject]!]), ctx);
      hard = true;
    } else if (kind === 'subject') q = fill(pick(T[ctx.subject ?? 'english']), ctx);
    else if (kind === 'ordinary') {
      if (chance(0.05)) {
        q = pick(V.gameHard);
        hard = true;
      } else q = fill(pick(T.ordinary), ctx);
    } else if (kind === 'youtube') q = fill(pick(T.youtube), ctx);
    else if (chance(0.06) && hardBySubject[ctx.subject ?? 'english']) {
      q = `${fill(pick(V[hardBySubject[ctx.subject ?? 'english']!]), ctx)} ${pick(['lesson', 'ks3', 'ks4', 'resources', 'video for year 9', 'teaching'])}`;
      hard = true;
    } else q = fill(pick(T.staffPrep), ctx);
    q = asTyped(q, kind === 'staff');
    if (labelled.has(q.toLowerCase())) {
      droppedAsLabelled++;
      continue;
    }
    distinctSearches.add(q.toLowerCase());
    if (hard) hardSearches++;
    return q;
  }
  return 'bbc bitesize';
}

// ---------------------------------------------------------------------------------------------
// Sites. Paths are made up but shaped like the real ones.
interface Site { host: string; paths: () => string; assets: [number, number]; cdn?: string[]; ads?: boolean; analytics?: boolean; api?: () => string }
const slug = (q: string) => q.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
const topicSlug = (s?: Subject) => slug(pick(V[topicBySubject[s ?? 'english']]));
const S = (host: string, paths: () => string, assets: [number, number], more: Partial<Site> = {}): Site => ({ host, paths, assets, analytics: true, ...more });
const edu: Site[] = [
  S('www.bbc.co.uk', () => `/bitesize/guides/z${b64(6).toLowerCase()}/revision/${int(1, 6)}`, [15, 35], { cdn: ['static.files.bbci.co.uk', 'ichef.bbci.co.uk', 'emp.bbci.co.uk'] }),
  S('app.senecalearning.com', () => `/classroom/course/${hex(8)}-${hex(4)}/section/${hex(8)}/session`, [12, 30], { api: () => `/api/courses/${hex(8)}/sections?limit=50&offset=0` }),
  S('www.sparxmaths.uk', () => `/student/package/${hex(8)}/task/${int(1, 4)}/item/${int(1, 12)}`, [8, 20], { api: () => `/api/student/packages?includeCompleted=false&t=${int(1772000000000, 1772600000000)}` }),
  S('quizlet.com', () => `/gb/${int(100000000, 999999999)}/${topicSlug()}-flash-cards/`, [15, 35], { ads: true }),
  S('kahoot.it', () => '/', [6, 14], { api: () => `/rest/challenges/pin/${int(100000, 999999)}` }),
  S('www.educake.co.uk', () => `/student/quiz/${int(100000, 999999)}`, [8, 18]),
  S('classroom.google.com', () => `/u/0/c/${b64(16)}/a/${b64(16)}/details`, [10, 25], { cdn: ['www.gstatic.com', 'fonts.gstatic.com', 'lh3.googleusercontent.com'], api: () => `/u/0/_/ClassroomUi/data/batchexecute?rpcids=${b64(6)}&source-path=%2Fu%2F0%2Fh&bl=boq_apps-edu-classroom-ui_${int(20260101, 20260301)}&hl=en-GB&soc-app=1&_reqid=${int(1000, 99999)}&rt=c` }),
  S('www.oaknationalacademy.org', () => `/teachers/programmes/${topicSlug()}/units/${topicSlug()}/lessons`, [15, 30]),
  S('corbettmaths.com', () => `/${int(2013, 2024)}/${String(int(1, 12)).padStart(2, '0')}/${topicSlug('maths')}/`, [10, 25], { ads: true }),
  S('www.mathsgenie.co.uk', () => `/${topicSlug('maths')}.html`, [5, 12]),
  S('www.physicsandmathstutor.com', () => `/${pick(['biology', 'chemistry', 'physics', 'maths'])}-revision/gcse-aqa/${topicSlug('science')}/`, [10, 25], { ads: true }),
  S('www.savemyexams.com', () => `/gcse/${pick(['biology', 'chemistry', 'physics', 'history', 'geography'])}/aqa/${topicSlug('science')}/`, [20, 40]),
  S('www.gcsepod.com', () => `/pods/${int(1000, 9999)}`, [10, 25]),
  S('en.wikipedia.org', () => `/wiki/${pick(V.histTopic.concat(V.sciTopic, V.person)).split(' ').map((w) => w[0].toUpperCase() + w.slice(1)).join('_')}`, [6, 15], { cdn: ['upload.wikimedia.org'] }),
  S('www.britannica.com', () => `/topic/${topicSlug('history')}`, [15, 30], { ads: true }),
  S('www.litcharts.com', () => `/lit/${topicSlug('english')}/themes`, [15, 30], { ads: true }),
  S('www.sparknotes.com', () => `/lit/${topicSlug('english')}/section${int(1, 10)}/`, [15, 35], { ads: true }),
  S('www.wordreference.com', () => `/enfr/${slug(pick(V.langWord))}`, [10, 20], { ads: true }),
  S('www.languagenut.com', () => `/en/webapp/home.app`, [10, 25]),
  S('scratch.mit.edu', () => `/projects/${int(100000000, 1200000000)}/editor`, [20, 40], { cdn: ['cdn2.scratch.mit.edu', 'assets.scratch.mit.edu'] }),
  S('replit.com', () => `/@${slug(pick(givenNames))}${int(10, 99)}/${slug(pick(V.code))}`, [20, 45]),
  S('www.desmos.com', () => '/calculator', [8, 18]),
  S('www.canva.com', () => `/design/${b64(11)}/edit`, [25, 45], { api: () => `/_ajax/documents/${b64(11)}?version=${int(1, 400)}` }),
  S('www.tate.org.uk', () => `/art/artists/${slug(pick(V.artist))}-${int(100, 9999)}`, [15, 30]),
  S('www.bbcgoodfood.com', () => `/recipes/${slug(pick(V.dish))}`, [20, 40], { ads: true }),
  S('www.nationalgeographic.com', () => `/environment/article/${topicSlug('geography')}`, [20, 40], { ads: true }),
  S('www.ocr.org.uk', () => `/qualifications/gcse/${topicSlug('computing')}/`, [8, 18]),
  S('www.aqa.org.uk', () => `/subjects/${pick(staffSubjects)}/gcse/specification`, [8, 18]),
];
const ordinary: Site[] = [
  S('www.bbc.co.uk', () => `/sport/football/${int(60000000, 69999999)}`, [15, 35], { cdn: ['static.files.bbci.co.uk', 'ichef.bbci.co.uk'] }),
  S('www.skysports.com', () => `/football/news/${int(11000, 12000)}/${int(13000000, 13999999)}/${slug(fill('{club} {player}'))}`, [20, 45], { ads: true }),
  S('www.premierleague.com', () => `/match/${int(115000, 116000)}`, [20, 40], { ads: true }),
  S('genius.com', () => `/${slug(fill('{singer}'))}-${slug(pick(V.song))}-lyrics`, [20, 45], { ads: true }),
  S('www.amazon.co.uk', () => `/s?k=${encodeURIComponent(fill('{brand}')).replace(/%20/g, '+')}&crid=${hex(12).toUpperCase()}&sprefix=${hex(4)}&ref=nb_sb_noss`, [25, 50]),
  S('www.argos.co.uk', () => `/product/${int(1000000, 9999999)}`, [20, 40], { ads: true }),
  S('www.jdsports.co.uk', () => `/product/${slug(fill('{brand}'))}/${int(10000, 99999)}/`, [20, 40]),
  S('minecraft.fandom.com', () => `/wiki/${pick(['Redstone', 'Villager', 'Enchanting', 'Ender_Dragon', 'Netherite', 'Elytra', 'Axolotl'])}`, [20, 45], { ads: true }),
  S('www.metoffice.gov.uk', () => `/weather/forecast/gcqdt${int(1000, 9999)}`, [15, 30]),
  S('www.pinterest.co.uk', () => `/search/pins/?q=${encodeURIComponent(fill(pick(['{artTask}', 'cute {animal}', 'hairstyles for school', 'cute nail ideas', 'minecraft {mcThing} ideas']))).replace(/%20/g, '%20')}&rs=typed`, [25, 50]),
  S('www.chess.com', () => `/play/online`, [15, 30], { api: () => `/callback/user/popup/${slug(pick(givenNames))}${int(1, 999)}` }),
  S('www.dictionary.com', () => `/browse/${slug(pick(extra.adj))}`, [15, 35], { ads: true }),
  S('www.imdb.com', () => `/title/tt${int(1000000, 9999999)}/`, [20, 40], { ads: true }),
];
const games = ['poki.com', 'www.crazygames.com', 'www.coolmathgames.com', '1v1.lol', 'krunker.io', 'shellshock.io', 'smashkarts.io', 'bloxd.io', 'www.friv.com', 'www.y8.com',
  'www.miniclip.com', 'slither.io', 'agar.io', 'www.roblox.com', 'now.gg', 'www.kizi.com', 'retrobowl.me', 'deadshot.io', 'kour.io', 'zombsroyale.io', 'www.twoplayergames.org',
  'www.silvergames.com', 'geometrydash.io', 'slope-game.io', 'driftboss.io', 'ev.io', 'buildnow.gg', 'www.addictinggames.com'];
const social = ['www.tiktok.com', 'www.instagram.com', 'web.snapchat.com', 'www.snapchat.com', 'www.facebook.com', 'discord.com', 'x.com', 'www.threads.net', 'web.whatsapp.com',
  'www.reddit.com', 'www.tumblr.com', 'www.bereal.com'];
const streaming = ['www.netflix.com', 'www.twitch.tv', 'www.disneyplus.com', 'www.primevideo.com', 'www.crunchyroll.com', 'open.spotify.com', 'kick.com', 'www.nowtv.com'];
const adHosts = ['securepubads.g.doubleclick.net', 'pagead2.googlesyndication.com', 'adservice.google.com', 'c.amazon-adsystem.com', 'ib.adnxs.com', 'ads.pubmatic.com',
  'fastlane.rubiconproject.com', 'cdn.taboola.com', 'widgets.outbrain.com', 'static.criteo.net', 'cdn.adsafeprotected.com', 'c.aaxads.com', 'htlb.casalemedia.com',
  'prebid.adnxs.com', 'sb.scorecardresearch.com', 'ads.yieldmo.com', 'tpc.googlesyndication.com'];
const spliced = new Set(['login.microsoftonline.com', 'outlook.office365.com', 'teams.microsoft.com', 'harbourbench-my.sharepoint.com', 'harbourbench.sharepoint.com',
  'word-edit.officeapps.live.com', 'excel.officeapps.live.com', 'www.office.com', 'login.arbor.sc', 'harbour-academy.uk.arbor.sc', 'www.cpoms.net', 'www.online.hsbc.co.uk',
  'www.nhs.uk', 'settings-win.data.microsoft.com', 'clients4.google.com', 'update.googleapis.com']);

const ipOf = new Map<string, string>();
function serverIp(host: string): string {
  let ip = ipOf.get(host);
  if (!ip) {
    let h = 2166136261;
    for (let i = 0; i < host.length; i++) h = Math.imul(h ^ host.charCodeAt(i), 16777619);
    ip = `${[142, 151, 104, 172, 13, 52, 23, 185][(h >>> 0) % 8]}.${(h >>> 8) & 255}.${(h >>> 16) & 255}.${((h >>> 24) & 253) + 1}`;
    ipOf.set(host, ip);
  }
  return ip;
}

// ---------------------------------------------------------------------------------------------
// The log, written in time order: lines go into minute buckets, a bucket is written once nothing
// can fall into it any more (an action writes at most 15 minutes ahead of its start).
interface Line { t: number; s: string; tag: number }
const buckets = new Map<number, Line[]>();
let currentTag = 0;
const counts = { lines: 0, searches: 0, blocked: 0, auth407: 0, autocomplete: 0 };
const bucketOf = (t: number) => Math.floor((t - dayStart) / 60_000);
function emit(t: number, s: string) {
  const k = bucketOf(t);
  let b = buckets.get(k);
  if (!b) buckets.set(k, (b = []));
  b.push({ t, s, tag: currentTag });
}

interface Sess {
  who: Person; client: string; desktop: boolean; start: number; end: number; ctx: Ctx; subject?: Subject;
  tunnels: Map<string, number>; nextBackground: number; next: number; plants: Plant[];
}

function sq(s: Sess, t: number, code: string, bytes: number, method: string, url: string, opts: { user?: string | null; hier?: string; mime?: string; elapsed?: number } = {}) {
  const ts = (Math.round(t) / 1000).toFixed(3);
  const elapsed = String(opts.elapsed ?? int(8, 400)).padStart(6);
  const user = opts.user === undefined ? s.who.user : opts.user ?? '-';
  const host = method === 'CONNECT' ? url.slice(0, url.lastIndexOf(':')) : url.slice(url.indexOf('//') + 2).split('/')[0];
  const hier = opts.hier ?? `HIER_DIRECT/${serverIp(host)}`;
  emit(t, `${ts} ${elapsed} ${s.client} ${code} ${bytes} ${method} ${url} ${user} ${hier} ${opts.mime ?? '-'}`);
}

/** The proxy's challenge for a new tunnel (no username yet), as Kerberos or NTLM makes one. */
function challenge(s: Sess, t: number, target: string): number {
  counts.auth407++;
  sq(s, t, 'TCP_DENIED/407', int(3900, 4200), 'CONNECT', target, { user: null, hier: 'HIER_NONE/-', mime: 'text/html', elapsed: int(0, 3) });
  return t + int(3, 40);
}

/** A tunnel to host, unless one was opened in the last two minutes: bumped (inspected) or spliced. */
function tunnel(s: Sess, t: number, host: string): number {
  const last = s.tunnels.get(host);
  s.tunnels.set(host, t);
  if (last !== undefined && t - last < 120_000) return t;
  if (chance(s.desktop ? 0.9 : 0.05)) t = challenge(s, t, `${host}:443`);
  if (spliced.has(host)) sq(s, t, 'TCP_TUNNEL/200', int(3000, 900000), 'CONNECT', `${host}:443`, { elapsed: int(200, 120000) });
  else sq(s, t, 'NONE_NONE/200', 0, 'CONNECT', `${host}:443`, { hier: 'HIER_NONE/-', elapsed: int(0, 20) });
  return t + int(20, 150);
}

/** A request the filter refuses: on the CONNECT (it knows the site by name), or after inspection on the page. */
function blocked(s: Sess, t: number, host: string, onPage = chance(0.2)): number {
  counts.blocked++;
  if (!onPage) {
    if (chance(s.desktop ? 0.9 : 0.05)) t = challenge(s, t, `${host}:443`);
    sq(s, t, 'TCP_DENIED/403', int(3900, 4200), 'CONNECT', `${host}:443`, { hier: 'HIER_NONE/-', mime: 'text/html', elapsed: int(0, 3) });
    return t + int(5, 50);
  }
  t = tunnel(s, t, host);
  sq(s, t, 'TCP_DENIED/403', int(3900, 4300), 'GET', `https://${host}/`, { hier: 'HIER_NONE/-', mime: 'text/html', elapsed: int(0, 3) });
  return t + int(5, 50);
}

const assetKinds: [string, string][] = [['js', 'application/javascript'], ['css', 'text/css'], ['png', 'image/png'], ['jpg', 'image/jpeg'], ['webp', 'image/webp'],
  ['svg', 'image/svg+xml'], ['woff2', 'font/woff2'], ['js', 'text/javascript'], ['gif', 'image/gif'], ['ico', 'image/x-icon']];
function asset(s: Sess, t: number, host: string): number {
  const [ext, mime] = pick(assetKinds);
  const dir = pick(['static', 'assets', '_next/static/chunks', 'dist', 'images', 'img', 'fonts', 'wp-content/uploads/2025/11', 'build', 'media']);
  const name = ext === 'js' || ext === 'css' ? `${pick(['main', 'app', 'vendor', 'runtime', 'chunk', 'styles', 'polyfills'])}.${hex(8)}.${ext}` : `${slug(pick(['logo', 'hero', 'icon', 'banner', 'thumb', 'avatar', 'bg', 'sprite']))}-${int(1, 400)}.${ext}`;
  const hit = chance(0.15);
  const url = `https://${host}/${dir}/${name}${chance(0.1) ? `?v=${hex(6)}` : ''}`;
  sq(s, t, hit ? 'TCP_MEM_HIT/200' : chance(0.1) ? 'TCP_REFRESH_UNMODIFIED/304' : 'TCP_MISS/200', int(300, 250000), 'GET', url, { mime, hier: hit ? 'HIER_NONE/-' : undefined });
  return t + int(3, 180);
}

function analytics(s: Sess, t: number, pageUrl: string): number {
  t = tunnel(s, t, 'www.google-analytics.com');
  const cid = `${int(100000000, 999999999)}.${int(1700000000, 1772000000)}`;
  sq(s, t, 'TCP_MISS/204', 0, 'POST', `https://www.google-analytics.com/g/collect?v=2&tid=G-${b64(10).toUpperCase()}&gtm=45je${hex(5)}&_p=${int(1e9, 2e9)}&gcd=13l3l3l3l1l1&npa=0&dma=0&cid=${cid}&ul=en-gb&sr=1366x768&uaa=x86&frm=0&pscdl=noapi&_s=${int(1, 9)}&sid=${int(1770000000, 1772000000)}&sct=${int(1, 40)}&seg=1&dl=${encodeURIComponent(pageUrl)}&en=page_view&tfd=${int(300, 9000)}`, { mime: '-' });
  if (chance(0.4)) {
    t += int(100, 3000);
    t = tunnel(s, t, 'www.googletagmanager.com');
    sq(s, t, 'TCP_MISS/200', int(80000, 300000), 'GET', `https://www.googletagmanager.com/gtag/js?id=G-${b64(10).toUpperCase()}&l=dataLayer&cx=c&gtm=45He${hex(5)}`, { mime: 'application/javascript' });
  }
  return t + int(10, 400);
}

function pageView(s: Sess, t: number, site: Site, path = site.paths()): number {
  t = tunnel(s, t, site.host);
  const url = `https://${site.host}${path}`;
  sq(s, t, 'TCP_MISS/200', int(8000, 180000), 'GET', url, { mime: 'text/html', elapsed: int(40, 900) });
  t += int(50, 600);
  const n = int(site.assets[0], site.assets[1]);
  for (let i = 0; i < n; i++) {
    const host = site.cdn && chance(0.4) ? pick(site.cdn) : site.host;
    if (host !== site.host) t = tunnel(s, t, host);
    t = asset(s, t, host);
  }
  if (site.analytics && chance(0.8)) t = analytics(s, t, url);
  if (site.api) for (let i = int(1, 4); i > 0; i--) {
    t += int(200, 4000);
    sq(s, t, 'TCP_MISS/200', int(200, 40000), 'GET', `https://${site.host}${site.api()}`, { mime: 'application/json' });
  }
  if (site.ads) for (let i = int(2, 8); i > 0; i--) t = blocked(s, t + int(20, 600), pick(adHosts), false);
  return t;
}

const googleHosts = ['www.google.com', 'www.google.co.uk'];
/** A search as the browser sends it, with the autocomplete requests for the letters typed. */
function searchFor(s: Sess, t: number, engine: 'google' | 'bing' | 'youtube', q: string): number {
  counts.searches++;
  const enc = (x: string) => encodeURIComponent(x).replace(/%20/g, '+');
  const gHost = s.desktop ? 'www.google.co.uk' : pick(googleHosts);
  const host = engine === 'google' ? gHost : engine === 'bing' ? 'www.bing.com' : 'www.youtube.com';
  t = tunnel(s, t, host);
  if (chance(0.65)) {
    const stops = [...new Set(Array.from({ length: int(2, 6) }, () => int(1, Math.max(1, q.length - 1))))].sort((a, b) => a - b);
    for (const n of stops) {
      counts.autocomplete++;
      const p = q.slice(0, n);
      t += int(150, 1500);
      if (engine === 'google') sq(s, t, 'TCP_MISS/200', int(400, 3000), 'GET', `https://${gHost}/complete/search?q=${enc(p)}&cp=${n}&client=gws-wiz&xssi=t&gs_pcrt=undefined&hl=en-GB&authuser=0&psi=${b64(16)}.${int(1772000000000, 1772600000000)}&dpr=1`, { mime: 'application/json' });
      else if (engine === 'bing') sq(s, t, 'TCP_MISS/200', int(400, 3000), 'GET', `https://www.bing.com/AS/Suggestions?pt=page.home&mkt=en-gb&qry=${enc(p)}&cp=${n}&csr=1&msbqf=false&cvid=${hex(32).toUpperCase()}`, { mime: 'text/html' });
      else {
        t = tunnel(s, t, 'suggestqueries-clients6.youtube.com');
        sq(s, t, 'TCP_MISS/200', int(400, 3000), 'GET', `https://suggestqueries-clients6.youtube.com/complete/search?client=youtube&hl=en-gb&gl=gb&gs_rn=64&gs_ri=youtube&ds=yt&cp=${n}&gs_id=${int(1, 30)}&q=${enc(p)}&xhr=t&xssi=t`, { mime: 'text/javascript' });
      }
    }
  }
  t += int(300, 2500);
  let url: string;
  if (engine === 'google') url = s.desktop
    ? `https://${gHost}/search?q=${enc(q)}&sca_esv=${hex(16)}&source=hp&ei=${b64(22)}&iflsig=${b64(30)}&oq=${enc(q.slice(0, int(1, q.length)))}&gs_lp=${b64(40)}&sclient=gws-wiz&safe=active`
    : `https://${gHost}/search?q=${enc(q)}&oq=${enc(q)}&gs_lcrp=${b64(60)}&sourceid=chrome&ie=UTF-8&safe=active`;
  else if (engine === 'bing') url = `https://www.bing.com/search?q=${enc(q)}&form=QBLH&sp=-1&ghc=1&lq=0&pq=${enc(q.slice(0, int(1, q.length)))}&sc=${int(8, 12)}-${q.length}&qs=n&sk=&cvid=${hex(32).toUpperCase()}&ghsh=0&ghacc=0&ghpl=&adlt=strict`;
  else url = `https://www.youtube.com/results?search_query=${enc(q)}`;
  sq(s, t, 'TCP_MISS/200', int(60000, 400000), 'GET', url, { mime: 'text/html', elapsed: int(150, 1200) });
  const assetsHost = engine === 'google' ? 'www.gstatic.com' : engine === 'bing' ? 'r.bing.com' : 'i.ytimg.com';
  t = tunnel(s, t + 100, assetsHost);
  for (let i = int(4, 14); i > 0; i--) t = asset(s, t, assetsHost);
  if (engine === 'google') {
    t = tunnel(s, t, 'encrypted-tbn0.gstatic.com');
    for (let i = int(0, 6); i > 0; i--) {
      sq(s, t, 'TCP_MISS/200', int(2000, 12000), 'GET', `https://encrypted-tbn0.gstatic.com/images?q=tbn:ANd9Gc${b64(40)}&usqp=CAU`, { mime: 'image/jpeg' });
      t += int(5, 100);
    }
    sq(s, t, 'TCP_MISS/204', 0, 'POST', `https://${gHost}/gen_204?s=web&t=aft&atyp=csi&ei=${b64(22)}&rt=wsrt.${int(200, 900)},aft.${int(100, 900)}&imn=${int(5, 40)}&ima=${int(1, 9)}&imad=0&aftp=-1&bl=${b64(6)}`, { mime: '-' });
    // Looking again: the images tab, or the next page of results (the same search).
    if (chance(0.25)) {
      t += int(3000, 30000);
      sq(s, t, 'TCP_MISS/200', int(60000, 400000), 'GET', `https://${gHost}/search?q=${enc(q)}&sca_esv=${hex(16)}&udm=2&fbs=${b64(60)}&sa=X&ved=${b64(40)}&biw=1366&bih=657&dpr=1&safe=active`, { mime: 'text/html' });
      t = tunnel(s, t, 'encrypted-tbn0.gstatic.com');
      for (let i = int(10, 30); i > 0; i--) {
        sq(s, t, 'TCP_MISS/200', int(2000, 12000), 'GET', `https://encrypted-tbn0.gstatic.com/images?q=tbn:ANd9Gc${b64(40)}&usqp=CAU`, { mime: 'image/jpeg' });
        t += int(5, 100);
      }
    } else if (chance(0.08)) {
      t += int(5000, 40000);
      sq(s, t, 'TCP_MISS/200', int(60000, 400000), 'GET', `https://${gHost}/search?q=${enc(q)}&sca_esv=${hex(16)}&ei=${b64(22)}&start=10&sa=N&ved=${b64(40)}&biw=1366&bih=657&dpr=1&safe=active`, { mime: 'text/html' });
    }
  }
  return t;
}

/** A YouTube video: the watch page, then the stream in chunks and the stats pings, for duration ms. */
function watch(s: Sess, t: number, duration: number): number {
  const id = b64(11);
  const site = S('www.youtube.com', () => `/watch?v=${id}`, [10, 25], { cdn: ['i.ytimg.com', 'yt3.ggpht.com', 'fonts.gstatic.com'], analytics: false });
  t = pageView(s, t, site);
  sq(s, t, 'TCP_MISS/200', int(20000, 200000), 'POST', 'https://www.youtube.com/youtubei/v1/player?prettyPrint=false', { mime: 'application/json' });
  const video = `rr${int(1, 8)}---sn-${b64(8).toLowerCase().replace(/[-_]/g, 'a')}.googlevideo.com`;
  const end = Math.min(t + duration, s.end + 60_000);
  let stats = t + 10_000;
  const cpn = b64(16);
  for (let at = t + 500; at < end; at += gap(9000, 1500)) {
    const vt = tunnel(s, at, video);
    sq(s, vt, 'TCP_MISS/200', int(30000, 2500000), 'POST', `https://${video}/videoplayback?expire=${Math.floor(at / 1000) + 21000}&ei=${b64(16)}&ip=81.${int(1, 250)}.${int(1, 250)}.${int(1, 250)}&id=o-${b64(40)}&itag=${pick([18, 134, 135, 243, 244, 251, 140])}&source=youtube&requiressl=yes&mime=${pick(['video%2Fmp4', 'audio%2Fwebm', 'video%2Fwebm'])}&rqh=1&gir=yes&clen=${int(1e6, 9e7)}&dur=${int(60, 1200)}.${int(100, 999)}&lmt=${int(1.6e15, 1.77e15)}&keepalive=yes&c=WEB&n=${b64(14)}&sparams=expire%2Cei%2Cip%2Cid%2Citag%2Csource%2Crequiressl&sig=${b64(60)}&cpn=${cpn}&cver=2.${int(20260101, 20260301)}.00.00&rn=${int(1, 200)}&rbuf=${int(0, 90000)}&range=${int(0, 5e6)}-${int(5e6, 9e6)}`, { mime: 'application/vnd.yt-ump', elapsed: int(50, 3000) });
    if (at > stats) {
      stats = at + 40_000;
      sq(s, at + 20, 'TCP_MISS/204', 0, 'GET', `https://www.youtube.com/api/stats/watchtime?ns=yt&el=detailpage&cpn=${cpn}&ver=2&cmt=${Math.round((at - t) / 1000)}&fmt=${pick([134, 135, 243])}&fs=0&rt=${Math.round((at - t) / 1000)}&euri&lact=${int(100, 9000)}&cl=${int(700000000, 799999999)}&state=playing&volume=${int(20, 100)}&c=WEB&docid=${id}&len=${int(60, 1200)}`, { mime: '-' });
    }
  }
  return end;
}

/** Editing a document: Google Docs saves and polls, or Office 365 through spliced tunnels. */
function editDocument(s: Sess, t: number, duration: number): number {
  const end = Math.min(t + duration, s.end + 60_000);
  if (s.desktop && chance(0.5)) {
    for (let at = t; at < end; at += gap(60_000, 10_000)) {
      const host = pick(['word-edit.officeapps.live.com', 'login.microsoftonline.com', 'harbourbench-my.sharepoint.com', 'www.office.com', 'teams.microsoft.com']);
      s.tunnels.delete(host);
      tunnel(s, at, host);
    }
    return end;
  }
  const id = b64(44);
  const kind = pick(['document', 'presentation', 'spreadsheets']);
  t = pageView(s, t, S('docs.google.com', () => `/${kind}/d/${id}/edit`, [15, 35], { cdn: ['www.gstatic.com', 'fonts.gstatic.com', 'lh3.googleusercontent.com'], analytics: false }));
  const sid = hex(16);
  let bind = t;
  for (let at = t + 2000; at < end; at += gap(9000, 1500)) {
    sq(s, at, 'TCP_MISS/200', int(100, 4000), 'POST', `https://docs.google.com/${kind}/d/${id}/save?id=${id}&sid=${sid}&vc=1&c=1&w=1&flr=0&smv=2&smb=%5B2%2C%20oAM%3D%5D&token=${b64(40)}&includes_info_params=true&usp=docs_web&cros_files=false&tab=t.0`, { mime: 'application/json' });
    if (at > bind) {
      bind = at + 30_000;
      sq(s, at + 10, 'TCP_MISS/200', int(100, 4000), 'GET', `https://docs.google.com/${kind}/d/${id}/bind?id=${id}&sid=${sid}&VER=8&lsq=${int(1, 99)}&u=${b64(12)}&flr=0&gsessionid=${b64(30)}&RID=rpc&SID=${b64(20)}&AID=${int(1, 200)}&CI=0&TYPE=xmlhttp&zx=${b64(12).toLowerCase()}&t=1`, { mime: 'text/plain', elapsed: int(1000, 30000) });
    }
  }
  return end;
}

/** Trying a blocked site: once, a few times, or over and over. */
function blockedAttempt(s: Sess, t: number, retries?: number): number {
  const kind = pickW([['games', 55], ['social', 28], ['streaming', 17]] as const);
  const host = pick(kind === 'games' ? games : kind === 'social' ? social : streaming);
  if (chance(0.3)) t = searchFor(s, t, s.desktop ? 'bing' : 'google', asTyped(`${host.replace(/^www\.|^web\./, '').replace(/\.[a-z]+$/, '')}${pick(['', '', ' login', ' games', ' online'])}`)) + int(2000, 15000);
  const n = retries ?? pickW([[1, 50], [int(2, 4), 35], [int(5, 20), 15]] as const);
  const onPage = chance(0.2);
  for (let i = 0; i < n; i++) t = blocked(s, t, host, onPage) + gap(12_000, 1500);
  return t;
}

/** Windows and Chrome OS talking to their makers in the background, some of it before signing in. */
function background(s: Sess, t: number) {
  if (s.desktop && chance(0.5)) {
    counts.auth407++;
    sq(s, t, 'TCP_DENIED/407', int(3900, 4200), 'CONNECT', `${pick(['settings-win.data.microsoft.com', 'ctldl.windowsupdate.com', 'v10.events.data.microsoft.com', 'edge.microsoft.com', 'arc.msn.com'])}:443`, { user: null, hier: 'HIER_NONE/-', mime: 'text/html', elapsed: 0 });
  } else {
    const host = s.desktop ? pick(['settings-win.data.microsoft.com', 'edge.microsoft.com']) : pick(['clients4.google.com', 'update.googleapis.com', 'www.googleapis.com', 'play.googleapis.com']);
    s.tunnels.delete(host);
    tunnel(s, t, host);
  }
}

// ---------------------------------------------------------------------------------------------
// What a person does next.
const bySubject: Partial<Record<Subject, string[]>> = {
  maths: ['www.sparxmaths.uk', 'corbettmaths.com', 'www.mathsgenie.co.uk', 'www.desmos.com'],
  english: ['www.bbc.co.uk', 'www.litcharts.com', 'www.sparknotes.com', 'app.senecalearning.com'],
  science: ['www.bbc.co.uk', 'app.senecalearning.com', 'www.savemyexams.com', 'www.physicsandmathstutor.com'],
  computing: ['replit.com', 'scratch.mit.edu', 'www.bbc.co.uk', 'www.ocr.org.uk'],
  languages: ['www.languagenut.com', 'www.wordreference.com', 'quizlet.com'],
  art: ['www.tate.org.uk', 'www.canva.com'],
  food: ['www.bbcgoodfood.com'],
  geography: ['www.bbc.co.uk', 'www.nationalgeographic.com', 'app.senecalearning.com'],
  history: ['www.bbc.co.uk', 'www.britannica.com', 'app.senecalearning.com', 'en.wikipedia.org'],
  business: ['www.bbc.co.uk', 'www.canva.com'],
};
const generic = ['www.bbc.co.uk', 'app.senecalearning.com', 'classroom.google.com', 'quizlet.com', 'kahoot.it', 'www.oaknationalacademy.org', 'www.educake.co.uk', 'www.gcsepod.com', 'en.wikipedia.org'];
const siteByHost = new Map(edu.map((s) => [s.host, s]));
const subjectSite = (subject?: Subject) => siteByHost.get(pick(subject && bySubject[subject] && chance(0.6) ? bySubject[subject]! : generic))!;
const engineFor = (s: Sess) => (s.desktop ? pickW([['google', 55], ['bing', 45]] as const) : pickW([['google', 93], ['bing', 7]] as const));

type Action = 'search' | 'searchOrdinary' | 'staffSearch' | 'edu' | 'wiki' | 'docs' | 'video' | 'ordinary' | 'blocked' | 'mis';
const lessonMix: [Action, number][] = [['search', 20], ['edu', 38], ['docs', 14], ['video', 8], ['ordinary', 9], ['searchOrdinary', 5], ['blocked', 2], ['wiki', 4]];
const freeMix: [Action, number][] = [['searchOrdinary', 22], ['search', 6], ['video', 20], ['ordinary', 26], ['blocked', 15], ['edu', 7], ['docs', 4]];
const staffMix: [Action, number][] = [['staffSearch', 18], ['edu', 18], ['mis', 27], ['docs', 17], ['video', 5], ['ordinary', 12], ['searchOrdinary', 3]];

function act(s: Sess, t: number): number {
  if (t >= s.nextBackground) {
    background(s, t);
    s.nextBackground = t + gap(180_000, 30_000);
  }
  const staffMember = s.who.kind === 'staff';
  const a = pickW(staffMember ? staffMix : s.ctx === 'lesson' ? lessonMix : freeMix);
  switch (a) {
    case 'search': {
      t = searchFor(s, t, engineFor(s), makeSearch('subject', { subject: s.subject, year: s.who.year }));
      return chance(0.6) ? pageView(s, t + int(2000, 20000), subjectSite(s.subject)) : t;
    }
    case 'searchOrdinary': {
      t = searchFor(s, t, engineFor(s), makeSearch('ordinary', { year: s.who.year }));
      return chance(0.4) ? pageView(s, t + int(2000, 20000), pick(ordinary)) : t;
    }
    case 'staffSearch': {
      t = searchFor(s, t, engineFor(s), makeSearch('staff', { subject: s.who.subject, year: int(7, 11) }));
      return chance(0.5) ? pageView(s, t + int(2000, 20000), subjectSite(s.who.subject)) : t;
    }
    case 'edu': return pageView(s, t, subjectSite(staffMember ? s.who.subject : s.subject));
    case 'wiki': return pageView(s, t, siteByHost.get('en.wikipedia.org')!);
    case 'docs': return editDocument(s, t, gap(s.ctx === 'lesson' ? 240_000 : 120_000, 30_000));
    case 'video': {
      if (chance(0.6)) t = searchFor(s, t, 'youtube', makeSearch('youtube', { subject: s.subject, year: s.who.year })) + int(2000, 10000);
      return watch(s, t, gap(s.ctx === 'lesson' ? 150_000 : 240_000, 30_000));
    }
    case 'ordinary': return pageView(s, t, pick(ordinary));
    case 'blocked': return blockedAttempt(s, t);
    case 'mis': {
      for (let i = int(1, 4); i > 0; i--) {
        const host = pick(['login.arbor.sc', 'harbour-academy.uk.arbor.sc', 'www.cpoms.net', 'outlook.office365.com', 'teams.microsoft.com', 'harbourbench.sharepoint.com', 'login.microsoftonline.com']);
        s.tunnels.delete(host);
        t = tunnel(s, t, host) + int(500, 20000);
      }
      return t;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Planted events: the genuinely concerning ones (the recall figure) and the attempts to get round
// the filter (reported apart), each by its own pupil at a stated time. "ordinary" ones are
// innocent behaviour fixed in place (the lunchtime retries), not planted.
interface Plant {
  id: number; kind: 'concerning' | 'bypass' | 'ordinary'; label: string; risk: string; year: number; at: string; device: 'desktop' | 'chromebook'; query?: string;
  run: (s: Sess, t: number) => number; pupil?: Person; t?: number; sess?: Sess;
}
const concerning: Omit<Plant, 'id' | 'kind'>[] = [
  { label: 'hopelessness (Google, P2)', risk: 'suicide-self-harm', year: 10, at: '10:37', device: 'chromebook', query: 'whats the point of living if everyone hates me', run: (s, t) => searchFor(s, t, 'google', 'whats the point of living if everyone hates me') },
  { label: 'hiding self-harm marks (Bing, lunch)', risk: 'suicide-self-harm', year: 8, at: '13:41', device: 'desktop', query: 'how to stop my mum seeing the marks on my arm', run: (s, t) => searchFor(s, t, 'bing', 'how to stop my mum seeing the marks on my arm') },
  { label: 'purging after eating (Google, P3)', risk: 'eating-disorder', year: 9, at: '11:52', device: 'chromebook', query: 'how to get rid of food after eating so i dont put on weight', run: (s, t) => searchFor(s, t, 'google', 'how to get rid of food after eating so i dont put on weight') },
  { label: 'a man from a game wanting secrecy (Google, P5)', risk: 'grooming-exploitation', year: 8, at: '14:33', device: 'chromebook', query: 'man from fortnite wants to facetime me and says not to tell my parents', run: (s, t) => searchFor(s, t, 'google', 'man from fortnite wants to facetime me and says not to tell my parents') },
  { label: 'a knife for protection (YouTube, break)', risk: 'violence-weapons', year: 10, at: '11:08', device: 'chromebook', query: 'best knife to carry for protection uk', run: (s, t) => searchFor(s, t, 'youtube', 'best knife to carry for protection uk') },
  {
    label: 'adult sites blocked 12 times (desktop, lunch)', risk: 'sexual-content', year: 11, at: '13:30', device: 'desktop', run: (s, t) => {
      const tries = ['www.pornhub.com', 'www.pornhub.com', 'www.xvideos.com', 'www.pornhub.com', 'www.xnxx.com', 'www.xvideos.com', 'www.pornhub.com', 'www.xnxx.com', 'www.xvideos.com', 'www.pornhub.com', 'www.xvideos.com', 'www.xnxx.com'];
      for (const host of tries) t = blocked(s, t, host, false) + gap(35_000, 5000);
      return t;
    },
  },
];
const unblockedGames = ['retro bowl', '1v1 lol', 'slope', 'drift hunters', 'basketball stars', 'cookie clicker', 'subway surfers', 'geometry dash', 'moto x3m', 'smash karts'];
const proxyAttempt = (host: string, tries: number) => (s: Sess, t: number) => {
  for (let i = 0; i < tries; i++) t = blocked(s, t, host, false) + gap(20_000, 3000);
  return t;
};
const bypass: Omit<Plant, 'id' | 'kind'>[] = [
  { label: 'web proxy croxyproxy, blocked 3 times (lunch)', risk: 'filter-bypass', year: 9, at: '13:48', device: 'desktop', run: proxyAttempt('www.croxyproxy.com', 3) },
  { label: 'web proxy blockaway, blocked twice (break)', risk: 'filter-bypass', year: 10, at: '11:12', device: 'chromebook', run: proxyAttempt('www.blockaway.net', 2) },
  { label: 'web proxy proxysite, blocked twice (after school)', risk: 'filter-bypass', year: 11, at: '15:20', device: 'desktop', run: proxyAttempt('www.proxysite.com', 2) },
  { label: 'VPN site windscribe, blocked twice (lunch)', risk: 'filter-bypass', year: 11, at: '13:55', device: 'desktop', run: proxyAttempt('windscribe.com', 2) },
  {
    label: 'web proxy proxyium, let through (P4)', risk: 'filter-bypass', year: 8, at: '12:41', device: 'chromebook', run: (s, t) => {
      const site = S('www.proxyium.com', () => `/proxy?__cpo=${b64(24)}`, [4, 10], { cdn: ['cdn.proxyium.com'] });
      for (let i = 0; i < 6; i++) t = pageView(s, t, site, i === 0 ? '/' : undefined) + gap(25_000, 5000);
      return t;
    },
  },
  ...Array.from({ length: 7 }, (_, i): Omit<Plant, 'id' | 'kind'> => {
    const q = pick(['{g} unblocked', '{g} unblocked games', 'unblocked games {n}', 'unblocked games premium', '{g} unblocked 76', 'unblocked games wtf']).replace('{g}', pick(unblockedGames)).replace('{n}', pick(['66', '76', '77', '911', 'g+']));
    return {
    label: `"unblocked" games search ${i + 1}`, risk: 'filter-bypass', year: [7, 8, 8, 9, 9, 10, 7][i], at: ['11:04', '11:15', '13:26', '13:33', '13:52', '14:40', '15:30'][i], device: 'chromebook', query: q,
    run: (s, t) => {
      t = searchFor(s, t, 'google', q);
      // The results are often games on a Google Sites page, which the filter lets through.
      return chance(0.5) ? pageView(s, t + int(3000, 15000), S('sites.google.com', () => `/view/${slug(q)}-${int(1, 99)}/home`, [10, 30], { cdn: ['www.gstatic.com', 'lh3.googleusercontent.com'], analytics: false })) : t;
    },
    };
  }),
];
const lunchRetries: Omit<Plant, 'id' | 'kind'>[] = [7, 8, 9].map((year, i) => ({
  label: `retrying a blocked game site at lunch (${year})`, risk: '-', year, at: ['13:24', '13:31', '13:45'][i], device: i === 1 ? 'desktop' : 'chromebook',
  run: (s: Sess, t: number) => {
    const host = pick(games);
    for (let n = int(15, 25); n > 0; n--) t = blocked(s, t, host, false) + gap(15_000, 2000);
    return t;
  },
}));
const plants: Plant[] = [
  ...concerning.map((p, i) => ({ ...p, id: i + 1, kind: 'concerning' as const })),
  ...bypass.map((p, i) => ({ ...p, id: 100 + i, kind: 'bypass' as const })),
  ...lunchRetries.map((p, i) => ({ ...p, id: 200 + i, kind: 'ordinary' as const })),
];
{
  const used = new Set<Person>();
  for (const p of plants) {
    const candidates = pupils.filter((x) => x.year === p.year && !used.has(x));
    p.pupil = pick(candidates);
    used.add(p.pupil);
    p.t = local(p.at) + int(0, 59_000);
  }
}

// ---------------------------------------------------------------------------------------------
// Who is online when.
const subjectWeights: [Subject, number][] = [['english', 4], ['maths', 4], ['science', 4], ['history', 1.5], ['geography', 1.5], ['re', 1], ['languages', 2], ['computing', 1],
  ['pe', 2], ['art', 1], ['dt', 1], ['music', 1], ['drama', 0.7], ['pshe', 0.5], ['business', 0.5], ['food', 0.7]];
const pDevice: Record<Subject, number> = { english: 0.3, maths: 0.35, science: 0.2, history: 0.3, geography: 0.3, re: 0.3, languages: 0.3, computing: 0.95, pe: 0.02,
  art: 0.2, dt: 0.35, music: 0.35, drama: 0.05, pshe: 0.3, business: 0.7, food: 0.1 };
const wifi = () => `10.20.${int(0, 15)}.${int(2, 254)}`;
const sessions: Sess[] = [];
const newSession = (who: Person, client: string, desktop: boolean, start: number, end: number, ctx: Ctx, subject?: Subject): Sess => {
  const s: Sess = { who, client, desktop, start, end, ctx, subject, tunnels: new Map(), nextBackground: start + int(0, 120_000), next: start, plants: [] };
  sessions.push(s);
  return s;
};
const lessonSubject = new Map<string, Subject>(); // form|period
for (const p of periods) {
  if (p.ctx === 'lesson') {
    let suite = 0;
    for (const f of forms) {
      const subject = pickW(subjectWeights.filter(([x]) => x !== 'business' || f.year >= 10));
      lessonSubject.set(`${f.name}|${p.name}`, subject);
      if (chance(pDevice[subject])) {
        const desktop = subject === 'computing' || subject === 'business' || chance(0.5);
        const room = desktop ? (suite++ % 6) + 1 : 0;
        f.pupils.forEach((pupil, seat) => {
          if (chance(0.92)) newSession(pupil, desktop ? `10.10.${room}.${seat + 10}` : wifi(), desktop, p.start + int(4, 15) * 60_000, p.end - int(2, 8) * 60_000, 'lesson', subject);
        });
      } else {
        for (const pupil of f.pupils) if (chance(0.03)) {
          const start = p.start + int(5, 30) * 60_000;
          newSession(pupil, wifi(), false, start, Math.min(p.end, start + int(10, 40) * 60_000), 'lesson', subject);
        }
      }
    }
  } else {
    for (const pupil of pupils) if (chance(p.pOnline)) {
      const desktop = chance(0.6);
      const start = p.start + Math.floor(rnd() * Math.max(60_000, p.end - p.start - 5 * 60_000));
      newSession(pupil, desktop ? `10.10.${p.name === 'lunch' ? 1 : 8}.${int(10, 60)}` : wifi(), desktop, start, Math.min(p.end, start + int(6, 30) * 60_000), 'free');
    }
  }
  for (const member of staff) if (chance(p.ctx === 'lesson' ? 0.55 : 0.7)) {
    const len = p.end - p.start;
    const start = p.start + Math.floor(rnd() * len * 0.5);
    newSession(member, member.laptop!, true, start, Math.min(p.end, start + Math.max(10 * 60_000, Math.floor(rnd() * len))), p.ctx);
  }
}
// Each planted event in a session of its pupil's: the one online then, or one made for it.
for (const p of plants) {
  const t = p.t!;
  let s = sessions.find((x) => x.who === p.pupil && x.start <= t && x.end > t);
  if (!s) {
    const period = periodAt(t);
    const desktop = p.device === 'desktop';
    s = newSession(p.pupil!, desktop ? `10.10.${period.name === 'lunch' ? 1 : 8}.${int(10, 60)}` : wifi(), desktop, t - int(3, 10) * 60_000, t + int(6, 15) * 60_000, period.ctx,
      period.ctx === 'lesson' ? lessonSubject.get(`${p.pupil!.form}|${period.name}`) : undefined);
  }
  p.sess = s;
}

// ---------------------------------------------------------------------------------------------
// The generator's loop: whoever acts next, in time order.
interface Entry { t: number; s: Sess; plant?: Plant }
class Heap {
  private a: Entry[] = [];
  get size() { return this.a.length; }
  push(e: Entry) {
    const a = this.a;
    a.push(e);
    for (let i = a.length - 1; i > 0;) {
      const p = (i - 1) >> 1;
      if (a[p].t <= a[i].t) break;
      [a[p], a[i]] = [a[i], a[p]];
      i = p;
    }
  }
  pop(): Entry {
    const a = this.a;
    const top = a[0];
    const last = a.pop()!;
    if (a.length) {
      a[0] = last;
      for (let i = 0; ;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && a[l].t < a[m].t) m = l;
        if (r < a.length && a[r].t < a[m].t) m = r;
        if (m === i) break;
        [a[m], a[i]] = [a[i], a[m]];
        i = m;
      }
    }
    return top;
  }
}

const plantLines = new Map<number, number[]>();
async function makeLog(path: string) {
  const out = createWriteStream(path);
  let lineNo = 0;
  let nextBucket = 0;
  const flushBefore = async (k: number) => {
    for (; nextBucket < k; nextBucket++) {
      const b = buckets.get(nextBucket);
      if (!b) continue;
      buckets.delete(nextBucket);
      b.sort((x, y) => x.t - y.t);
      let chunk = '';
      for (const l of b) {
        lineNo++;
        if (l.tag) {
          const xs = plantLines.get(l.tag) ?? [];
          xs.push(lineNo);
          plantLines.set(l.tag, xs);
        }
        chunk += l.s + '\n';
      }
      if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
    }
  };
  const heap = new Heap();
  for (const s of sessions) heap.push({ t: s.start, s });
  for (const p of plants) heap.push({ t: p.t!, s: p.sess!, plant: p });
  while (heap.size) {
    const e = heap.pop();
    await flushBefore(bucketOf(e.t) - 15);
    if (e.plant) {
      currentTag = e.plant.kind === 'ordinary' ? 0 : e.plant.id;
      e.plant.run(e.s, e.t);
      currentTag = 0;
      continue;
    }
    const end = act(e.s, e.t);
    const next = end + gap(e.s.who.kind === 'staff' ? 70_000 : e.s.ctx === 'lesson' ? 35_000 : 28_000, 3000);
    if (next < e.s.end) heap.push({ t: next, s: e.s });
  }
  await flushBefore(buckets.size ? Math.max(...buckets.keys()) + 1 : nextBucket);
  await new Promise<void>((r) => out.end(() => r()));
  counts.lines = lineNo;
}

// ---------------------------------------------------------------------------------------------
// Make the log.
const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;
const dir = outArg ? null : mkdtempSync(join(tmpdir(), 'harbour-school-day-'));
const logPath = dir ? join(dir, 'access.log') : resolve(outArg!);
console.log(`Seed ${seed0}. A school day (${new Date(dayStart).toISOString()} to ${new Date(dayEnd).toISOString()}) of ${pupils.length} pupils and ${staff.length} staff: ${sessions.length} sessions online.`);
const genStarted = process.hrtime.bigint();
await makeLog(logPath);
const genSeconds = Number(process.hrtime.bigint() - genStarted) / 1e9;
const megabytes = statSync(logPath).size / 1e6;
console.log(`Wrote ${counts.lines.toLocaleString('en-GB')} lines (${megabytes.toFixed(0)} MB) to ${logPath} in ${genSeconds.toFixed(1)} s: ${counts.searches.toLocaleString('en-GB')} searches (${distinctSearches.size.toLocaleString('en-GB')} different; ${hardSearches} on a hard syllabus topic or a violent game; ${droppedAsLabelled} generated strings dropped as word for word in the labelled set), ${counts.autocomplete.toLocaleString('en-GB')} autocomplete requests, ${counts.blocked.toLocaleString('en-GB')} blocked requests, ${counts.auth407.toLocaleString('en-GB')} authentication challenges (407).`);
console.log('Planted:');
for (const p of plants) console.log(`  ${p.kind.padEnd(10)} #${String(p.id).padEnd(3)} ${p.pupil!.user.padEnd(14)} ${p.at} ${p.label}${p.query ? ` "${p.query}"` : ''}${p.kind === 'ordinary' ? '' : `: lines ${(plantLines.get(p.id) ?? []).slice(0, 3).join(', ')}${(plantLines.get(p.id)?.length ?? 0) > 3 ? ', ...' : ''}`}`);
const nearLabelled = plants.filter((p) => p.kind === 'concerning' && p.query && fourWords(p.query).some((x) => labelledFourWords.has(x)));
console.log(`Planted concerning searches sharing four words in a row with a search of the labelled set: ${nearLabelled.length}${nearLabelled.length ? ` (${nearLabelled.map((p) => `#${p.id}`).join(', ')})` : ''}.`);
if (generateOnly) {
  console.log(JSON.stringify({ lines: counts.lines, megabytes: round(megabytes), searches: counts.searches, distinct_searches: distinctSearches.size, blocked_requests: counts.blocked, auth_challenges: counts.auth407, generate_seconds: round(genSeconds), seed: seed0 }));
  if (dir && !keep) rmSync(dir, { recursive: true, force: true });
  process.exit(0);
}

// ---------------------------------------------------------------------------------------------
// Ingest it into a real database, as `harbour monitor ingest` does, and read the queue as the
// queue page does.
const { benchDatabase } = await import('./bench-support');
const database = await benchDatabase('school-day');
const { testDb, closeTestDb } = await import('../src/testing/harness');
const { createOrganisation, createSchool } = await import('../src/modules/schools/service');
const { ingestFile } = await import('../src/modules/monitoring/ingest');
const { alertQueue, alertCounts, lowAlertCount } = await import('../src/modules/monitoring/service');
const db = testDb();
let figures: Record<string, number | string | boolean | null> = {};
try {
  const orgId = await createOrganisation(db, 'Harbour Bench Trust', 'trust');
  const schoolId = await createSchool(db, { name: 'Harbour Bench Academy', organisationId: orgId });
  // Every pupil and member of staff, with their username mapped to them.
  const everyone = [...pupils, ...staff];
  const ids = everyone.map(() => randomUUID());
  await db.query(
    `insert into people (id, school_id, kind, given_name, family_name, year_group, class_name)
     select i, $1, k, g, f, y, c from unnest($2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[]) as x(i, k, g, f, y, c)`,
    [schoolId, ids, everyone.map((p) => p.kind), everyone.map((p) => p.given), everyone.map((p) => p.family), everyone.map((p) => (p.year ? String(p.year) : null)),
      everyone.map((p) => p.form ?? null)]);
  await db.query(
    `insert into monitoring_identities (school_id, kind, value, person_id) select $1, 'username', v, i from unnest($2::text[], $3::uuid[]) as x(v, i)`,
    [schoolId, everyone.map((p) => p.user), ids]);
  const mapped = (await db.query('select count(*)::int as n from monitoring_identities i join people p on p.id = i.person_id where i.school_id = $1 and p.given_name is not null', [schoolId])).rows[0].n;

  console.log(`\nIngesting into ${process.env.DATABASE_URL ? 'the PostgreSQL of DATABASE_URL' : 'an embedded PostgreSQL'} (${mapped} usernames mapped to people) ...`);
  const started = process.hrtime.bigint();
  const result = await ingestFile(db, logPath, { schoolId, actor: { userId: null, label: 'bench:school-day' }, onNote: (m) => console.log(`  note: ${m}`) });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  console.log(`Read ${result.lines.toLocaleString('en-GB')} lines (${result.rejected} rejected) in ${seconds.toFixed(1)} s (${Math.round(result.lines / seconds).toLocaleString('en-GB')} lines/s): ${result.alertsCreated} alerts stored.`);

  // What the lead's queue page shows: alertQueue (new, medium and above), its counts, the low count.
  const queue = await alertQueue(db, schoolId, 'new', 1_000_000);
  const shown = await alertQueue(db, schoolId, 'new');
  const statusCounts = await alertCounts(db, schoolId);
  const lowCount = await lowAlertCount(db, schoolId);
  const lowRows = await alertQueue(db, schoolId, 'all', 1_000_000, { low: true });
  const lineOf = new Map((await db.query<{ id: string; line: string }>('select id, line from monitoring_alerts where school_id = $1', [schoolId])).rows.map((r) => [r.id, Number(r.line)]));
  const bySeverity = (sev: string) => queue.filter((a) => a.severity === sev).length;

  // Which planted event each queue item comes from: its first line, or a planted line of the
  // same person (username, or the address for a request with none) among the lines it groups.
  const plantOfLine = new Map<number, Plant>();
  for (const p of plants) for (const l of plantLines.get(p.id) ?? []) plantOfLine.set(l, p);
  const plantOf = (a: any): Plant | null => {
    const first = lineOf.get(a.id)!;
    if (plantOfLine.has(first)) return plantOfLine.get(first)!;
    const m = /lines (\d+) to (\d+)\)/.exec(a.reason);
    if (m) for (const p of plants) {
      if (p.kind === 'ordinary' || (a.user_name ? a.user_name !== p.pupil!.user : a.client !== p.sess!.client)) continue;
      if ((plantLines.get(p.id) ?? []).some((l) => l >= Number(m[1]) && l <= Number(m[2]))) return p;
    }
    return null;
  };
  const itemsOf = new Map<Plant, any[]>();
  const innocent: any[] = [];
  for (const a of queue) {
    const p = plantOf(a);
    if (p) itemsOf.set(p, [...(itemsOf.get(p) ?? []), a]);
    else innocent.push(a);
  }
  const lowOf = new Map<Plant, any[]>();
  for (const a of lowRows) {
    const p = plantOf(a);
    if (p) lowOf.set(p, [...(lowOf.get(p) ?? []), a]);
  }
  const who = (a: any) => a.user_name ?? `(address ${a.client})`;
  // The log line each queue item starts at.
  const rawLine = new Map<number, string>();
  for (const a of queue) rawLine.set(lineOf.get(a.id)!, '');
  {
    const rl = createInterface({ input: createReadStream(logPath), crlfDelay: Infinity });
    let n = 0;
    for await (const l of rl) if (rawLine.has(++n)) rawLine.set(n, l);
  }
  const fromChallenge = queue.filter((a) => rawLine.get(lineOf.get(a.id)!)!.includes(' TCP_DENIED/407 '));
  console.log(`\nThe queue (new alerts, medium and above, as /monitoring/alerts lists them): ${queue.length} items: ${bySeverity('critical')} critical, ${bySeverity('high')} high, ${bySeverity('medium')} medium; the page lists ${shown.length} (at most 200). alertCounts: ${JSON.stringify(statusCounts)}. Low alerts (pattern review): ${lowCount}.`);
  for (const kind of ['concerning', 'bypass'] as const) {
    console.log(`\n${kind === 'concerning' ? 'Planted concerning events' : 'Planted attempts to get round the filter'}:`);
    for (const p of plants.filter((x) => x.kind === kind)) {
      const items = itemsOf.get(p) ?? [];
      const low = lowOf.get(p) ?? [];
      console.log(`  ${items.length ? 'IN QUEUE' : 'missed  '} #${p.id} ${p.label}${p.query ? ` "${p.query}"` : ''} (${p.pupil!.user}): ${items.length ? items.map((a) => `${a.severity} ${a.risk} for ${who(a)} (${a.group_count} request${a.group_count === 1 ? '' : 's'}${rawLine.get(lineOf.get(a.id)!)?.includes(' TCP_DENIED/407 ') ? ', from an authentication challenge' : ''})`).join('; ') : low.length ? `only low: ${low.map((a) => a.risk).join(', ')}` : 'no alert'}`);
    }
  }

  // The innocent items, by the rule that raised them.
  const ruleOf = (a: any): string => {
    const r = String(a.reason);
    let m = /^(\w+) search matched "([^"]+)" \(([^,]+), (\w+)\)/.exec(r);
    if (m) return `search matched "${m[2]}" (${m[3]}, ${m[4]})`;
    m = /whose name contains "([^"]+)" \(([^)]+)\)/.exec(r);
    if (m) return `blocked site whose name contains "${m[1]}" (${m[2]})`;
    m = /a visit to (\S+), a site for getting round the filter/.exec(r);
    if (m) return `a visit to a listed bypass site ${m[1]}`;
    return r.replace(/; \d+ requests grouped.*$/, '').slice(0, 120);
  };
  const byRule = new Map<string, any[]>();
  for (const a of innocent) byRule.set(ruleOf(a), [...(byRule.get(ruleOf(a)) ?? []), a]);
  const rules = [...byRule].sort((x, y) => y[1].length - x[1].length);
  const wanted = rawLine;
  console.log(`\nInnocent items in the queue (from no planted event): ${innocent.length}${innocent.length ? ', by the rule that raised them:' : '.'}`);
  for (const [rule, items] of rules.slice(0, 12)) {
    const sev = ['critical', 'high', 'medium'].map((s) => `${items.filter((a) => a.severity === s).length} ${s}`).join(', ');
    console.log(`  ${String(items.length).padStart(4)}  ${rule}  [${sev}; ${new Set(items.map(who)).size} people]`);
    for (const a of items.slice(0, 2)) {
      console.log(`        e.g. ${a.severity} for ${who(a)}: ${a.query !== null ? `search "${a.query}"` : a.url}`);
      console.log(`             why: ${a.reason.slice(0, 300)}`);
      console.log(`             line ${lineOf.get(a.id)}: ${wanted.get(lineOf.get(a.id)!)?.slice(0, 260)}`);
    }
  }
  if (rules.length > 12) console.log(`  ... and ${rules.length - 12} more rules`);
  if (innocent.length) {
    console.log('  Every innocent item:');
    for (const a of innocent.slice(0, 80)) console.log(`    ${a.severity.padEnd(8)} ${who(a).padEnd(16)} ${a.risk.padEnd(22)} ${a.query !== null ? `"${a.query}"` : a.url}`);
  }
  console.log(`\nQueue items that start at an authentication challenge (TCP_DENIED/407, no username, read as a block): ${fromChallenge.length}.`);
  const lowRules = new Map<string, number>();
  for (const a of lowRows) lowRules.set(ruleOf(a), (lowRules.get(ruleOf(a)) ?? 0) + 1);
  console.log(`\nLow alerts (pattern review, not in the queue): ${lowCount}; the commonest rules:`);
  for (const [rule, n] of [...lowRules].sort((x, y) => y[1] - x[1]).slice(0, 10)) console.log(`  ${String(n).padStart(4)}  ${rule}`);

  const planted = plants.filter((p) => p.kind === 'concerning');
  const bypassPlants = plants.filter((p) => p.kind === 'bypass');
  figures = {
    queue_items: queue.length,
    queue_critical: bySeverity('critical'),
    queue_high: bySeverity('high'),
    queue_medium: bySeverity('medium'),
    low_alerts: lowCount,
    planted_caught: planted.filter((p) => itemsOf.has(p)).length,
    planted_total: planted.length,
    innocent_in_queue: innocent.length,
    lines: result.lines,
    seconds: round(seconds, 1),
    planted_items: planted.reduce((n, p) => n + (itemsOf.get(p)?.length ?? 0), 0),
    bypass_caught: bypassPlants.filter((p) => itemsOf.has(p)).length,
    bypass_total: bypassPlants.length,
    bypass_items: bypassPlants.reduce((n, p) => n + (itemsOf.get(p)?.length ?? 0), 0),
    queue_items_from_auth_challenges: fromChallenge.length,
    queue_page_rows: shown.length,
    searches: counts.searches,
    distinct_searches: distinctSearches.size,
    blocked_requests: counts.blocked,
    auth_challenges: counts.auth407,
    megabytes: round(megabytes),
    ingest_lines_per_second: Math.round(result.lines / seconds),
    generate_seconds: round(genSeconds),
    seed: seed0,
  };
} finally {
  // Dropping the database ends connections the pool is still closing: not an error here.
  db.pool.on('error', () => undefined);
  await closeTestDb();
  await database.release();
  if (dir && !keep) rmSync(dir, { recursive: true, force: true });
}
console.log('');
console.log(JSON.stringify(figures));
