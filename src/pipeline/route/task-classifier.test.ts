import { describe, expect, it } from 'vitest';
import { classifyPrompt, classifyTask } from './task-classifier.ts';
import { evalTask } from './eval-task.ts';
import type { TaskClass } from './task-class.ts';

// Hand-written for this test; none of them appear in the training templates.
const classics: [string, TaskClass][] = [
  ['hey, what are you up to this weekend?', 'chat'],
  ['Who was the first woman to fly solo across the Atlantic?', 'chat'],
  ['Do you think it is rude to recline your seat on a plane?', 'chat'],
  // Short greetings the n-gram model alone read as translation ("say") and math: nothing supports either.
  ['Say hi', 'chat'],
  ['Say hey', 'chat'],
  ['Guten Tag, wie geht es?', 'chat'],
  ['```js\nconst x = await fetch(url)\n```\nwhy is x a Response and not my data?', 'code'],
  ['My Flask app returns 405 Method Not Allowed on a POST route, what am I missing?', 'code'],
  ['Port this snippet to Rust: def square(n): return n * n', 'code'],
  ['Write a SQL query that returns the top 5 customers by total spend last month.', 'code'],
  ['Is the tone of this tweet angry or calm: "can\'t believe the bus is late AGAIN"', 'classification'],
  ['Extract the order number and the delivery date from: "Order 55-A12 ships on 4 May".', 'classification'],
  ['Classify each headline as sports, politics or business: "Fed holds rates", "Arsenal win 2-0"', 'classification'],
  ['Summarise this thread for someone who missed it: Tom said the build broke after the upgrade, Priya rolled it back, and we agreed to pin the version until Monday.', 'summarization'],
  ['Here is a long email from my landlord about the new recycling rules, bins on Tuesdays, glass separate, fines for mixing. Give me the short version.', 'summarization'],
  ['translate "see you at the station at noon" into Italian', 'translation'],
  ['How would a native speaker say "I am running late" in Japanese?', 'translation'],
  ['What does "Schadenfreude" mean in English?', 'translation'],
  ['17 * 23 - 45 =', 'math'],
  ['A shop sells pencils at 3 for $1.20. How much do 14 pencils cost?', 'math'],
  ['Solve for y: 4y - 9 = 3y + 2', 'math'],
  ['Four friends each shake hands with every other friend once. Then one leaves. If the remaining ones argue who shook the most hands, who is right and why? Reason it out.', 'reasoning'],
  ['If no reptiles have fur and some pets are reptiles, what can we say about pets with fur?', 'reasoning'],
  ['Write a haiku about a broken umbrella.', 'creative'],
  ['Invent a short myth explaining why the moon changes shape.', 'creative'],
  ['Compose lyrics for a lullaby about a sleepy tugboat.', 'creative'],
];

describe('classifyTask', () => {
  it.each(classics)('sends %j to %s', (prompt, task) => {
    expect(classifyPrompt(prompt).task).toBe(task);
  });

  it('reads a json_schema response_format with an enum as classification, whatever the wording', () => {
    const verdict = classifyTask({
      messages: [{ role: 'user', content: 'Tell me about this customer email: my parcel never came.' }],
      response_format: { type: 'json_schema', json_schema: { name: 'label', schema: { type: 'object', properties: { label: { enum: ['delivery', 'billing'] } } } } },
    });
    expect(verdict).toMatchObject({ task: 'classification', source: 'rule' });
  });

  it('reads a forced tool call as extraction', () => {
    const verdict = classifyTask({
      messages: [{ role: 'user', content: 'Jane Doe, 42, lives in Oslo.' }],
      tools: [{ type: 'function', function: { name: 'save_person', parameters: { type: 'object', properties: { name: { type: 'string' } } } } }],
      tool_choice: { type: 'function', function: { name: 'save_person' } },
    });
    expect(verdict.task).toBe('classification');
  });

  it('judges the last user turn and uses the model when no rule fires', () => {
    const verdict = classifyTask({
      messages: [
        { role: 'system', content: 'You are a helpful assistant.' },
        { role: 'user', content: 'Write a poem about rain.' },
        { role: 'assistant', content: 'Rain falls...' },
        { role: 'user', content: 'A cyclist rides 12 km at 15 km/h and then 8 km at 20 km/h. How long does the ride take?' },
      ],
    });
    expect(verdict.task).toBe('math');
    expect(verdict.confidence).toBeGreaterThan(0.3);
  });
});

describe('evalTask', () => {
  it('reports accuracy and a confusion matrix over labelled lines', () => {
    const lines = [
      JSON.stringify({ prompt: 'Translate "good night" to German', task: 'translation' }),
      JSON.stringify({ prompt: 'Write a limerick about a goat', task: 'creative' }),
      JSON.stringify({ prompt: 'Write a limerick about a goat', task: 'code' }),
    ];
    const result = evalTask(lines);
    expect(result.total).toBe(3);
    expect(result.accuracy).toBeCloseTo(2 / 3);
    expect(result.confusion.code.creative).toBe(1);
    expect(result.errors[0]).toMatchObject({ line: 3, expected: 'code', predicted: 'creative' });
  });

  it('names the line of an unknown task label', () => {
    expect(() => evalTask([JSON.stringify({ prompt: 'hi', task: 'poetry' })])).toThrow(/line 1: task/);
    expect(() => evalTask([JSON.stringify({ prompt: 'hi', task: 'chat' }), '', '{"prompt": "hi"'])).toThrow(/^labelled line 3: not JSON/);
  });
});
