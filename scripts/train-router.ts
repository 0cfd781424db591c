/**
 * Trains the default "is the cheap model enough?" router and writes
 * src/pipeline/route/weights/quality-router.json (weights and calibration only).
 *
 *   node --import tsx scripts/train-router.ts
 *
 * Data, read at train time from ../shared/data/routellm and never committed: RouteLLM's published
 * outcomes of GPT-4-1106-preview vs Mixtral-8x7B on GSM8K, MMLU and MT-Bench (Apache-2.0 repository;
 * GSM8K MIT, MMLU MIT, MT-Bench questions Apache-2.0), contaminated prompts dropped as RouteLLM does.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { trainCalibratedRouter } from '../src/pipeline/route/calibrate-router.ts';
import { loadGsm8k, loadMmlu, loadMtBench, STRONG_MODEL, WEAK_MODEL } from './train-router-data.ts';

const lines = [loadGsm8k(), loadMmlu(), loadMtBench()].flatMap((set) => set.lines.map(({ prompt, outcomes }) => ({ prompt, outcomes })));
const weights = trainCalibratedRouter(lines, {
  strong: STRONG_MODEL,
  weak: WEAK_MODEL,
  weightByGap: false,
  outcomeClasses: true,
  cv: 5,
  data: 'RouteLLM evals (lm-sys/RouteLLM): GSM8K, MMLU, MT-Bench outcomes of gpt-4-1106-preview vs Mixtral-8x7B-Instruct',
  licence: 'Apache-2.0 (RouteLLM); GSM8K MIT; MMLU MIT; MT-Bench Apache-2.0',
});
const file = path.resolve(import.meta.dirname, '../src/pipeline/route/weights/quality-router.json');
writeFileSync(file, JSON.stringify(weights) + '\n');
const at95 = weights.calibration.filter((point) => point.quality_ratio >= 0.95).sort((a, b) => a.threshold - b.threshold)[0];
console.log(`trained on ${weights.training.prompts} prompts; at 95% quality: threshold ${at95?.threshold}, cheap share ${at95?.cheap_share}`);
console.log(`wrote ${file} (${(JSON.stringify(weights).length / 1024).toFixed(0)} KiB, ${weights.model.packed ? 'packed int16' : `${Object.keys(weights.model.rows).length} rows`})`);
