/** Which kinds of personal data keep an answer out of the shared cache. */
export interface PersonalDataRules {
  emails: boolean;
  phoneNumbers: boolean;
  cardNumbers: boolean;
  /** The request's `user` string appearing in the texts. */
  userId: boolean;
}

/** The texts of one exchange: `public` (system prompts) holds the app's own constants. */
export interface ExchangeTexts {
  /** System and developer messages: an address found here is the app's, not a user's. */
  public: string[];
  /** User, assistant and tool messages, and the answer. */
  private: string[];
  user?: string;
}

// The local part starts only where a run of its characters starts: without the look-behind, a long run with
// no "@" (50 kB of letters in a prompt) was rescanned from each of its positions — quadratic, seconds per request.
const EMAIL = /(?<![A-Z0-9._%+-])[A-Z0-9._%+-]+@[A-Z0-9-]+(?:\.[A-Z0-9-]+)*\.[A-Z]{2,}/gi;

/**
 * Phone shapes: international (+CC …), North American ((555) 123-4567, 555-123-4567, 555.123.4567)
 * and national trunk-prefixed numbers (020 7946 0958). Grouping separators are required, so a
 * plain number in a question ("what is 3 × 1234567") is not taken for a phone number.
 */
const PHONES = [
  /\+\d{1,3}[\s.-]?\(?\d{1,4}\)?(?:[\s.-]?\d{2,4}){2,4}/g,
  /\(\d{3}\)\s?\d{3}[\s.-]?\d{4}\b/g,
  /\b\d{3}[\s.-]\d{3}[\s.-]\d{4}\b/g,
  /\b0\d{1,4}[\s-]\d{3,4}[\s-]?\d{3,4}\b/g,
];

/** 13–19 digits, optionally grouped by spaces or dashes; confirmed by the Luhn checksum. */
const CARD = /\b\d(?:[ -]?\d){12,18}\b/g;

/**
 * Why this exchange must not be stored for others, or `undefined` when nothing personal was found.
 * It errs towards not storing: a false alarm costs a future hit, a miss could hand one user's
 * details to another.
 */
export function personalDataReason(texts: ExchangeTexts, rules: PersonalDataRules): string | undefined {
  const publicText = texts.public.join('\n');
  const isPublic = (match: string) => publicText.includes(match);
  for (const text of texts.private) {
    if (rules.emails && findAll(text, [EMAIL]).some((match) => !isPublic(match))) return 'email address';
    if (rules.cardNumbers && findAll(text, [CARD]).some((match) => isCardNumber(match) && !isPublic(match))) return 'card number';
    if (rules.phoneNumbers && findAll(text, PHONES).some((match) => isPhoneNumber(match) && !isPublic(match))) return 'phone number';
  }
  const user = texts.user?.trim();
  if (rules.userId && user && user.length >= 3) {
    const needle = user.toLowerCase();
    if (texts.private.some((text) => text.toLowerCase().includes(needle))) return "the request's user id";
  }
  return undefined;
}

/** Luhn checksum over the digits (separators ignored); all-zero strings are not cards. */
export function isCardNumber(candidate: string): boolean {
  const digits = candidate.replace(/\D/g, '');
  if (digits.length < 13 || digits.length > 19 || /^0+$/.test(digits)) return false;
  let sum = 0;
  for (let index = 0; index < digits.length; index++) {
    let digit = digits.charCodeAt(digits.length - 1 - index) - 48;
    if (index % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum % 10 === 0;
}

function isPhoneNumber(candidate: string): boolean {
  const digits = candidate.replace(/\D/g, '').length;
  // Dates written with dashes or dots (2024-01-15, 15.01.2024) have phone-like groups.
  if (/^\d{4}[-.]\d{2}[-.]\d{2}$/.test(candidate.trim()) || /^\d{1,2}[-.]\d{1,2}[-.]\d{2,4}$/.test(candidate.trim())) return false;
  return digits >= 7 && digits <= 15;
}

function findAll(text: string, patterns: readonly RegExp[]): string[] {
  const matches: string[] = [];
  for (const pattern of patterns) {
    pattern.lastIndex = 0;
    for (const match of text.matchAll(pattern)) matches.push(match[0]);
  }
  return matches;
}
