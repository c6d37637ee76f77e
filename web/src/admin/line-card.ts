// One concert's line on the console: live numbers, the admission chart, the leader, seats, and
// the operator's controls (pause/resume, policy, close). The live part is redrawn on every poll;
// the controls are built once, so a value being typed is never overwritten by a poll.
import {
  isLineupError,
  POLICY_LIMITS,
  type AdminConcertOverview,
  type PolicyLimitName,
  type QueuePolicyPatch,
} from '@lineup/client-sdk';
import { fill, h } from '../dom.js';
import type { AdminApi } from './admin-api.js';
import { liveNumbers } from './line-live.js';
import { am } from './messages.js';

export interface Notices {
  info(text: string): void;
  error(err: unknown, explain?: (err: unknown) => string | undefined): void;
  /** Fetch the overview again now (after a change), instead of at the next poll. */
  refresh(): void;
}

const FIELDS = Object.keys(POLICY_LIMITS) as PolicyLimitName[];

export class LineCard {
  readonly element: HTMLElement;
  private readonly live = h('div', { class: 'live' });
  private readonly pauseButton: HTMLButtonElement;
  private readonly inputs = new Map<PolicyLimitName, HTMLInputElement>();
  private readonly problems = h('ul', { class: 'problems', 'data-testid': 'policy-problems' });
  private readonly closeArea = h('div', { class: 'close-area' });
  /** The policy values last shown: an input still holding one was not edited by the operator. */
  private shown: Partial<Record<PolicyLimitName, number>> = {};
  private data: AdminConcertOverview;

  constructor(
    data: AdminConcertOverview,
    private readonly api: AdminApi,
    private readonly notices: Notices,
  ) {
    this.data = data;
    const t = am();
    this.pauseButton = h('button', {
      type: 'button',
      class: 'secondary',
      'data-testid': 'pause',
      onclick: () => void this.togglePause(),
    });
    const policyForm = h(
      'form',
      { class: 'policy', novalidate: true, onsubmit: (e) => this.submitPolicy(e) },
      h('h4', null, t.policy),
      h(
        'div',
        { class: 'policy-fields' },
        FIELDS.map((name) => {
          const id = `policy-${data.id}-${name}`;
          const { min, max } = POLICY_LIMITS[name];
          const input = h('input', {
            id,
            name,
            type: 'number',
            inputmode: 'numeric',
            min,
            max,
            step: 1,
            'aria-describedby': `${id}-range`,
          });
          this.inputs.set(name, input);
          return h(
            'div',
            { class: 'field' },
            h('label', { for: id }, t.field[name]),
            input,
            h('small', { id: `${id}-range`, class: 'muted' }, t.range(min, max)),
          );
        }),
      ),
      this.problems,
      h('button', { type: 'submit', class: 'primary' }, t.savePolicy),
    );
    this.element = h(
      'section',
      { class: 'card line', 'data-concert-id': data.id, 'aria-labelledby': `line-${data.id}` },
      h(
        'h3',
        { id: `line-${data.id}` },
        data.title,
        h('span', { class: 'artist' }, ` · ${data.artist}`),
      ),
      this.live,
      h(
        'div',
        { class: 'controls' },
        h('div', { class: 'actions' }, this.pauseButton, this.closeArea),
        policyForm,
      ),
    );
    this.update(data);
    this.renderCloseButton();
  }

  update(data: AdminConcertOverview): void {
    this.data = data;
    const t = am();
    const q = data.queue;
    fill(this.live, ...liveNumbers(data));
    this.closeArea.hidden = q.closed;
    this.pauseButton.textContent = q.policy.paused ? t.resume : t.pause;
    this.pauseButton.dataset.paused = String(q.policy.paused);
    for (const name of FIELDS) {
      const input = this.inputs.get(name)!;
      const value = q.policy[name];
      if (input.value === '' || Number(input.value) === this.shown[name])
        input.value = String(value);
      this.shown[name] = value;
    }
  }

  private async togglePause(): Promise<void> {
    const paused = !this.data.queue.policy.paused;
    try {
      await this.api.setPolicy(this.data.id, { paused });
      this.notices.info((paused ? am().pausedNow : am().resumedNow)(this.data.title));
      this.notices.refresh();
    } catch (err) {
      this.notices.error(err);
    }
  }

  /** Checks every field in words before sending; the server checks the same limits again. */
  private async submitPolicy(event: Event): Promise<void> {
    event.preventDefault();
    const t = am();
    const problems: string[] = [];
    const patch: QueuePolicyPatch = {};
    for (const name of FIELDS) {
      const input = this.inputs.get(name)!;
      const { min, max } = POLICY_LIMITS[name];
      const raw = input.value.trim();
      const value = Number(raw);
      const ok = raw !== '' && Number.isInteger(value) && value >= min && value <= max;
      input.setAttribute('aria-invalid', String(!ok));
      if (!ok) problems.push(t.badNumber(t.field[name], min, max));
      else if (value !== this.data.queue.policy[name]) patch[name] = value;
    }
    const idle = patch.activeIdleSeconds ?? this.data.queue.policy.activeIdleSeconds;
    const longest = patch.activeMaxSeconds ?? this.data.queue.policy.activeMaxSeconds;
    if (problems.length === 0 && longest < idle) problems.push(t.activeMaxBelowIdle);
    fill(
      this.problems,
      problems.map((p) => h('li', null, p)),
    );
    if (problems.length > 0) return;
    if (Object.keys(patch).length === 0) return this.notices.info(t.nothingChanged);
    try {
      const policy = await this.api.setPolicy(this.data.id, patch);
      this.data = { ...this.data, queue: { ...this.data.queue, policy } };
      this.notices.info(t.policySaved(this.data.title));
      this.notices.refresh();
    } catch (err) {
      this.notices.error(err, (e) => this.explainIssues(e));
    }
  }

  /** A VALIDATION_FAILED from the server, field by field in the console's words. */
  private explainIssues(err: unknown): string | undefined {
    if (!isLineupError(err, 'VALIDATION_FAILED')) return undefined;
    const t = am();
    const issues = Array.isArray(err.details?.issues)
      ? (err.details.issues as { path?: string; message?: string }[])
      : [];
    const words = issues.map((i) => {
      const key = String(i.path ?? '')
        .split('.')
        .pop() as PolicyLimitName;
      const limits = POLICY_LIMITS[key];
      return limits
        ? t.badNumber(t.field[key], limits.min, limits.max)
        : t.issue(String(i.path ?? ''), String(i.message ?? ''));
    });
    return words.join(' ') || undefined;
  }

  private renderCloseButton(): void {
    fill(
      this.closeArea,
      h(
        'button',
        {
          type: 'button',
          class: 'danger-outline',
          'data-testid': 'close-line',
          onclick: () => this.askClose(),
        },
        am().close,
      ),
    );
  }

  private askClose(): void {
    const t = am();
    const waiting = this.data.queue.waiting + this.data.queue.prequeue;
    const yes = h(
      'button',
      {
        type: 'button',
        class: 'danger',
        'data-testid': 'close-confirm',
        onclick: () => void this.close(),
      },
      t.closeYes,
    );
    fill(
      this.closeArea,
      h(
        'div',
        { class: 'confirm', role: 'alertdialog', 'aria-label': t.close },
        h('p', null, t.closeConfirm(this.data.title, waiting)),
        h(
          'div',
          { class: 'actions' },
          yes,
          h(
            'button',
            { type: 'button', class: 'secondary', onclick: () => this.renderCloseButton() },
            t.closeNo,
          ),
        ),
      ),
    );
    yes.focus();
  }

  private async close(): Promise<void> {
    try {
      const { ended } = await this.api.closeLine(this.data.id);
      this.notices.info(am().closed(this.data.title, ended));
      this.notices.refresh();
    } catch (err) {
      this.notices.error(err);
    }
    this.renderCloseButton();
  }
}
