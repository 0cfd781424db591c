import { describe, expect, it } from 'vitest';
import { checksSchema } from '../route/route-config.ts';
import { checkAnswer } from './answer-checks.ts';
import { checkInstructions, extractInstructions, parseCount, splitParagraphs, splitSentences, topLevelItems } from './instruction-check.ts';

const kinds = (prompt: string): string[] => extractInstructions(prompt).map((constraint) => constraint.kind);
const violations = (prompt: string, answer: string): string[] => checkInstructions(prompt, answer).violated.map((violation) => violation.detail);

describe('reading counts and the answer', () => {
  it('reads counts written as digits or words', () => {
    expect(['50', 'fifty', 'twenty-five', 'twenty five', 'a hundred', 'two hundred and fifty', 'one', 'a single', '1,500', 'twelve'].map(parseCount)).toEqual([50, 50, 25, 25, 100, 250, 1, 1, 1500, 12]);
    expect(parseCount('several')).toBeUndefined();
  });

  it('splits sentences without breaking on abbreviations or decimals, and counts list lines as sentences', () => {
    expect(splitSentences('Dr. Lee paid $3.50 for tea, e.g. green tea. Then she left! Why?')).toEqual(['Dr. Lee paid $3.50 for tea, e.g. green tea.', 'Then she left!', 'Why?']);
    expect(splitSentences('# Heading\n- first item\n- second item')).toHaveLength(3);
  });

  it('counts paragraphs without titles, and the top-level items of a list', () => {
    expect(splitParagraphs('**A Day Out**\n\nWe walked to the lake. It was calm.\n\nThen it rained.')).toHaveLength(2);
    expect(topLevelItems('Tips:\n1. **Sleep** well\n   - eight hours\n2. Eat\n3. Walk')).toBe(3);
    expect(topLevelItems('- a\n- b\n  - b1\n- c\n- d')).toBe(4);
    expect(topLevelItems('Just prose, no list.')).toBeUndefined();
    // Two numbered lists: no single count to compare with.
    expect(topLevelItems('1. a\n2. b\n\nNext:\n1. c\n2. d')).toBeUndefined();
  });
});

describe('length instructions', () => {
  it('flags an answer over a word limit and passes one under it', () => {
    const prompt = 'Describe the water cycle in fewer than 30 words.';
    expect(kinds(prompt)).toEqual(['words']);
    const short = 'Water evaporates, condenses into clouds, falls as rain or snow, and flows back to the seas.';
    const long = `${short} ${short} ${short}`;
    expect(violations(prompt, short)).toEqual([]);
    expect(violations(prompt, long)).toEqual(['the answer has 48 words, asked for fewer than 30']);
  });

  it('reads sentence, paragraph and line bounds in their common phrasings', () => {
    expect(kinds('Summarize the plot within three sentences.')).toEqual(['sentences']);
    expect(kinds('Keep it to no more than 2 paragraphs, please')).toEqual(['paragraphs']);
    expect(kinds('Explain recursion in one sentence.')).toEqual(['sentences']);
    expect(kinds('Please explain recursion in a sentence.')).toEqual(['sentences']);
    expect(kinds('Write at least 300 words about your hometown.')).toEqual(['words']);
    expect(kinds('Give a 50-word summary of the meeting.')).toEqual(['words']);
    expect(kinds('Answer in 4 lines or fewer.')).toEqual(['lines']);
    const sentences = 'Explain recursion in one sentence.';
    expect(violations(sentences, 'A function that calls itself on a smaller input until it reaches a base case.')).toEqual([]);
    expect(violations(sentences, 'A function calls itself. It stops at a base case.')).toEqual(['the answer has 2 sentences, asked for at most 1']);
  });

  it('does not count a "Sure, here is…:" opening line against the limit', () => {
    const prompt = 'Describe a sunset in two sentences.';
    expect(violations(prompt, 'Sure! Here is a description of a sunset:\nThe sky turned orange. The sun sank into the sea.')).toEqual([]);
  });

  it('ignores limits that apply to each part, or describe the input rather than the answer', () => {
    expect(kinds('List four cities and describe each in under 20 words.')).not.toContain('words');
    expect(kinds('The essay below has more than 800 words. What is its main argument?')).toEqual([]);
    expect(kinds('Make sure your answer is under 100 words.')).toEqual(['words']);
    expect(kinds('Start with a sentence that grabs attention.')).toEqual([]);
  });
});

describe('list and format instructions', () => {
  it('checks bullet points and their count', () => {
    const prompt = 'Give the pros of remote work as 3 bullet points.';
    expect(kinds(prompt)).toContain('bullets');
    expect(violations(prompt, '- no commute\n- flexible hours\n- quiet')).toEqual([]);
    expect(violations(prompt, 'Remote work saves the commute and gives flexible hours.')).toEqual(['the answer has no bullet points']);
    expect(violations(prompt, '- no commute\n- flexible hours\n- quiet\n- cheaper lunch')).toEqual(['the answer has 4 bullet points, asked for 3']);
    expect(kinds("Don't use bullet points; write prose.")).toEqual([]);
  });

  it('checks the number of items a prompt asks to list, only when the answer is a list', () => {
    const prompt = 'Suggest 4 names for a bakery.';
    expect(kinds(prompt)).toEqual(['items']);
    expect(violations(prompt, '1. Rise & Shine\n2. The Crumb\n3. Golden Crust\n4. Flour Power')).toEqual([]);
    expect(violations(prompt, '1. Rise & Shine\n2. The Crumb\n3. Golden Crust')).toEqual(['the answer lists 3 items, asked for 4']);
    expect(violations(prompt, 'How about Rise & Shine, The Crumb, Golden Crust or Flour Power?')).toEqual([]);
  });

  it('checks JSON output, and does not read JSON given as input as an instruction', () => {
    const prompt = 'Extract the names and ages from the text and return them in JSON format.';
    expect(kinds(prompt)).toEqual(['json']);
    expect(violations(prompt, 'Here you go:\n```json\n[{"name": "Ana", "age": 31}]\n```')).toEqual([]);
    expect(violations(prompt, 'Ana is 31 and Bo is 45.')).toEqual(['the answer holds no valid JSON']);
    expect(kinds('The config file is in JSON format. What does the timeout field do?')).toEqual([]);
  });

  it('checks a table, and not the dining kind', () => {
    const prompt = 'Compare the three plans in a table.';
    expect(kinds(prompt)).toEqual(['table']);
    expect(violations(prompt, '| plan | price |\n|---|---|\n| basic | $5 |\n| pro | $9 |')).toEqual([]);
    expect(violations(prompt, 'Basic costs $5 and pro costs $9.')).toEqual(['the answer has no table']);
    expect(kinds('We sat at the table and talked about the table of contents.')).toEqual([]);
  });
});

describe('language, openings, endings and words', () => {
  it('checks the language of the answer', () => {
    const prompt = 'Please answer in Spanish: what should I pack for a beach trip?';
    expect(kinds(prompt)).toEqual(['language']);
    expect(violations(prompt, 'Deberías llevar protector solar, una toalla, un sombrero y mucha agua para el viaje.')).toEqual([]);
    expect(violations(prompt, 'You should pack sunscreen, a towel, a hat and plenty of water for the trip to the beach.')).toEqual(['the answer is not in Spanish (reads as English)']);
    expect(violations('Write a short greeting in Japanese.', 'Hello and welcome to our shop, we are happy that you are here with us.')).toHaveLength(1);
    expect(kinds("How do you say 'good morning' in French?")).toEqual([]);
    expect(kinds('From now on, reply only in German.')).toEqual(['language']);
  });

  it('checks that every sentence starts with the letter asked for', () => {
    const prompt = 'Rewrite it so that you start every sentence with the letter S.';
    expect(kinds(prompt)).toEqual(['starts_with_letter']);
    expect(violations(prompt, 'Sunny days are great. Sometimes we swim. Summer ends soon.')).toEqual([]);
    expect(violations(prompt, 'Sunny days are great. We often swim. Summer ends soon.')).toEqual(['1 of 3 sentences do not start with "S"']);
    expect(kinds('Begin each line with a capital letter.')).toEqual([]);
  });

  it('checks an opening phrase, a closing phrase and a closing question', () => {
    expect(violations('Write a note to my team. End your response with "Cheers, Sam".', 'Thanks for the hard work this week.\nCheers, Sam')).toEqual([]);
    expect(violations('Write a note to my team. End your response with "Cheers, Sam".', 'Thanks for the hard work this week.')).toEqual(['the answer does not end with "Cheers, Sam"']);
    expect(violations('Start your reply with "Dear customer" and apologise for the delay.', 'We are sorry for the delay.')).toEqual(['the answer does not start with "Dear customer"']);
    expect(violations('Pitch the idea and finish with a question.', 'It saves time. Shall we try it?')).toEqual([]);
  });

  it('checks required and forbidden words, commas and letter case', () => {
    const prompt = 'Write a slogan for a gym. Include the keywords "strong" and "together". Do not use the word "pain".';
    expect(kinds(prompt).sort()).toEqual(['forbidden_words', 'keywords']);
    expect(violations(prompt, 'Stronger together, every day.')).toEqual([]);
    expect(violations(prompt, 'No pain, no gain.')).toEqual(['the answer uses "pain"', 'the answer lacks "strong", "together"']);
    expect(kinds('Mention the word count at the end.')).toEqual([]);
    expect(violations('Describe your morning without using any commas.', 'I woke up, made tea and read.')).toEqual(['the answer uses commas']);
    expect(violations('Reply in all lowercase letters.', 'Sounds good, see you at noon tomorrow.')).toEqual(['the answer uses capital letters']);
    expect(kinds('Write the title in all caps.')).toEqual([]);
  });

  it('checks that a poem is asked for and prose is given', () => {
    const prompt = 'Now rewrite your previous answer as a limerick.';
    expect(kinds(prompt)).toEqual(['verse']);
    const limerick = 'A baker who lived by the sea\nBaked bread for the town and for me\nHe kneaded all night\nTill the loaves came out right\nAnd he sold every one before three';
    expect(violations(prompt, limerick)).toEqual([]);
    expect(violations(prompt, 'The baker by the sea worked all night to bake bread for the whole town, and by the afternoon he had sold every loaf he had made.')).toEqual(['the answer is not written as a limerick (0 short lines)']);
    expect(kinds('Write an essay on sonnets in Elizabethan England.')).toEqual([]);
    expect(kinds('What is the rhyme scheme of this poem?')).toEqual([]);
  });

  it('checks yes/no answers', () => {
    expect(violations('Is 17 a prime number? Answer with yes or no.', 'Yes.')).toEqual([]);
    expect(violations('Is 17 a prime number? Answer with yes or no.', '17 is divisible only by 1 and itself.')).toEqual(['the answer does not start with yes or no']);
  });

  it('finds nothing in a prompt without checkable instructions, and skips code blocks', () => {
    expect(kinds('What are the main causes of inflation, and how do central banks respond?')).toEqual([]);
    expect(kinds('Why does this fail?\n```js\n// respond in JSON format, in fewer than 10 words\nfetch(url)\n```')).toEqual([]);
  });
});

describe('checks.instructions', () => {
  const request = (content: string) => ({ model: 'm', messages: [{ role: 'system' as const, content: 'Answer in JSON.' }, { role: 'user' as const, content }] });
  const answer = (content: string) => ({ id: 'r', model: 'm', choices: [{ index: 0, message: { role: 'assistant' as const, content }, finish_reason: 'stop' }] });

  it('rejects an answer that breaks an instruction of the last user message, naming it', () => {
    const verdict = checkAnswer(request('Name the capital of Peru in fewer than 5 words.'), answer('The capital city of Peru is Lima, on the coast.'), checksSchema.parse({ instructions: true }));
    expect(verdict).toEqual({ pass: false, score: 0, reasons: ['instruction not followed ("fewer than 5 words"): the answer has 10 words, asked for fewer than 5'] });
    expect(checkAnswer(request('Name the capital of Peru in fewer than 5 words.'), answer('Lima.'), checksSchema.parse({ instructions: true })).pass).toBe(true);
  });

  it('is off by default', () => {
    expect(checksSchema.parse({}).instructions).toBe(false);
    expect(checkAnswer(request('Name the capital of Peru in fewer than 5 words.'), answer('The capital city of Peru is Lima, on the coast.'), checksSchema.parse({})).pass).toBe(true);
  });
});

describe('word problems and stories are not instructions', () => {
  it.each([
    'Tom wrote an essay with 500 words and Sam wrote 200 more words than Tom. How many words did they write?',
    'If Ana gives 3 apples to each of her friends and keeps 4, how many apples did she start with?',
    'A text message can have up to 160 characters. How many messages does a 1,000-character note need?',
    'Each page holds up to 300 words. How many pages does a 2,400-word story fill?',
    'Maria wanted to write a poem for her mother, so she bought a notebook for 4 dollars. How much change did she get from 10 dollars?',
    'The class read the poem in French and then in English. Which version was longer?',
    'Five kids stood in a line at the bus stop. The first one was 4 feet tall and each next one 3 inches taller. How tall was the last?',
    'Of 30 pupils, 12 are fluent in French only and 9 in German only; the rest in both. How many are fluent in both?',
  ])('%s', (prompt) => {
    expect(kinds(prompt)).toEqual([]);
  });
});
