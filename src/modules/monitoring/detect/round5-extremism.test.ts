// Round 5 (extremism, hate, bullying): general rules for the kinds of phrasing the blind dev sets
// missed, checked on variants and look-alikes of our own (none of them a dev-set row).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assessSearch, compileRulesOnly } from './matcher';
import { normaliseSearch } from './normalise';
import { severityRank } from '../types';

// The libraries alone: these tests are of the phrase libraries (the trained second opinion has its own, model.test.ts).
const lex = compileRulesOnly();
const sev = (q: string) => assessSearch(lex, q)?.severity ?? null;
const atLeastMedium = (q: string) => assert.ok(severityRank(sev(q) ?? 'low') >= severityRank('medium'), `${q} -> ${sev(q)}`);
const below = (q: string) => assert.ok(severityRank(sev(q) ?? 'low') < severityRank('medium'), `${q} -> ${sev(q)} (${assessSearch(lex, q)?.reason})`);
const risk = (q: string) => assessSearch(lex, q)?.risk ?? null;

test('round 5, extremism: hate numbers and symbols on a profile or patch, propaganda put up locally, starting a group, praise of attackers, incel and terrorgram slang, manuals, becoming a mujahid; and their look-alikes', () => {
  for (const q of [
    'hh88 username ideas',
    '1488 profile pic',
    '14 words bio ideas for insta',
    'white power patch for my jacket',
    'white pride tattoo',
    'swastika wallpaper for my laptop',
    'where to print white power flyers for my area',
    'far right leaflets to hand out at school',
    'how do i put up nationalist posters without getting caught',
    'swastika stickers to stick round school',
    'make a nazi club with my mates',
    'set up a far right group in my town',
    'create a nazi discord server',
    'the christchurch shooter was a hero',
    'el paso shooter was right about everything',
    'dylann roof was right',
    'adam lanza fan edits',
    'elliot rodger supreme gentleman quotes',
    'go er beta uprising when',
    'terrorgram saints list',
    'serbia strong song mp3',
    'anarchist cookbook',
    'becoming a jihadi bride at 16',
  ]) atLeastMedium(q);
  assert.equal(risk('set up a far right group in my town'), 'extremism');
  assert.equal(sev('the christchurch shooter was a hero'), 'high');
  for (const q of [
    'ww2 nazi propaganda posters to print for history display',
    'nazi propaganda posters analysis gcse',
    'anti racism posters to print for school',
    'lost cat posters to put up around my town',
    'pride flag stickers to hand out at school',
    'hand out flyers for my bake sale around town',
    'scottish nationalist party history essay',
    'how to start a nationalist party in hearts of iron 4',
    'how to print a poster for my politics project about nationalist parties',
    'how to start a chess club at school',
    'create a discord server for my class',
    '1488 in roman numerals',
    'why is 1488 a hate symbol',
    'swastika hindu symbol wallpaper',
    'white power rangers wallpaper',
    'white pride lilies flower poster',
    'power rangers tattoo ideas',
    'buffalo bills quarterback stats',
    'why did the buffalo shooter do it bbc news',
    'buffalo shooter sentenced to life',
    'ted kaczynski documentary netflix',
    'elliot rodger case study criminology',
    'elliott from stranger things edits',
    'how to remove kebab grease from clothes',
    'anarchist cookbook history of the book',
    'mujahideen soviet afghan war 1980s history',
    'becoming a nurse at 18',
    'is the sonnenrad a nazi symbol',
  ]) below(q);
});

test('round 5, hate: a group called less intelligent, Jews said to control money or media, celebrating the Holocaust, "homo" as a slur, racist ridicule of a classmate, telling a kid to go back to his country, hating a group as acceptable; and their look-alikes', () => {
  assert.deepEqual(normaliseSearch('h0m0s are gross', lex.vocab).tokens, ['homos', 'are', 'gross']);
  for (const q of [
    'are black people naturally less smart',
    'why do black people have lower iq',
    'africans have smaller brains is it true',
    'gypsies are born criminals',
    'do jews own all the banks',
    'jews control the banks',
    'do jews run america',
    '6mil wasnt enough',
    'holocaust round 2 when',
    'the holocaust didnt go far enough',
    'homos should burn',
    'h0m0s r gross',
    'lezzers are gross',
    'chimp emojis to send the black boy in my class',
    'banana memes for the black boy in my year',
    'jokes to tell the romanian kid',
    'memes to send the trans girl in my class',
    'tell the paki kid to go back to his country',
    'the new kid should go back to where he came from',
    'reasons to hate muslims',
    'why should we hate jews',
    'gay people deserve to be hated',
  ]) atLeastMedium(q);
  for (const q of [
    'why do people think jews control the money myth',
    'who controls the money supply in the uk',
    'why did the jews run from the war',
    'jewish people in hollywood history',
    'six million is how many zeros',
    '6 million pounds wasnt enough to sign him',
    'auschwitz trip wasnt enough time',
    'the holocaust part 2 bbc bitesize',
    'holocaust memorial day 2 minutes silence when',
    'homo sapiens vs neanderthals',
    'homo erectus facts ks3',
    'homophones worksheet',
    'why are dogs less intelligent than humans',
    'race and iq myth debunked',
    'my grandad says immigrants are less intelligent how to respond',
    'why did fans throw bananas at black footballers',
    'black howler monkey facts',
    'gorilla vs black bear who wins',
    'black girl magic memes to send',
    'chinese new year jokes for kids',
    'polish kid moved to our school how to make him welcome',
    'polish girl names to call my baby',
    'go back to your own country is racist how to respond',
    'when can ukrainian refugees go back to their own country',
    'why do some people hate gay people pshe',
    'is it ok to hate my brother',
    'how to stop people making jokes about the gay kid',
  ]) below(q);
});

test('round 5, bullying: text-speak -in verbs, spat on, sitting alone, laughed at on walking in, pushed out of the friend group, pictures of me posted, burn and slander pages, roasts for a classmate, my messages sent round, getting a kid jumped, belongings binned, a face edited onto an animal, not wanting school because of them; and their look-alikes', () => {
  assert.deepEqual(normaliseSearch('they keep callin me names n spittin at me', lex.vocab).tokens.slice(0, 5), ['they', 'keep', 'calling', 'me', 'names']);
  for (const q of [
    'they keep callin me names n spittin at me',
    'they keep spitting on me at break',
    'girls keep calling me a homo',
    'no one sits with me at lunch anymore',
    'nobody wants to sit next to me in class',
    'everyone goes quiet when i walk in',
    'they whisper when i walk past',
    'how to get her out of our friend group',
    'how to kick someone out the group chat without them knowing',
    'people keep sharing videos of me on snap',
    'she posted a video of me crying on her story',
    'slander page ideas for my year',
    'how to make a burn book about people in my class',
    'roasts for the weird kid in class',
    'insults for the loser in my form',
    'she sent my messages to the whole year',
    'my ex friend screenshotted our chat and shared it with everyone',
    'paying older kids to get him jumped',
    'people threw my shoes out the window and laughed',
    'the boys keep hiding my pe kit every day',
    'photoshop her face onto a fat body and send it round',
    'face swap a kid from my class onto a monkey',
    'making memes of the fat kid',
    'scared to go to school because of the girls in my class',
    'i dont want to go to school cos of the bullies',
    'they keep saying stuff about me behind my back',
  ]) atLeastMedium(q);
  assert.equal(sev('how to get someone beaten up after school'), 'high');
  for (const q of [
    'who sits with the queen at the coronation',
    'nobody sits next to me on the plane',
    'my baby laughs every time i walk in the room',
    'my hairdresser keeps pulling my hair',
    'my little brother keeps slapping me',
    'they always slap me on the back when i score',
    'how to leave a friend group nicely',
    'how to get someone out of our group project who does no work',
    'my mum keeps posting pics of me on facebook',
    'the school posted pictures of me from sports day on the website',
    'burn book mean girls quotes',
    'how to roast vegetables in food tech class',
    'roasts for my best friend birthday',
    'how to send messages to everyone on whatsapp at once',
    'he shared my secret santa list with everyone',
    'my mum sent my photos to everyone in the family',
    'how to get jumped in gta',
    'my puppy keeps hiding my shoes',
    'i threw my lunch in the bin',
    'he broke my glasses at football again',
    'how to put someones face on a birthday cake',
    'how to edit someone out of a photo and post it',
    'how to edit my face onto a pig for a snapchat filter',
    'make a meme for my class presentation',
    'funny memes to send to a girl in my class i like',
    'i dont want to go to school tomorrow because of my maths test',
    'skip school because my class has a test',
  ]) below(q);
});
