/**
 * Hand-written prompt templates for the task classifier's training data (our own text, MIT). Slots are
 * filled at random so that the model learns the shape of each task rather than memorizing sentences.
 */
import type { TaskClass } from '../src/pipeline/route/task-class.ts';

type Random = () => number;
const pickWith = (random: Random) => <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];

const topics = ['the ocean', 'a lighthouse keeper', 'autumn in Kyoto', 'a lost robot', 'my grandmother\'s kitchen', 'the first day of school', 'a dragon who hates fire', 'Mars colonists', 'a rainy Monday', 'friendship', 'a haunted library', 'coffee', 'the city at night', 'a cat detective', 'time travel', 'winter solstice', 'a small bakery', 'the last tree on Earth', 'love and distance', 'a jazz musician'];
const languages = ['Python', 'JavaScript', 'TypeScript', 'Rust', 'Go', 'Java', 'C++', 'C#', 'Ruby', 'SQL', 'Bash', 'Kotlin', 'Swift', 'PHP'];
const codeTasks = ['reverses a linked list', 'parses a CSV file', 'validates an email address', 'finds duplicates in an array', 'merges two sorted lists', 'computes a rolling average', 'retries an HTTP request with backoff', 'reads a config file', 'implements an LRU cache', 'debounces a function', 'checks if a string is a palindrome', 'flattens nested dictionaries', 'paginates query results', 'hashes a password', 'streams a large file line by line', 'removes stop words'];
const errors = ['TypeError: cannot read properties of undefined', 'segmentation fault', 'IndexError: list index out of range', 'borrow checker error', 'NullPointerException', 'deadlock', 'memory leak', 'off-by-one error', 'ModuleNotFoundError', 'CORS error', 'race condition', 'undefined reference at link time'];
const natural = ['French', 'German', 'Spanish', 'Italian', 'Japanese', 'Chinese', 'Korean', 'Portuguese', 'Russian', 'Arabic', 'Dutch', 'Hindi', 'Turkish', 'Polish', 'Swedish', 'Greek'];
const sentences = ['Where is the nearest train station?', 'The meeting has been moved to Thursday afternoon.', 'Thank you for your patience while we fix the problem.', 'Please keep this medicine out of reach of children.', 'Our store opens at nine and closes at six.', 'I would like to book a table for two tonight.', 'The package will arrive within three business days.', 'Could you send me the invoice again?', 'Happy birthday, I hope all your wishes come true!', 'The hotel room has a view of the sea.'];
const foreign = ['Je voudrais un café, s\'il vous plaît.', 'Wo ist die Toilette?', 'Me gustaría reservar una habitación.', 'Ho perso il mio passaporto.', 'お元気ですか？', '我们明天见。', 'Onde fica o museu?', 'Ik begrijp het niet.', 'Merci beaucoup pour votre aide.', 'Das Wetter ist heute schön.'];
const reviews = ['The battery died after two days and support never answered.', 'Absolutely love this blender, it crushes ice in seconds!', 'Delivery was late but the product itself is fine.', 'Worst hotel stay of my life, the room smelled of smoke.', 'Decent value for the price, nothing special.', 'The staff were friendly and the food arrived hot.', 'I want a refund, the shirt shrank after one wash.', 'Five stars, would buy again.'];
const texts = ['Invoice #4471 from Acme Corp dated 3 March 2024, total due $1,250.00, payable to John Smith within 30 days.', 'Dr. Maria Lopez will see patient Tom Becker on 12 June at the Riverside Clinic, room 204.', 'Shipping address: 55 Elm Street, Springfield, IL 62704. Contact: Anna Weiss, +1 555 0199.', 'Flight LH 438 departs Frankfurt at 10:25 and lands in Chicago at 12:50 local time.', 'Order 8812: 3 x blue mugs, 1 x teapot, shipped via DHL on Friday.'];
const longTexts = ['Our quarterly results show revenue grew 12% year over year, driven mainly by subscriptions in Europe. Costs rose faster than expected because of cloud spending and new hires in support. The board approved a hiring freeze for the next two quarters and asked management to renegotiate the hosting contract. Customer churn fell slightly, and the new onboarding flow cut time-to-value from nine days to four.', 'The city council met on Tuesday to discuss the new bike lanes. Residents on Oak Avenue complained about lost parking, while cycling groups presented data showing fewer accidents on streets that already have protected lanes. After three hours of debate the council voted 5 to 4 to run a six-month pilot on two streets and to publish traffic counts every month.', 'In the meeting we agreed that the launch moves to May. Design will finish the onboarding screens by April 10, engineering will freeze features on April 15, and marketing will prepare the announcement. Risks: the payment provider migration is late and two engineers are on leave in April. Next check-in is Friday.', 'Researchers studied 2,000 adults for ten years and found that those who walked at least 7,000 steps a day had a lower risk of heart disease. The effect held after adjusting for age, smoking and diet, though the authors caution that the study was observational and cannot prove cause and effect.'];
const chatQuestions = ['How are you today?', 'What should I cook for dinner tonight?', 'Can you recommend a good book for a long flight?', 'What is the capital of Australia?', 'Who painted the Mona Lisa?', 'How do I get better sleep?', 'What are some fun things to do in Lisbon?', 'Is it worth learning to play the piano as an adult?', 'Tell me about the history of the Eiffel Tower.', 'What does a product manager do?', 'How do vaccines work?', 'Why is the sky blue?', 'Hi there!', 'Thanks, that helped a lot.', 'What is the difference between a latte and a cappuccino?', 'Any tips for a job interview tomorrow?', 'How often should I water a cactus?', 'What time zone is Chicago in?', 'Explain what inflation is in simple terms.', 'Who won the football World Cup in 2010?', 'Good morning! Can you help me plan my week?', 'How long does it take to boil an egg?', 'What is a good name for a golden retriever puppy?', 'Can you explain how a mortgage works?', 'Where do penguins live?'];
const puzzles = ['If all bloops are razzies and all razzies are lazzies, are all bloops definitely lazzies?', 'Alice is taller than Bob, and Bob is taller than Carol. Who is the shortest?', 'A farmer must cross a river with a wolf, a goat and a cabbage. How does he do it?', 'Three boxes are all labelled wrongly: apples, oranges, mixed. You may take one fruit from one box. How do you relabel them?', 'If it takes five machines five minutes to make five widgets, how long would 100 machines take to make 100 widgets?', 'Which weighs more, a kilogram of feathers or a kilogram of steel? Explain.', 'A man looks at a portrait and says: brothers and sisters I have none, but that man\'s father is my father\'s son. Who is in the portrait?', 'You have two ropes that each burn for one hour unevenly. How can you measure 45 minutes?', 'Is the following argument valid? All cats are mammals; some mammals fly; therefore some cats fly.', 'Should a startup with six months of runway hire a salesperson or an engineer first? Weigh the trade-offs and decide.', 'What are the second-order effects of a four-day work week on a hospital?', 'Compare nuclear and solar power for a small island nation and recommend one, reasoning step by step.', 'Why might raising the minimum wage both help and hurt low-income workers? Think it through.', 'If the Roman Empire had never fallen, how might Europe look today? Reason carefully.', 'A bat and a ball cost $1.10 in total. The bat costs $1.00 more than the ball. What is the flaw in answering 10 cents?', 'Evaluate the strongest objection to utilitarianism and whether it succeeds.'];
const mathTemplates = [
  (a: number, b: number) => `What is ${a} * ${b} + ${a + b}?`,
  (a: number, b: number) => `Solve for x: ${a}x + ${b} = ${a * 3 + b}`,
  (a: number, b: number) => `A train travels ${a * 10} km in ${b} hours. What is its average speed?`,
  (a: number, b: number) => `What is ${a}% of ${b * 20}?`,
  (a: number, b: number) => `Find the derivative of f(x) = ${a}x^3 - ${b}x + 7.`,
  (a: number, b: number) => `Compute the integral of ${a}x^2 from 0 to ${b}.`,
  (a: number, b: number) => `If I save $${a * 25} a month for ${b} years at 4% interest compounded yearly, how much will I have?`,
  (a: number, b: number) => `How many ways can ${a + 3} people sit around a round table?`,
  (a: number, b: number) => `Simplify (${a}x + ${b})(${a}x - ${b}).`,
  (a: number, b: number) => `What is the probability of rolling a sum of ${Math.min(12, a + b)} with two dice?`,
  (a: number, b: number) => `Sara has ${a * 4} stickers and gives a quarter of them to each of her ${b} friends in turn. How many does she have left?`,
  (a: number, b: number) => `Find the greatest common divisor of ${a * 12} and ${b * 18}.`,
  (a: number, b: number) => `Is ${a * 97 + b} a prime number? Show your work.`,
  (a: number, b: number) => `Calculate the area of a triangle with base ${a} cm and height ${b} cm.`,
];

/** `count` prompts per class from the templates. */
export function generateTaskPrompts(random: Random, count: number): { text: string; task: TaskClass }[] {
  const pick = pickWith(random);
  const number = (): number => 2 + Math.floor(random() * 40);
  const makers: Record<TaskClass, () => string> = {
    chat: () => pick([pick(chatQuestions), `${pick(['Hey, ', 'Quick question: ', '', 'Hello! ', 'Honestly, '])}${pick(chatQuestions).toLowerCase()}`, `I'm feeling ${pick(['stressed', 'bored', 'excited', 'tired'])} about ${pick(topics)}. Any advice?`]),
    code: () => pick([
      `Write a ${pick(languages)} function that ${pick(codeTasks)}.`,
      `How do I ${pick(['read a file', 'sort a map by value', 'make an HTTP request', 'parse JSON', 'run tasks in parallel', 'connect to Postgres'])} in ${pick(languages)}?`,
      `I get "${pick(errors)}" when running my ${pick(languages)} program. How do I fix it?`,
      `My ${pick(['Django', 'Flask', 'Express', 'Spring', 'Rails', 'FastAPI', 'Next.js'])} ${pick(['app', 'server', 'service'])} ${pick(['returns 500 on every request', 'cannot find my template', 'times out under load', 'loses the session after login', 'returns 404 for a route I defined'])}. What am I missing?`,
      `Why does my ${pick(['Docker build', 'CI pipeline', 'Kubernetes pod', 'webpack bundle'])} ${pick(['fail', 'hang', 'crash', 'keep restarting'])}?`,
      `Refactor this so it is easier to test:\nfunction total(items) { let t = 0; for (const i of items) { t += i.price * i.qty } return t }`,
      `Explain what this does: ${pick(['[x*x for x in range(10) if x % 2]', 'SELECT name, COUNT(*) FROM orders GROUP BY name HAVING COUNT(*) > 3;', 'git rebase -i HEAD~3', 'const f = (a) => a.reduce((s, v) => s + v, 0);'])}`,
      `Write unit tests for a ${pick(languages)} class that ${pick(codeTasks)}.`,
      `What is the time complexity of an algorithm that ${pick(codeTasks)}?`,
      `Review my ${pick(languages)} code for bugs:\ndef add(a, b):\n    return a - b`,
    ]),
    classification: () => pick([
      `Is this review positive, negative or neutral? "${pick(reviews)}"`,
      `Sentiment of: ${pick(reviews)}`,
      `Extract the names, dates and amounts from this text as JSON: ${pick(texts)}`,
      `Pull the address fields (street, city, zip) out of: ${pick(texts)}`,
      `Is this email spam? "Congratulations! You won a ${pick(['cruise', 'phone', 'gift card'])}, click here to claim."`,
      `Categorize these expenses into food, travel or office: taxi $23, sandwiches $41, printer paper $12.`,
      `Label each sentence as fact or opinion: ${pick(reviews)} ${pick(sentences)}`,
      `Which department should handle this ticket: "${pick(reviews)}"? Answer with one word.`,
      `Detect the language of this sentence: ${pick(foreign)}`,
      `Rate the toxicity of this comment from 0 to 3: "${pick(reviews)}"`,
      `Is the ${pick(['tone', 'mood', 'attitude'])} of this ${pick(['tweet', 'comment', 'message', 'reply'])} ${pick(['angry or calm', 'formal or casual', 'happy or sad', 'sarcastic or sincere'])}: "${pick(reviews)}"`,
      `Does this ${pick(['message', 'post'])} mention a ${pick(['refund', 'delivery problem', 'cancellation'])}? Yes or no. "${pick(reviews)}"`,
    ]),
    summarization: () => pick([
      `Summarize the following:\n${pick(longTexts)}`,
      `TL;DR: ${pick(longTexts)}`,
      `${pick(longTexts)}\n\nCan you boil this down to three bullet points?`,
      `Give me a one-paragraph recap of these meeting notes: ${pick(longTexts)}`,
      `What are the key takeaways from this report? ${pick(longTexts)}`,
      `Condense this for an executive: ${pick(longTexts)}`,
    ]),
    translation: () => pick([
      `Translate to ${pick(natural)}: ${pick(sentences)}`,
      `How do you say "${pick(sentences)}" in ${pick(natural)}?`,
      `What does "${pick(foreign)}" mean in English?`,
      `Please translate this sentence into ${pick(natural)}, keeping a formal tone: ${pick(sentences)}`,
      `${pick(foreign)} -> English please`,
      `Can you put this in ${pick(natural)} for me? ${pick(sentences)}`,
      `English to ${pick(natural)}: "${pick(sentences)}"`,
    ]),
    math: () => pick(mathTemplates)(number(), number()),
    reasoning: () => pick([
      pick(puzzles),
      `${pick(puzzles)} Think step by step.`,
      `Which of the following best explains why ${pick(['ice floats', 'prices rise when supply falls', 'the Roman Republic collapsed', 'birds migrate'])}?\nA. ${pick(topics)}\nB. density\nC. demand\nD. none of the above`,
      `Given that ${pick(['every manager attends the meeting', 'no student failed', 'the store is closed on holidays'])} and ${pick(['Sam is a manager', 'Lee took the exam', 'today is a holiday'])}, what can we conclude?`,
      `${pick(puzzles)} Who is right, and why? Reason it out.`,
      `${pick(['Three', 'Five', 'Four'])} ${pick(['friends', 'colleagues', 'players'])} each ${pick(['shake hands', 'trade cards', 'play a match'])} with every other one. ${pick(['Then one leaves.', 'One of them lies.', 'Two swap places.'])} ${pick(['Who is telling the truth?', 'What must be true?', 'Who is right and why?'])}`,
      `Analyze the pros and cons of ${pick(['remote work', 'a carbon tax', 'open-plan offices', 'nuclear energy'])} and reach a conclusion.`,
    ]),
    creative: () => pick([
      `Write a ${pick(['poem', 'haiku', 'short story', 'limerick', 'song', 'sonnet', 'fairy tale'])} about ${pick(topics)}.`,
      `Tell me a bedtime story about ${pick(topics)}.`,
      `Come up with ten catchy names for ${pick(['a coffee shop', 'a podcast about history', 'a fintech startup', 'a hiking club'])}.`,
      `Describe ${pick(topics)} as if you were a ${pick(['pirate', 'Victorian novelist', 'sports commentator', 'noir detective'])}.`,
      `Brainstorm plot twists for a mystery novel set in ${pick(topics)}.`,
      `Imagine you are ${pick(topics)}. Write a diary entry.`,
      `Write the opening paragraph of a sci-fi novel about ${pick(topics)}.`,
      `Draft a funny toast for my brother's wedding.`,
      `${pick(['Invent', 'Make up', 'Create'])} a ${pick(['myth', 'legend', 'fable', 'tale'])} that explains ${pick(['why cats purr', 'where rivers come from', 'why winter exists', 'the first fire'])}.`,
    ]),
  };
  const prompts: { text: string; task: TaskClass }[] = [];
  for (const task of Object.keys(makers) as TaskClass[]) for (let index = 0; index < count; index++) prompts.push({ text: makers[task](), task });
  return prompts;
}
