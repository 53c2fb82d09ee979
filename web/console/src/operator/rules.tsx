/** Settings: the site's engagement rules (GET/PUT /v1/sites/{site}/engagement-rules): the holdout
 * share, the frequency caps and each proactive-chat rule with its triggers. Fields the form does
 * not show (a rule's or the setting's newer ones) are kept as they were. */
import { ErrorBanner } from "../components";
import type { PageContext } from "../pages";
import { CheckField, ChoiceField, SaveState, TextField } from "./fields";
import { listOf, numberOrText, textOf } from "./form";
import { useEditedSetting } from "./save";

type Json = Record<string, unknown>;

export interface EngagementRules {
  rules: Json[];
  holdout_share: number;
  caps: Json;
  [other: string]: unknown;
}

const STAGES = ["browsing", "cart", "checkout"] as const;
const CAPS = [
  ["per_session", "Offers per session"],
  ["per_day", "Offers per visitor per day"],
  ["cooldown_after_reject_seconds", "Quiet time after a rejected offer (seconds)"],
] as const;
const RULE_NUMBERS = [
  ["priority", "Priority (0–10000, highest wins)"],
  ["max_expected_wait_seconds", "Offer only if the expected wait is at most (seconds)"],
] as const;
const TRIGGER_NUMBERS = [
  ["min_cart_value", "Cart value at least"],
  ["min_idle_seconds", "Idle at least (seconds)"],
  ["min_purchase_intent", "Purchase intent at least (0–1)"],
  ["min_abandonment_risk", "Abandonment risk at least (0–1)"],
] as const;

/** A rule as the form edits it: every value as typed. */
interface RuleDraft {
  original: Json;
  rule_id: string;
  name: string;
  enabled: boolean;
  message: string;
  category: string;
  numbers: Record<string, string>;
  stages: string[];
  categories: string;
  url_patterns: string;
  triggers: Json;
  triggerNumbers: Record<string, string>;
}

interface Draft {
  holdout: string;
  caps: Record<string, string>;
  rules: RuleDraft[];
}

const text = (value: unknown): string => (value === null || value === undefined ? "" : String(value));

function ruleDraft(rule: Json): RuleDraft {
  const triggers = (rule.triggers as Json | undefined) ?? {};
  return {
    original: rule,
    rule_id: text(rule.rule_id),
    name: text(rule.name),
    enabled: rule.enabled !== false,
    message: text(rule.message),
    category: text(rule.category),
    numbers: Object.fromEntries(RULE_NUMBERS.map(([key]) => [key, text(rule[key])])),
    stages: Array.isArray(triggers.stages) ? (triggers.stages as string[]) : [],
    categories: textOf(triggers.categories as string[] | undefined),
    url_patterns: textOf(triggers.url_patterns as string[] | undefined),
    triggers,
    triggerNumbers: Object.fromEntries(TRIGGER_NUMBERS.map(([key]) => [key, text(triggers[key])])),
  };
}

function draftOf(setting: EngagementRules): Draft {
  return {
    holdout: text(setting.holdout_share),
    caps: Object.fromEntries(CAPS.map(([key]) => [key, text(setting.caps[key])])),
    rules: setting.rules.map(ruleDraft),
  };
}

/** Sets `key` to the typed number, leaving it out when empty (the API's default applies). */
function withNumber(target: Json, key: string, typed: string, emptyIsNull = false): Json {
  const value = numberOrText(typed);
  if (value === null && !emptyIsNull) {
    const { [key]: _dropped, ...rest } = target;
    return rest;
  }
  return { ...target, [key]: value };
}

function ruleBody(rule: RuleDraft): Json {
  let triggers: Json = { ...rule.triggers, stages: rule.stages, categories: listOf(rule.categories), url_patterns: listOf(rule.url_patterns) };
  for (const [key] of TRIGGER_NUMBERS) triggers = withNumber(triggers, key, rule.triggerNumbers[key] ?? "", key === "min_cart_value");
  let body: Json = {
    ...rule.original,
    rule_id: rule.rule_id.trim(),
    name: rule.name,
    enabled: rule.enabled,
    message: rule.message,
    category: rule.category.trim() === "" ? null : rule.category.trim(),
    triggers,
  };
  for (const [key] of RULE_NUMBERS) body = withNumber(body, key, rule.numbers[key] ?? "");
  return body;
}

function bodyOf(setting: EngagementRules, draft: Draft): Json {
  let caps: Json = { ...setting.caps };
  for (const [key] of CAPS) caps = withNumber(caps, key, draft.caps[key] ?? "");
  return {
    ...setting,
    holdout_share: numberOrText(draft.holdout),
    caps,
    rules: draft.rules.map(ruleBody),
  };
}

function ruleKeys(index: number): string[] {
  const at = `rules.${index}`;
  return [
    at,
    ...["rule_id", "name", "enabled", "message", "category", "triggers", ...RULE_NUMBERS.map(([key]) => key)].map((key) => `${at}.${key}`),
    ...["stages", "categories", "url_patterns", ...TRIGGER_NUMBERS.map(([key]) => key)].map((key) => `${at}.triggers.${key}`),
  ];
}

const NEW_RULE: Json = { rule_id: "", name: "", message: "", enabled: true, priority: 100, triggers: {} };

export function EngagementRulesForm({ context }: { context: PageContext }) {
  const path = `/v1/sites/${encodeURIComponent(context.session.site_id)}/engagement-rules`;
  const { loaded, draft, setDraft, edit, save } = useEditedSetting(() => context.api.get<EngagementRules>(path), path, draftOf);

  if (loaded.error) return <ErrorBanner error={loaded.error} onRetry={loaded.refresh} />;
  if (!draft || !loaded.data) return <p class="boot">Loading the engagement rules…</p>;
  const setting = loaded.data;

  const editRule = (index: number, change: Partial<RuleDraft>) =>
    edit({ ...draft, rules: draft.rules.map((rule, i) => (i === index ? { ...rule, ...change } : rule)) });
  const keys = ["holdout_share", "caps", ...CAPS.map(([key]) => `caps.${key}`), "rules", ...draft.rules.flatMap((_, i) => ruleKeys(i))];
  const submit = async (event: Event) => {
    event.preventDefault();
    const body = bodyOf(setting, draft);
    if (await save.run(keys, () => context.api.put<EngagementRules>(path, body))) loaded.refresh();
  };
  const p = save.problems;

  return (
    <form class="settings-form" data-kr="settings-rules" onSubmit={submit} noValidate aria-labelledby="rules-title">
      <h2 id="rules-title">Engagement rules</h2>
      <p class="muted">
        A visitor is offered a chat when an enabled rule's triggers all hold (the highest priority wins) and the caps allow it.
        Visitors in the holdout share are never offered one: they are the baseline of the uplift.
      </p>
      <div class="field-grid">
        <TextField
          form="rules"
          name="holdout_share"
          label="Holdout share (0–0.5)"
          inputMode="decimal"
          value={draft.holdout}
          problems={p}
          hook="rules-holdout"
          onValue={(holdout) => edit({ ...draft, holdout })}
        />
        {CAPS.map(([key, label]) => (
          <TextField
            key={key}
            form="rules"
            name={`caps.${key}`}
            label={label}
            inputMode="numeric"
            value={draft.caps[key] ?? ""}
            problems={p}
            hook={`rules-caps-${key}`}
            onValue={(typed) => edit({ ...draft, caps: { ...draft.caps, [key]: typed } })}
          />
        ))}
      </div>
      <h3>Rules</h3>
      {p["rules"] && (
        <p class="field-error" role="alert" data-field="rules">
          {p["rules"]}
        </p>
      )}
      {draft.rules.map((rule, index) => {
        const at = `rules.${index}`;
        return (
          <fieldset key={index} class="rule" data-kr="rule">
            <legend>
              Rule {index + 1}
              {rule.name ? `: ${rule.name}` : ""}
            </legend>
            {p[at] && (
              <p class="field-error" role="alert" data-field={at}>
                {p[at]}
              </p>
            )}
            <div class="field-grid">
              <TextField form="rules" name={`${at}.rule_id`} label="Rule id" value={rule.rule_id} problems={p} hook="rule-id" onValue={(rule_id) => editRule(index, { rule_id })} />
              <TextField form="rules" name={`${at}.name`} label="Name" value={rule.name} problems={p} hook="rule-name" onValue={(name) => editRule(index, { name })} />
              {RULE_NUMBERS.map(([key, label]) => (
                <TextField
                  key={key}
                  form="rules"
                  name={`${at}.${key}`}
                  label={label}
                  inputMode="numeric"
                  value={rule.numbers[key] ?? ""}
                  problems={p}
                  hook={`rule-${key}`}
                  onValue={(typed) => editRule(index, { numbers: { ...rule.numbers, [key]: typed } })}
                />
              ))}
              <TextField
                form="rules"
                name={`${at}.category`}
                label="Chat category (optional)"
                value={rule.category}
                problems={p}
                hook="rule-category"
                onValue={(category) => editRule(index, { category })}
              />
              <CheckField form="rules" name={`${at}.enabled`} label="Enabled" checked={rule.enabled} problems={p} hook="rule-enabled" onChecked={(enabled) => editRule(index, { enabled })} />
            </div>
            <TextField
              form="rules"
              name={`${at}.message`}
              label="Message (the offer's text)"
              multiline
              value={rule.message}
              problems={p}
              hook="rule-message"
              onValue={(message) => editRule(index, { message })}
            />
            <h4>Triggers (all must hold; empty does not restrict)</h4>
            {p[`${at}.triggers`] && (
              <p class="field-error" role="alert" data-field={`${at}.triggers`}>
                {p[`${at}.triggers`]}
              </p>
            )}
            <div class="field-grid">
              <ChoiceField
                form="rules"
                name={`${at}.triggers.stages`}
                label="Stages"
                options={STAGES}
                values={rule.stages}
                problems={p}
                onValues={(stages) => editRule(index, { stages })}
              />
              <TextField
                form="rules"
                name={`${at}.triggers.categories`}
                label="Product categories (comma-separated)"
                value={rule.categories}
                problems={p}
                hook="rule-categories"
                onValue={(categories) => editRule(index, { categories })}
              />
              <TextField
                form="rules"
                name={`${at}.triggers.url_patterns`}
                label="Page paths (comma-separated globs, e.g. /checkout*)"
                value={rule.url_patterns}
                problems={p}
                hook="rule-url-patterns"
                onValue={(url_patterns) => editRule(index, { url_patterns })}
              />
              {TRIGGER_NUMBERS.map(([key, label]) => (
                <TextField
                  key={key}
                  form="rules"
                  name={`${at}.triggers.${key}`}
                  label={label}
                  inputMode="decimal"
                  value={rule.triggerNumbers[key] ?? ""}
                  problems={p}
                  hook={`rule-${key}`}
                  onValue={(typed) => editRule(index, { triggerNumbers: { ...rule.triggerNumbers, [key]: typed } })}
                />
              ))}
            </div>
            <button type="button" class="secondary" onClick={() => edit({ ...draft, rules: draft.rules.filter((_, i) => i !== index) })}>
              Remove rule {index + 1}
            </button>
          </fieldset>
        );
      })}
      <button type="button" class="secondary" data-kr="rules-add" onClick={() => edit({ ...draft, rules: [...draft.rules, ruleDraft(NEW_RULE)] })}>
        Add a rule
      </button>
      <div class="actions">
        <button type="submit" data-kr="settings-save" disabled={save.saving}>
          {save.saving ? "Saving…" : "Save engagement rules"}
        </button>
        <button type="button" class="secondary" onClick={() => (save.reset(), setDraft(draftOf(setting)))}>
          Undo changes
        </button>
      </div>
      <SaveState form="rules" problems={p} failure={save.failure} saved={save.saved} />
    </form>
  );
}
