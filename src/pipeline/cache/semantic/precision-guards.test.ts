import { describe, expect, it } from 'vitest';
import { entitiesGuard, vetoReason } from './precision-guards.ts';

describe('precision guards', () => {
  it.each([
    ['Can I get a refund within 30 days?', 'Can I get a refund within 60 days?', 'numbers'],
    ['Is a 1,000 dollar limit enough?', 'Is a 100 dollar limit enough?', 'numbers'],
    ['How do I send two parcels?', 'How do I send three parcels?', 'numbers'],
    ['What happened in March 2020?', 'What happened in May 2020?', 'dates'],
    ['What were sales last week?', 'What were sales next week?', 'dates'],
    ['Is the store open on Monday?', 'Is the store open on Sunday?', 'dates'],
    ['How do I install Python on Windows?', 'How do I install Python on Mac?', 'named entities'],
    ['Why did Alice leave the team?', 'Why did Bob leave the team?', 'named entities'],
    ['Is ana@example.com my login?', 'Is bob@example.com my login?', 'named entities'],
    ['Which projects were ported from Java to Rust?', 'Which projects were ported from Rust to Java?', 'another order'],
    ['Can I pay with a credit card?', "Can't I pay with a credit card?", 'negation'],
    ['Why does my card work abroad?', 'Why does my card never work abroad?', 'negation'],
    ['Can I travel with a passport?', 'Can I travel without a passport?', 'negation'],
    ['Should I buy bitcoin now?', 'Should I sell bitcoin now?', 'opposite'],
    ['What to eat before a run?', 'What to eat after a run?', 'opposite'],
    ['Why is my card blocked?', 'Where is my card blocked?', 'question kinds'],
    ['How many cards can I have?', 'How do I get a card?', 'question kinds'],
  ])('vetoes "%s" vs "%s" (%s)', (left, right, reason) => {
    expect(vetoReason(left, right)).toContain(reason);
    expect(vetoReason(right, left)).toContain(reason);
  });

  it('treats codes mixing letters and digits as entities', () => {
    expect(entitiesGuard('What does error E1042 mean?', 'What does error E2077 mean?')).toContain('e1042');
    expect(entitiesGuard('Is https://a.example/x down?', 'Is https://b.example/x down?')).toContain('named entities');
  });

  it.each([
    ['How do I reset my password?', 'how can i reset my password'],
    ['What is the best way to learn Python?', 'what is the best way to learn python'],
    ['Can I get a refund within 30 days?', 'Is a refund possible within 30 days?'],
    ["I can't log in", 'I cannot log in'],
    ['When will my card arrive?', 'How long until my card arrives?'],
    ['Is the store open on Monday?', 'Does the store open on mondays?'],
  ])('lets "%s" and "%s" through', (left, right) => {
    expect(vetoReason(left, right)).toBeUndefined();
  });

  it('compares 400 kB prompts built to make the entity patterns rescan them in one pass, and still finds the entities', () => {
    // Runs with no "@" (an email's local part) or no letter (a code's look-aheads) were rescanned from every position.
    const letters = 'a'.repeat(400_000);
    expect(entitiesGuard(letters, letters)).toBeUndefined();
    const dashes = '1-'.repeat(200_000);
    expect(entitiesGuard(`${dashes} covid-19`, `${dashes} covid-20`)).toMatch(/named entities differ: covid-19, covid-20/);
    expect(entitiesGuard(`${letters} a@b.example`, `${letters} c@b.example`)).toMatch(/a@b\.example/);
  });
});
