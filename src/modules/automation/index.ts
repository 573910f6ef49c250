// Core (pure)
export { Rule, RuleBody, Trigger, Condition, Action, type RuleInput } from './core/rule.js';
export { evaluateRule, type ContactFacts, type Evaluation, type PlannedAction, type RegexTester } from './core/evaluate-rule.js';
export { renderPlaceholders, checkPlaceholders } from './core/placeholders.js';
export { checkSafeRegex } from './core/safe-regex.js';
export { BusinessHours, isOpen } from './core/business-hours.js';

// Adapters and use cases
export type { AutomationDeps } from './automation.deps.js';
export { automationSubscriber, AUTOMATION_SUBSCRIBER } from './automation.subscriber.js';
export { windowClosingJob, WINDOW_CLOSING_JOB } from './window-closing.job.js';
export { runRulesForEvent } from './run-rules.js';
export { createRegexTester } from './regex-tester.js';
export { createWebhookSender, isNonPublicAddress, type WebhookSender } from './webhook.client.js';
export { loadRulesFile } from './load-rules-file.js';
export { saveRule } from './save-rule.js';
export { dryRunRule } from './dry-run-rule.js';
export { ruleRepository, type StoredRule } from './rule.repository.js';
export { runRepository, type Run, type ActionResult } from './run.repository.js';
export { rulesRoutes } from './rules.routes.js';
export { AUTOMATION_ERROR_STATUS } from './automation.errors.js';
