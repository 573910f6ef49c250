import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TemplateSeed } from '../../../simulator/index.js';

/** The scenario of issue 5, shared by the scenario tests: its rules file and its template. */
export const SCENARIO_FIXTURES = join(import.meta.dirname, '../../../../test/fixtures/automation');
export const HOT_LEAD_RULES_FILE = join(SCENARIO_FIXTURES, 'hot-lead-rules.yaml');
export const PROPERTY_INQUIRY = JSON.parse(readFileSync(join(SCENARIO_FIXTURES, 'property-inquiry.template.json'), 'utf8')) as TemplateSeed;

export const HOT_LEAD_TAG = 'Hot Lead – High Priority';
export const TAPPED_BUDGET = { payload: 'budget_1m_2m', text: '$1M – $2M' } as const;
/** The template's body as Dana reads it. */
export const INQUIRY_TEXT_FOR_DANA = 'Hi Dana, thanks for your interest in our listings! Which budget range should we show you?';
export const FOLLOW_UP_SUBJECT_FOR_DANA = 'Follow up with Dana Whitfield: budget $1M – $2M';

export type TimelineEntryDto = { direction: string; type: string; text: string | null; wamid: string | null; status: string | null };
export type AutomationRunDto = {
  ruleId: string;
  status: string;
  eventType: string;
  startedAt: string;
  finishedAt: string | null;
  results: { type: string; status: string; code: string | null; detail: Record<string, unknown> | null }[];
};
