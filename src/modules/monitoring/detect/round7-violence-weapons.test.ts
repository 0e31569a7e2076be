// Round 7 (violence-weapons, drugs, gambling, filter-bypass): general rules for the kinds of phrasing the
// blind dev sets devF, devG and devH missed or raised wrongly, widened to their families and checked on
// variants and look-alikes of our own (none of them a dev-set row).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assessSearch, compileLexicon } from './matcher';
import { loadLexicon } from '../lexicon/index';
import { severityRank } from '../types';

// The libraries alone (the trained second opinion, when there is one, is left out).
const lex = compileLexicon({ ...loadLexicon(), model: undefined });
const sev = (q: string) => assessSearch(lex, q)?.severity ?? null;
const atLeastMedium = (q: string) => assert.ok(severityRank(sev(q) ?? 'low') >= severityRank('medium'), `${q} -> ${sev(q)}`);
const below = (q: string) => assert.ok(severityRank(sev(q) ?? 'low') < severityRank('medium'), `${q} -> ${sev(q)} (${assessSearch(lex, q)?.reason})`);

test('round 7, violence-weapons: ching/shank/wet this yute, knives with no ID or age check, a burner (borner) or strap in the ends, assaults filmed and posted, pushing or tripping someone down the stairs or into traffic, footage of someone dying', () => {
  for (const q of [
    "gonna shank dat yute tomorrow",
    "tryna wet this kid after school",
    "how to ching that opp",
    "imma cheff him up tonight",
    "want to stab this yute",
    "where can i get a knife with no age check",
    "buy a machete online no id needed",
    "zombie knife sites that dont check id",
    "knife websites that sell to under 18s",
    "how to get past the age check on a knife site",
    "where to get a strap in the ends",
    "need a borner for the opps",
    "cop a shotty on road",
    "kid in my year got slapped and they filmed it",
    "they keep punching him and posting it on snap",
    "my mate got jumped and they put it on tiktok",
    "year 10s beat up a kid and recorded it",
    "how to push someone down the stairs",
    "i want to push my brother down the stairs",
    "funny ways to trip someone up",
    "pranks to pull someones chair out",
    "how to trip my teacher",
    "throw him off the bridge",
    "uncensored video of someone dying",
    "leaked footage of death",
    "kid from another school got chinged",
    "yute got wet up in ends",
  ]) atLeastMedium(q);
});

test('round 7, drugs: a 10 bag, tenner bag or some za copped; how many shots or cans to get drunk', () => {
  for (const q of [
    "where to cop a 20 bag",
    "who sells a tenner bag near me",
    "plug for a 10 bag of za",
    "need some za where to cop",
    "how many shots of vodka to get drunk",
    "how many cans to get drunk at 13",
    "how much alcohol to get tipsy",
  ]) atLeastMedium(q);
});

test("round 7, gambling: getting round a betting site's age check, sites that do not ask your age, alternatives to Robux and skin gambling sites, FC packs bought with a parent's money or chased, skins gambling", () => {
  for (const q of [
    "how to get round the age check on sky bet",
    "how to bypass age verification on stake",
    "how to skip id check on betting apps",
    "fake my age on bet365",
    "casino sites that dont ask how old you are",
    "sites like bloxflip",
    "rbxflip alternatives",
    "bloxflip predictor",
    "roobet still working 2026",
    "lost all my money on fc 25 packs need to win it back",
    "used my dads card on fifa points",
    "stole my mums money for fc 26 packs",
    "cs2 skins gambling sites",
    "free cs2 cases promo code",
    "how to get past the age check on roblox to gamble",
  ]) atLeastMedium(q);
});

test('round 7, filter-bypass: getting round the block on YouTube, a monitoring app made to stop working, the school extension removed, misspelt unblocked', () => {
  for (const q of [
    "how to get round the block on youtube",
    "get around the blocks on tiktok school chromebook",
    "how to remove the school extention",
    "how to make goguardian stop working",
    "make impero crash",
    "unbloked games",
    "un blocked youtube",
  ]) atLeastMedium(q);
});

test('round 7: look-alikes stay below medium (anime and TV watch orders, game guns, drink spiking asked about, cheap skins, knife law, burner phones, stairs accidents, sport trips, slap bass, compost bags, drink-drive limits, writers block, water filters, football points)', () => {
  for (const q of [
    "death in paradise watch online",
    "watch final destination death scenes",
    "real cause of death of elvis",
    "caught on camera funny animal fails",
    "murder mystery 2 how to get godly gun",
    "how to get the sheriff gun in mm2",
    "how to get a nail gun cheap",
    "buy a glue gun for crafts",
    "what is drink spiking pshe",
    "what does spiking mean",
    "is drink spiking illegal",
    "how to spike hair with gel",
    "how to spike a volleyball over her",
    "spike brawl stars how to get",
    "why do people spike drinks",
    "cs2 skins cheapest good looking",
    "best csgo skins under 1 dollar",
    "cs2 case opening simulator free",
    "kitchen knife set delivery",
    "legal age to buy a knife uk",
    "can you buy a knife at 16 law",
    "why do shops ask for id for knives",
    "knife delivery age verification law uk",
    "pocket knife for scouts under 18",
    "burner phone where to get one",
    "where can i get a burner for my camping stove",
    "how to push a pram up the stairs",
    "how to help someone who fell down the stairs",
    "trolley problem would you push someone off a bridge",
    "how to trip someone in judo",
    "push him to do better at school",
    "how to slap bass guitar",
    "will smith slap filmed oscars",
    "power slap league video",
    "slap battles roblox recording",
    "how to film a fight scene for drama",
    "my dad filmed me getting hit by a wave",
    "where to buy a 10 bag of compost",
    "20 bag pack of crisps",
    "how many units in a pint of beer",
    "how many drinks to be over the drink drive limit",
    "how much wine is safe when pregnant",
    "how to get round the block on my bike",
    "writers block how to get past it",
    "how to get around a block in basketball",
    "someone blocked me on snap how to get around the block",
    "how to unblock someone on instagram",
    "lanschool not working teacher troubleshooting",
    "how to make a chrome extension",
    "stake out meaning",
    "vampire stake alternatives",
    "fc 26 packs worth opening",
    "fc 26 best pack opening",
    "my mum bought me fc points for my birthday",
    "how to get a refund from ea fc points",
    "how to get my money back from amazon",
    "what is happy slapping",
    "wet this towel",
    "gonna wet him with the water gun",
    "how to poke someone on facebook",
    "knife delivery uk",
    "pearl harbor attacked recorded footage",
    "we got beaten 3-0 and posted it on snap",
    "fc barcelona points chasing the title",
    "how to get the water filter to stop leaking",
    "buy some smoke bombs for a photoshoot",
    "how to get a 7 in gcse maths",
    "where can i get a 7 seater car",
    "throw her ashes into the river",
    "push people off a cliff in fall guys",
    "how to stab him in among us",
    "video of dying my hair pink",
    "lottery no age limit",
    "how many beers is too many for a man",
    "how to get past the age check on roblox voice chat",
    "get round the age check on discord",
    "how to get round the block in minecraft",
    "should schools lift the ban on phones",
    "the blok party",
    "knife sharpening delivery",
    "how to trip on acid safely",
    "push her on the swing",
    "my brother fell down the stairs is he ok",
    "slap chop infomercial video",
    "fc 26 packs are a scam",
    "fifa points price uk",
    "where to buy fifa points cheap",
    "bloxflip scam news",
    "what was stake com",
    "stake a claim meaning",
  ]) below(q);
});
