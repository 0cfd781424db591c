import { describe, expect, it } from 'vitest';
import { isCardNumber, personalDataReason, type PersonalDataRules } from './personal-data.ts';

const all: PersonalDataRules = { emails: true, phoneNumbers: true, cardNumbers: true, userId: true };
const check = (text: string, extra: { public?: string[]; user?: string } = {}, rules = all) =>
  personalDataReason({ public: extra.public ?? [], private: [text], user: extra.user }, rules);

describe('personalDataReason', () => {
  it('finds emails, phone numbers, card numbers and the user id', () => {
    expect(check('mail me at a.b+c@mail.example.org')).toBe('email address');
    expect(check('call +1 415 555 0132 tomorrow')).toBe('phone number');
    expect(check('my number is (415) 555-0132')).toBe('phone number');
    expect(check('ring 020 7946 0958')).toBe('phone number');
    expect(check('card 4539 1488 0343 6467 expires soon')).toBe('card number');
    expect(check('hi, I am jdoe42', { user: 'jdoe42' })).toBe("the request's user id");
  });

  it('leaves ordinary questions with numbers and dates alone', () => {
    expect(check('What is 3 times 1234567?')).toBeUndefined();
    expect(check('Was the release on 2024-01-15 or 15.01.2024?')).toBeUndefined();
    expect(check('Order 1234 5678 9012 3456 shipped')).toBeUndefined(); // not Luhn-valid
    expect(check('pi is 3.14159', { user: 'ab' })).toBeUndefined();
  });

  it('ignores addresses the system prompt itself provides', () => {
    expect(check('write to help@shop.example', { public: ['Support: help@shop.example'] })).toBeUndefined();
    expect(check('write to jane@shop.example', { public: ['Support: help@shop.example'] })).toBe('email address');
  });

  it('applies only the rules that are switched on', () => {
    expect(check('mail a@b.example', {}, { ...all, emails: false })).toBeUndefined();
  });
});

describe('isCardNumber', () => {
  it('accepts Luhn-valid 13–19 digit numbers only', () => {
    expect(isCardNumber('4111-1111-1111-1111')).toBe(true);
    expect(isCardNumber('4111 1111 1111 1112')).toBe(false);
    expect(isCardNumber('0000 0000 0000 0000')).toBe(false);
    expect(isCardNumber('411111111111')).toBe(false);
  });

  it('checks a 400 kB text built to make the patterns rescan it in one pass, and still finds what is in it', () => {
    // A long run of an address's characters with no "@" was once rescanned from each of its positions.
    expect(check('a'.repeat(400_000))).toBeUndefined();
    expect(check(`${'a.'.repeat(200_000)} write to jo@mail.example.org`)).toBe('email address');
  });
});
