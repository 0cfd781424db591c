import { messageText, type ChatRequest, type Tool } from '../../protocol/openai/chat-schema.ts';

/**
 * Which tool the simulated provider calls for a request, if any — deterministic, a function of the
 * request alone:
 * - no tools offered, or `tool_choice: "none"`: none;
 * - a named tool_choice (`{type:"function", function:{name}}`): that tool; `"required"`: the tool the
 *   prompt asks for, else the first offered;
 * - `"auto"` or no tool_choice: a tool only when the current user turn has no tool result yet (after a
 *   result the model answers in text, so an agent loop ends) and its text asks for what a tool does —
 *   it names the tool (`get_weather`, `get weather`) or uses a word of the tool's name or description
 *   ("weather"); the tool with the most such words wins, the first offered on a tie.
 */
export function chooseSimulatedTool(request: ChatRequest): Tool | undefined {
  const tools = (request.tools ?? []).filter((tool) => tool.type === 'function' && tool.function?.name);
  if (tools.length === 0) return undefined;
  const choice = request.tool_choice;
  if (choice === 'none') return undefined;
  if (typeof choice === 'object' && choice !== null) {
    const name = (choice as { function?: { name?: string } }).function?.name;
    return name === undefined ? tools[0] : tools.find((tool) => tool.function.name === name);
  }
  // "required" (and any other form that asks for a call): the tool the prompt asks for, else the first.
  if (choice !== undefined && choice !== 'auto') return askedFor(tools, currentUserText(request.messages)) ?? tools[0];
  if (!awaitsUserRequest(request.messages)) return undefined;
  return askedFor(tools, currentUserText(request.messages));
}

/** True when the conversation ends with a user message and the user turn it belongs to holds no tool result. */
function awaitsUserRequest(messages: ChatRequest['messages']): boolean {
  if (messages.at(-1)?.role !== 'user') return false;
  // A user turn can follow tool results directly (an Anthropic user turn with tool_result blocks and text).
  for (let index = messages.length - 1; index >= 0; index--) {
    const role = messages[index].role;
    if (role === 'tool' || role === 'function') return false;
    if (role === 'assistant') return true;
  }
  return true;
}

/** The text of the trailing user messages (the turn being answered). */
function currentUserText(messages: ChatRequest['messages']): string {
  const texts: string[] = [];
  for (let index = messages.length - 1; index >= 0 && messages[index].role === 'user'; index--) {
    texts.unshift(messageText(messages[index].content ?? ''));
  }
  return texts.join('\n');
}

function askedFor(tools: Tool[], prompt: string): Tool | undefined {
  const promptWords = words(prompt);
  const flatPrompt = ` ${promptWords.join(' ')} `;
  const promptStems = new Set(promptWords.filter((word) => !generic.has(word)).map(stem));
  let best: Tool | undefined;
  let bestScore = 0;
  for (const tool of tools) {
    const nameWords = words(splitIdentifier(tool.function.name));
    // The tool's whole name in the prompt ("get_weather", "get weather") outweighs any word count.
    let score = nameWords.length > 0 && flatPrompt.includes(` ${nameWords.join(' ')} `) ? 100 : 0;
    const seen = new Set<string>();
    const count = (word: string, weight: number) => {
      if (generic.has(word)) return;
      const stemmed = stem(word);
      if (!promptStems.has(stemmed) || seen.has(stemmed)) return;
      seen.add(stemmed);
      score += weight;
    };
    for (const word of nameWords) count(word, 2);
    for (const word of words(tool.function.description ?? '')) if (word.length >= 4) count(word, 1);
    if (score > bestScore) {
      best = tool;
      bestScore = score;
    }
  }
  return best;
}

/** `getWeather`, `get_weather`, `get-weather` → "get Weather" / "get weather". */
function splitIdentifier(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1 $2').replace(/[_\-.:/]+/g, ' ');
}

function words(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}

/** A plural's trailing "s" dropped ("orders" ≈ "order"), so singular and plural mentions match. */
function stem(word: string): string {
  return word.length > 3 && word.endsWith('s') && !word.endsWith('ss') ? word.slice(0, -1) : word;
}

/** Words too common in prompts and tool descriptions to say which tool is meant. */
const generic = new Set([
  'a', 'an', 'the', 'to', 'of', 'for', 'in', 'on', 'at', 'by', 'and', 'or', 'is', 'it', 'me', 'my', 'i', 'you', 'your',
  'get', 'set', 'do', 'does', 'make', 'use', 'run', 'call', 'tool', 'function', 'this', 'that', 'with', 'from', 'what',
  'which', 'when', 'where', 'how', 'who', 'can', 'please', 'will', 'would', 'should', 'could', 'about', 'into', 'given',
  'return', 'returns', 'current', 'value', 'values', 'specified', 'using', 'based', 'some', 'any', 'all', 'one', 'more',
  'there', 'their', 'them', 'they', 'then', 'than', 'have', 'has', 'was', 'were', 'are', 'been', 'be', 'not', 'no', 'yes',
]);
